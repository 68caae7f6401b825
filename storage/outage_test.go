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

// Open tickets are found by site and by failing hop, newest first; a
// join adds a reporter once, refuses a closed ticket and a replayed key,
// and commits its timeline entry with it.
func TestOpenFaultsAndJoins(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		mk := func(site, hop string, state faultline.FaultState) faultline.Fault {
			f, err := db.CreateFault(ctx, faultline.Fault{Target: site, Site: site, Reporter: "U1", State: faultline.FaultOpen, CreatedAt: now}, faultline.Change{})
			if err != nil {
				t.Fatal(err)
			}
			after := f
			after.HopKey, after.State = hop, state
			if err := db.Commit(ctx, faultline.Change{FaultID: f.ID, Fault: &after, Read: f}); err != nil {
				t.Fatal(err)
			}
			return after
		}
		a := mk("office-a", "line:1", faultline.FaultTaken)
		mk("office-a", "", faultline.FaultClosed)
		c := mk("office-c", "line:1", faultline.FaultOpen)
		mk("office-d", "line:9", faultline.FaultOpen)
		got, err := db.OpenFaultsAt(ctx, "office-b", []string{"host:x", "line:1"})
		if err != nil || len(got) != 2 || got[0].ID != c.ID || got[1].ID != a.ID {
			t.Fatalf("open at office-b behind line:1: %+v %v", got, err)
		}
		if got, _ := db.OpenFaultsAt(ctx, "office-a", nil); len(got) != 1 || got[0].ID != a.ID {
			t.Fatalf("open at office-a: %+v", got)
		}

		report := func(user, key string) (faultline.Fault, bool, error) {
			return db.JoinFault(ctx, a.ID, user, faultline.Change{At: now, Request: key,
				Events: []faultline.Event{{At: now, Actor: user, Kind: faultline.EventReport, Text: "down"}}})
		}
		if f, added, err := report("U2", "k1"); err != nil || !added || strings.Join(f.Reporters, " ") != "U1 U2" {
			t.Fatalf("join: %+v %v %v", f.Reporters, added, err)
		}
		if f, added, err := report("U2", "k2"); err != nil || added || len(f.Reporters) != 2 {
			t.Fatalf("the same person again: %+v %v %v", f.Reporters, added, err)
		}
		if _, _, err := report("U3", "k1"); !errors.Is(err, faultline.ErrReplay) {
			t.Fatalf("replayed key: %v", err)
		}
		evs, _ := db.Events(ctx, a.ID)
		reports := 0
		for _, ev := range evs {
			if ev.Kind == faultline.EventReport {
				reports++
			}
		}
		if reports != 2 {
			t.Fatalf("%d reports recorded, want 2 (the replay wrote nothing)", reports)
		}
		closed, err := db.FaultByID(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		done := closed
		done.State = faultline.FaultClosed
		if err := db.Commit(ctx, faultline.Change{FaultID: a.ID, Fault: &done, Read: closed}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := report("U4", "k3"); !errors.Is(err, faultline.ErrConflict) {
			t.Fatalf("join of a closed ticket: %v", err)
		}
	})
}

// A window is kept with who opened it and who ended it; it ends once.
func TestWindowsStore(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		w, err := db.OpenWindow(ctx, faultline.Window{Site: "office-a", Name: "office-a", Start: now, End: now.Add(2 * time.Hour), Reason: "firmware", By: "U0ADMIN", At: now})
		if err != nil {
			t.Fatal(err)
		}
		if ws, _ := db.Windows(ctx, now.Add(time.Hour)); len(ws) != 1 || ws[0].Reason != "firmware" || ws[0].By != "U0ADMIN" {
			t.Fatalf("windows: %+v", ws)
		}
		if _, err := db.EndWindow(ctx, w.ID, "U0SUPER", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.EndWindow(ctx, w.ID, "U0SUPER", now.Add(90*time.Minute)); !errors.Is(err, faultline.ErrNotFound) {
			t.Fatalf("ending twice: %v", err)
		}
		if ws, _ := db.Windows(ctx, now.Add(61*time.Minute)); len(ws) != 0 {
			t.Fatalf("an ended window is still listed: %+v", ws)
		}
		if ws, _ := db.Windows(ctx, now.Add(30*time.Minute)); len(ws) != 1 || ws[0].EndedBy != "U0SUPER" {
			t.Fatalf("the record of the window: %+v", ws)
		}
	})
}

// The lookups of open tickets (a site's outages, /fault list, the gauges'
// counts) use an index of open tickets on a table that was never
// analyzed, and never walk every ticket by number or scan the table.
func TestOpenFaultsPlanWithoutStatistics(t *testing.T) {
	for _, d := range storagetest.Dialects(t) {
		if d != "postgres" {
			continue
		}
		db := storagetest.Open(t, d)
		if err := db.Exec(`ALTER TABLE faults SET (autovacuum_enabled = false);
INSERT INTO faults (number, target, site, description, reporter, state, created_at, updated_at, hop_key)
SELECT g, 'office-a', 'office-a', 'x', 'U1', 'closed', now(), now(), 'line:ct-' || (g % 7) FROM generate_series(1, 30000) g`); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`EXPLAIN SELECT * FROM faults WHERE state <> 'closed' AND site = 'office-a' LIMIT 100`,
			`EXPLAIN SELECT * FROM faults WHERE state <> 'closed' AND hop_key IN ('line:ct-1', 'host:127.0.0.1') LIMIT 100`,
			`EXPLAIN SELECT * FROM faults WHERE state <> 'closed' ORDER BY number DESC LIMIT 20`,
			`EXPLAIN SELECT state, COUNT(*) FROM faults WHERE state IN ('open', 'taken', 'restart_pending', 'waiting_vendor', 'escalated', 'verifying', 'confirmed') GROUP BY state`,
		} {
			plan, err := db.Query(q)
			if err != nil {
				t.Fatal(err)
			}
			if p := strings.Join(plan, "\n"); !strings.Contains(p, "Index") || strings.Contains(p, "faults_number_key") || strings.Contains(p, "Seq Scan") {
				t.Fatalf("%s\ndoes not use an index of open tickets:\n%s", q, p)
			}
		}
	}
}
