package storage_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/commands/storetest"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

var t0 = time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)

// The store keeps the flows' contract on both databases.
func TestContract(t *testing.T) {
	for _, dialect := range storagetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			storetest.Run(t, func(t *testing.T) (commands.Store, func() commands.Store) {
				url := storagetest.URL(t, dialect)
				return storagetest.OpenURL(t, url), func() commands.Store { return storagetest.OpenURL(t, url) }
			})
		})
	}
}

// The gauges /metrics reads: tickets by state, the outbox's depth, and the
// incident reports overdue and summaries owed.
func TestGauges(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		out := []faultline.Outgoing{{Kind: faultline.OutHead, Message: faultline.Message{Channel: "C0FAULTS"}}}
		for range 3 {
			if _, err := db.CreateFault(ctx, faultline.Fault{Target: "x", Description: "x", Reporter: "U1", State: faultline.FaultOpen, CreatedAt: t0}, faultline.Change{Out: out}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.CreateIncident(ctx, faultline.Incident{Description: "x", Reporter: "U1", State: faultline.IncOpen, CreatedAt: t0}, faultline.Change{}); err != nil {
			t.Fatal(err)
		}
		counts, err := db.CountFaults(ctx)
		if err != nil || counts[faultline.FaultOpen] != 3 || counts[faultline.FaultClosed] != 0 || len(counts) != 2 {
			t.Fatalf("counts = %v, %v", counts, err)
		}
		// Closed tickets are counted as they close.
		f, _ := db.Fault(ctx, 1)
		closed := f
		closed.State = faultline.FaultClosed
		if err := db.Commit(ctx, faultline.Change{FaultID: f.ID, Fault: &closed, Read: f}); err != nil {
			t.Fatal(err)
		}
		if err := db.Commit(ctx, faultline.Change{FaultID: f.ID, Fault: &closed, Read: f}); err == nil {
			t.Fatal("a stale close committed")
		}
		if counts, _ = db.CountFaults(ctx); counts[faultline.FaultOpen] != 2 || counts[faultline.FaultClosed] != 1 {
			t.Fatalf("counts after a close = %v", counts)
		}
		p, _ := db.PendingOutbox(ctx, t0, 10)
		if err := db.OutgoingFailed(ctx, p[0], "not_in_channel", t0, true); err != nil {
			t.Fatal(err)
		}
		pending, failed, err := db.OutboxDepth(ctx)
		if err != nil || pending != 2 || failed != 1 {
			t.Fatalf("depth = %d pending, %d failed, %v", pending, failed, err)
		}
		overdue, owed, err := db.IncidentGauges(ctx, t0.Add(2*time.Hour), time.Hour)
		if err != nil || overdue != 1 || owed != 0 {
			t.Fatalf("gauges = %d overdue, %d owed, %v", overdue, owed, err)
		}
	})
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
				wg.Go(func() {
					db, err := storage.Open(ctx, url, storagetest.Logger())
					if err == nil {
						err = db.Close()
					}
					errs[i] = err
				})
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			db := storagetest.OpenURL(t, url)
			list, err := db.Migrations(ctx)
			if err != nil || len(list) != storage.MigrationCount {
				t.Fatalf("migrations = %v, %v", list, err)
			}
		})
	}
}

