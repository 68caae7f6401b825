package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/faultline/faultline"
)

var requestContracts = []contract{
	{"ReportsByRequestKeyOnce", reportsByRequestKeyOnce},
	{"ChangeRequestKeyOnce", changeRequestKeyOnce},
	{"FirstSeen", firstSeen},
}

// A report carrying a request key already on a ticket (a replayed command,
// a resend after an unclear failure) stores nothing and returns the first
// ticket; reports without a key are always new. The same for incidents.
func reportsByRequestKeyOnce(t *testing.T, open Open) {
	s, _ := open(t)
	keyed := newFault("first try")
	keyed.RequestKey = "trigger:1337.42"
	with := faultline.Change{Out: head("C0FAULTS"), Tasks: []faultline.Task{{Kind: faultline.TaskCheck, Actor: faultline.ActorBot}}}
	first, err := s.CreateFault(ctx, keyed, with)
	if err != nil || first.RequestKey != keyed.RequestKey {
		t.Fatalf("first: %+v, %v", first, err)
	}
	keyed.Description = "second try"
	again, err := s.CreateFault(ctx, keyed, with)
	if !errors.Is(err, faultline.ErrReplay) || again.Number != first.Number || again.Description != "first try" {
		t.Fatalf("the same key again: %+v, %v; want F-%d and ErrReplay", again, err, first.Number)
	}
	create(t, s, "no key")
	create(t, s, "no key either")
	if list, _ := s.Faults(ctx, faultline.OpenFaultStates, 10); len(list) != 3 {
		t.Fatalf("%d tickets, want 3", len(list))
	}
	pending(t, s, t0, 1) // one head message, not two
	if task, ok, err := s.ClaimTask(ctx, t0, time.Minute); err != nil || !ok || task.FaultID != first.ID {
		t.Fatalf("the first report's task: %+v, %v, %v", task, ok, err)
	}
	if _, ok, _ := s.ClaimTask(ctx, t0, time.Minute); ok {
		t.Fatal("the replay stored a second task")
	}
	inc := faultline.Incident{Description: "phishing", Reporter: "U0A", State: faultline.IncOpen, CreatedAt: t0, RequestKey: "view:V1"}
	i1, err := s.CreateIncident(ctx, inc, faultline.Change{})
	if err != nil {
		t.Fatal(err)
	}
	if i2, err := s.CreateIncident(ctx, inc, faultline.Change{}); !errors.Is(err, faultline.ErrReplay) || i2.Number != i1.Number {
		t.Fatalf("the same declaration again: %+v, %v", i2, err)
	}
}

// A change carrying a delivery key commits once: the second change with
// the key writes nothing and is ErrReplay.
func changeRequestKeyOnce(t *testing.T, open Open) {
	s, _ := open(t)
	f := create(t, s, "x")
	c := faultline.Change{At: t0, FaultID: f.ID, Request: "event:Ev1",
		Events: []faultline.Event{{At: t0, Actor: "U0TECH", Kind: faultline.EventReply, Text: "on my way"}}}
	if err := s.Commit(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, c); !errors.Is(err, faultline.ErrReplay) {
		t.Fatalf("the same event again: %v, want ErrReplay", err)
	}
	if events, _ := s.Events(ctx, f.ID); len(events) != 2 {
		t.Fatalf("timeline %+v", events)
	}
	if seen, _ := s.FirstSeen(ctx, "event:Ev1", t0); seen {
		t.Fatal("the change's key is not seen")
	}
}

func firstSeen(t *testing.T, open Open) {
	s, _ := open(t)
	if first, err := s.FirstSeen(ctx, "trigger:A", t0); err != nil || !first {
		t.Fatalf("first = %v, %v", first, err)
	}
	if again, err := s.FirstSeen(ctx, "trigger:A", t0.Add(time.Minute)); err != nil || again {
		t.Fatalf("a replay = %v, %v; want false", again, err)
	}
	if n, err := s.PruneRequests(ctx, t0.Add(25*time.Hour)); err != nil || n != 1 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	if later, _ := s.FirstSeen(ctx, "trigger:A", t0.Add(25*time.Hour)); !later {
		t.Fatal("a key forgotten after a day is not new again")
	}
}
