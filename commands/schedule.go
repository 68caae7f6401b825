package commands

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/faultline/faultline"
)

// The schedules: announcements, path monitors and the weekly digest, each
// claimed once per due time however many processes run.
type scheduleFlow struct {
	*flow
	store    ScheduleStore
	digests  DigestStore
	sched    Scheduler
	monitors *monitorFlow
}

// Schedule names: "announce:<name>", "monitor:<site>", "digest".
const (
	schedAnnounce = "announce:"
	schedMonitor  = "monitor:"
	schedDigest   = "digest"
)

func (f *scheduleFlow) specs() map[string]string {
	specs := map[string]string{}
	for _, a := range f.set.Announcements {
		specs[schedAnnounce+a.Name] = a.Schedule
	}
	for _, m := range f.set.Monitors {
		specs[schedMonitor+m.Site] = m.Schedule
	}
	if f.set.Digest.Schedule != "" {
		specs[schedDigest] = f.set.Digest.Schedule
	}
	return specs
}

// next is when spec comes due after t; a spec that cannot be read waits a
// day rather than firing every tick.
func (f *scheduleFlow) next(spec string, t time.Time) time.Time {
	next, err := f.sched.Next(spec, t)
	if err != nil || spec == "" {
		return t.Add(dutyFallbackPeriod)
	}
	return next
}

// sync registers the config's schedules, each due next on its spec.
func (f *scheduleFlow) sync(ctx context.Context, now time.Time) error {
	var list []faultline.Schedule
	for name, spec := range f.specs() {
		list = append(list, faultline.Schedule{Name: name, Spec: spec, Due: f.next(spec, now)})
	}
	return f.store.SyncSchedules(ctx, list)
}

// run claims the announcements, monitor checks and digests that are due,
// once each across processes and once after a downtime, then does the slow
// ones (pinging, counting the week) after their claim.
func (f *scheduleFlow) run(ctx context.Context, now time.Time) error {
	if f.sched == nil {
		return nil
	}
	due, err := f.store.DueSchedules(ctx, now, 50)
	if err != nil {
		return err
	}
	specs := f.specs()
	var errs []error
	for _, sc := range due {
		c := f.announcement(sc.Name)
		c.At = now
		err := f.store.FireSchedule(ctx, sc, f.next(specs[sc.Name], now), c)
		if errors.Is(err, faultline.ErrConflict) {
			continue // another process claimed it
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		f.nudge()
		switch {
		case sc.Name == schedDigest:
			errs = append(errs, f.sendDigest(ctx, sc.Due))
		case strings.HasPrefix(sc.Name, schedMonitor):
			errs = append(errs, f.monitors.run(ctx, strings.TrimPrefix(sc.Name, schedMonitor), now))
		}
	}
	return errors.Join(errs...)
}
