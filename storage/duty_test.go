package storage_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

func hourly(name string, owners ...string) faultline.Duty {
	return faultline.Duty{Name: name, Owners: owners, Schedule: "@every 1h", Grace: time.Hour,
		EscalateTo: faultline.RoleITSupervisor, Source: faultline.SourceConfig, NextDue: t0}
}

// fireHourly makes one occurrence per owner at the duty's due time and
// moves it to the next hour after now.
func fireHourly(now time.Time) func(faultline.Duty) ([]faultline.Occurrence, time.Time) {
	return func(d faultline.Duty) ([]faultline.Occurrence, time.Time) {
		var out []faultline.Occurrence
		for _, o := range d.Owners {
			out = append(out, faultline.Occurrence{Owner: o, DueAt: d.NextDue, RemindAt: d.NextDue, EscalateAt: d.NextDue.Add(d.Grace)})
		}
		return out, now.Truncate(time.Hour).Add(time.Hour)
	}
}

// Config duties are added, updated and, when removed from the config,
// paused with their records kept; Slack's duties are left alone.
func TestSyncDuties(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		slack := hourly("added-in-slack", "U0X")
		slack.Source = faultline.SourceSlack
		if _, err := db.CreateDuty(ctx, slack, t0); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateDuty(ctx, slack, t0); !errors.Is(err, faultline.ErrConflict) {
			t.Fatalf("a second duty of the same name: %v", err)
		}
		if err := db.SyncDuties(ctx, []faultline.Duty{hourly("finance", "U0A"), hourly("design", "U0B")}, t0); err != nil {
			t.Fatal(err)
		}
		changed := hourly("finance", "U0A", "U0C")
		if err := db.SyncDuties(ctx, []faultline.Duty{changed}, t0); err != nil {
			t.Fatal(err)
		}
		all, _ := db.Duties(ctx)
		got := map[string]faultline.Duty{}
		for _, d := range all {
			got[d.Name] = d
		}
		if len(got) != 3 || len(got["finance"].Owners) != 2 || !got["design"].Paused || got["design"].Source != faultline.SourceRetired ||
			got["added-in-slack"].Paused {
			t.Fatalf("duties after sync: %+v", all)
		}

		// Paused from Slack, a config duty stays paused across restarts;
		// one put back in the config runs again.
		if err := db.SetDutyPaused(ctx, "finance", true, t0); err != nil {
			t.Fatal(err)
		}
		if err := db.SyncDuties(ctx, []faultline.Duty{changed, hourly("design", "U0B")}, t0); err != nil {
			t.Fatal(err)
		}
		finance, _ := db.Duty(ctx, "finance")
		design, _ := db.Duty(ctx, "design")
		if !finance.Paused || design.Paused || design.Source != faultline.SourceConfig {
			t.Fatalf("after a restart: finance %+v, design %+v", finance, design)
		}
	})
}

// Two processes firing due duties at once create each occurrence once; a
// duty due many times over a downtime comes due once.
func TestFireDueDutiesOnceAndCatchUp(t *testing.T) {
	for _, dialect := range storagetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			url := storagetest.URL(t, dialect)
			var dbs [2]*storage.DB
			for i := range dbs {
				db, err := storage.Open(context.Background(), url, storagetest.Logger())
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				dbs[i] = db
			}
			ctx := context.Background()
			var duties []faultline.Duty
			for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
				duties = append(duties, hourly(n, "U0A", "U0B"))
			}
			if err := dbs[0].SyncDuties(ctx, duties, t0); err != nil {
				t.Fatal(err)
			}
			now := t0.Add(5*time.Hour + time.Minute) // five hours missed
			var wg sync.WaitGroup
			for _, db := range dbs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 3; i++ {
						if _, err := db.FireDueDuties(ctx, now, 4, fireHourly(now)); err != nil {
							t.Error(err)
						}
					}
				}()
			}
			wg.Wait()
			due, err := dbs[1].DueReminders(ctx, now, 100)
			if err != nil || len(due) != 12 {
				t.Fatalf("%d occurrences (%v), want 12: one per owner per duty, one catch-up", len(due), err)
			}
			for _, d := range mustDuties(t, dbs[0]) {
				if !d.NextDue.Equal(now.Truncate(time.Hour).Add(time.Hour)) {
					t.Fatalf("%s next due %s", d.Name, d.NextDue)
				}
			}
		})
	}
}

