package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/commands"
)

var scheduleContracts = []contract{
	{"SchedulesFireOnce", schedulesFireOnce},
	{"SyncFromTwoProcessesAtOnce", syncFromTwoProcessesAtOnce},
}

func schedules(specs map[string]string) []faultline.Schedule {
	var out []faultline.Schedule
	for name, spec := range specs {
		out = append(out, faultline.Schedule{Name: name, Spec: spec, Due: t0})
	}
	return out
}

// fireSchedules fires what is due at now as the flows do, each moved to an
// hour after now, with c for the announcement; it returns the names fired.
func fireSchedules(t *testing.T, s commands.Store, now time.Time, c func(name string) faultline.Change) []string {
	t.Helper()
	due, err := s.DueSchedules(ctx, now, 10)
	if err != nil {
		t.Fatal(err)
	}
	var fired []string
	for _, sc := range due {
		switch err := s.FireSchedule(ctx, sc, now.Add(time.Hour), c(sc.Name)); {
		case err == nil:
			fired = append(fired, sc.Name)
		case !errors.Is(err, faultline.ErrConflict):
			t.Fatal(err)
		}
	}
	return fired
}

// A schedule fires once per due time, and once after a downtime however
// many times it was due; a schedule taken out of the config is gone.
func schedulesFireOnce(t *testing.T, open Open) {
	s, _ := open(t)
	if err := s.SyncSchedules(ctx, schedules(map[string]string{"digest": "@weekly", "announce:av": "@every 1h"})); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(3 * time.Hour)
	post := faultline.Outgoing{Kind: faultline.OutPost, Message: faultline.Message{Channel: "C0ANN", Text: "病毒库已更新"}}
	announce := func(name string) faultline.Change {
		if name == "announce:av" {
			return faultline.Change{At: t0, Out: []faultline.Outgoing{post}}
		}
		return faultline.Change{}
	}
	due, _ := s.DueSchedules(ctx, now, 10)
	if len(due) != 2 {
		t.Fatalf("due = %+v", due)
	}
	if err := s.FireSchedule(ctx, due[0], now.Add(time.Hour), announce(due[0].Name)); err != nil {
		t.Fatal(err)
	}
	if err := s.FireSchedule(ctx, due[0], now.Add(time.Hour), announce(due[0].Name)); !errors.Is(err, faultline.ErrConflict) {
		t.Fatalf("fired twice from one read: %v", err)
	}
	if err := s.FireSchedule(ctx, due[1], now.Add(time.Hour), announce(due[1].Name)); err != nil {
		t.Fatal(err)
	}
	if again := fireSchedules(t, s, now, announce); len(again) != 0 {
		t.Fatalf("fired again: %+v", again)
	}
	pending(t, s, now, 1)
	if err := s.SyncSchedules(ctx, schedules(map[string]string{"digest": "@weekly"})); err != nil {
		t.Fatal(err)
	}
	if fired := fireSchedules(t, s, now.Add(2*time.Hour), announce); len(fired) != 1 || fired[0] != "digest" {
		t.Fatalf("a removed schedule fired: %+v", fired)
	}
}

// Two processes starting at once on an empty database both register the
// config's duties and schedules without error, once; a later start leaves
// a fired schedule's next time alone unless its spec changed.
func syncFromTwoProcessesAtOnce(t *testing.T, open Open) {
	s, _ := open(t)
	specs := map[string]string{"digest": "@weekly", "announce:av": "@every 1h"}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range 2 {
		wg.Go(func() {
			errs[2*i] = s.SyncDuties(ctx, []faultline.Duty{hourly("ledger", "U0A"), hourly("drawings", "U0B")}, t0)
			errs[2*i+1] = s.SyncSchedules(ctx, schedules(specs))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if duties, err := s.Duties(ctx); err != nil || len(duties) != 2 {
		t.Fatalf("duties %+v, %v", duties, err)
	}
	none := func(string) faultline.Change { return faultline.Change{} }
	if fired := fireSchedules(t, s, t0, none); len(fired) != 2 {
		t.Fatalf("fired %+v", fired)
	}
	specs["digest"] = "@daily"
	if err := s.SyncSchedules(ctx, schedules(specs)); err != nil {
		t.Fatal(err)
	}
	if fired := fireSchedules(t, s, t0.Add(time.Minute), none); len(fired) != 1 || fired[0] != "digest" {
		t.Fatalf("after the digest's spec changed, fired %+v; want the digest alone", fired)
	}
}
