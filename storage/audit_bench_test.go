package storage_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/faultline/faultline/storage/storagetest"
)

// BenchmarkAuditChain seals and then verifies AUDIT_EVENTS timeline events
// (default 1,000,000) on PostgreSQL: seal-event is the sealer's cost per
// event, verify-s one whole `faultline audit verify`.
func BenchmarkAuditChain(b *testing.B) {
	if os.Getenv("TEST_DATABASE_URL") == "" {
		b.Skip("the chain is measured on PostgreSQL: set TEST_DATABASE_URL")
	}
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("AUDIT_EVENTS")); err == nil && v > 0 {
		n = v
	}
	db := storagetest.Open(b, "postgres")
	ctx := context.Background()
	err := db.Exec(`INSERT INTO faults (number, target, site, description, reporter, state, created_at, updated_at)
SELECT g, 'office-a', 'office-a', 'seed', 'U1', 'closed', now(), now() FROM generate_series(1, 1000) g;
INSERT INTO fault_events (fault_id, at, actor, kind, text, data)
SELECT 1 + g % 1000, now() - (g || ' seconds')::interval, 'U0TECH', 'reply', 'checked the switch port ' || g, '' FROM generate_series(1, ` + strconv.Itoa(n) + `) g`)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for {
		sealed, err := db.SealEvents(ctx, 5000)
		if err != nil {
			b.Fatal(err)
		}
		if sealed == 0 {
			break
		}
	}
	sealing := time.Since(start)
	b.ResetTimer()
	for b.Loop() {
		problem, checked, err := db.VerifyChain(ctx)
		if err != nil || problem != nil || checked != int64(n) {
			b.Fatalf("verify: %v, %d, %v", problem, checked, err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "verify-s")
	b.ReportMetric(float64(sealing.Microseconds())/float64(n), "seal-µs/event")
}
