package faultline

import "time"

// Calendar is when people may be pinged about duties: working hours on
// working days, minus public holidays, plus make-up working days (调休),
// which count as working even on a weekend. The zero Calendar is always
// working.
type Calendar struct {
	Enabled  bool
	Start    int             // minutes after midnight, e.g. 9*60
	End      int             // minutes after midnight, after Start
	Weekdays [7]bool         // indexed by time.Weekday
	Holidays map[string]bool // "2026-10-01"
	Workdays map[string]bool // make-up working days
	Location *time.Location
}

// WorkingDay reports whether t's date is worked.
func (c Calendar) WorkingDay(t time.Time) bool {
	if !c.Enabled {
		return true
	}
	day := t.In(c.loc()).Format("2006-01-02")
	switch {
	case c.Workdays[day]:
		return true
	case c.Holidays[day]:
		return false
	}
	return c.Weekdays[t.In(c.loc()).Weekday()]
}

// Working reports whether t is within working hours of a working day.
func (c Calendar) Working(t time.Time) bool {
	if !c.Enabled {
		return true
	}
	lt := t.In(c.loc())
	m := lt.Hour()*60 + lt.Minute()
	return c.WorkingDay(t) && m >= c.Start && m < c.End
}

// Next is t when it is working time, else the start of the next working
// hours. It looks ahead at most a year; a calendar with no working day at
// all returns t.
func (c Calendar) Next(t time.Time) time.Time {
	if c.Working(t) {
		return t
	}
	lt := t.In(c.loc())
	day := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, c.loc())
	for i := 0; i <= 366; i++ {
		d := day.AddDate(0, 0, i)
		if start := d.Add(time.Duration(c.Start) * time.Minute); c.WorkingDay(d) && t.Before(start) {
			return start
		}
	}
	return t
}

func (c Calendar) loc() *time.Location {
	if c.Location == nil {
		return time.UTC
	}
	return c.Location
}
