// Package storage keeps Faultline's records with gorm, on PostgreSQL in
// production and on an embedded SQLite file (pure Go, no cgo) by default.
// It implements every store port of package commands, and passes the
// contract suite in commands/storetest on both databases. Row types are
// private and gorm's errors are translated here into faultline.ErrNotFound
// and faultline.ErrConflict, so nothing above this package sees gorm; it
// imports only the domain, and a transaction never calls up into a flow.
package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/faultline/faultline"
)

// DefaultSQLiteFile is where the embedded database lives when DATABASE_URL
// is empty: the working directory, so a first run needs no setup.
const DefaultSQLiteFile = "faultline.db"

// DB is an open store. It is safe for concurrent use.
type DB struct {
	gorm *gorm.DB
	d    *dialect
	log  *slog.Logger
	// intake batches concurrent reports (PostgreSQL).
	intake *intake
}

// dialect is everything that differs between the two databases, in one
// value, so the queries themselves never branch on a name.
type dialect struct {
	name  string            // "postgres" or "sqlite"
	types *strings.Replacer // {{id}} and {{time}} in migrations
	// migrationLock serializes migrations across processes: an advisory
	// lock on PostgreSQL; SQLite's immediate transactions already queue.
	migrationLock string
	// nextNumber hands out the next ticket or incident number.
	nextNumber func(tx *gorm.DB, kind string) (int64, error)
	// oneStatementReport stores a report in one round trip (PostgreSQL's
	// data-modifying CTEs) instead of a transaction of several.
	oneStatementReport bool
	// least and greatest are the two-argument minimum and maximum.
	least, greatest string
	// rowLocks: SELECT … FOR UPDATE and SKIP LOCKED exist (PostgreSQL); on
	// SQLite a write transaction holds the whole database anyway.
	rowLocks bool
	pool     func(*sql.DB)
}

var (
	postgresDialect = &dialect{
		name:          "postgres",
		types:         strings.NewReplacer("{{id}}", "BIGSERIAL PRIMARY KEY", "{{time}}", "TIMESTAMPTZ"),
		migrationLock: "SELECT pg_advisory_xact_lock(7154021)",
		// A sequence hands out numbers without holding a lock until commit,
		// so concurrent reports commit in parallel; a rolled-back report
		// leaves a gap, never a duplicate.
		nextNumber: func(tx *gorm.DB, kind string) (n int64, err error) {
			return n, tx.Raw("SELECT nextval(?::regclass)", kind+"_numbers").Scan(&n).Error
		},
		oneStatementReport: true,
		least:              "LEAST", greatest: "GREATEST", rowLocks: true,
		pool: func(db *sql.DB) {
			// As many kept as may be open: under a burst of reports a
			// connection closed for being the eleventh idle one is opened
			// again at once, a fork on the server each time.
			db.SetMaxOpenConns(20)
			db.SetMaxIdleConns(20)
			db.SetConnMaxIdleTime(5 * time.Minute)
		},
	}
	sqliteDialect = &dialect{
		name:  "sqlite",
		types: strings.NewReplacer("{{id}}", "INTEGER PRIMARY KEY AUTOINCREMENT", "{{time}}", "DATETIME"),
		// SQLite has one writer at a time anyway: a counter row in the same
		// transaction gives gapless numbers.
		nextNumber: func(tx *gorm.DB, kind string) (n int64, err error) {
			return n, tx.Raw("UPDATE counters SET value = value + 1 WHERE name = ? RETURNING value", kind).Scan(&n).Error
		},
		least: "MIN", greatest: "MAX",
		// One writer at a time is all SQLite allows; a single connection
		// makes the wait happen in Go rather than in busy retries.
		pool: func(db *sql.DB) { db.SetMaxOpenConns(1) },
	}
)

