package storage_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

// seedOutbox fills a PostgreSQL database whose outbox tables are never
// analyzed (autovacuum off on them) with 100,000 sent messages and 10,000
// pending over 100 channels and 1,000 tickets, as a backlog after a long
// Slack outage leaves it.
func seedOutbox(b *testing.B) *storage.DB {
	b.Helper()
	if os.Getenv("TEST_DATABASE_URL") == "" {
		b.Skip("the outbox poll is measured on PostgreSQL: set TEST_DATABASE_URL")
	}
	db := storagetest.Open(b, "postgres")
	ctx := context.Background()
	if err := db.Exec(`ALTER TABLE outbox SET (autovacuum_enabled = false); ALTER TABLE outbox_heads SET (autovacuum_enabled = false)`); err != nil {
		b.Fatal(err)
	}
	err := db.Exec(`INSERT INTO outbox (key, kind, channel, payload, created_at, next_attempt_at, sent_at)
SELECT 'chan:C' || (g % 100), 'post', 'C' || (g % 100), '', now(), now(), now() FROM generate_series(1, 100000) g`)
	if err != nil {
		b.Fatal(err)
	}
	for batch := range 10 {
		var out []faultline.Outgoing
		for i := range 1000 {
			out = append(out, faultline.Outgoing{Kind: faultline.OutPost, FaultID: int64(1 + (batch*1000+i)%1000),
				Message: faultline.Message{Channel: fmt.Sprintf("C%02d", i%100), Text: "x"}})
		}
		if err := db.Commit(ctx, faultline.Change{At: time.Now(), Out: out}); err != nil {
			b.Fatal(err)
		}
	}
	return db
}

// BenchmarkNextOutgoing times the delivery loop's poll (one message for
// each of the 100 channels) on tables never analyzed, then after ANALYZE.
func BenchmarkNextOutgoing(b *testing.B) {
	db := seedOutbox(b)
	ctx := context.Background()
	poll := func(b *testing.B) {
		for b.Loop() {
			p, _, err := db.NextOutgoing(ctx, time.Now(), 0)
			if err != nil || len(p) != 100 {
				b.Fatalf("next: %d, %v", len(p), err)
			}
		}
	}
	b.Run("never-analyzed", poll)
	if err := db.Exec(`ANALYZE outbox; ANALYZE outbox_heads`); err != nil {
		b.Fatal(err)
	}
	b.Run("analyzed", poll)
}
