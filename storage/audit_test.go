package storage_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

// The archive's chain holds on an untouched database and names the first
// event changed behind the bot's back: a direct UPDATE of one event's
// text, of its time, a DELETE, an event removed at the end, on both
// databases. Two processes sealing at once seal each event once.
func TestAuditChainNamesTheAlteredEvent(t *testing.T) {
	for _, dialect := range storagetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			url := storagetest.URL(t, dialect)
			db, other := storagetest.OpenURL(t, url), storagetest.OpenURL(t, url)
			ctx := context.Background()
			for i := range 30 {
				f, err := db.CreateFault(ctx, faultline.Fault{Target: "office-a", Site: "office-a", Description: fmt.Sprintf("report %d", i),
					Reporter: "U1", State: faultline.FaultOpen, CreatedAt: t0}, faultline.Change{})
				if err != nil {
					t.Fatal(err)
				}
				if err := db.Commit(ctx, faultline.Change{FaultID: f.ID, At: t0.Add(time.Minute),
					Events: []faultline.Event{{At: t0.Add(time.Minute), Actor: "U0TECH", Kind: faultline.EventReply, Text: "on my way"}}}); err != nil {
					t.Fatal(err)
				}
			}
			inc, err := db.CreateIncident(ctx, faultline.Incident{Description: "phishing", Reporter: "U2", State: faultline.IncOpen,
				Severity: faultline.SevMajor, CreatedAt: t0}, faultline.Change{})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Commit(ctx, faultline.Change{IncidentID: inc.ID, Events: []faultline.Event{{At: t0, Actor: "U0SEC", Kind: "take"}}}); err != nil {
				t.Fatal(err)
			}
			// Two sealers at once, ten at a time.
			var wg sync.WaitGroup
			for _, s := range []*storage.DB{db, other} {
				wg.Go(func() {
					for {
						n, err := s.SealEvents(ctx, 10)
						if err != nil {
							t.Error(err)
							return
						}
						if n == 0 {
							return
						}
					}
				})
			}
			wg.Wait()
			if n, _ := db.UnsealedEvents(ctx); n != 0 {
				t.Fatalf("%d events left unsealed", n)
			}
			problem, checked, err := db.VerifyChain(ctx)
			if err != nil || problem != nil || checked != 62 {
				t.Fatalf("untouched: %v, %d checked, %v; want 62 events and no problem", problem, checked, err)
			}
			seq, _, _ := db.AuditHead(ctx)
			if seq != 62 {
				t.Fatalf("head at %d", seq)
			}

			expect := func(why, want string) {
				t.Helper()
				problem, _, err := db.VerifyChain(ctx)
				if err != nil || problem == nil || !strings.Contains(problem.String(), want) {
					t.Fatalf("%s: %v, %v; want %q", why, problem, err, want)
				}
			}
			ids, _ := db.Query("SELECT id FROM fault_events WHERE chain_seq = 20")
			victim := mustInt(t, ids[0])
			if err := db.Exec("UPDATE fault_events SET text = 'nothing happened' WHERE chain_seq = 20"); err != nil {
				t.Fatal(err)
			}
			expect("a changed text", fmt.Sprintf("chain position 20, fault event %d: altered", victim))
			if err := db.Exec("UPDATE fault_events SET text = (SELECT text FROM fault_events WHERE chain_seq = 21) WHERE chain_seq = 20"); err != nil {
				t.Fatal(err)
			}
			if problem, _, _ := db.VerifyChain(ctx); problem == nil || problem.Seq != 20 {
				t.Fatalf("a text copied from the next event: %v", problem)
			}
			if err := db.Exec("DELETE FROM fault_events WHERE chain_seq = 20"); err != nil {
				t.Fatal(err)
			}
			expect("a deleted event", "chain position 20: missing")
		})
	}
}

// An event removed from the chain's end leaves the head pointing past it.
func TestAuditChainNoticesTheEndCut(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		for i := range 3 {
			if _, err := db.CreateFault(ctx, faultline.Fault{Target: "x", Description: fmt.Sprint(i), Reporter: "U1", State: faultline.FaultOpen,
				CreatedAt: t0}, faultline.Change{}); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := db.SealEvents(ctx, 100); err != nil || n != 3 {
			t.Fatalf("sealed %d, %v", n, err)
		}
		if err := db.Exec("DELETE FROM fault_events WHERE chain_seq = 3"); err != nil {
			t.Fatal(err)
		}
		problem, _, err := db.VerifyChain(ctx)
		if err != nil || problem == nil || !strings.Contains(problem.String(), "the chain ends at 2 but its head says 3") {
			t.Fatalf("an event cut from the end: %v, %v", problem, err)
		}
	})
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}
