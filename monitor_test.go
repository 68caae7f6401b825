package faultline_test

import (
	"testing"
	"time"

	"github.com/faultline/faultline"
)

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
		m, a = m.Observe(s.failing, 3, 1, false, now)
		if a != s.want {
			t.Fatalf("check %d: %q, want %q", i+1, a, s.want)
		}
	}
	m.FaultID = 7
	if m, a = m.Observe("WAN router", 3, 1, false, now); a != "" {
		t.Fatalf("a second ticket for the same outage: %q", a)
	}
	if m, a = m.Observe("", 3, 1, false, now); a != faultline.MonRecovered || m.FaultID != 0 {
		t.Fatalf("recovery: %q %+v", a, m)
	}
	// After the outage (DDDDU), down, up, down: the fourth change in ten
	// checks makes it flapping, said once; three failures in a row then
	// open no ticket while it still flaps.
	var flaps []faultline.MonitorAction
	for _, f := range []string{"core switch", "", "core switch", "", "core switch", "core switch", "core switch"} {
		m, a = m.Observe(f, 3, 1, false, now)
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
		q, a = q.Observe("HQ", 3, 1, true, now)
	}
	if a != "" || q.Consecutive != 3 {
		t.Fatalf("quiet hours: %q %+v", a, q)
	}
	if q, a = q.Observe("HQ", 3, 1, false, now); a != faultline.MonOpen {
		t.Fatalf("after quiet hours: %q", a)
	}
}
