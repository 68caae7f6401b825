package probe

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/prometheus/client_golang/prometheus"
)

// wantModeEnv, set by TestUnprivilegedInNetns for the copy of the tests it
// runs inside a namespace, names the mode the prober must choose there.
const wantModeEnv = "FAULTLINE_PROBE_WANT_MODE"

// newTestProber returns a prober that logs into the test output, skipping
// the test when this machine permits no ICMP socket at all.
func newTestProber(t *testing.T, opts Options) (*Prober, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	p := New(opts, log, reg)
	t.Cleanup(p.Close)
	sock, err := p.socket()
	if err != nil {
		t.Skipf("no ICMP socket permitted here (non-root without ping_group_range): %v", err)
	}
	if want := os.Getenv(wantModeEnv); want != "" && string(sock.mode()) != want {
		t.Fatalf("prober chose %s sockets, want %s", sock.mode(), want)
	}
	return p, reg
}

func TestPingLoopback(t *testing.T) {
	p, reg := newTestProber(t, Options{})
	got := p.Ping(t.Context(), []string{"127.0.0.1"})
	if len(got) != 1 {
		t.Fatalf("got %d results, want 1", len(got))
	}
	r := got[0]
	if r.Host != "127.0.0.1" || r.Error != "" || r.Sent != 3 || r.Received != 3 {
		t.Fatalf("got %+v, want 3 of 3 replies from 127.0.0.1 and no error", r)
	}
	if r.MinRTT <= 0 || r.MinRTT > r.AvgRTT || r.AvgRTT > r.MaxRTT {
		t.Errorf("RTTs min/avg/max = %v/%v/%v, want 0 < min ≤ avg ≤ max", r.MinRTT, r.AvgRTT, r.MaxRTT)
	}
	if got := counted(t, reg); got != (outcomes{up: 1}) {
		t.Errorf("counter = %+v, want one up", got)
	}
}

// TestPingThousandHosts guards against lost or misattributed replies when
// many pingers run at once (raw sockets see each other's packets).
func TestPingThousandHosts(t *testing.T) {
	opts := Options{}
	if os.Getenv(wantModeEnv) == string(Unprivileged) {
		opts.Concurrency = 1000 // all at once: datagram sockets do not interfere
	}
	p, _ := newTestProber(t, opts)
	hosts := sweepHosts(1000)
	for i, r := range p.Ping(t.Context(), hosts) {
		if r.Host != hosts[i] || r.Error != "" || r.Received != r.Sent || r.Sent != 3 {
			t.Errorf("result %d = %+v, want 3 of 3 replies from %s", i, r, hosts[i])
		}
	}
}

func TestPingUnresolvable(t *testing.T) {
	p, reg := newTestProber(t, Options{})
	got := p.Ping(t.Context(), []string{"no-such-host.onion", "127.0.0.1"})
	if r := got[0]; !strings.Contains(r.Error, "resolve") || r.Received != 0 || r.Answered() {
		t.Errorf("unresolvable host: got %+v, want a resolve error and nothing received", r)
	}
	if r := got[1]; !r.Answered() {
		t.Errorf("127.0.0.1 after an unresolvable name: got %+v, want replies", r)
	}
	if got := counted(t, reg); got != (outcomes{up: 1, error: 1}) {
		t.Errorf("counter = %+v, want one up and one error", got)
	}
}

func TestPingCancelled(t *testing.T) {
	p, _ := newTestProber(t, Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for _, r := range p.Ping(ctx, []string{"127.0.0.1", "localhost"}) {
		if r.Error != errCancelled || r.Answered() {
			t.Errorf("got %+v, want Error %q", r, errCancelled)
		}
	}
}

// TestPingSilentHost makes a failing hop on this machine: an nftables rule
// drops echo requests to one loopback address.
func TestPingSilentHost(t *testing.T) {
	silent := silentHost(t)
	p, reg := newTestProber(t, Options{Wait: 300 * time.Millisecond})
	hosts := []string{"127.0.0.1", silent, "127.0.0.2"}
	got := p.Ping(t.Context(), hosts)
	for i, r := range got {
		if i == 1 {
			continue
		}
		if !r.Answered() || r.Received != 3 {
			t.Errorf("%s: got %+v, want 3 replies", hosts[i], r)
		}
	}
	if r := got[1]; r.Received != 0 || r.Error != "" || r.Sent != 3 {
		t.Errorf("silent %s: got %+v, want 3 sent, none received, no error", silent, r)
	}
	if got := counted(t, reg); got != (outcomes{up: 2, down: 1}) {
		t.Errorf("counter = %+v, want two up and one down", got)
	}
}

// TestPingCancelledWhileWaiting cancels while a silent host holds Ping; the
// one-minute wait makes the silent host's verdict impossible before that.
func TestPingCancelledWhileWaiting(t *testing.T) {
	silent := silentHost(t)
	p, _ := newTestProber(t, Options{Wait: time.Minute})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan []faultline.PingResult)
	go func() { done <- p.Ping(ctx, []string{"127.0.0.1", silent}) }()
	cancel()
	got := <-done
	if r := got[1]; r.Error != errCancelled || r.Answered() {
		t.Errorf("silent host after cancel: got %+v, want Error %q", r, errCancelled)
	}
}

func TestOptionsDefaults(t *testing.T) {
	o := Options{}.withDefaults()
	want := Options{Count: 3, Interval: 20 * time.Millisecond, Wait: time.Second, Mode: Auto}
	if o != want {
		t.Errorf("defaults = %+v, want %+v", o, want)
	}
	if b := o.budget(); b != 1040*time.Millisecond {
		t.Errorf("budget = %v, want (3-1)×20ms + 1s", b)
	}
	if m := (Options{Mode: "bogus"}).withDefaults().Mode; m != Auto {
		t.Errorf("unknown mode became %q, want Auto", m)
	}
	if raw, dgram := defaultConcurrency(true), defaultConcurrency(false); raw != 64 || dgram != 256 {
		t.Errorf("default concurrency raw/datagram = %d/%d, want 64/256", raw, dgram)
	}
}

// sweepHosts returns n distinct loopback addresses, 127.1.0.1 onwards.
func sweepHosts(n int) []string {
	hosts := make([]string, n)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("127.1.%d.%d", i/250, i%250+1)
	}
	return hosts
}

type outcomes struct{ up, down, error int }

// counted reads faultline_ping_results_total from reg.
func counted(t *testing.T, reg *prometheus.Registry) outcomes {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var o outcomes
	for _, f := range families {
		if f.GetName() != "faultline_ping_results_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			n := int(m.GetCounter().GetValue())
			switch m.GetLabel()[0].GetValue() {
			case outcomeUp:
				o.up = n
			case outcomeDown:
				o.down = n
			case outcomeError:
				o.error = n
			}
		}
	}
	return o
}
