package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

func declare(t *testing.T, db *storage.DB, reporter, text string) faultline.Incident {
	t.Helper()
	i, err := db.CreateIncident(context.Background(), faultline.Incident{
		Description: text, Reporter: reporter, State: faultline.IncOpen, CreatedAt: t0,
	}, []commands.Outgoing{{Kind: commands.OutHead, Message: commands.Message{Channel: "G0INCIDENTS"}}},
		[]faultline.Timer{{Kind: faultline.TimerReport, DueAt: t0.Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func TestIncidentsStoredListedAndGuarded(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		a := declare(t, db, "U0A", "勒索软件")
		b := declare(t, db, "U0B", "phishing")
		if a.Number != 1 || b.Number != 2 || a.Ref() != "I-1" {
			t.Fatalf("numbers %d, %d", a.Number, b.Number)
		}
		if f, _ := db.CreateFault(ctx, newFault("x"), nil, nil); f.Number != 1 {
			t.Fatalf("fault numbers are separate from incident numbers: F-%d", f.Number)
		}
		mine, err := db.Incidents(ctx, faultline.OpenIncidentStates, "U0A", 10)
		if err != nil || len(mine) != 1 || mine[0].Number != 1 {
			t.Fatalf("U0A's incidents = %+v, %v", mine, err)
		}
		all, _ := db.Incidents(ctx, faultline.IncidentStates, "", 10)
		if len(all) != 2 {
			t.Fatalf("all = %d", len(all))
		}
		took, _ := a.Apply(faultline.IncTake, "U0SEC", t0.Add(time.Minute), faultline.IncidentInput{})
		reported, _ := took.Apply(faultline.IncReport, "U0SEC", t0.Add(2*time.Minute), faultline.IncidentInput{
			Report: faultline.IncidentReport{What: "加密", Actions: "隔离"}})
		c := commands.Change{IncidentID: a.ID, Incident: &reported, ReadIncident: a,
			Events:       []faultline.Event{{At: t0, Actor: "U0SEC", Kind: faultline.EventState, Text: "report"}},
			CancelTimers: []faultline.TimerKind{faultline.TimerReport}}
		if err := db.Commit(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := db.Commit(ctx, c); !errors.Is(err, faultline.ErrConflict) {
			t.Fatalf("the same change twice: %v", err)
		}
		got, _ := db.Incident(ctx, 1)
		if got.State != faultline.IncReported || got.Report.What != "加密" || got.Owner != "U0SEC" || !got.ReportedAt.Equal(t0.Add(2*time.Minute)) {
			t.Fatalf("read back %+v", got)
		}
		if timers, _ := db.IncidentTimers(ctx, a.ID); len(timers) != 0 {
			t.Fatalf("report clock still running: %+v", timers)
		}
		if events, _ := db.IncidentEvents(ctx, a.ID); len(events) != 2 || events[0].Kind != faultline.EventCreated {
			t.Fatalf("timeline %+v", events)
		}
		if got, err := db.IncidentByMessage(ctx, "G0INCIDENTS", "nope"); !errors.Is(err, faultline.ErrNotFound) {
			t.Fatalf("by message: %+v, %v", got, err)
		}
		overdue, owed, err := db.IncidentGauges(ctx, t0.Add(2*time.Hour), time.Hour)
		if err != nil || overdue != 1 || owed != 0 { // b is open past its hour; a is reported
			t.Fatalf("gauges = %d overdue, %d owed, %v", overdue, owed, err)
		}
	})
}

// Follow-ups get their clocks when filed; marking one done twice is a
// conflict, and its clock stops.
func TestFollowUps(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		i := declare(t, db, "U0A", "x")
		due := t0.Add(72 * time.Hour)
		err := db.Commit(ctx, commands.Change{IncidentID: i.ID, FollowUps: []faultline.FollowUp{
			{Text: "启用双因素认证", Owner: "U0TECH", Due: due}, {Text: "training", Owner: "U0SEC", Due: due.Add(time.Hour)}}})
		if err != nil {
			t.Fatal(err)
		}
		fs, err := db.FollowUps(ctx, i.ID)
		if err != nil || len(fs) != 2 || fs[0].Text != "启用双因素认证" || !fs[0].Due.Equal(due) {
			t.Fatalf("follow-ups %+v, %v", fs, err)
		}
		timers, _ := db.IncidentTimers(ctx, i.ID)
		if len(timers) != 3 || timers[1].Kind != faultline.TimerFollowUp(fs[0].ID) {
			t.Fatalf("timers %+v", timers)
		}
		done := commands.Change{IncidentID: i.ID, Done: []faultline.FollowUp{{ID: fs[0].ID, DoneBy: "U0TECH", DoneAt: t0}}}
		if err := db.Commit(ctx, done); err != nil {
			t.Fatal(err)
		}
		if err := db.Commit(ctx, done); !errors.Is(err, faultline.ErrConflict) {
			t.Fatalf("done twice: %v", err)
		}
		if timers, _ := db.IncidentTimers(ctx, i.ID); len(timers) != 2 {
			t.Fatalf("the done follow-up's clock still runs: %+v", timers)
		}
		if f, _ := db.FollowUp(ctx, fs[0].ID); f.DoneBy != "U0TECH" || !f.DoneAt.Equal(t0) {
			t.Fatalf("follow-up %+v", f)
		}
	})
}

// The period export reads declarations in [from, to).
func TestIncidentsBetween(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		declare(t, db, "U0A", "x")
		got, err := db.IncidentsBetween(context.Background(), t0, t0.Add(time.Second))
		if err != nil || len(got) != 1 {
			t.Fatalf("%+v, %v", got, err)
		}
		if got, _ := db.IncidentsBetween(context.Background(), t0.Add(time.Second), t0.Add(time.Hour)); len(got) != 0 {
			t.Fatalf("outside the period: %+v", got)
		}
	})
}
