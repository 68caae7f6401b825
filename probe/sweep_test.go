package probe

import (
	"context"
	"testing"
	"time"

	"github.com/faultline/faultline"
)

// A sweep (more than sweepFrom hosts, over the shared socket) names each
// silent host silent and every other host answered, IPv4 and IPv6 alike,
// with a name among the addresses; the counter sees every host once.
func TestSweepMixed(t *testing.T) {
	silentA, silentB := silentHost(t), silentHost(t)
	p, reg := newTestProber(t, Options{Wait: 300 * time.Millisecond})
	hosts := sweepHosts(2 * sweepFrom)
	hosts[3], hosts[40] = silentA, silentB
	hosts[10], hosts[11], hosts[12] = "::1", "localhost", "no-such-host.onion"
	got := p.Ping(t.Context(), hosts)
	for i, r := range got {
		switch {
		case r.Host != hosts[i]:
			t.Errorf("result %d is for %s, want %s", i, r.Host, hosts[i])
		case i == 3 || i == 40:
			if r.Sent != 3 || r.Received != 0 || r.Error != "" {
				t.Errorf("silent %s: %+v, want 3 sent, none received, no error", r.Host, r)
			}
		case i == 12:
			if r.Error == "" || r.Answered() {
				t.Errorf("unresolvable %s: %+v", r.Host, r)
			}
		default:
			if r.Sent != 3 || r.Received != 3 || r.Error != "" || r.MinRTT <= 0 || r.MinRTT > r.AvgRTT || r.AvgRTT > r.MaxRTT {
				t.Errorf("%s: %+v, want 3 of 3 replies with ordered RTTs", r.Host, r)
			}
		}
	}
	if c := counted(t, reg); c != (outcomes{up: len(hosts) - 3, down: 2, error: 1}) {
		t.Errorf("counter = %+v", c)
	}
}

// A sweep cancelled while a silent host holds it (its wait is a minute)
// returns: the silent host says cancelled, every host has its result.
func TestSweepCancelled(t *testing.T) {
	silent := silentHost(t)
	p, _ := newTestProber(t, Options{Wait: time.Minute})
	hosts := sweepHosts(sweepFrom + 1)
	hosts[0] = silent
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan []faultline.PingResult)
	go func() { done <- p.Ping(ctx, hosts) }()
	cancel()
	got := <-done
	if len(got) != len(hosts) || got[0].Error != errCancelled || got[0].Answered() {
		t.Fatalf("after cancel: %d results, silent host %+v", len(got), got[0])
	}
	for i, r := range got {
		if r.Host != hosts[i] {
			t.Errorf("result %d is for %s", i, r.Host)
		}
	}
}
