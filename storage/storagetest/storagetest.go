// Package storagetest gives tests a fresh, real database of each dialect:
// an SQLite file in a temporary directory always, and a fresh schema in the
// PostgreSQL of TEST_DATABASE_URL when it is set. When CI is set and
// TEST_DATABASE_URL is not, tests fail rather than silently skip
// PostgreSQL.
package storagetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", to create and drop schemas

	"github.com/faultline/faultline/storage"
)

// Dialects are the databases every storage-backed test runs against.
func Dialects(t testing.TB) []string {
	if os.Getenv("TEST_DATABASE_URL") != "" {
		return []string{"sqlite", "postgres"}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("CI is set but TEST_DATABASE_URL is not: the PostgreSQL half of the tests would be skipped")
	}
	return []string{"sqlite"}
}

// Run runs f once per dialect, as subtests named after the dialect, each
// on its own fresh database.
func Run(t *testing.T, f func(t *testing.T, db *storage.DB)) {
	for _, d := range Dialects(t) {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			f(t, Open(t, d))
		})
	}
}

// Open returns a fresh, migrated database of the dialect, closed when the
// test ends.
func Open(t testing.TB, dialect string) *storage.DB { return OpenURL(t, URL(t, dialect)) }

// OpenURL opens (and migrates) the database at url, closed when the test
// ends; called twice on one URL it is two processes on one database.
func OpenURL(t testing.TB, url string) *storage.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), url, Logger())
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// URL returns a DATABASE_URL for a fresh, empty database of the dialect:
// a new SQLite file, or a new PostgreSQL schema dropped when the test ends.
func URL(t testing.TB, dialect string) string {
	t.Helper()
	if dialect == "sqlite" {
		return "sqlite:" + filepath.Join(t.TempDir(), "faultline.db")
	}
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		t.Fatal("TEST_DATABASE_URL is not set")
	}
	schema := "fl_test_" + randomHex(t)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("connect to TEST_DATABASE_URL: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() { dropSchema(t, base, schema) })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func dropSchema(t testing.TB, base, schema string) {
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Errorf("connect to drop schema: %v", err)
		return
	}
	defer admin.Close()
	if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
	}
}

func randomHex(t testing.TB) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// Logger discards logs unless FAULTLINE_TEST_LOG is set.
func Logger() *slog.Logger {
	if os.Getenv("FAULTLINE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// Exec runs query on the database at url (as URL returns it) behind the
// store's back, as someone with a SQL prompt would: for tests of what the
// store notices.
func Exec(t testing.TB, url, query string) {
	t.Helper()
	driver, dsn := "pgx", url
	if file, ok := strings.CutPrefix(url, "sqlite:"); ok {
		driver, dsn = "sqlite", "file:"+file
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}
