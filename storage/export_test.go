package storage

// MigrationCount lets tests check that every migration was recorded.
var MigrationCount = len(migrations)

// Exec runs raw SQL, for benchmarks that seed volumes no test would
// insert row by row.
func (db *DB) Exec(query string, args ...any) error {
	return db.gorm.Exec(query, args...).Error
}
