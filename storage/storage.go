// Package storage keeps Faultline's records with gorm, on PostgreSQL in
// production and on an embedded SQLite file (pure Go, no cgo) by default.
// Row types are private and gorm's errors are translated here into
// faultline.ErrNotFound and faultline.ErrConflict, so nothing above this
// package sees gorm.
package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/faultline/faultline"
)

// DefaultSQLiteFile is where the embedded database lives when DATABASE_URL
// is empty: the working directory, so a first run needs no setup.
const DefaultSQLiteFile = "faultline.db"

// DB is an open store. It is safe for concurrent use.
type DB struct {
	gorm    *gorm.DB
	dialect string // "postgres" or "sqlite"
	log     *slog.Logger
}

// Open connects to the database named by databaseURL — postgres://… or
// postgresql://… for PostgreSQL; empty, or sqlite:PATH, for an embedded
// SQLite file — and applies any migrations not yet recorded.
func Open(ctx context.Context, databaseURL string, log *slog.Logger) (*DB, error) {
	dialector, dialect, err := dialectorFor(databaseURL)
	if err != nil {
		return nil, err
	}
	g, err := gorm.Open(dialector, &gorm.Config{
		TranslateError: true,
		// A single statement is atomic on its own; gorm's default wraps each
		// in BEGIN/COMMIT, two extra round trips. Multi-step writes use
		// explicit transactions.
		SkipDefaultTransaction: true,
		Logger:                 gormLog{log: log},
		NowFunc:                func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	db := &DB{gorm: g, dialect: dialect, log: log}
	if err := db.configurePool(); err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func dialectorFor(databaseURL string) (gorm.Dialector, string, error) {
	switch {
	case databaseURL == "":
		return sqlite.Open(sqliteDSN(DefaultSQLiteFile)), "sqlite", nil
	case strings.HasPrefix(databaseURL, "sqlite:"):
		return sqlite.Open(sqliteDSN(strings.TrimPrefix(databaseURL, "sqlite:"))), "sqlite", nil
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		return postgres.Open(databaseURL), "postgres", nil
	}
	return nil, "", fmt.Errorf("DATABASE_URL must start with postgres:// or sqlite:, or be empty for the embedded database")
}

// sqliteDSN turns on WAL (readers never wait for the writer), waits for
// locks instead of failing, and begins write transactions IMMEDIATE so two
// processes on one file queue up instead of deadlocking on a lock upgrade.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	// No _time_format: glebarez/go-sqlite v1.21 stops reading parameters
	// after it, so _txlock would be ignored. The default format sorts
	// correctly for the UTC times stored here.
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

func (db *DB) configurePool() error {
	sqlDB, err := db.gorm.DB()
	if err != nil {
		return fmt.Errorf("database pool: %w", err)
	}
	if db.dialect == "sqlite" {
		// One writer at a time is all SQLite allows; a single connection
		// makes the wait happen in Go rather than in busy retries.
		sqlDB.SetMaxOpenConns(1)
		return nil
	}
	sqlDB.SetMaxOpenConns(20)
	sqlDB.SetMaxIdleConns(10)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	return nil
}

// Dialect is "postgres" or "sqlite".
func (db *DB) Dialect() string { return db.dialect }

// Ping checks that the database answers; /readyz uses it.
func (db *DB) Ping(ctx context.Context) error {
	sqlDB, err := db.gorm.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Close closes the connection pool.
func (db *DB) Close() error {
	sqlDB, err := db.gorm.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// translate maps gorm's errors onto the domain's sentinels; everything else
// passes through wrapped by the caller.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return faultline.ErrNotFound
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return faultline.ErrConflict
	}
	return err
}
