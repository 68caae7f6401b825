package storage

import "strings"

// MigrationCount lets tests check that every migration was recorded.
var MigrationCount = len(migrations)

// Batched counts the reports stored together with others in one
// statement.
func (db *DB) Batched() int64 {
	if db.intake == nil {
		return 0
	}
	return db.intake.batched.Load()
}

// NextOutgoingSQL is delivery's pick, for its plan.
const NextOutgoingSQL = nextOutgoingSQL

// Exec runs raw SQL, for benchmarks that seed volumes no test would
// insert row by row.
func (db *DB) Exec(query string, args ...any) error {
	return db.gorm.Exec(query, args...).Error
}

// Query runs raw SQL that returns one column, for tests that look at what
// no port shows (a plan, a column the store clears).
func (db *DB) Query(query string, args ...any) ([]string, error) {
	var out []string
	err := db.gorm.Raw(query, args...).Scan(&out).Error
	return out, err
}

// FileClosed files the closed tickets that are not in the search index
// yet, as the migration that made it did: for seeds that insert tickets
// in bulk.
func (db *DB) FileClosed() error {
	for _, q := range strings.Split(fileClosed, ";\n") {
		if err := db.gorm.Exec(q).Error; err != nil {
			return err
		}
	}
	return nil
}
