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
	return &Runner{flows: flows, cfg: cfg, log: log}
}

// Run starts the clock job and runs the delivery loop until ctx ends, then
// waits for a clock run in progress to finish. A run still going when the
// next is due is skipped, not doubled.
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
	c.Start()
	r.deliver(ctx)
	<-c.Stop().Done()
	return nil
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
		case <-timer.C:
		}
		timer.Stop()
	}
}

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
