package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/commands"
)

var taskContracts = []contract{
	{"TasksClaimedOnceAndCompletedOnce", tasksClaimedOnce},
	{"TaskLeaseAndRetry", taskLeaseAndRetry},
}

// Tasks stored with changes are claimed once each, even by two processes at
// once, and the change completing a task commits once.
func tasksClaimedOnce(t *testing.T, open Open) {
	a, another := open(t)
	stores := []commands.Store{a, another()}
	f := create(t, a, "x")
	const n = 30
	for range n {
		if err := a.Commit(ctx, faultline.Change{At: t0, FaultID: f.ID, Tasks: []faultline.Task{{Kind: faultline.TaskCheck, Actor: "U0TECH"}}}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	claimed := map[int64]int{}
	var wg sync.WaitGroup
	for _, s := range stores {
		wg.Go(func() {
			for {
				task, ok, err := s.ClaimTask(ctx, t0, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if !ok {
					return
				}
				if task.FaultID != f.ID || task.Actor != "U0TECH" || task.Kind != faultline.TaskCheck || task.Attempts != 1 {
					t.Errorf("task %+v", task)
				}
				mu.Lock()
				claimed[task.ID]++
				mu.Unlock()
				done := faultline.Change{At: t0, FaultID: f.ID, Completes: task.ID,
					Events: []faultline.Event{{At: t0, Actor: faultline.ActorBot, Kind: faultline.EventCheck}}}
				if err := s.Commit(ctx, done); err != nil {
					t.Error(err)
				}
				if err := s.Commit(ctx, done); !errors.Is(err, faultline.ErrConflict) {
					t.Errorf("a task completed twice: %v", err)
				}
			}
		})
	}
	wg.Wait()
	if len(claimed) != n {
		t.Fatalf("%d tasks claimed, want %d", len(claimed), n)
	}
	for id, c := range claimed {
		if c != 1 {
			t.Errorf("task %d claimed %d times", id, c)
		}
	}
	if events, _ := a.Events(ctx, f.ID); len(events) != n+1 {
		t.Fatalf("%d events, want one per task and the creation", len(events))
	}
}

// A claimed task is nobody else's until its lease runs out (its worker
// died); one put back waits for its new time; dropped, it is gone.
func taskLeaseAndRetry(t *testing.T, open Open) {
	s, _ := open(t)
	f := create(t, s, "x")
	if err := s.Commit(ctx, faultline.Change{At: t0, FaultID: f.ID, Tasks: []faultline.Task{{Kind: faultline.TaskCheckAndAsk}}}); err != nil {
		t.Fatal(err)
	}
	first, ok, _ := s.ClaimTask(ctx, t0, time.Minute)
	if !ok || first.Kind != faultline.TaskCheckAndAsk {
		t.Fatalf("claim: %+v %v", first, ok)
	}
	if _, ok, _ := s.ClaimTask(ctx, t0.Add(30*time.Second), time.Minute); ok {
		t.Fatal("a task claimed again within its lease")
	}
	again, ok, _ := s.ClaimTask(ctx, t0.Add(2*time.Minute), time.Minute)
	if !ok || again.ID != first.ID || again.Attempts != 2 {
		t.Fatalf("after the lease: %+v %v", again, ok)
	}
	if err := s.RetryTask(ctx, again.ID, t0.Add(time.Hour), "ping failed"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.ClaimTask(ctx, t0.Add(3*time.Minute), time.Minute); ok {
		t.Fatal("a task put back for an hour was claimed early")
	}
	later, ok, _ := s.ClaimTask(ctx, t0.Add(time.Hour), time.Minute)
	if !ok || later.Error != "ping failed" || later.Attempts != 3 {
		t.Fatalf("retried: %+v %v", later, ok)
	}
	if err := s.DropTask(ctx, later.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.ClaimTask(ctx, t0.Add(24*time.Hour), time.Minute); ok {
		t.Fatal("a dropped task came back")
	}
}