func mustDuties(t *testing.T, db *storage.DB) []faultline.Duty {
	t.Helper()
	d, err := db.Duties(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// An occurrence changes once per read: a reminder or an escalation claimed
// by one process is not sent by another.
func TestUpdateOccurrenceGuard(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		if err := db.SyncDuties(ctx, []faultline.Duty{hourly("finance", "U0A")}, t0); err != nil {
			t.Fatal(err)
		}
		if _, err := db.FireDueDuties(ctx, t0, 10, fireHourly(t0)); err != nil {
			t.Fatal(err)
		}
		due, _ := db.DueReminders(ctx, t0, 10)
		o := due[0]
		reminded := o
		reminded.RemindedAt = t0
		dm := []commands.Outgoing{{Kind: commands.OutDM, User: "U0A", Message: commands.Message{Text: "reminder"}}}
		if err := db.UpdateOccurrence(ctx, o, reminded, dm, t0); err != nil {
			t.Fatal(err)
		}
		if err := db.UpdateOccurrence(ctx, o, reminded, dm, t0); !errors.Is(err, faultline.ErrConflict) {
			t.Fatalf("the same reminder twice: %v", err)
		}
		if pending, _, _ := db.OutboxDepth(ctx); pending != 1 {
			t.Fatalf("%d reminders queued", pending)
		}
		if again, _ := db.DueReminders(ctx, t0.Add(time.Minute), 10); len(again) != 0 {
			t.Fatalf("reminder due again: %+v", again)
		}
		if esc, _ := db.DueEscalations(ctx, t0.Add(time.Hour), 10); len(esc) != 1 || esc[0].Duty != "finance" {
			t.Fatalf("escalations due: %+v", esc)
		}
	})
}

// A schedule fires once per due time across processes, and once after a
// downtime however many times it was due.
func TestSchedulesFireOnce(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		next := func(string) time.Time { return t0 }
		if err := db.SyncSchedules(ctx, map[string]string{"digest": "@weekly", "announce:av": "@every 1h"}, next); err != nil {
			t.Fatal(err)
		}
		now := t0.Add(3 * time.Hour)
		post := commands.Outgoing{Kind: commands.OutPost, Message: commands.Message{Channel: "C0ANN", Text: "病毒库已更新"}}
		fireAt := func(now time.Time) func(string, time.Time) (time.Time, commands.Change) {
			return func(name string, due time.Time) (time.Time, commands.Change) {
				c := commands.Change{}
				if name == "announce:av" {
					c.Out = []commands.Outgoing{post}
				}
				return now.Add(time.Hour), c
			}
		}
		fire := fireAt(now)
		fired, err := db.FireDueSchedules(ctx, now, 10, fire)
		if err != nil || len(fired) != 2 {
			t.Fatalf("fired %+v, %v", fired, err)
		}
		if again, _ := db.FireDueSchedules(ctx, now, 10, fire); len(again) != 0 {
			t.Fatalf("fired again: %+v", again)
		}
		if pending, _, _ := db.OutboxDepth(ctx); pending != 1 {
			t.Fatalf("%d announcements queued, want 1", pending)
		}
		if err := db.SyncSchedules(ctx, map[string]string{"digest": "@weekly"}, next); err != nil {
			t.Fatal(err)
		}
		if fired, _ := db.FireDueSchedules(ctx, now.Add(2*time.Hour), 10, fireAt(now.Add(2*time.Hour))); len(fired) != 1 || fired[0].Name != "digest" {
			t.Fatalf("a removed schedule fired: %+v", fired)
		}
	})
}

// Two processes starting at once on an empty database both register the
// config's duties and schedules without error, once; a later start leaves
// a fired schedule's next time alone unless its spec changed.
func TestSyncFromTwoProcessesAtOnce(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		specs := map[string]string{"digest": "@weekly", "announce:av": "@every 1h"}
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range 2 {
			wg.Go(func() {
				errs[2*i] = db.SyncDuties(ctx, []faultline.Duty{hourly("ledger", "U0A"), hourly("drawings", "U0B")}, t0)
				errs[2*i+1] = db.SyncSchedules(ctx, specs, func(string) time.Time { return t0 })
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		if duties, err := db.Duties(ctx); err != nil || len(duties) != 2 {
			t.Fatalf("duties %+v, %v", duties, err)
		}
		fired, err := db.FireDueSchedules(ctx, t0, 10, func(string, time.Time) (time.Time, commands.Change) {
			return t0.Add(time.Hour), commands.Change{}
		})
		if err != nil || len(fired) != 2 {
			t.Fatalf("fired %+v, %v", fired, err)
		}
		specs["digest"] = "@daily"
		if err := db.SyncSchedules(ctx, specs, func(string) time.Time { return t0 }); err != nil {
			t.Fatal(err)
		}
		fired, err = db.FireDueSchedules(ctx, t0.Add(time.Minute), 10, func(string, time.Time) (time.Time, commands.Change) {
			return t0.Add(time.Hour), commands.Change{}
		})
		if err != nil || len(fired) != 1 || fired[0].Name != "digest" {
			t.Fatalf("after the digest's spec changed, fired %+v, %v; want the digest alone", fired, err)
		}
	})
}

// The week's figures read what happened in it and nothing else.
func TestWeek(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		create(t, db, "in the week")
		declare(t, db, "U0A", "incident")
		w, err := db.Week(ctx, t0.Add(-time.Hour), t0.Add(time.Hour))
		if err != nil || len(w.Faults) != 1 || len(w.Incidents) != 1 {
			t.Fatalf("week: %+v, %v", w, err)
		}
		w, _ = db.Week(ctx, t0.Add(time.Hour), t0.Add(2*time.Hour))
		if len(w.Faults) != 0 || len(w.Incidents) != 0 {
			t.Fatalf("another week: %+v", w)
		}
	})
}
