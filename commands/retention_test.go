package commands_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/catalog"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/jobs"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

// The hourly maintenance purges an archived incident once its retention
// has passed since its last step, not before, and keeps the one still
// open; without a retention nothing is purged however old. The archive's
// chain verifies across what was purged. On both databases.
func TestMaintenancePurgesPastRetention(t *testing.T) {
	const year = 365 * 24 * time.Hour
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		h := &harness{t: t, db: db, chat: &chat{}, clock: testT0}
		set := testSettings(catalog.EN)
		keep := commands.New(commands.Deps{Store: db, Poster: h.chat, Log: storagetest.Logger(), Settings: set, Now: h.now,
			Scheduler: jobs.Schedules{Location: set.Location}, Keep: commands.Keep{Incidents: 3 * year}})
		forever := commands.New(commands.Deps{Store: db, Poster: h.chat, Log: storagetest.Logger(), Settings: set, Now: h.now,
			Scheduler: jobs.Schedules{Location: set.Location}})
		h.svc = keep
		h.command("U0EMPLOYEE", "/incident a stolen laptop")
		h.press("U0SEC", "incident_take", "I-1")
		h.submit("U0SEC", "incident_report", "I-1", map[string]string{"what": "laptop stolen", "actions": "remote wipe"})
		h.submit("U0SEC", "incident_close", "I-1", map[string]string{"cause": "car break-in", "measures": "wiped", "owner": "U0CLERK"})
		h.submit("U0CLERK", "incident_summary", "I-1", map[string]string{"cause": "c", "responsibility": "r", "lessons": "l"})
		h.command("U0EMPLOYEE", "/incident a phishing mail")
		h.settle()
		if i := h.incident(1); i.State != faultline.IncArchived {
			t.Fatalf("I-1 is %s", i.State)
		}
		exists := func(n int64) bool {
			t.Helper()
			_, err := db.Incident(ctx, n)
			if err != nil && !errors.Is(err, faultline.ErrNotFound) {
				t.Fatal(err)
			}
			return err == nil
		}
		h.advance(4 * year)
		h.settle()
		if err := forever.Maintain(ctx); err != nil || !exists(1) {
			t.Fatalf("without a retention, I-1 after four years: kept %v, %v", exists(1), err)
		}
		h.advance(-2 * year) // two years after: inside the three years
		if err := keep.Maintain(ctx); err != nil || !exists(1) {
			t.Fatalf("two years after its archive, within three: kept %v, %v", exists(1), err)
		}
		h.advance(year + 24*time.Hour) // three years and a day
		if err := keep.Maintain(ctx); err != nil || exists(1) || !exists(2) {
			t.Fatalf("three years and a day after: I-1 kept %v (want purged), I-2 kept %v (open: want kept), %v", exists(1), exists(2), err)
		}
		problem, _, err := db.VerifyChain(ctx)
		if err != nil || problem != nil {
			t.Fatalf("the chain after the purge: %v, %v", problem, err)
		}
		if n, _, err := db.PrunedEvents(ctx); err != nil || n == 0 {
			t.Fatalf("no purged events in the chain: %d, %v", n, err)
		}
	})
}
