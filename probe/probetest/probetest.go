// Package probetest has a scripted Pinger for tests of the flows: the test
// says which hosts are silent or cannot be checked, and every other host
// answers every probe with the same round-trip times, so output is
// reproducible.
package probetest

import (
	"context"
	"sync"
	"time"

	"github.com/faultline/faultline"
)

// Script is a Pinger with answers set by the test. Its zero value answers
// every host.
type Script struct {
	mu     sync.Mutex
	down   map[string]bool
	errors map[string]string
	calls  [][]string
	gate   chan struct{}
}

// Hold makes Ping wait until the returned release is called (or its
// context ends), to prove that nothing waits for a ping that should not.
func (s *Script) Hold() (release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gate := make(chan struct{})
	s.gate = gate
	var once sync.Once
	return func() { once.Do(func() { close(gate) }) }
}

// Down makes hosts silent (no reply, no error); Up makes them answer again.
func (s *Script) Down(hosts ...string) { s.set(hosts, true) }

// Up makes hosts answer again.
func (s *Script) Up(hosts ...string) { s.set(hosts, false) }

func (s *Script) set(hosts []string, down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down == nil {
		s.down = map[string]bool{}
	}
	for _, h := range hosts {
		s.down[h] = down
	}
}

// Fail makes host's check itself fail with msg (as an unresolvable name).
func (s *Script) Fail(host, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.errors == nil {
		s.errors = map[string]string{}
	}
	s.errors[host] = msg
}

// Calls returns the host lists Ping was called with, including a call
// still held.
func (s *Script) Calls() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]string(nil), s.calls...)
}

// Ping implements the flows' Pinger.
func (s *Script) Ping(ctx context.Context, hosts []string) []faultline.PingResult {
	s.mu.Lock()
	gate := s.gate
	s.calls = append(s.calls, append([]string(nil), hosts...))
	s.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]faultline.PingResult, len(hosts))
	for i, h := range hosts {
		switch {
		case s.errors[h] != "":
			out[i] = faultline.PingResult{Host: h, Error: s.errors[h]}
		case s.down[h]:
			out[i] = faultline.PingResult{Host: h, Sent: 3}
		default:
			out[i] = faultline.PingResult{Host: h, Sent: 3, Received: 3,
				MinRTT: 400 * time.Microsecond, AvgRTT: 600 * time.Microsecond, MaxRTT: 900 * time.Microsecond}
		}
	}
	return out
}
