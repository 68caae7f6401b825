package commands

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/faultline/faultline"
)

const (
	taskLease    = time.Minute // a worker that dies with a task frees it after this
	taskAttempts = 20          // after this many, a task is kept but logged as stuck on every try
)

// RunTasks does the stored work that is due (the path checks that follow a
// report, a "check again", a confirmed restart, "mark fixed"), parallel at
// a time, until none is due. It returns how many it did; one that failed
// is tried again after a backoff, and one whose ticket is gone is dropped.
func (s *Service) RunTasks(ctx context.Context, parallel int) (int, error) {
	if s.tasks == nil {
		return 0, nil
	}
	var (
		mu   sync.Mutex
		done int
		errs []error
		wg   sync.WaitGroup
	)
	for range max(parallel, 1) {
		wg.Go(func() {
			for ctx.Err() == nil {
				ran, err := s.runOne(ctx)
				mu.Lock()
				if ran {
					done++
				}
				errs = append(errs, err)
				mu.Unlock()
				if !ran || err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	return done, errors.Join(errs...)
}

// TasksKicked signals that a task was stored; the task worker waits on it
// between its polls.
func (s *Service) TasksKicked() <-chan struct{} { return s.flow.tasks }

func (s *Service) runOne(ctx context.Context) (bool, error) {
	task, ok, err := s.tasks.ClaimTask(ctx, s.flow.now(), taskLease)
	if err != nil || !ok {
		return false, err
	}
	var runErr error
	switch task.Kind {
	case faultline.TaskCheck, faultline.TaskCheckAndAsk:
		runErr = s.faults.runTask(ctx, task)
	case faultline.TaskConfirmReport:
		runErr = s.faults.confirmReport(ctx, task)
	default:
		runErr = errors.New("unknown task kind " + string(task.Kind))
	}
	switch {
	case runErr == nil:
		return true, nil
	case errors.Is(runErr, faultline.ErrNotFound):
		return true, s.tasks.DropTask(ctx, task.ID)
	}
	level := s.flow.log.WarnContext
	if task.Attempts >= taskAttempts {
		level = s.flow.log.ErrorContext
	}
	level(ctx, "task failed; it is tried again", "task_id", task.ID, "kind", string(task.Kind),
		"fault_id", task.FaultID, "attempts", task.Attempts, "err", runErr)
	return true, s.tasks.RetryTask(ctx, task.ID, s.flow.now().Add(backoff(task.Attempts-1)), runErr.Error())
}
