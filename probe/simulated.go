package probe

import (
	"context"
	"sync"
	"time"

	"github.com/faultline/faultline"
)

// Simulated is a network that exists only in memory, for the console's
// built-in demo: every host answers at once, except those broken with
// Break until Fix. It sends no packet anywhere.
type Simulated struct {
	mu   sync.Mutex
	down map[string]bool
}

// Break makes hosts silent.
func (s *Simulated) Break(hosts ...string) { s.set(hosts, true) }

// Fix makes hosts answer again.
func (s *Simulated) Fix(hosts ...string) { s.set(hosts, false) }

func (s *Simulated) set(hosts []string, down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down == nil {
		s.down = map[string]bool{}
	}
	for _, h := range hosts {
		s.down[h] = down
	}
}

// Ping answers as the simulated network would: three probes each, all
// answered in a millisecond, none for a broken host.
func (s *Simulated) Ping(_ context.Context, hosts []string) []faultline.PingResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]faultline.PingResult, len(hosts))
	for i, h := range hosts {
		out[i] = faultline.PingResult{Host: h, Sent: 3}
		if !s.down[h] {
			out[i].Received = 3
			out[i].MinRTT, out[i].AvgRTT, out[i].MaxRTT = 800*time.Microsecond, time.Millisecond, 1200*time.Microsecond
		}
	}
	return out
}