// Reports that arrive together are stored together (one statement on
// PostgreSQL) and each keeps its own: its number, its "created" entry,
// its messages in order, its clocks and its task; a request key sent twice
// at once is one ticket, answered to the second as a replay.
func TestConcurrentReportsEachKeepTheirOwn(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		const n = 64
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			mu      sync.Mutex
			numbers = map[int64]string{}
			replays = 0
		)
		for i := range n {
			wg.Go(func() {
				key := fmt.Sprintf("trigger:%d", i%(n-8)) // the last 8 repeat a key
				desc := fmt.Sprintf("report %d", i)
				f := faultline.Fault{Target: "office-a", Site: "office-a", Description: desc, Reporter: fmt.Sprintf("U%03d", i),
					State: faultline.FaultOpen, CreatedAt: t0, RequestKey: key}
				with := faultline.Change{
					Out: []faultline.Outgoing{{Kind: faultline.OutHead, Message: faultline.Message{Channel: "C0FAULTS", Text: desc + " head"}},
						{Kind: faultline.OutPost, Thread: true, Message: faultline.Message{Channel: "C0FAULTS", Text: desc + " thread"}},
						{Kind: faultline.OutDM, User: "U0BOSS", Message: faultline.Message{Text: desc + " dm"}}},
					SetTimers: []faultline.Timer{{Kind: faultline.TimerAck, DueAt: t0.Add(time.Duration(i) * time.Minute)}},
					Tasks:     []faultline.Task{{Kind: faultline.TaskCheck, Actor: faultline.ActorBot}},
				}
				<-start
				got, err := db.CreateFault(ctx, f, with)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case errors.Is(err, faultline.ErrReplay):
					replays++
					if got.RequestKey != key {
						t.Errorf("%s: the replay answers with %s", key, got.RequestKey)
					}
				case err != nil:
					t.Errorf("%s: %v", desc, err)
				default:
					if other, twice := numbers[got.Number]; twice {
						t.Errorf("F-%d is both %q and %q", got.Number, other, desc)
					}
					numbers[got.Number] = desc
				}
			})
		}
		close(start)
		wg.Wait()
		if len(numbers) != n-8 || replays != 8 {
			t.Fatalf("%d tickets and %d replays, want %d and 8", len(numbers), replays, n-8)
		}
		for number, desc := range numbers {
			f, err := db.Fault(ctx, number)
			if err != nil || f.Description != desc {
				t.Fatalf("F-%d: %q, %v; want %q", number, f.Description, err, desc)
			}
			evs, _ := db.Events(ctx, f.ID)
			if len(evs) != 1 || evs[0].Kind != faultline.EventCreated || evs[0].Text != desc || evs[0].Actor != f.Reporter {
				t.Errorf("F-%d's timeline: %+v", number, evs)
			}
		}
		// Each ticket's head, then its thread post, in order; the DMs in
		// the order of the tickets.
		var heads, threads, dms int
		sentTS := map[string]bool{}
		for round := 0; round < 3*n; round++ {
			p, err := db.PendingOutbox(ctx, t0.Add(time.Hour), 1000)
			if err != nil {
				t.Fatal(err)
			}
			if len(p) == 0 {
				break
			}
			for _, o := range p {
				f, err := db.FaultByID(ctx, o.FaultID)
				if err != nil || !strings.HasPrefix(o.Message.Text, f.Description+" ") {
					t.Fatalf("message %q belongs to F-%d %q (%v)", o.Message.Text, f.Number, f.Description, err)
				}
				switch o.Kind {
				case faultline.OutHead:
					heads++
				case faultline.OutPost:
					if !sentTS[o.Key] {
						t.Fatalf("%s: the thread post before its head", o.Key)
					}
					threads++
				case faultline.OutDM:
					dms++
				}
				if ok, err := db.ClaimOutgoing(ctx, o, t0, time.Minute); !ok || err != nil {
					t.Fatalf("claim: %v %v", ok, err)
				}
				if err := db.OutgoingSent(ctx, o, "C0FAULTS", fmt.Sprintf("1.%d", o.ID), t0); err != nil {
					t.Fatal(err)
				}
				sentTS[o.Key] = true
			}
		}
		if heads != n-8 || threads != n-8 || dms != n-8 {
			t.Fatalf("%d heads, %d thread posts, %d DMs; want %d each", heads, threads, dms, n-8)
		}
		timers, err := db.DueTimers(ctx, t0.Add(24*time.Hour), 1000)
		if err != nil || len(timers) != n-8 {
			t.Fatalf("%d clocks, %v", len(timers), err)
		}
		for _, tm := range timers {
			f, _ := db.FaultByID(ctx, tm.FaultID)
			var i int
			fmt.Sscanf(f.Description, "report %d", &i)
			if !tm.DueAt.Equal(t0.Add(time.Duration(i) * time.Minute)) {
				t.Errorf("F-%d's clock is due %v, want %v", f.Number, tm.DueAt, t0.Add(time.Duration(i)*time.Minute))
			}
		}
		if db.Dialect() == "postgres" && db.Batched() == 0 {
			t.Error("64 reports at once were written one statement each")
		}
	})
}

// A process starting while another holds the SQLite file's write lock for
// longer than a request's one-second wait (the first one migrating) waits
// for it and opens, rather than failing to start.
func TestOpenWaitsForAnotherStart(t *testing.T) {
	_, outage := storagetest.OpenWithOutage(t, "sqlite")
	outage.Down()
	done := make(chan error, 1)
	go func() {
		db, err := storage.Open(context.Background(), outage.SQLiteURL(), storagetest.Logger())
		if err == nil {
			err = db.Close()
		}
		done <- err
	}()
	time.Sleep(2500 * time.Millisecond) // past the one-second busy wait, twice
	outage.Up()
	if err := <-done; err != nil {
		t.Fatalf("open while another start held the lock: %v", err)
	}
}
