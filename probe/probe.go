// Package probe checks hosts with ICMP echo (ping) through pro-bing. It is the
// only package that imports pro-bing; the rest of Faultline sees one method,
// Ping, which returns a faultline.PingResult per host.
package probe

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/faultline/faultline"
	"github.com/prometheus/client_golang/prometheus"
)

// Mode chooses the kind of ICMP socket. The zero value means Auto.
type Mode string

// Socket modes. Datagram ("unprivileged") sockets are preferred: the kernel
// hands each reply to the socket that sent the request. Every raw socket
// receives a copy of every ICMP packet, so kernel work grows with the square
// of the pingers running at once.
const (
	// Auto uses datagram sockets when net.ipv4.ping_group_range allows them
	// and falls back to raw sockets when it does not.
	Auto Mode = "auto"
	// Unprivileged uses datagram sockets only.
	Unprivileged Mode = "unprivileged"
	// Privileged uses raw sockets only, which need root or CAP_NET_RAW.
	Privileged Mode = "privileged"
)

// Options tune a Prober. Zero fields take the defaults given.
type Options struct {
	Count       int           // probes per host; default 3
	Interval    time.Duration // between probes to one host; default 20ms
	Wait        time.Duration // for replies after the last probe is sent; default 1s
	Concurrency int           // hosts of path checks pinged at once; default 256, 64 with raw sockets (sweeps probe every host at once)
	Mode        Mode          // default Auto; an unknown mode is treated as Auto
}

func (o Options) withDefaults() Options {
	if o.Count <= 0 {
		o.Count = 3
	}
	if o.Interval <= 0 {
		o.Interval = 20 * time.Millisecond
	}
	if o.Wait <= 0 {
		o.Wait = time.Second
	}
	if o.Mode != Unprivileged && o.Mode != Privileged {
		o.Mode = Auto
	}
	return o
}

// budget is how long one host's check takes when nothing holds it up: the
// last probe leaves after (Count-1)·Interval and gets Wait to answer.
func (o Options) budget() time.Duration {
	return time.Duration(o.Count-1)*o.Interval + o.Wait
}

// Prober pings hosts. It is safe for concurrent use; Concurrency bounds the
// hosts in flight across all concurrent Ping calls.
type Prober struct {
	opts    Options
	log     *slog.Logger
	results *prometheus.CounterVec

	mu   sync.Mutex
	sock *socketKind // nil until the first Ping detects it

	// running counts per-host goroutines. They outlive their verdict by up
	// to ~100 ms because pro-bing notices Stop only when its polling read
	// times out; Close waits for them.
	running sync.WaitGroup
}

// New returns a Prober. The socket mode is detected on the first Ping, not
// here, so constructing a Prober never touches the network. reg may be nil;
// otherwise the counter faultline_ping_results_total{outcome="up|down|error"}
// is registered with it. A nil log discards.
func New(opts Options, log *slog.Logger, reg prometheus.Registerer) *Prober {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Prober{
		opts:    opts.withDefaults(),
		log:     log,
		results: newResultsCounter(reg, log),
	}
}

// Ping probes every host concurrently and returns one result per host, in
// the order given. A host is decided as soon as all its replies are in; a
// silent one Wait after its last probe went out. With raw sockets every
// host is probed at once over one shared socket; with datagram sockets at
// most Concurrency hosts are in flight, and larger batches queue. So when
// every host can be probed at once, Ping returns within
// (Count-1)·Interval + Wait plus a few milliseconds (plus up to Wait for a
// slow DNS answer).
//
// Received == 0 with an empty Error means no reply. Error is set only when
// the check could not run: "cannot resolve host: ...", "cannot route to
// host: ...", ICMP not permitted (saying how to fix it), a local send
// failure, or "cancelled" for hosts not decided when ctx ended, in which
// case Ping returns promptly.
func (p *Prober) Ping(ctx context.Context, hosts []string) []faultline.PingResult {
	sock, err := p.socket()
	if err == nil && len(hosts) > sweepFrom && sweeps {
		results := p.pingShared(ctx, sock.shared, hosts)
		p.count(results)
		return results
	}
	results := make([]faultline.PingResult, len(hosts))
	var verdicts sync.WaitGroup
	for i, host := range hosts {
		results[i].Host = host
		if err != nil {
			results[i].Error = err.Error()
			continue
		}
		verdicts.Add(1)
		p.running.Go(func() {
			p.check(ctx, sock, host, func(r faultline.PingResult) {
				results[i] = r
				verdicts.Done()
			})
		})
	}
	verdicts.Wait()
	p.count(results)
	return results
}

// sweepFrom is the batch above which hosts are probed over one shared
// socket instead of a pro-bing pinger each. A path check (a site's hops,
// a dozen at most) is well below it; a sweep of a building is above.
const sweepFrom = 32

// Close waits until every socket opened by past Ping calls is closed, at
// most ~100 ms after the last Ping returned. Call it once at shutdown, after
// the last Ping has returned.
func (p *Prober) Close() {
	p.running.Wait()
	p.mu.Lock()
	sock := p.sock
	p.mu.Unlock()
	if sock != nil && sock.shared != nil {
		sock.shared.close()
	}
}
