// Package jobs runs the flows' background work on schedules: the ticket
// clocks with robfig/cron, and the outbox delivery loop. The rules live in
// the commands package; this is wiring only: schedules, timeouts,
// single-flight, shutdown.
package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"
)

// Flows is the work the jobs run.
type Flows interface {
	// FireDue runs out the clocks due now, each exactly once.
	FireDue(ctx context.Context) error
	// DeliverDue sends what the outbox holds that is due, and says how
	// many it tried and how long until more is due (0: unknown).
	DeliverDue(ctx context.Context) (tried int, wait time.Duration, err error)
	// Kicked signals new messages in the outbox.
	Kicked() <-chan struct{}
	// RunTasks does the stored work that is due, parallel at a time, and
	// says how much it did.
	RunTasks(ctx context.Context, parallel int) (int, error)
	// TasksKicked signals a new task.
	TasksKicked() <-chan struct{}
	// Maintain prunes what need not be kept.
	Maintain(ctx context.Context) error
}

// Config sets the schedules. ClockSchedule is a robfig/cron spec; the
// default "@every 1s" lets deadlines of a few seconds work in demos and
// tests. Poll is how often the outbox is looked at when nothing kicks it
// (another process may have written to it).
type Config struct {
	ClockSchedule string
	// ClockEvery, when set, runs the clock job at this fixed interval
	// instead of ClockSchedule; unlike @every it may be under a second,
	// which lets tests move a clock and see the result within milliseconds.
	ClockEvery time.Duration
	Poll       time.Duration
	Timeout    time.Duration // for one run of a job
	Location   *time.Location
	// Ran, if set, is called after each run of the clock job: the signal a
	// test waits on instead of sleeping.
	Ran func()
	// Workers is how many tasks (path checks) run at once; default 8.
	Workers int
}

// Runner runs the jobs until its context ends.
type Runner struct {
	flows Flows
	cfg   Config
	log   *slog.Logger
}

// New returns a Runner with cfg's defaults filled in.
func New(flows Flows, cfg Config, log *slog.Logger) *Runner {
	if cfg.ClockSchedule == "" {
		cfg.ClockSchedule = "@every 1s"
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Minute
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	return &Runner{flows: flows, cfg: cfg, log: log}
}

// Run starts the clock job and the hourly maintenance, and runs the task
// workers and the delivery loop until ctx ends, then waits for a clock run
// in progress and the tasks running to finish. A clock run still going
// when the next is due is skipped, not doubled.
func (r *Runner) Run(ctx context.Context) error {
	logger := cronLogger{r.log}
	c := cron.New(cron.WithLocation(r.cfg.Location),
		cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	job := cron.FuncJob(func() { r.clocks(ctx) })
	if r.cfg.ClockEvery > 0 {
		c.Schedule(every(r.cfg.ClockEvery), job)
	} else if _, err := c.AddJob(r.cfg.ClockSchedule, job); err != nil {
		return fmt.Errorf("clock schedule %q: %w", r.cfg.ClockSchedule, err)
	}
	if _, err := c.AddFunc("@hourly", func() { r.maintain(ctx) }); err != nil {
		return err
	}
	c.Start()
	tasksDone := make(chan struct{})
	go func() {
		defer close(tasksDone)
		r.work(ctx)
	}()
	r.deliver(ctx)
	<-tasksDone
	<-c.Stop().Done()
	return nil
}

func (r *Runner) maintain(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	if err := r.flows.Maintain(ctx); err != nil {
		r.log.ErrorContext(ctx, "maintenance", "err", err)
	}
}

// work runs the stored tasks as they come: at once when kicked, and every
// Poll (another process may have stored some, or a failed one is due
// again).
func (r *Runner) work(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := r.flows.RunTasks(ctx, r.cfg.Workers)
		if err != nil && ctx.Err() == nil {
			r.log.ErrorContext(ctx, "tasks", "err", err)
		}
		if n > 0 && err == nil {
			continue
		}
		timer := time.NewTimer(r.cfg.Poll)
		select {
		case <-ctx.Done():
		case <-r.flows.TasksKicked():
		case <-timer.C:
		}
		timer.Stop()
	}
}

func (r *Runner) clocks(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	if err := r.flows.FireDue(ctx); err != nil {
		r.log.ErrorContext(ctx, "ticket clocks", "err", err)
	}
	if r.cfg.Ran != nil {
		r.cfg.Ran()
	}
}

// deliver sends the outbox as messages come due: at once when kicked, when
// the pace allows the next, or every Poll.
func (r *Runner) deliver(ctx context.Context) {
	for ctx.Err() == nil {
		polled := time.Now()
		runCtx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
		tried, wait, err := r.flows.DeliverDue(runCtx)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil:
			r.log.ErrorContext(ctx, "outbox delivery", "err", err)
			wait = r.cfg.Poll
		case tried > 0 && wait == 0:
			continue // more may be due right away
		case wait == 0 || wait > r.cfg.Poll:
			wait = r.cfg.Poll
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-r.flows.Kicked():
			// A burst of commits kicks with each one: the polls they
			// start are spaced, which a new message hardly notices and
			// the database does.
			if gap := kickedPollGap - time.Since(polled); gap > 0 {
				select {
				case <-ctx.Done():
				case <-time.After(gap):
				}
			}
		case <-timer.C:
		}
		timer.Stop()
	}
}

// kickedPollGap is the least time between two outbox polls a commit
// starts.
const kickedPollGap = 10 * time.Millisecond

// every is a fixed interval as a cron schedule, without @every's rounding
// to whole seconds.
type every time.Duration

func (e every) Next(t time.Time) time.Time { return t.Add(time.Duration(e)) }

// cronLogger sends robfig/cron's logs to slog.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug(msg, append(kv, "component", "cron")...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error(msg, append(kv, "component", "cron", "err", err)...)
}
