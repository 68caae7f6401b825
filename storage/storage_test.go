package storage_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

var t0 = time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)

func newFault(desc string) faultline.Fault {
	return faultline.Fault{
		Target: "office-a", Site: "office-a", Description: desc,
		Reporter: "U0REPORTER", State: faultline.FaultOpen, CreatedAt: t0,
	}
}

func create(t *testing.T, db *storage.DB, desc string) faultline.Fault {
	t.Helper()
	f, err := db.CreateFault(context.Background(), newFault(desc), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestCreateFaultNumbersTimelineOutboxTimers(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		head := []commands.Outgoing{{Kind: commands.OutHead, Message: commands.Message{Channel: "C0FAULTS"}}}
		timers := []faultline.Timer{{Kind: faultline.TimerAck, DueAt: t0.Add(15 * time.Minute)}}
		a, err := db.CreateFault(ctx, newFault("网络不通"), head, timers)
		if err != nil {
			t.Fatal(err)
		}
		b := create(t, db, "second")
		if a.Number != 1 || b.Number != 2 || a.Ref() != "F-1" {
			t.Fatalf("numbers = %d, %d; want 1, 2", a.Number, b.Number)
		}
		got, err := db.Fault(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got.Description != "网络不通" || got.Reporter != "U0REPORTER" || !got.CreatedAt.Equal(t0) || got.State != faultline.FaultOpen || got.ID != a.ID {
			t.Fatalf("read back %+v", got)
		}
		events, err := db.Events(ctx, a.ID)
		if err != nil || len(events) != 1 || events[0].Kind != faultline.EventCreated || events[0].Actor != "U0REPORTER" {
			t.Fatalf("timeline = %+v, %v", events, err)
		}
		pending, err := db.PendingOutbox(ctx, t0, 10)
		if err != nil || len(pending) != 1 || pending[0].Kind != commands.OutHead || pending[0].FaultID != a.ID || pending[0].Key != "fault:"+strconv.FormatInt(a.ID, 10) {
			t.Fatalf("outbox = %+v, %v", pending, err)
		}
		ts, err := db.Timers(ctx, a.ID)
		if err != nil || len(ts) != 1 || ts[0].Kind != faultline.TimerAck || !ts[0].DueAt.Equal(t0.Add(15*time.Minute)) {
			t.Fatalf("timers = %+v, %v", ts, err)
		}
	})
}

func TestFaultNotFound(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		_, err := db.Fault(context.Background(), 99)
		if !errors.Is(err, faultline.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
		_, err = db.FaultByMessage(context.Background(), "C1", "1.2")
		if !errors.Is(err, faultline.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
}

// A guarded commit writes the row, its events, messages and timers only
// if the row is still as read; the loser of a race changes nothing.
func TestCommitGuard(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := create(t, db, "x")
		took, err := f.Apply(faultline.ActTake, "U0TECH", t0.Add(time.Minute), faultline.StepInput{})
		if err != nil {
			t.Fatal(err)
		}
		change := func(g faultline.Fault, text string) commands.Change {
			return commands.Change{
				At: t0, FaultID: f.ID, Fault: &g, Read: f,
				Events:       []faultline.Event{{At: t0, Actor: g.Owner, Kind: faultline.EventState, Text: text}},
				Out:          []commands.Outgoing{{Kind: commands.OutUpdate, Message: commands.Message{Channel: "C0FAULTS"}}},
				SetTimers:    []faultline.Timer{{Kind: faultline.TimerResolve, DueAt: t0.Add(time.Hour)}},
				CancelTimers: []faultline.TimerKind{faultline.TimerAck},
			}
		}
		if err := db.Commit(ctx, change(took, "first")); err != nil {
			t.Fatal(err)
		}
		other := took
		other.Owner = "U0OTHER"
		if err := db.Commit(ctx, change(other, "second")); !errors.Is(err, faultline.ErrConflict) {
			t.Fatalf("second commit on the same read: %v, want ErrConflict", err)
		}
		got, _ := db.Fault(ctx, f.Number)
		if got.Owner != "U0TECH" || got.State != faultline.FaultTaken || got.Version != 1 || !got.TakenAt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("row = %+v", got)
		}
		events, _ := db.Events(ctx, f.ID)
		if len(events) != 2 || events[1].Text != "first" {
			t.Fatalf("the losing commit left events: %+v", events)
		}
		if pending, _ := db.PendingOutbox(ctx, t0.Add(time.Hour), 10); len(pending) != 1 {
			t.Fatalf("the losing commit left messages: %+v", pending)
		}
	})
}

