package faultline_test

import (
	"errors"
	"testing"
	"time"

	"github.com/faultline/faultline"
)

// The 2026 National Day holiday with its make-up working Saturday, as a
// Chinese company's calendar would have them.
func nationalDay() faultline.Calendar {
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	return faultline.Calendar{
		Enabled: true, Start: 9 * 60, End: 18 * 60, Location: shanghai,
		Weekdays: [7]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true, time.Friday: true},
		Holidays: map[string]bool{"2026-10-01": true, "2026-10-02": true, "2026-10-05": true},
		Workdays: map[string]bool{"2026-10-10": true}, // a Saturday
	}
}

func TestCalendar(t *testing.T) {
	c := nationalDay()
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, c.Location)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		at, next string
		working  bool
	}{
		{"2026-09-30 10:00", "2026-09-30 10:00", true},  // an ordinary Wednesday
		{"2026-09-30 19:00", "2026-10-06 09:00", false}, // the holiday: Thu, Fri, weekend, Mon are off
		{"2026-10-01 10:00", "2026-10-06 09:00", false},
		{"2026-10-06 08:00", "2026-10-06 09:00", false}, // before hours
		{"2026-10-09 18:30", "2026-10-10 09:00", false}, // Friday evening: the make-up Saturday works
		{"2026-10-10 11:00", "2026-10-10 11:00", true},
		{"2026-10-11 11:00", "2026-10-12 09:00", false}, // an ordinary Sunday
	}
	for _, tt := range tests {
		if got := c.Working(at(tt.at)); got != tt.working {
			t.Errorf("Working(%s) = %v", tt.at, got)
		}
		if got := c.Next(at(tt.at)); !got.Equal(at(tt.next)) {
			t.Errorf("Next(%s) = %s, want %s", tt.at, got.In(c.Location).Format("2006-01-02 15:04"), tt.next)
		}
	}
	if off := (faultline.Calendar{}); !off.Working(at("2026-10-01 03:00")) {
		t.Error("a disabled calendar always works")
	}
}

func TestOccurrenceSnoozeAndConfirm(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	o := faultline.Occurrence{State: faultline.OccPending, DueAt: now, RemindAt: now, EscalateAt: now.Add(2 * time.Hour)}
	s, err := o.Snooze(time.Hour, now)
	if err != nil || !s.RemindAt.Equal(now.Add(time.Hour)) || s.Snoozes != 1 {
		t.Fatalf("snooze: %+v, %v", s, err)
	}
	if _, err := o.Snooze(4*time.Hour, now); !isCode(err, "duty.snooze_too_long") {
		t.Fatalf("snoozing past the escalation: %v", err)
	}
	o.Snoozes = faultline.MaxSnoozes
	if _, err := o.Snooze(time.Hour, now); !isCode(err, "duty.snooze_limit") {
		t.Fatalf("snoozing too often: %v", err)
	}
	if _, err := o.Confirm(false, "U1", " ", now); !isCode(err, "duty.need_reason") {
		t.Fatalf("can't without a reason: %v", err)
	}
	done, err := o.Confirm(true, "U1", "NAS /backup/finance, 2.1 GB", now)
	if err != nil || done.State != faultline.OccDone || done.Note == "" || done.DoneBy != "U1" {
		t.Fatalf("done: %+v, %v", done, err)
	}
	if _, err := done.Confirm(true, "U1", "", now); !isCode(err, "duty.not_pending") {
		t.Fatalf("done twice: %v", err)
	}
}

func isCode(err error, code string) bool {
	var e *faultline.Error
	return errors.As(err, &e) && e.Code == code
}

// A monitor opens one ticket after the threshold, names the first failing
// hop only, reports the recovery once, and calls a hop that keeps
// changing flapping instead of opening ticket after ticket.
func TestMonitorObserve(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	var m faultline.MonitorState
	var a faultline.MonitorAction
	steps := []struct {
		failing string
		want    faultline.MonitorAction
	}{
		{"WAN router", ""}, {"WAN router", ""}, {"WAN router", "open"},
	}
	for i, s := range steps {
		m, a = m.Observe(s.failing, 3, false, now)
		if a != s.want {
			t.Fatalf("check %d: %q, want %q", i+1, a, s.want)
		}
	}
	m.FaultID = 7
	if m, a = m.Observe("WAN router", 3, false, now); a != "" {
		t.Fatalf("a second ticket for the same outage: %q", a)
	}
	if m, a = m.Observe("", 3, false, now); a != faultline.MonRecovered || m.FaultID != 0 {
		t.Fatalf("recovery: %q %+v", a, m)
	}
	// After the outage (DDDDU), down, up, down: the fourth change in ten
	// checks makes it flapping, said once; three failures in a row then
	// open no ticket while it still flaps.
	var flaps []faultline.MonitorAction
	for _, f := range []string{"core switch", "", "core switch", "", "core switch", "core switch", "core switch"} {
		m, a = m.Observe(f, 3, false, now)
		flaps = append(flaps, a)
	}
	want := []faultline.MonitorAction{"", "", "flapping", "", "", "", ""}
	for i := range want {
		if flaps[i] != want[i] {
			t.Fatalf("flapping actions: %q, want %q", flaps, want)
		}
	}
	if !m.Flapping {
		t.Fatal("not flapping")
	}
	// Quiet hours hold the ticket back; the failures still count.
	var q faultline.MonitorState
	for i := 0; i < 3; i++ {
		q, a = q.Observe("HQ", 3, true, now)
	}
	if a != "" || q.Consecutive != 3 {
		t.Fatalf("quiet hours: %q %+v", a, q)
	}
	if q, a = q.Observe("HQ", 3, false, now); a != faultline.MonOpen {
		t.Fatalf("after quiet hours: %q", a)
	}
}
