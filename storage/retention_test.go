package storage_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

// Retention purges a finished record whole once it is past its retention
// and never sooner than six months after its last change; what is still
// owed (a supplement, a message given up), not finished, or touched since
// stays. The chain still verifies, says what was purged, and names an
// event removed any other way. On both databases.
func TestRetentionPurgesWholeRecordsAndTheChainHolds(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		now := t0
		old, recent := now.Add(-400*24*time.Hour), now.Add(-100*24*time.Hour)

		closedFault := func(desc string, at time.Time) faultline.Fault {
			t.Helper()
			f, err := db.CreateFault(ctx, faultline.Fault{Target: "office-a", Site: "office-a", Description: desc, Reporter: "U1",
				State: faultline.FaultOpen, CreatedAt: at.Add(-time.Hour)}, faultline.Change{})
			if err != nil {
				t.Fatal(err)
			}
			closed := f
			closed.State, closed.ClosedAt, closed.UpdatedAt = faultline.FaultClosed, at, at
			closed.Resolution = faultline.Resolution{Cause: faultline.CauseLine, Done: "换了光纤跳线", FixedBy: "电信"}
			if err := db.Commit(ctx, faultline.Change{FaultID: f.ID, Fault: &closed, Read: f, At: at,
				Events: []faultline.Event{{At: at, Actor: "U0TECH", Kind: faultline.EventReply, Text: "fixed"}}}); err != nil {
				t.Fatal(err)
			}
			return closed
		}
		purged := closedFault("光纤断了", old)   // F-1: purged
		kept := closedFault("光纤又断了", recent) // F-2: closed 100 days ago
		_, err := db.CreateFault(ctx, faultline.Fault{Target: "office-b", Description: "still down", Reporter: "U1",
			State: faultline.FaultOpen, CreatedAt: old}, faultline.Change{}) // F-3: open
		if err != nil {
			t.Fatal(err)
		}
		givenUp := closedFault("打印机", old) // F-4: a message to it was given up
		if err := db.Exec(`INSERT INTO outbox (key, kind, fault_id, created_at, next_attempt_at, failed_at, error) VALUES (?, 'post', ?, ?, ?, ?, 'channel_not_found')`,
			"thread:F-4", givenUp.ID, old, old, old); err != nil {
			t.Fatal(err)
		}
		touched := closedFault("VPN", old) // F-5: a reply since, the row untouched
		if err := db.Commit(ctx, faultline.Change{FaultID: touched.ID, Events: []faultline.Event{{At: recent, Actor: "U1", Kind: faultline.EventReply, Text: "again?"}}}); err != nil {
			t.Fatal(err)
		}

		incident := func(desc string, state faultline.IncidentState, supplement time.Time) faultline.Incident {
			t.Helper()
			i, err := db.CreateIncident(ctx, faultline.Incident{Description: desc, Reporter: "U2", State: faultline.IncOpen,
				Severity: faultline.SevMajor, CreatedAt: old.Add(-time.Hour)}, faultline.Change{})
			if err != nil {
				t.Fatal(err)
			}
			done := i
			done.State, done.ClosedAt, done.UpdatedAt, done.SupplementDue = state, old, old, supplement
			done.Cause, done.Measures = "钓鱼邮件", "封禁发件人"
			if err := db.Commit(ctx, faultline.Change{IncidentID: i.ID, Incident: &done, ReadIncident: i, At: old,
				Events:    []faultline.Event{{At: old, Actor: "U0SEC", Kind: "archive"}},
				FollowUps: []faultline.FollowUp{{Text: "train staff", Owner: "U0SEC", Due: old.Add(24 * time.Hour), DoneAt: old, DoneBy: "U0SEC"}}}); err != nil {
				t.Fatal(err)
			}
			return done
		}
		gone := incident("钓鱼邮件", faultline.IncArchived, time.Time{})           // I-1: purged
		owed := incident("勒索软件", faultline.IncArchived, old.Add(24*time.Hour)) // I-2: a supplement still owed
		summary := incident("撞库", faultline.IncClosed, time.Time{})            // I-3: its summary is still due

		for {
			n, err := db.SealEvents(ctx, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		_, before, _ := db.VerifyChain(ctx)
		count := func(q string, args ...any) string {
			t.Helper()
			out, err := db.Query(q, args...)
			if err != nil || len(out) != 1 {
				t.Fatalf("%s: %v %v", q, out, err)
			}
			return out[0]
		}
		events := count("SELECT COUNT(*) FROM fault_events WHERE fault_id = ?", purged.ID) + "+" +
			count("SELECT COUNT(*) FROM incident_events WHERE incident_id = ?", gone.ID)
		closedBefore, _ := db.CountFaults(ctx)

		// Asked to purge everything, it purges only what is six months
		// past its last change.
		faults, incidents, n, err := db.PurgeRecords(ctx, now, now, now, 100)
		if err != nil || faults != 1 || incidents != 1 {
			t.Fatalf("purged %d tickets and %d incidents (%d events), %v; want F-1 and I-1", faults, incidents, n, err)
		}
		if events != "2+2" || n != 4 { // each: its creation and one step
			t.Fatalf("purged %d events; the records had %s", n, events)
		}
		for _, num := range []int64{purged.Number} {
			if _, err := db.Fault(ctx, num); !errors.Is(err, faultline.ErrNotFound) {
				t.Errorf("F-%d after the purge: %v", num, err)
			}
		}
		for _, num := range []int64{kept.Number, 3, givenUp.Number, touched.Number} {
			if _, err := db.Fault(ctx, num); err != nil {
				t.Errorf("F-%d should be kept: %v", num, err)
			}
		}
		if _, err := db.Incident(ctx, gone.Number); !errors.Is(err, faultline.ErrNotFound) {
			t.Errorf("I-1 after the purge: %v", err)
		}
		for _, num := range []int64{owed.Number, summary.Number} {
			if _, err := db.Incident(ctx, num); err != nil {
				t.Errorf("I-%d should be kept: %v", num, err)
			}
		}
		for q, want := range map[string]string{
			"SELECT COUNT(*) FROM fault_events WHERE fault_id = ?":               "0",
			"SELECT COUNT(*) FROM fault_terms WHERE fault_id = ?":                "0",
			"SELECT COUNT(*) FROM incident_events WHERE incident_id = ?":         "0",
			"SELECT COUNT(*) FROM incident_followups WHERE incident_id = ?":      "0",
			"SELECT COUNT(*) FROM incident_terms WHERE incident_id = ?":          "0",
			"SELECT COUNT(*) FROM timers WHERE fault_id = 0 AND incident_id = ?": "0",
		} {
			id := purged.ID
			if strings.Contains(q, "incident") {
				id = gone.ID
			}
			if got := count(q, id); got != want {
				t.Errorf("%s = %s, want %s", q, got, want)
			}
		}
		// The search terms' counts are those of the records left.
		for _, x := range []struct{ terms, id, counts string }{{"fault_terms", "fault_id", "term_counts"}, {"incident_terms", "incident_id", "incident_term_counts"}} {
			q := `SELECT COUNT(*) FROM (SELECT term, COUNT(*) AS n FROM ` + x.terms + ` GROUP BY term) t FULL JOIN ` + x.counts +
				` c ON c.term = t.term WHERE t.n IS NULL OR c.n IS NULL OR t.n <> c.n`
			if got := count(q); got != "0" {
				t.Errorf("%s: %s terms counted wrong after the purge", x.counts, got)
			}
		}
		found, err := db.SearchFaults(ctx, []string{"断了"}, 10)
		if err != nil || len(found) != 1 || found[0].Number != kept.Number {
			t.Errorf("search 断了 after the purge: %v, %v; want F-2 alone", found, err)
		}
		if closed, _ := db.CountFaults(ctx); closed[faultline.FaultClosed] != closedBefore[faultline.FaultClosed]-1 {
			t.Errorf("closed tickets %d, were %d", closed[faultline.FaultClosed], closedBefore[faultline.FaultClosed])
		}
		if f, i, _, err := db.PurgeRecords(ctx, now, now, now, 100); err != nil || f+i != 0 {
			t.Errorf("a second purge removed %d and %d, %v", f, i, err)
		}

		problem, checked, err := db.VerifyChain(ctx)
		if err != nil || problem != nil || checked != before {
			t.Fatalf("after the purge: %v, %d checked (%d before), %v", problem, checked, before, err)
		}
		if n, latest, err := db.PrunedEvents(ctx); err != nil || n != 4 || !latest.Equal(old) {
			t.Fatalf("pruned events: %d up to %v, %v; want 4 up to %v", n, latest, err, old)
		}

		// What an attacker would do to hide a change: a seal moved into the
		// pruned table from a record still there, a purge dated sooner
		// than six months, a pruned seal removed.
		expect := func(why, want string) {
			t.Helper()
			problem, _, err := db.VerifyChain(ctx)
			if err != nil || problem == nil || !strings.Contains(problem.String(), want) {
				t.Fatalf("%s: %v, %v; want %q", why, problem, err, want)
			}
		}
		seq := count("SELECT MIN(seq) FROM chain_pruned")
		if err := db.Exec("UPDATE chain_pruned SET pruned_at = ? WHERE seq = ?", old.Add(30*24*time.Hour), seq); err != nil {
			t.Fatal(err)
		}
		expect("a purge a month after the last change", "position "+seq+", fault event")
		expect("a purge a month after the last change", "changed within six months before")
		if err := db.Exec("UPDATE chain_pruned SET pruned_at = ? WHERE seq = ?", now, seq); err != nil {
			t.Fatal(err)
		}
		if problem, _, _ := db.VerifyChain(ctx); problem != nil {
			t.Fatalf("restored: %v", problem)
		}
		victim := count("SELECT MIN(chain_seq) FROM fault_events WHERE fault_id = ?", kept.ID)
		if err := db.Exec(`INSERT INTO chain_pruned (seq, hash, tbl, event_id, record_id, record_ref, at, last_change, pruned_at)
	SELECT chain_seq, chain_hash, 'fault', id, fault_id, 'F-2', at, at, ? FROM fault_events WHERE chain_seq = ?`, now.Add(300*24*time.Hour), victim); err != nil {
			t.Fatal(err)
		}
		if err := db.Exec("DELETE FROM fault_events WHERE chain_seq = ?", victim); err != nil {
			t.Fatal(err)
		}
		expect("an event of a kept ticket passed off as purged", "position "+victim+", fault event")
		expect("an event of a kept ticket passed off as purged", "its record is still there")
		if err := db.Exec("DELETE FROM chain_pruned WHERE seq = ?", seq); err != nil {
			t.Fatal(err)
		}
		expect("a purged seal removed", "chain position "+seq+": missing")
	})
}
