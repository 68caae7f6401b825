package storetest

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/commands"
)

var faultContracts = []contract{
	{"CreateFaultNumbersTimelineOutboxTimers", createFaultNumbersTimelineOutboxTimers},
	{"FaultNotFound", faultNotFound},
	{"CommitGuard", commitGuard},
	{"EventsInOrderAndOnlyForRealTickets", eventsInOrder},
	{"FaultsByState", faultsByState},
	{"ConcurrentWritersUniqueNumbers", concurrentWritersUniqueNumbers},
	{"SearchAndPastResolutions", searchAndPastResolutions},
}

func createFaultNumbersTimelineOutboxTimers(t *testing.T, open Open) {
	s, _ := open(t)
	timers := []faultline.Timer{{Kind: faultline.TimerAck, DueAt: t0.Add(15 * time.Minute)}}
	a, err := s.CreateFault(ctx, newFault("网络不通"), faultline.Change{Out: head("C0FAULTS"), SetTimers: timers})
	if err != nil {
		t.Fatal(err)
	}
	b := create(t, s, "second")
	if a.Number != 1 || b.Number != 2 || a.Ref() != "F-1" {
		t.Fatalf("numbers = %d, %d; want 1, 2", a.Number, b.Number)
	}
	got, err := s.Fault(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got.Description != "网络不通" || got.Reporter != "U0REPORTER" || !got.CreatedAt.Equal(t0) || got.State != faultline.FaultOpen || got.ID != a.ID {
		t.Fatalf("read back %+v", got)
	}
	if byID, err := s.FaultByID(ctx, a.ID); err != nil || byID.Number != 1 {
		t.Fatalf("by ID: %+v, %v", byID, err)
	}
	events, err := s.Events(ctx, a.ID)
	if err != nil || len(events) != 1 || events[0].Kind != faultline.EventCreated || events[0].Actor != "U0REPORTER" {
		t.Fatalf("timeline = %+v, %v", events, err)
	}
	p := pending(t, s, t0, 1)
	if p[0].Kind != faultline.OutHead || p[0].FaultID != a.ID || !strings.HasPrefix(p[0].Key, "fault:") {
		t.Fatalf("outbox = %+v", p)
	}
	ts := timersOf(t, s, a.ID, 0)
	if len(ts) != 1 || ts[0].Kind != faultline.TimerAck || !ts[0].DueAt.Equal(t0.Add(15*time.Minute)) {
		t.Fatalf("timers = %+v", ts)
	}
}

func faultNotFound(t *testing.T, open Open) {
	s, _ := open(t)
	if _, err := s.Fault(ctx, 99); !errors.Is(err, faultline.ErrNotFound) {
		t.Fatalf("Fault: %v, want ErrNotFound", err)
	}
	if _, err := s.FaultByID(ctx, 99); !errors.Is(err, faultline.ErrNotFound) {
		t.Fatalf("FaultByID: %v, want ErrNotFound", err)
	}
	if _, err := s.FaultByMessage(ctx, "C1", "1.2"); !errors.Is(err, faultline.ErrNotFound) {
		t.Fatalf("FaultByMessage: %v, want ErrNotFound", err)
	}
}

// A guarded commit writes the row, its events, messages and timers only if
// the row is still as read; the loser of a race changes nothing.
func commitGuard(t *testing.T, open Open) {
	s, _ := open(t)
	f := create(t, s, "x")
	took, err := f.Apply(faultline.ActTake, actor("U0TECH", faultline.RoleMaintainer), t0.Add(time.Minute), faultline.StepInput{})
	if err != nil {
		t.Fatal(err)
	}
	change := func(g faultline.Fault, text string) faultline.Change {
		return faultline.Change{
			At: t0, FaultID: f.ID, Fault: &g, Read: f,
			Events:       []faultline.Event{{At: t0, Actor: g.Owner, Kind: faultline.EventState, Text: text}},
			Out:          []faultline.Outgoing{{Kind: faultline.OutUpdate, Message: faultline.Message{Channel: "C0FAULTS"}}},
			SetTimers:    []faultline.Timer{{Kind: faultline.TimerResolve, DueAt: t0.Add(time.Hour)}},
			CancelTimers: []faultline.TimerKind{faultline.TimerAck},
		}
	}
	if err := s.Commit(ctx, change(took, "first")); err != nil {
		t.Fatal(err)
	}
	other := took
	other.Owner = "U0OTHER"
	if err := s.Commit(ctx, change(other, "second")); !errors.Is(err, faultline.ErrConflict) {
		t.Fatalf("second commit on the same read: %v, want ErrConflict", err)
	}
	got, _ := s.Fault(ctx, f.Number)
	if got.Owner != "U0TECH" || got.State != faultline.FaultTaken || got.Version != 1 || !got.TakenAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("row = %+v", got)
	}
	if events, _ := s.Events(ctx, f.ID); len(events) != 2 || events[1].Text != "first" {
		t.Fatalf("the losing commit left events: %+v", events)
	}
	pending(t, s, t0.Add(time.Hour), 1)
}

