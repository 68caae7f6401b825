package storage_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

// SeedHistory fills a PostgreSQL database whose tables are never analyzed
// (autovacuum off on them) with n closed tickets with timelines and ten
// open ones, as years of an IT department leave it.
func SeedHistory(tb testing.TB, n int) *storage.DB {
	tb.Helper()
	if os.Getenv("TEST_DATABASE_URL") == "" {
		tb.Skip("history is measured on PostgreSQL: set TEST_DATABASE_URL")
	}
	db := storagetest.Open(tb, "postgres")
	for _, q := range []string{
		`ALTER TABLE faults SET (autovacuum_enabled = false)`,
		`ALTER TABLE fault_events SET (autovacuum_enabled = false)`,
		`INSERT INTO faults (number, target, site, description, reporter, state, created_at, updated_at, closed_at, hop, cause, resolution)
SELECT g, 'office-' || (g % 20), 'office-' || (g % 20), '网络不通 printer ' || g, 'U1', 'closed', now(), now(), now(),
	'WAN router', 'device', '更换了光纤跳线 router reboot ' || g FROM generate_series(1, ` + strconv.Itoa(n) + `) g`,
		`INSERT INTO fault_events (fault_id, at, actor, kind, text) SELECT id, now(), 'U1', 'created', description FROM faults`,
		`UPDATE fault_counts SET n = (SELECT COUNT(*) FROM faults WHERE state = 'closed') WHERE name = 'closed'`,
		`SELECT setval('fault_numbers', ` + strconv.Itoa(n) + `)`,
	} {
		if err := db.Exec(q); err != nil {
			tb.Fatal(err)
		}
	}
	if err := db.FileClosed(); err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	for range 10 {
		if _, err := db.CreateFault(ctx, faultline.Fault{Target: "office-a", Site: "office-a", Description: "down", Reporter: "U2",
			State: faultline.FaultOpen, CreatedAt: t0}, faultline.Change{}); err != nil {
			tb.Fatal(err)
		}
	}
	return db
}

// BenchmarkHistory times what a person or a scrape waits for at 100,000
// closed tickets that were never analyzed: /fault list, the gauges'
// counts, the open outages of a site, and /fault search.
func BenchmarkHistory(b *testing.B) {
	db := SeedHistory(b, 100_000)
	ctx := context.Background()
	b.Run("list", func(b *testing.B) {
		for b.Loop() {
			if l, err := db.Faults(ctx, faultline.OpenFaultStates, 20); err != nil || len(l) != 10 {
				b.Fatalf("%d, %v", len(l), err)
			}
		}
	})
	b.Run("count", func(b *testing.B) {
		for b.Loop() {
			if c, err := db.CountFaults(ctx); err != nil || c[faultline.FaultOpen] != 10 {
				b.Fatalf("%v, %v", c, err)
			}
		}
	})
	b.Run("open-at-site", func(b *testing.B) {
		for b.Loop() {
			if l, err := db.OpenFaultsAt(ctx, "office-a", []string{"host:127.0.0.1", "line:ct-1"}); err != nil || len(l) != 10 {
				b.Fatalf("%d, %v", len(l), err)
			}
		}
	})
	b.Run("search", func(b *testing.B) {
		for b.Loop() {
			if l, err := db.SearchFaults(ctx, []string{"光纤"}, 20); err != nil || len(l) == 0 {
				b.Fatalf("%d, %v", len(l), err)
			}
		}
	})
}