// Open connects to the database named by databaseURL — postgres://… or
// postgresql://… for PostgreSQL; empty, or sqlite:PATH, for an embedded
// SQLite file — and applies any migrations not yet recorded.
//
// On SQLite a second process starting at the same moment finds the file's
// write lock held by the first one's start (WAL set up, migrations) for
// longer than a request's one-second wait; at start nobody is waiting for
// an answer, so it tries again for up to half a minute, and then finds
// nothing left to do. (PostgreSQL's advisory lock waits by itself.)
func Open(ctx context.Context, databaseURL string, log *slog.Logger) (*DB, error) {
	_, d, err := dialectorFor(databaseURL)
	if err != nil {
		return nil, err
	}
	give := time.Now().Add(30 * time.Second)
	for {
		db, err := open(ctx, databaseURL, log)
		if err == nil || d != sqliteDialect || !transient(err) || time.Now().After(give) {
			return db, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func open(ctx context.Context, databaseURL string, log *slog.Logger) (*DB, error) {
	dialector, d, err := dialectorFor(databaseURL)
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
		return nil, fmt.Errorf("open %s database: %w", d.name, err)
	}
	db := &DB{gorm: g, d: d, log: log}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, fmt.Errorf("database pool: %w", err)
	}
	d.pool(sqlDB)
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if d.oneStatementReport {
		db.intake = newIntake(db)
	}
	return db, nil
}

func dialectorFor(databaseURL string) (gorm.Dialector, *dialect, error) {
	switch {
	case databaseURL == "":
		return sqlite.Open(sqliteDSN(DefaultSQLiteFile)), sqliteDialect, nil
	case strings.HasPrefix(databaseURL, "sqlite:"):
		return sqlite.Open(sqliteDSN(strings.TrimPrefix(databaseURL, "sqlite:"))), sqliteDialect, nil
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		return postgres.Open(databaseURL), postgresDialect, nil
	}
	return nil, nil, fmt.Errorf("DATABASE_URL must start with postgres:// or sqlite:, or be empty for the embedded database")
}

// sqliteDSN turns on WAL (readers never wait for the writer), waits up to
// a second for another process's write lock (SQLite's wait cannot be cut
// short, so a longer one would hold a request past Slack's three seconds;
// a write that finds the lock still held fails as unavailable and is
// retried), and begins write transactions IMMEDIATE so two
// processes on one file queue up instead of deadlocking on a lock upgrade.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(1000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	// No _time_format: glebarez/go-sqlite v1.21 stops reading parameters
	// after it, so _txlock would be ignored. The default format sorts
	// correctly for the UTC times stored here.
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// Dialect is "postgres" or "sqlite".
func (db *DB) Dialect() string { return db.d.name }

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
	if db.intake != nil {
		db.intake.close()
	}
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
	case errors.Is(err, faultline.ErrConflict), errors.Is(err, faultline.ErrReplay), errors.Is(err, faultline.ErrNotFound):
		return err
	case transient(err) && unsent(err):
		return fmt.Errorf("%w (%v)", faultline.ErrUnavailable, err)
	case transient(err):
		return fmt.Errorf("%w (%v)", faultline.ErrUncertain, err)
	}
	return err
}

// unsent reports whether a transient err means the write certainly did not
// happen: the database refused it itself (an error reply aborts the
// transaction), the connection was never made or nothing was sent on it,
// or SQLite (local, all or nothing) gave up. A connection that broke or
// timed out after the statement went leaves it unknown.
func unsent(err error) bool {
	var pe *pgconn.PgError
	var ce *pgconn.ConnectError
	var coded interface{ Code() int }
	return errors.As(err, &pe) || errors.As(err, &ce) || pgconn.SafeToRetry(err) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &coded) || strings.Contains(err.Error(), "connection refused")
}

// transient reports whether err says the database could not be reached or
// gave the transaction up, rather than that the statement was wrong: a
// refused or dropped connection, a server shutting down or starting, a
// serialization failure or deadlock, too many connections, SQLite busy, or
// no answer before the caller's deadline. Such a write most likely did not
// happen (a connection lost during its commit leaves that unknown, which
// is why requests carry a key), and may succeed when tried again.
func transient(err error) bool {
	var pe *pgconn.PgError
	var ce *pgconn.ConnectError
	var ne net.Error
	var coded interface{ Code() int }
	switch {
	case errors.As(err, &pe):
		switch {
		case strings.HasPrefix(pe.Code, "08"), pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03",
			pe.Code == "40001", pe.Code == "40P01", pe.Code == "53300":
			return true
		}
		return false
	case errors.As(err, &ce), errors.As(err, &ne), pgconn.SafeToRetry(err):
		return true
	case errors.Is(err, context.DeadlineExceeded):
		return true
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	case errors.As(err, &coded):
		c := coded.Code() & 0xff          // SQLite's primary result code
		return c == 5 || c == 6 || c == 9 // SQLITE_BUSY, SQLITE_LOCKED, SQLITE_INTERRUPT (the deadline passed)
	}
	return strings.Contains(err.Error(), "conn closed") || strings.Contains(err.Error(), "connection refused")
}

// guarded runs an UPDATE that must change exactly the row as it was read
// (its where holds the read state): no row changed means someone else got
// there first, faultline.ErrConflict. Every compare-and-set of the store
// (steps, clocks, duties, schedules, monitors) goes through here.
func guarded(res *gorm.DB) error {
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return faultline.ErrConflict
	}
	return nil
}

// transaction runs fn in a transaction, wrapping its error with op once.
func (db *DB) transaction(ctx context.Context, op string, fn func(tx *gorm.DB) error) error {
	if err := db.gorm.WithContext(ctx).Transaction(fn); err != nil {
		return fmt.Errorf("%s: %w", op, translate(err))
	}
	return nil
}
