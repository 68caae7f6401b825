package storage_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

func post(text string) commands.Outgoing {
	return commands.Outgoing{Kind: commands.OutPost, Thread: true, Message: commands.Message{Channel: "C0FAULTS", Text: text}}
}

// A ticket's messages leave in order, one at a time; a claimed message is
// nobody else's; the head message's ts becomes the ticket's thread.
func TestOutboxOrderClaimsAndOutcomes(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		head := []commands.Outgoing{{Kind: commands.OutHead, Message: commands.Message{Channel: "C0FAULTS"}}}
		f, err := db.CreateFault(ctx, newFault("x"), head, nil)
		if err != nil {
			t.Fatal(err)
		}
		dm := commands.Outgoing{Kind: commands.OutDM, User: "U0BOSS", Message: commands.Message{Text: "dm"}}
		err = db.Commit(ctx, commands.Change{At: t0, FaultID: f.ID, Out: []commands.Outgoing{post("one"), post("two"), dm}})
		if err != nil {
			t.Fatal(err)
		}
		pending := mustPending(t, db, t0, 2)
		if pending[0].Kind != commands.OutHead || pending[1].Kind != commands.OutDM || pending[1].Key != "dm:U0BOSS" {
			t.Fatalf("pending = %+v", pending)
		}
		if ok, err := db.ClaimOutgoing(ctx, pending[0].ID, t0, 30*time.Second); !ok || err != nil {
			t.Fatalf("claim = %v, %v", ok, err)
		}
		if ok, _ := db.ClaimOutgoing(ctx, pending[0].ID, t0.Add(time.Second), 30*time.Second); ok {
			t.Fatal("a claimed message was claimed again within its lease")
		}
		mustPending(t, db, t0.Add(time.Second), 1) // only the DM while the head is out
		if err := db.OutgoingSent(ctx, pending[0], "C0FAULTS", "1700000000.000001", t0); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Fault(ctx, f.Number); got.MessageTS != "1700000000.000001" || got.Channel != "C0FAULTS" {
			t.Fatalf("head ts not on the ticket: %+v", got)
		}
		next := mustPending(t, db, t0, 2)[0]
		if next.Message.Text != "one" || next.HeadTS != "1700000000.000001" || next.HeadChannel != "C0FAULTS" {
			t.Fatalf("next = %+v", next)
		}
		if err := db.OutgoingRetry(ctx, next.ID, t0.Add(time.Minute), "ratelimited"); err != nil {
			t.Fatal(err)
		}
		if p := mustPending(t, db, t0.Add(30*time.Second), 1); p[0].Kind != commands.OutDM {
			t.Fatalf("a message waiting to retry let the next of its thread overtake it: %+v", p)
		}
		if p := mustPending(t, db, t0.Add(time.Minute), 2); p[0].Attempts != 1 {
			t.Fatalf("attempts = %d", p[0].Attempts)
		}
		if err := db.OutgoingFailed(ctx, next.ID, "channel_not_found", t0); err != nil {
			t.Fatal(err)
		}
		if p := mustPending(t, db, t0.Add(time.Minute), 2); p[0].Message.Text != "two" {
			t.Fatalf("after giving up on one, next = %+v", p[0])
		}
		pendingN, failed, err := db.OutboxDepth(ctx)
		if err != nil || pendingN != 2 || failed != 1 {
			t.Fatalf("depth = %d pending, %d failed, %v", pendingN, failed, err)
		}
	})
}

func mustPending(t *testing.T, db *storage.DB, now time.Time, want int) []commands.Outgoing {
	t.Helper()
	p, err := db.PendingOutbox(context.Background(), now, 100)
	if err != nil || len(p) != want {
		t.Fatalf("pending at %s = %d messages (%v), want %d: %+v", now.Format(time.TimeOnly), len(p), err, want, p)
	}
	return p
}

