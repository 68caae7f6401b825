package jobs

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedules reads cron specs (5 fields, or descriptors such as @daily and
// @every 5s) in a time zone; the flows use it to know when a duty, an
// announcement, a monitor or the digest comes due next.
type Schedules struct {
	Location *time.Location
}

// Next is the first time after after that spec comes due.
func (s Schedules) Next(spec string, after time.Time) (time.Time, error) {
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return time.Time{}, fmt.Errorf("schedule %q: %w", spec, err)
	}
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	return sched.Next(after.In(loc)), nil
}
