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
// and 5,000 pending in one busy channel, 20 quiet channels each with one
// newer message, picking what to send walks the heads' channel index, one
// probe per channel, and never the outbox or every head of the busy one.
func TestNextOutgoingPlanWithoutStatistics(t *testing.T) {
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
	start := time.Now().Add(-time.Hour)
	var busy []faultline.Outgoing
	for i := range 5000 {
		busy = append(busy, faultline.Outgoing{Kind: faultline.OutDM, User: "U0BUSY", Message: faultline.Message{Text: "x"}})
		if i%1000 == 999 { // keys of their own: the busy channel's heads
			if err := db.Commit(ctx, faultline.Change{At: start, Out: busy}); err != nil {
				t.Fatal(err)
			}
			busy = nil
		}
	}
	var quiet []faultline.Outgoing
	for i := range 20 {
		quiet = append(quiet, faultline.Outgoing{Kind: faultline.OutPost, Message: faultline.Message{Channel: "C" + string(rune('A'+i)), Text: "x"}})
	}
	if err := db.Commit(ctx, faultline.Change{At: time.Now(), Out: quiet}); err != nil {
		t.Fatal(err)
	}
	// The busy channel's heads: one per key, 5,000 keys.
	if err := db.Exec(`UPDATE outbox SET key = 'busy:' || id WHERE user_id = 'U0BUSY';
DELETE FROM outbox_heads WHERE key = 'dm:U0BUSY';
INSERT INTO outbox_heads (key, head_id, channel, next_attempt_at) SELECT key, id, channel, next_attempt_at FROM outbox WHERE user_id = 'U0BUSY'`); err != nil {
		t.Fatal(err)
	}
	plan, err := db.Query("EXPLAIN "+storage.NextOutgoingSQL, time.Now(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	for _, bad := range []string{"Seq Scan on outbox", "Bitmap Heap Scan on outbox_heads", "Sort"} {
		if strings.Contains(text, bad) {
			t.Fatalf("the pick reads more than one index entry per channel (%s):\n%s", bad, text)
		}
	}
	if !strings.Contains(text, "outbox_heads_channel_due") {
		t.Fatalf("the pick does not use the heads' channel index:\n%s", text)
	}
	next, held, err := db.NextOutgoing(ctx, time.Now(), 0)
	if err != nil || len(next) != 21 || !held.IsZero() {
		t.Fatalf("next: %d messages, held %v, %v; want one for each of 21 channels", len(next), held, err)
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
