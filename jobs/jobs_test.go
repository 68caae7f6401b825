package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline/faultline/jobs"
)

// flows counts the runs and plays an outbox that has messages to send
// whenever it was kicked.
type flows struct {
	mu        sync.Mutex
	fires     int
	delivers  int
	pending   int
	kick      chan struct{}
	fireDelay time.Duration
}

func (f *flows) FireDue(ctx context.Context) error {
	time.Sleep(f.fireDelay)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fires++
	return nil
}

func (f *flows) DeliverDue(context.Context) (int, time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delivers++
	if f.pending > 0 {
		f.pending--
		return 1, 0, nil
	}
	return 0, 0, nil
}

func (f *flows) Kicked() <-chan struct{} { return f.kick }

func (f *flows) RunTasks(context.Context, int) (int, error) { return 0, nil }
func (f *flows) TasksKicked() <-chan struct{}               { return nil }
func (f *flows) Maintain(context.Context) error             { return nil }

func (f *flows) counts() (fires, delivers, pending int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fires, f.delivers, f.pending
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// The clocks run on their schedule; the outbox is emptied as soon as it is
// kicked, not at the next poll; stopping waits for both.
func TestRunnerSchedulesAndWakes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &flows{kick: make(chan struct{}, 1)}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() {
			done <- jobs.New(f, jobs.Config{ClockSchedule: "@every 1s", Poll: time.Minute}, quiet).Run(ctx)
		}()

		time.Sleep(3500 * time.Millisecond)
		synctest.Wait()
		if fires, _, _ := f.counts(); fires != 3 {
			t.Fatalf("clocks ran %d times in 3.5 s on @every 1s", fires)
		}

		f.mu.Lock()
		f.pending = 3
		f.mu.Unlock()
		f.kick <- struct{}{}
		synctest.Wait() // no time passes: the kick alone must drain it
		if _, _, pending := f.counts(); pending != 0 {
			t.Fatalf("%d messages left after a kick", pending)
		}

		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

// A clock run that takes longer than the schedule is not started again
// while it runs.
func TestRunnerSkipsOverlappingRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &flows{kick: make(chan struct{}, 1), fireDelay: 2500 * time.Millisecond}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() {
			done <- jobs.New(f, jobs.Config{ClockSchedule: "@every 1s", Poll: time.Minute}, quiet).Run(ctx)
		}()
		time.Sleep(5900 * time.Millisecond)
		cancel()
		<-done
		// Runs start at 1 s and 4 s (2 s and 3 s are skipped while the first
		// runs, 5 s while the second does); both finish before Run returns.
		if fires, _, _ := f.counts(); fires != 2 {
			t.Fatalf("%d clock runs, want 2 without overlap", fires)
		}
	})
}

func TestRunnerRejectsBadSchedule(t *testing.T) {
	err := jobs.New(&flows{kick: make(chan struct{})}, jobs.Config{ClockSchedule: "every second"}, quiet).Run(context.Background())
	if err == nil {
		t.Fatal("a bad schedule was accepted")
	}
}

// ClockEvery runs the clocks at a fixed interval under a second (@every
// would round it up to one), and calls Ran after each run.
func TestRunnerClockEvery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &flows{kick: make(chan struct{}, 1)}
		ctx, cancel := context.WithCancel(context.Background())
		var ran sync.WaitGroup
		ran.Add(5)
		done := make(chan error)
		go func() {
			done <- jobs.New(f, jobs.Config{ClockEvery: 100 * time.Millisecond, Poll: time.Minute, Ran: ran.Done}, quiet).Run(ctx)
		}()
		time.Sleep(550 * time.Millisecond)
		synctest.Wait()
		if fires, _, _ := f.counts(); fires != 5 {
			t.Fatalf("clocks ran %d times in 550 ms every 100 ms", fires)
		}
		ran.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}