// Two processes firing the same due timers at once: each timer fires
// once, each ticket climbs one level, one message each.
func TestTimersFireOnceAcrossProcesses(t *testing.T) {
	for _, dialect := range storagetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			url := storagetest.URL(t, dialect)
			ctx := context.Background()
			var dbs [2]*storage.DB
			for i := range dbs {
				db, err := storage.Open(ctx, url, storagetest.Logger())
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				dbs[i] = db
			}
			const n = 20
			for i := 0; i < n; i++ {
				_, err := dbs[0].CreateFault(ctx, newFault("x"), nil, []faultline.Timer{{Kind: faultline.TimerAck, DueAt: t0}})
				if err != nil {
					t.Fatal(err)
				}
			}
			escalate := func(tm faultline.Timer, sub commands.Subject) commands.Change {
				g := *sub.Fault
				g.EscLevel++
				return commands.Change{Fault: &g, Read: *sub.Fault, Out: []commands.Outgoing{post("escalated")}}
			}
			var wg sync.WaitGroup
			fired := make([]int, 2)
			for i, db := range dbs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for round := 0; round < 5; round++ {
						got, err := db.FireDueTimers(ctx, t0.Add(time.Second), 7, escalate)
						if err != nil {
							t.Error(err)
						}
						fired[i] += len(got)
					}
				}()
			}
			wg.Wait()
			if fired[0]+fired[1] != n {
				t.Fatalf("fired %d + %d timers, want %d in all", fired[0], fired[1], n)
			}
			for num := int64(1); num <= n; num++ {
				f, _ := dbs[1].Fault(ctx, num)
				if f.EscLevel != 1 {
					t.Errorf("F-%d climbed %d levels", num, f.EscLevel)
				}
			}
			if pending, _, _ := dbs[0].OutboxDepth(ctx); pending != n {
				t.Fatalf("%d escalation messages, want %d", pending, n)
			}
		})
	}
}

// A timer the change sets again waits for its new time; one it does not
// is gone. Timers not yet due are left alone.
func TestTimerRescheduleAndCancel(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f, err := db.CreateFault(ctx, newFault("x"), nil, []faultline.Timer{
			{Kind: faultline.TimerAck, DueAt: t0}, {Kind: faultline.TimerResolve, DueAt: t0.Add(time.Hour)},
		})
		if err != nil {
			t.Fatal(err)
		}
		again := func(tm faultline.Timer, _ commands.Subject) commands.Change {
			return commands.Change{SetTimers: []faultline.Timer{{Kind: tm.Kind, DueAt: tm.DueAt.Add(15 * time.Minute)}}}
		}
		if got, err := db.FireDueTimers(ctx, t0, 10, again); err != nil || len(got) != 1 || got[0].Kind != faultline.TimerAck {
			t.Fatalf("fired %+v, %v", got, err)
		}
		if got, _ := db.FireDueTimers(ctx, t0.Add(time.Minute), 10, again); len(got) != 0 {
			t.Fatalf("a rescheduled timer fired early: %+v", got)
		}
		timers, _ := db.Timers(ctx, f.ID)
		if len(timers) != 2 || !timers[0].DueAt.Equal(t0.Add(15*time.Minute)) {
			t.Fatalf("timers = %+v", timers)
		}
		drop := func(faultline.Timer, commands.Subject) commands.Change { return commands.Change{} }
		if got, _ := db.FireDueTimers(ctx, t0.Add(2*time.Hour), 10, drop); len(got) != 2 {
			t.Fatalf("fired %d, want both", len(got))
		}
		if timers, _ := db.Timers(ctx, f.ID); len(timers) != 0 {
			t.Fatalf("timers left: %+v", timers)
		}
	})
}

func TestSearchAndPastResolutions(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		closeWith := func(desc, hop, done string, at time.Duration) faultline.Fault {
			f := create(t, db, desc)
			g := f
			g.State, g.Hop, g.ClosedAt = faultline.FaultClosed, hop, t0.Add(at)
			g.Resolution = faultline.Resolution{Cause: faultline.CauseLine, Done: done, FixedBy: "China Telecom"}
			if err := db.Commit(ctx, commands.Change{FaultID: f.ID, Fault: &g, Read: f}); err != nil {
				t.Fatal(err)
			}
			return g
		}
		a := closeWith("ERP 打不开", "carrier line", "运营商 fibre spliced", time.Hour)
		b := closeWith("slow", "carrier line", "carrier replaced the 100%_optic", 2*time.Hour)
		closeWith("printer", "core switch", "rebooted", 3*time.Hour)
		open := create(t, db, "carrier line down again")

		found, err := db.SearchFaults(ctx, []string{"CARRIER", "fibre"}, 10)
		if err != nil || len(found) != 1 || found[0].Number != a.Number {
			t.Fatalf("search = %+v, %v", found, err)
		}
		if found, _ := db.SearchFaults(ctx, []string{"100%_"}, 10); len(found) != 1 || found[0].Number != b.Number {
			t.Fatalf("LIKE wildcards in the words were not taken literally: %+v", found)
		}
		if found, _ := db.SearchFaults(ctx, []string{"运营商"}, 10); len(found) != 1 {
			t.Fatalf("Chinese search: %+v", found)
		}
		past, err := db.PastResolutions(ctx, "office-a", "carrier line", open.ID, 5)
		if err != nil || len(past) != 2 || past[0].Number != b.Number || past[1].Number != a.Number || past[0].Resolution.FixedBy != "China Telecom" {
			t.Fatalf("past = %+v, %v", past, err)
		}
	})
}
