package storage_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

// seedDuties fills a PostgreSQL database with 10,000 daily duties, due over
// the next day, and 1,000,000 past occurrences (100 days of each): 90% done,
// 5% could not be done, 5% missed (pending, escalated).
func seedDuties(b *testing.B, now time.Time) *storage.DB {
	b.Helper()
	if os.Getenv("TEST_DATABASE_URL") == "" {
		b.Skip("the due-duty scan is measured on PostgreSQL: set TEST_DATABASE_URL")
	}
	db := storagetest.Open(b, "postgres")
	start := time.Now()
	err := db.Exec(`
INSERT INTO duties (name, owners, schedule, grace_seconds, escalate_to, source, next_due_at, created_at)
SELECT 'duty-' || g, 'U0' || g, '@daily', 7200, 'it_supervisor', 'config',
       CAST(@now AS timestamptz) + (1 + g % 1440) * interval '1 minute', CAST(@now AS timestamptz) - interval '200 days'
FROM generate_series(1, 10000) g`, map[string]any{"now": now})
	if err != nil {
		b.Fatal(err)
	}
	err = db.Exec(`
INSERT INTO duty_occurrences (duty_id, owner, due_at, state, remind_at, reminded_at, escalate_at, escalated_at, done_at, done_by)
SELECT d, 'U0' || d, due, CASE k % 20 WHEN 0 THEN 'pending' WHEN 1 THEN 'cant' ELSE 'done' END,
       due, due, due + interval '2 hours',
       CASE k % 20 WHEN 0 THEN due + interval '2 hours' END,
       CASE WHEN k % 20 > 1 THEN due + interval '1 hour' END,
       CASE WHEN k % 20 > 1 THEN 'U0' || d ELSE '' END
FROM generate_series(1, 10000) d, generate_series(1, 100) k,
     LATERAL (SELECT CAST(@now AS timestamptz) - k * interval '1 day' + (d % 1440) * interval '1 minute' AS due) t`, map[string]any{"now": now})
	if err != nil {
		b.Fatal(err)
	}
	if err := db.Exec(`ANALYZE duties; ANALYZE duty_occurrences`); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded 10,000 duties and 1,000,000 occurrences in %v", time.Since(start).Round(time.Millisecond))
	return db
}

// BenchmarkDueDutyScan times what the clock does every second for duties
// when nothing is due: look for due duties, due reminders and due
// escalations (target ≤ 50 ms).
func BenchmarkDueDutyScan(b *testing.B) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	db := seedDuties(b, now)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if d, err := db.DueDuties(ctx, now, 100); err != nil || len(d) != 0 {
			b.Fatal(len(d), err)
		}
		if r, err := db.DueReminders(ctx, now, 100); err != nil || len(r) != 0 {
			b.Fatal(len(r), err)
		}
		if e, err := db.DueEscalations(ctx, now, 100); err != nil || len(e) != 0 {
			b.Fatal(len(e), err)
		}
	}
}

// BenchmarkDueDutyScanFiring is the same tick when 100 of the 10,000
// duties are due: each is found, its occurrence written and the duty moved
// on in a guarded write, then the 100 reminders are found.
func BenchmarkDueDutyScanFiring(b *testing.B) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	db := seedDuties(b, now)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		at := now
		if err := db.Exec(`UPDATE duties SET next_due_at = ? WHERE id <= 100`, at.Add(-time.Duration(i)*time.Second)); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		due, err := db.DueDuties(ctx, at, 200)
		if err != nil || len(due) != 100 {
			b.Fatal(len(due), err)
		}
		for _, d := range due {
			occ := []faultline.Occurrence{{Owner: d.Owners[0], DueAt: d.NextDue, RemindAt: d.NextDue, EscalateAt: d.NextDue.Add(d.Grace)}}
			if err := db.FireDuty(ctx, d, occ, d.NextDue.Add(24*time.Hour)); err != nil {
				b.Fatal(err)
			}
		}
		if r, err := db.DueReminders(ctx, at, 200); err != nil || len(r) != 100 {
			b.Fatal(len(r), err)
		}
		b.StopTimer()
		if err := db.Exec(`UPDATE duty_occurrences SET reminded_at = remind_at, state = 'done' WHERE state = 'pending' AND escalated_at IS NULL`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
