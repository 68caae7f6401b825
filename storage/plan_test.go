package storage_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

// The hot queries are planned from indexes on tables that were never
// analyzed (autovacuum off, as on some servers): with 20,000 messages sent
// and 2,000 pending, picking what to send reads the heads' index, not the
// outbox.
func TestPendingOutboxPlanWithoutStatistics(t *testing.T) {
	if os.Getenv("TEST_DATABASE_URL") == "" {
		storagetest.Dialects(t) // fails in CI without PostgreSQL
		t.Skip("plans are checked on PostgreSQL: set TEST_DATABASE_URL")
	}
	db := storagetest.Open(t, "postgres")
	ctx := context.Background()
	if err := db.Exec(`ALTER TABLE outbox SET (autovacuum_enabled = false); ALTER TABLE outbox_heads SET (autovacuum_enabled = false)`); err != nil {
		t.Fatal(err)
	}
	err := db.Exec(`INSERT INTO outbox (key, kind, channel, payload, created_at, next_attempt_at, sent_at)
SELECT 'chan:C' || (g % 100), 'post', 'C' || (g % 100), '{}', now(), now(), now() FROM generate_series(1, 20000) g`)
	if err != nil {
		t.Fatal(err)
	}
	var out []faultline.Outgoing
	for i := range 2000 {
		out = append(out, faultline.Outgoing{Kind: faultline.OutPost, Message: faultline.Message{Channel: "C" + string(rune('A'+i%20)), Text: "x"}})
	}
	if err := db.Commit(ctx, faultline.Change{At: time.Now(), Out: out}); err != nil {
		t.Fatal(err)
	}
	plan, err := db.Query(`EXPLAIN SELECT o.*, COALESCE(f.channel, i.channel, '') AS head_channel, COALESCE(f.message_ts, i.message_ts, '') AS head_ts
FROM outbox_heads h JOIN outbox o ON o.id = h.head_id
LEFT JOIN faults f ON f.id = o.fault_id LEFT JOIN incidents i ON i.id = o.incident_id
WHERE h.blocked = '' AND h.next_attempt_at <= now() AND (h.claimed_until IS NULL OR h.claimed_until < now())
ORDER BY h.next_attempt_at LIMIT 200`)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	if strings.Contains(text, "Seq Scan on outbox ") || !strings.Contains(text, "outbox_heads_due") {
		t.Fatalf("the pending query reads the outbox, not the heads' index:\n%s", text)
	}
	if p, err := db.PendingOutbox(ctx, time.Now(), 200); err != nil || len(p) != 20 {
		t.Fatalf("pending: %d, %v", len(p), err)
	}
}

// A sent message's text is gone from the table.
func TestSentTextIsForgotten(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		dm := faultline.Outgoing{Kind: faultline.OutDM, User: "U0EXEC", Message: faultline.Message{Text: "I-1: the ERP password leaked"}}
		if err := db.Commit(ctx, faultline.Change{At: t0, Out: []faultline.Outgoing{dm}}); err != nil {
			t.Fatal(err)
		}
		p, _ := db.PendingOutbox(ctx, t0, 10)
		if err := db.OutgoingSent(ctx, p[0], "D0U0EXEC", "1.2", t0); err != nil {
			t.Fatal(err)
		}
		left, err := db.Query("SELECT payload FROM outbox WHERE id = ?", p[0].ID)
		if err != nil || len(left) != 1 || left[0] != "" {
			t.Fatalf("payload after sending: %q, %v", left, err)
		}
	})
}
