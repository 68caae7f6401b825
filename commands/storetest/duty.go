package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/commands"
)

var dutyContracts = []contract{
	{"SyncDuties", syncDuties},
	{"FireDutyOnceAndCatchUp", fireDutyOnceAndCatchUp},
	{"UpdateOccurrenceGuard", updateOccurrenceGuard},
}

func hourly(name string, owners ...string) faultline.Duty {
	return faultline.Duty{Name: name, Owners: owners, Schedule: "@every 1h", Grace: time.Hour,
		EscalateTo: faultline.RoleITSupervisor, Source: faultline.SourceConfig, NextDue: t0}
}

// fireDue fires every duty due at now as the flows do: one occurrence per
// owner at the duty's due time, the duty moved to the next hour after now.
// It returns how many it fired; a duty another process fired first is
// faultline.ErrConflict and not counted.
func fireDue(t *testing.T, s commands.Store, now time.Time, limit int) int {
	t.Helper()
	due, err := s.DueDuties(ctx, now, limit)
	if err != nil {
		t.Error(err)
		return 0
	}
	fired := 0
	for _, d := range due {
		var occ []faultline.Occurrence
		for _, o := range d.Owners {
			occ = append(occ, faultline.Occurrence{Owner: o, DueAt: d.NextDue, RemindAt: d.NextDue, EscalateAt: d.NextDue.Add(d.Grace)})
		}
		switch err := s.FireDuty(ctx, d, occ, now.Truncate(time.Hour).Add(time.Hour)); {
		case err == nil:
			fired++
		case !errors.Is(err, faultline.ErrConflict):
			t.Error(err)
		}
	}
	return fired
}

// Config duties are added, updated and, when removed from the config,
// paused with their records kept; Slack's duties are left alone.
func syncDuties(t *testing.T, open Open) {
	s, _ := open(t)
	slack := hourly("added-in-slack", "U0X")
	slack.Source = faultline.SourceSlack
	if _, err := s.CreateDuty(ctx, slack, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateDuty(ctx, slack, t0); !errors.Is(err, faultline.ErrConflict) {
		t.Fatalf("a second duty of the same name: %v", err)
	}
	if err := s.SyncDuties(ctx, []faultline.Duty{hourly("finance", "U0A"), hourly("design", "U0B")}, t0); err != nil {
		t.Fatal(err)
	}
	changed := hourly("finance", "U0A", "U0C")
	if err := s.SyncDuties(ctx, []faultline.Duty{changed}, t0); err != nil {
		t.Fatal(err)
	}
	all, _ := s.Duties(ctx)
	got := map[string]faultline.Duty{}
	for _, d := range all {
		got[d.Name] = d
	}
	if len(got) != 3 || len(got["finance"].Owners) != 2 || !got["design"].Paused || got["design"].Source != faultline.SourceRetired ||
		got["added-in-slack"].Paused {
		t.Fatalf("duties after sync: %+v", all)
	}
	// Paused from Slack, a config duty stays paused across restarts; one
	// put back in the config runs again.
	if err := s.SetDutyPaused(ctx, "finance", true, t0, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.SyncDuties(ctx, []faultline.Duty{changed, hourly("design", "U0B")}, t0); err != nil {
		t.Fatal(err)
	}
	finance, _ := s.Duty(ctx, "finance")
	design, _ := s.Duty(ctx, "design")
	if !finance.Paused || design.Paused || design.Source != faultline.SourceConfig {
		t.Fatalf("after a restart: finance %+v, design %+v", finance, design)
	}
	if _, err := s.Duty(ctx, "nope"); !errors.Is(err, faultline.ErrNotFound) {
		t.Fatalf("missing duty: %v", err)
	}
	if err := s.SetDutyPaused(ctx, "nope", true, t0, t0); !errors.Is(err, faultline.ErrNotFound) {
		t.Fatalf("pausing a missing duty: %v", err)
	}
	if due, _ := s.DueDuties(ctx, t0.Add(time.Minute), 10); len(due) != 2 {
		t.Fatalf("due duties = %+v; want the two unpaused", due)
	}
}

// Two processes firing due duties at once create each occurrence once; a
// duty due many times over a downtime comes due once.
func fireDutyOnceAndCatchUp(t *testing.T, open Open) {
	a, another := open(t)
	stores := []commands.Store{a, another()}
	var duties []faultline.Duty
	for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
		duties = append(duties, hourly(n, "U0A", "U0B"))
	}
	if err := a.SyncDuties(ctx, duties, t0); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(5*time.Hour + time.Minute) // five hours missed
	var wg sync.WaitGroup
	fired := make([]int, 2)
	for i, s := range stores {
		wg.Go(func() {
			for round := 0; round < 3; round++ {
				fired[i] += fireDue(t, s, now, 4)
			}
		})
	}
	wg.Wait()
	if fired[0]+fired[1] != 6 {
		t.Fatalf("fired %d + %d duties, want 6", fired[0], fired[1])
	}
	due, err := a.DueReminders(ctx, now, 100)
	if err != nil || len(due) != 12 {
		t.Fatalf("%d occurrences (%v), want 12: one per owner per duty, one catch-up", len(due), err)
	}
	all, _ := a.Duties(ctx)
	for _, d := range all {
		if !d.NextDue.Equal(now.Truncate(time.Hour).Add(time.Hour)) {
			t.Fatalf("%s next due %s", d.Name, d.NextDue)
		}
	}
	if occ, _ := a.DutyOccurrences(ctx, all[0].ID, 10); len(occ) != 2 || occ[0].Duty != all[0].Name {
		t.Fatalf("occurrences of %s: %+v", all[0].Name, occ)
	}
}

// An occurrence changes once per read: a reminder or an escalation claimed
// by one process is not sent by another.
func updateOccurrenceGuard(t *testing.T, open Open) {
	s, _ := open(t)
	if err := s.SyncDuties(ctx, []faultline.Duty{hourly("finance", "U0A")}, t0); err != nil {
		t.Fatal(err)
	}
	fireDue(t, s, t0, 10)
	due, _ := s.DueReminders(ctx, t0, 10)
	if len(due) != 1 {
		t.Fatalf("due reminders = %+v", due)
	}
	o := due[0]
	if got, err := s.Occurrence(ctx, o.ID); err != nil || got.Owner != "U0A" || got.Duty != "finance" {
		t.Fatalf("occurrence %+v, %v", got, err)
	}
	if _, err := s.Occurrence(ctx, 4242); !errors.Is(err, faultline.ErrNotFound) {
		t.Fatalf("missing occurrence: %v", err)
	}
	reminded := o
	reminded.RemindedAt = t0
	dm := []faultline.Outgoing{{Kind: faultline.OutDM, User: "U0A", Message: faultline.Message{Text: "reminder"}}}
	if err := s.UpdateOccurrence(ctx, o, reminded, dm, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateOccurrence(ctx, o, reminded, dm, t0); !errors.Is(err, faultline.ErrConflict) {
		t.Fatalf("the same reminder twice: %v", err)
	}
	pending(t, s, t0, 1)
	if again, _ := s.DueReminders(ctx, t0.Add(time.Minute), 10); len(again) != 0 {
		t.Fatalf("reminder due again: %+v", again)
	}
	if esc, _ := s.DueEscalations(ctx, t0.Add(time.Hour), 10); len(esc) != 1 || esc[0].Duty != "finance" {
		t.Fatalf("escalations due: %+v", esc)
	}
}
