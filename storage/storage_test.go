package storage_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/faultline/faultline"
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

func TestCreateFaultNumbersAndTimeline(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		a, err := db.CreateFault(ctx, newFault("网络不通"))
		if err != nil {
			t.Fatal(err)
		}
		b, err := db.CreateFault(ctx, newFault("second"))
		if err != nil {
			t.Fatal(err)
		}
		if a.Number != 1 || b.Number != 2 || a.Ref() != "F-1" {
			t.Fatalf("numbers = %d, %d; want 1, 2", a.Number, b.Number)
		}
		got, err := db.Fault(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got.Description != "网络不通" || got.Reporter != "U0REPORTER" || !got.CreatedAt.Equal(t0) || got.State != faultline.FaultOpen {
			t.Fatalf("read back %+v", got)
		}
		events, err := db.Events(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 1 || events[0].Kind != faultline.EventCreated || events[0].Actor != "U0REPORTER" {
			t.Fatalf("timeline = %+v", events)
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

func TestSetFaultMessageOnce(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f, err := db.CreateFault(ctx, newFault("x"))
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SetFaultMessage(ctx, f.ID, "C0FAULTS", "1700000000.000100", t0); err != nil {
			t.Fatal(err)
		}
		err = db.SetFaultMessage(ctx, f.ID, "C0FAULTS", "1700000000.000200", t0)
		if !errors.Is(err, faultline.ErrConflict) {
			t.Fatalf("second set: err = %v, want ErrConflict", err)
		}
		got, err := db.FaultByMessage(ctx, "C0FAULTS", "1700000000.000100")
		if err != nil || got.Number != f.Number {
			t.Fatalf("by message: %+v, %v", got, err)
		}
	})
}

func TestEventsInOrder(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		f, err := db.CreateFault(ctx, newFault("x"))
		if err != nil {
			t.Fatal(err)
		}
		for i, k := range []faultline.EventKind{faultline.EventCheck, faultline.EventReply} {
			_, err := db.AddEvent(ctx, faultline.Event{FaultID: f.ID, At: t0.Add(time.Duration(i+1) * time.Minute), Actor: "U2", Kind: k, Text: string(k), Data: `{"a":1}`})
			if err != nil {
				t.Fatal(err)
			}
		}
		events, err := db.Events(ctx, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []faultline.EventKind
		for _, e := range events {
			kinds = append(kinds, e.Kind)
		}
		want := []faultline.EventKind{faultline.EventCreated, faultline.EventCheck, faultline.EventReply}
		if len(kinds) != 3 || kinds[0] != want[0] || kinds[1] != want[1] || kinds[2] != want[2] {
			t.Fatalf("kinds = %v, want %v", kinds, want)
		}
		if events[1].Data != `{"a":1}` || !events[2].At.Equal(t0.Add(2*time.Minute)) {
			t.Fatalf("event = %+v", events[1])
		}
	})
}

func TestAddEventToMissingFault(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		_, err := db.AddEvent(context.Background(), faultline.Event{FaultID: 4242, At: t0, Actor: "U1", Kind: faultline.EventReply})
		if err == nil {
			t.Fatal("event for a missing fault was stored")
		}
	})
}

func TestFaultsByState(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		for _, d := range []string{"a", "b", "c"} {
			if _, err := db.CreateFault(ctx, newFault(d)); err != nil {
				t.Fatal(err)
			}
		}
		list, err := db.Faults(ctx, []faultline.FaultState{faultline.FaultOpen}, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Number != 3 || list[1].Number != 2 {
			t.Fatalf("list = %+v", list)
		}
		none, err := db.Faults(ctx, []faultline.FaultState{"closed"}, 10)
		if err != nil || len(none) != 0 {
			t.Fatalf("closed = %v, %v", none, err)
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
						f, err := db.CreateFault(ctx, newFault("race"))
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
