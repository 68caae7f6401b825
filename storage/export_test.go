package storage

// MigrationCount lets tests check that every migration was recorded.
var MigrationCount = len(migrations)
