package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/faultline/faultline"
)

var monitorContracts = []contract{
	{"MonitorStateGuard", monitorStateGuard},
}

// A monitor's memory starts empty, is written with its change only from
// the version read, and a second writer of the same read loses.
func monitorStateGuard(t *testing.T, open Open) {
	s, _ := open(t)
	read, err := s.MonitorState(ctx, "office-a")
	if err != nil || read.Site != "office-a" || read.Consecutive != 0 || !read.LastCheck.IsZero() {
		t.Fatalf("a new monitor = %+v, %v", read, err)
	}
	next, _ := read.Observe("WAN router", 3, 1, false, t0)
	note := faultline.Change{At: t0, Out: []faultline.Outgoing{{Kind: faultline.OutPost, Message: faultline.Message{Channel: "C0FAULTS", Text: "flapping"}}}}
	if err := s.SaveMonitorState(ctx, read, next, note); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveMonitorState(ctx, read, next, note); !errors.Is(err, faultline.ErrConflict) {
		t.Fatalf("a second save of the same read: %v", err)
	}
	got, _ := s.MonitorState(ctx, "office-a")
	if got.Failing != "WAN router" || got.Consecutive != 1 || got.History != "D" || !got.LastCheck.Equal(t0) {
		t.Fatalf("saved = %+v", got)
	}
	again, _ := got.Observe("WAN router", 3, 1, false, t0.Add(time.Minute))
	if err := s.SaveMonitorState(ctx, got, again, faultline.Change{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.MonitorState(ctx, "office-a"); got.Consecutive != 2 {
		t.Fatalf("after a second check = %+v", got)
	}
	pending(t, s, t0, 1)
}