func TestEventsInOrderAndOnlyForRealTickets(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f := create(t, db, "x")
		for i, k := range []faultline.EventKind{faultline.EventCheck, faultline.EventReply} {
			ev := faultline.Event{At: t0.Add(time.Duration(i+1) * time.Minute), Actor: "U2", Kind: k, Text: string(k), Data: `{"a":1}`}
			if err := db.Commit(ctx, commands.Change{FaultID: f.ID, Events: []faultline.Event{ev}}); err != nil {
				t.Fatal(err)
			}
		}
		events, err := db.Events(ctx, f.ID)
		if err != nil || len(events) != 3 || events[1].Kind != faultline.EventCheck || events[2].Kind != faultline.EventReply ||
			events[1].Data != `{"a":1}` || !events[2].At.Equal(t0.Add(2*time.Minute)) {
			t.Fatalf("timeline = %+v, %v", events, err)
		}
		err = db.Commit(ctx, commands.Change{FaultID: 4242, Events: []faultline.Event{{At: t0, Actor: "U1", Kind: faultline.EventReply}}})
		if err == nil {
			t.Fatal("an event for a missing ticket was stored")
		}
	})
}

func TestFaultsByState(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		for _, d := range []string{"a", "b", "c"} {
			create(t, db, d)
		}
		list, err := db.Faults(ctx, faultline.OpenFaultStates, 2)
		if err != nil || len(list) != 2 || list[0].Number != 3 || list[1].Number != 2 {
			t.Fatalf("list = %+v, %v", list, err)
		}
		none, err := db.Faults(ctx, []faultline.FaultState{faultline.FaultClosed}, 10)
		if err != nil || len(none) != 0 {
			t.Fatalf("closed = %v, %v", none, err)
		}
		counts, err := db.CountFaults(ctx)
		if err != nil || counts[faultline.FaultOpen] != 3 || len(counts) != 1 {
			t.Fatalf("counts = %v, %v", counts, err)
		}
	})
}

func TestFirstSeen(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		first, err := db.FirstSeen(ctx, "Ev1", t0)
		if err != nil || !first {
			t.Fatalf("first = %v, %v", first, err)
		}
		again, err := db.FirstSeen(ctx, "Ev1", t0.Add(time.Minute))
		if err != nil || again {
			t.Fatalf("redelivery = %v, %v; want false", again, err)
		}
		// A day later the key is forgotten and may be seen anew.
		later, err := db.FirstSeen(ctx, "Ev1", t0.Add(25*time.Hour))
		if err != nil || !later {
			t.Fatalf("after a day = %v, %v; want true", later, err)
		}
	})
}

// Two processes on one database (two pools here) creating tickets at once
// never get the same number, and no number is skipped.
func TestConcurrentWritersUniqueNumbers(t *testing.T) {
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
			const each = 25
			var (
				mu   sync.Mutex
				seen = map[int64]bool{}
				wg   sync.WaitGroup
			)
			for w := 0; w < 4; w++ {
				wg.Add(1)
				go func(db *storage.DB) {
					defer wg.Done()
					for i := 0; i < each; i++ {
						f, err := db.CreateFault(ctx, newFault("race"), nil, nil)
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						if seen[f.Number] {
							t.Errorf("number %d handed out twice", f.Number)
						}
						seen[f.Number] = true
						mu.Unlock()
					}
				}(dbs[w%2])
			}
			wg.Wait()
			for n := int64(1); n <= 4*each; n++ {
				if !seen[n] {
					t.Errorf("number %d never handed out", n)
				}
			}
		})
	}
}

// Migrating an up-to-date database again changes nothing; two processes
// opening a new database at once both succeed.
func TestMigrateTwiceAndConcurrently(t *testing.T) {
	for _, dialect := range storagetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			url := storagetest.URL(t, dialect)
			ctx := context.Background()
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					db, err := storage.Open(ctx, url, storagetest.Logger())
					if err == nil {
						err = db.Close()
					}
					errs[i] = err
				}()
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			db, err := storage.Open(ctx, url, storagetest.Logger())
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			list, err := db.Migrations(ctx)
			if err != nil || len(list) != storage.MigrationCount {
				t.Fatalf("migrations = %v, %v", list, err)
			}
		})
	}
}
