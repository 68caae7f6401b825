package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/commands"
)

var timerContracts = []contract{
	{"TimersAnsweredOnceAcrossProcesses", timersAnsweredOnce},
	{"TimerRescheduleAndCancel", timerRescheduleAndCancel},
}

// Two processes answering the same due clocks at once, each the way the
// flows do (read the clock and its ticket, commit a change that fires it):
// each clock is answered once, each ticket climbs one level, one message
// each.
func timersAnsweredOnce(t *testing.T, open Open) {
	a, another := open(t)
	stores := []commands.Store{a, another()}
	const n = 20
	for i := 0; i < n; i++ {
		if _, err := a.CreateFault(ctx, newFault("x"), faultline.Change{SetTimers: []faultline.Timer{{Kind: faultline.TimerAck, DueAt: t0}}}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	answered := make([]int, 2)
	for i, s := range stores {
		wg.Go(func() {
			for round := 0; round < 5; round++ {
				due, err := s.DueTimers(ctx, t0.Add(time.Second), 7)
				if err != nil {
					t.Error(err)
					return
				}
				for _, tm := range due {
					f, err := s.FaultByID(ctx, tm.FaultID)
					if err != nil {
						t.Error(err)
						return
					}
					g := f
					g.EscLevel++
					err = s.Commit(ctx, faultline.Change{At: t0, FaultID: f.ID, Fault: &g, Read: f, Fires: &tm, Out: []faultline.Outgoing{post("escalated")}})
					switch {
					case err == nil:
						answered[i]++
					case !errors.Is(err, faultline.ErrConflict):
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	if answered[0]+answered[1] != n {
		t.Fatalf("answered %d + %d clocks, want %d in all", answered[0], answered[1], n)
	}
	for num := int64(1); num <= n; num++ {
		if f, _ := a.Fault(ctx, num); f.EscLevel != 1 {
			t.Errorf("F-%d climbed %d levels", num, f.EscLevel)
		}
	}
	if p, _ := a.PendingOutbox(ctx, t0.Add(time.Hour), 1000); len(p) != n {
		t.Fatalf("%d escalation messages, want %d", len(p), n)
	}
}

// A clock a change sets again waits for its new time; one it does not is
// gone; a change answering a clock no longer pending (as read) commits
// nothing. Clocks not yet due are left alone.
func timerRescheduleAndCancel(t *testing.T, open Open) {
	s, _ := open(t)
	f, err := s.CreateFault(ctx, newFault("x"), faultline.Change{SetTimers: []faultline.Timer{
		{Kind: faultline.TimerAck, DueAt: t0}, {Kind: faultline.TimerResolve, DueAt: t0.Add(time.Hour)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	due, err := s.DueTimers(ctx, t0, 10)
	if err != nil || len(due) != 1 || due[0].Kind != faultline.TimerAck {
		t.Fatalf("due = %+v, %v", due, err)
	}
	ack := due[0]
	again := faultline.Change{At: t0, FaultID: f.ID, Fires: &ack, SetTimers: []faultline.Timer{{Kind: ack.Kind, DueAt: ack.DueAt.Add(15 * time.Minute)}},
		Out: []faultline.Outgoing{post("reminder")}}
	if err := s.Commit(ctx, again); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, again); !errors.Is(err, faultline.ErrConflict) {
		t.Fatalf("the same clock answered twice: %v", err)
	}
	pending(t, s, t0, 1)
	if due, _ := s.DueTimers(ctx, t0.Add(time.Minute), 10); len(due) != 0 {
		t.Fatalf("a rescheduled clock is due early: %+v", due)
	}
	timers := timersOf(t, s, f.ID, 0)
	if len(timers) != 2 || !timers[0].DueAt.Equal(t0.Add(15*time.Minute)) {
		t.Fatalf("timers = %+v", timers)
	}
	due, _ = s.DueTimers(ctx, t0.Add(2*time.Hour), 10)
	if len(due) != 2 {
		t.Fatalf("due = %+v, want both", due)
	}
	for _, tm := range due {
		if err := s.Commit(ctx, faultline.Change{FaultID: f.ID, Fires: &tm}); err != nil {
			t.Fatal(err)
		}
	}
	if timers := timersOf(t, s, f.ID, 0); len(timers) != 0 {
		t.Fatalf("timers left: %+v", timers)
	}
}