func eventsInOrder(t *testing.T, open Open) {
	s, _ := open(t)
	f := create(t, s, "x")
	for i, k := range []faultline.EventKind{faultline.EventCheck, faultline.EventReply} {
		ev := faultline.Event{At: t0.Add(time.Duration(i+1) * time.Minute), Actor: "U2", Kind: k, Text: string(k), Data: `{"a":1}`}
		if err := s.Commit(ctx, faultline.Change{FaultID: f.ID, Events: []faultline.Event{ev}}); err != nil {
			t.Fatal(err)
		}
	}
	events, err := s.Events(ctx, f.ID)
	if err != nil || len(events) != 3 || events[1].Kind != faultline.EventCheck || events[2].Kind != faultline.EventReply ||
		events[1].Data != `{"a":1}` || !events[2].At.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("timeline = %+v, %v", events, err)
	}
	err = s.Commit(ctx, faultline.Change{FaultID: 4242, Events: []faultline.Event{{At: t0, Actor: "U1", Kind: faultline.EventReply}}})
	if err == nil {
		t.Fatal("an event for a missing ticket was stored")
	}
}

func faultsByState(t *testing.T, open Open) {
	s, _ := open(t)
	for _, d := range []string{"a", "b", "c"} {
		create(t, s, d)
	}
	list, err := s.Faults(ctx, faultline.OpenFaultStates, 2)
	if err != nil || len(list) != 2 || list[0].Number != 3 || list[1].Number != 2 {
		t.Fatalf("list = %+v, %v", list, err)
	}
	if none, err := s.Faults(ctx, []faultline.FaultState{faultline.FaultClosed}, 10); err != nil || len(none) != 0 {
		t.Fatalf("closed = %v, %v", none, err)
	}
}

// Two processes on one database creating tickets at once never get the
// same number, and no number is skipped. A write may be refused while the
// other process holds the database (SQLite waits a second for its lock);
// it says so (faultline.ErrUnavailable), wrote nothing, and is tried
// again, as the flows do.
func concurrentWritersUniqueNumbers(t *testing.T, open Open) {
	a, another := open(t)
	stores := []commands.Store{a, another()}
	const each = 25
	var (
		mu   sync.Mutex
		seen = map[int64]bool{}
		wg   sync.WaitGroup
	)
	for w := 0; w < 4; w++ {
		s := stores[w%2]
		wg.Go(func() {
			for i := 0; i < each; i++ {
				f, err := s.CreateFault(ctx, newFault("race"), faultline.Change{})
				for try := 0; errors.Is(err, faultline.ErrUnavailable) && !errors.Is(err, faultline.ErrUncertain) && try < 20; try++ {
					f, err = s.CreateFault(ctx, newFault("race"), faultline.Change{})
				}
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
		})
	}
	wg.Wait()
	for n := int64(1); n <= 4*each; n++ {
		if !seen[n] {
			t.Errorf("number %d never handed out", n)
		}
	}
}

func searchAndPastResolutions(t *testing.T, open Open) {
	s, _ := open(t)
	closeWith := func(desc, hop, done string, at time.Duration) faultline.Fault {
		f := create(t, s, desc)
		g := f
		g.State, g.Hop, g.ClosedAt = faultline.FaultClosed, hop, t0.Add(at)
		g.Resolution = faultline.Resolution{Cause: faultline.CauseLine, Done: done, FixedBy: "China Telecom"}
		if err := s.Commit(ctx, faultline.Change{FaultID: f.ID, Fault: &g, Read: f}); err != nil {
			t.Fatal(err)
		}
		return g
	}
	a := closeWith("ERP 打不开", "carrier line", "运营商 fibre spliced", time.Hour)
	b := closeWith("slow", "carrier line", "carrier replaced the 100%_optic", 2*time.Hour)
	closeWith("printer", "core switch", "rebooted", 3*time.Hour)
	open2 := create(t, s, "carrier line down again")

	found, err := s.SearchFaults(ctx, []string{"CARRIER", "fibre"}, 10)
	if err != nil || len(found) != 1 || found[0].Number != a.Number {
		t.Fatalf("search = %+v, %v", found, err)
	}
	if found, _ := s.SearchFaults(ctx, []string{"100%_"}, 10); len(found) != 1 || found[0].Number != b.Number {
		t.Fatalf("LIKE wildcards in the words were not taken literally: %+v", found)
	}
	if found, _ := s.SearchFaults(ctx, []string{"运营商"}, 10); len(found) != 1 {
		t.Fatalf("Chinese search: %+v", found)
	}
	past, err := s.PastResolutions(ctx, "office-a", "carrier line", open2.ID, 5)
	if err != nil || len(past) != 2 || past[0].Number != b.Number || past[1].Number != a.Number || past[0].Resolution.FixedBy != "China Telecom" {
		t.Fatalf("past = %+v, %v", past, err)
	}
}
