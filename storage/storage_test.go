package storage_test

import (
	"context"
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
