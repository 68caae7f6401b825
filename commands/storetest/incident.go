package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/commands"
)

var incidentContracts = []contract{
	{"IncidentsStoredListedAndGuarded", incidentsStoredListedAndGuarded},
	{"FollowUps", followUps},
	{"IncidentsBetween", incidentsBetween},
	{"Week", week},
}

func declare(t *testing.T, s commands.Store, reporter, text string) faultline.Incident {
	t.Helper()
	i, err := s.CreateIncident(ctx, faultline.Incident{
		Description: text, Reporter: reporter, State: faultline.IncOpen, CreatedAt: t0,
	}, faultline.Change{Out: head("G0INCIDENTS"), SetTimers: []faultline.Timer{{Kind: faultline.TimerReport, DueAt: t0.Add(time.Hour)}}})
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func incidentsStoredListedAndGuarded(t *testing.T, open Open) {
	s, _ := open(t)
	a := declare(t, s, "U0A", "勒索软件")
	b := declare(t, s, "U0B", "phishing")
	if a.Number != 1 || b.Number != 2 || a.Ref() != "I-1" {
		t.Fatalf("numbers %d, %d", a.Number, b.Number)
	}
	if f, _ := s.CreateFault(ctx, newFault("x"), faultline.Change{}); f.Number != 1 {
		t.Fatalf("fault numbers are separate from incident numbers: F-%d", f.Number)
	}
	mine, err := s.Incidents(ctx, faultline.OpenIncidentStates, "U0A", 10)
	if err != nil || len(mine) != 1 || mine[0].Number != 1 {
		t.Fatalf("U0A's incidents = %+v, %v", mine, err)
	}
	if all, _ := s.Incidents(ctx, faultline.IncidentStates, "", 10); len(all) != 2 {
		t.Fatalf("all = %d", len(all))
	}
	sec := actor("U0SEC", faultline.RoleInfoManager)
	took, _ := a.Apply(faultline.IncTake, sec, t0.Add(time.Minute), faultline.IncidentInput{})
	reported, _ := took.Apply(faultline.IncReport, sec, t0.Add(2*time.Minute), faultline.IncidentInput{
		Report: faultline.IncidentReport{What: "加密", Actions: "隔离"}})
	c := faultline.Change{IncidentID: a.ID, Incident: &reported, ReadIncident: a,
		Events:       []faultline.Event{{At: t0, Actor: "U0SEC", Kind: faultline.EventState, Text: "report"}},
		CancelTimers: []faultline.TimerKind{faultline.TimerReport}}
	if err := s.Commit(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, c); !errors.Is(err, faultline.ErrConflict) {
		t.Fatalf("the same change twice: %v", err)
	}
	got, _ := s.Incident(ctx, 1)
	if got.State != faultline.IncReported || got.Report.What != "加密" || got.Owner != "U0SEC" || !got.ReportedAt.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("read back %+v", got)
	}
	if byID, err := s.IncidentByID(ctx, a.ID); err != nil || byID.Number != 1 {
		t.Fatalf("by ID: %+v, %v", byID, err)
	}
	if timers := timersOf(t, s, 0, a.ID); len(timers) != 0 {
		t.Fatalf("report clock still running: %+v", timers)
	}
	if events, _ := s.IncidentEvents(ctx, a.ID); len(events) != 2 || events[0].Kind != faultline.EventCreated {
		t.Fatalf("timeline %+v", events)
	}
	if got, err := s.IncidentByMessage(ctx, "G0INCIDENTS", "nope"); !errors.Is(err, faultline.ErrNotFound) {
		t.Fatalf("by message: %+v, %v", got, err)
	}
	if _, err := s.Incident(ctx, 99); !errors.Is(err, faultline.ErrNotFound) {
		t.Fatalf("missing incident: %v", err)
	}
}

// Follow-ups get their clocks when filed; marking one done twice is a
// conflict, and its clock stops.
func followUps(t *testing.T, open Open) {
	s, _ := open(t)
	i := declare(t, s, "U0A", "x")
	due := t0.Add(72 * time.Hour)
	err := s.Commit(ctx, faultline.Change{IncidentID: i.ID, FollowUps: []faultline.FollowUp{
		{Text: "启用双因素认证", Owner: "U0TECH", Due: due}, {Text: "training", Owner: "U0SEC", Due: due.Add(time.Hour)}}})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := s.FollowUps(ctx, i.ID)
	if err != nil || len(fs) != 2 || fs[0].Text != "启用双因素认证" || !fs[0].Due.Equal(due) {
		t.Fatalf("follow-ups %+v, %v", fs, err)
	}
	timers := timersOf(t, s, 0, i.ID)
	if len(timers) != 3 || timers[1].Kind != faultline.TimerFollowUp(fs[0].ID) {
		t.Fatalf("timers %+v", timers)
	}
	done := faultline.Change{IncidentID: i.ID, Done: []faultline.FollowUp{{ID: fs[0].ID, DoneBy: "U0TECH", DoneAt: t0}}}
	if err := s.Commit(ctx, done); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, done); !errors.Is(err, faultline.ErrConflict) {
		t.Fatalf("done twice: %v", err)
	}
	if timers := timersOf(t, s, 0, i.ID); len(timers) != 2 {
		t.Fatalf("the done follow-up's clock still runs: %+v", timers)
	}
	if f, _ := s.FollowUp(ctx, fs[0].ID); f.DoneBy != "U0TECH" || !f.DoneAt.Equal(t0) {
		t.Fatalf("follow-up %+v", f)
	}
}

// The period export reads declarations in [from, to).
func incidentsBetween(t *testing.T, open Open) {
	s, _ := open(t)
	declare(t, s, "U0A", "x")
	if got, err := s.IncidentsBetween(ctx, t0, t0.Add(time.Second)); err != nil || len(got) != 1 {
		t.Fatalf("%+v, %v", got, err)
	}
	if got, _ := s.IncidentsBetween(ctx, t0.Add(time.Second), t0.Add(time.Hour)); len(got) != 0 {
		t.Fatalf("outside the period: %+v", got)
	}
}

// The week's figures read what happened in it and nothing else.
func week(t *testing.T, open Open) {
	s, _ := open(t)
	create(t, s, "in the week")
	declare(t, s, "U0A", "incident")
	w, err := s.Week(ctx, t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil || len(w.Faults) != 1 || len(w.Incidents) != 1 {
		t.Fatalf("week: %+v, %v", w, err)
	}
	if w, _ = s.Week(ctx, t0.Add(time.Hour), t0.Add(2*time.Hour)); len(w.Faults) != 0 || len(w.Incidents) != 0 {
		t.Fatalf("another week: %+v", w)
	}
}
