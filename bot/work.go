package bot

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/faultline/faultline/commands"
)

// workTimeout bounds one piece of slow work (a path check and its posts).
const workTimeout = 2 * time.Minute

// Workers runs the slow work that follows an acknowledgement, in
// goroutines it owns, and waits for them at shutdown.
type Workers struct {
	wg     sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc
	log    *slog.Logger
	failed func()
}

// NewWorkers returns an empty pool. failed is called for each work that
// returns an error (a metric), and may be nil.
func NewWorkers(log *slog.Logger, failed func()) *Workers {
	ctx, cancel := context.WithCancel(context.Background())
	if failed == nil {
		failed = func() {}
	}
	return &Workers{ctx: ctx, cancel: cancel, log: log, failed: failed}
}

// Go runs fn in the background; a nil fn is ignored. Errors are logged here,
// at the edge, under a reference.
func (w *Workers) Go(name string, fn func(ctx context.Context) error) {
	if fn == nil {
		return
	}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		ctx, cancel := context.WithTimeout(w.ctx, workTimeout)
		defer cancel()
		if err := fn(ctx); err != nil {
			w.failed()
			w.log.ErrorContext(ctx, "background work failed", "work", name, "ref", commands.NewRef(), "err", err)
		}
	}()
}

// Wait blocks until no work is running. Tests use it as the signal that
// everything a request started has finished.
func (w *Workers) Wait() { w.wg.Wait() }

// Drain waits for running work; what is still running after grace is
// cancelled, and then waited for too.
func (w *Workers) Drain(grace time.Duration) {
	done := make(chan struct{})
	go func() {
		w.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(grace):
		w.log.Warn("cancelling background work still running at shutdown", "grace", grace)
		w.cancel()
		<-done
	}
	w.cancel()
}
