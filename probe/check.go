package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/faultline/faultline"
	probing "github.com/prometheus-community/pro-bing"
)

const errCancelled = "cancelled"

// check decides one host and hands the result to deliver exactly once. It
// returns only after pro-bing has closed the socket, which may be well after
// the verdict; the slot is held until then so Concurrency bounds open sockets.
func (p *Prober) check(ctx context.Context, sock *socketKind, host string, deliver func(faultline.PingResult)) {
	failed := func(msg string) { deliver(faultline.PingResult{Host: host, Error: msg}) }
	if ctx.Err() != nil {
		failed(errCancelled)
		return
	}
	addr, err := p.resolve(ctx, host)
	if err != nil {
		failed(resolveError(ctx, err))
		return
	}
	a, _ := netip.AddrFromSlice(addr.IP)
	if err := routeCheck(a.Unmap().WithZone(addr.Zone)); err != nil {
		failed("cannot route to host: " + err.Error())
		return
	}
	select {
	case sock.slots <- struct{}{}:
	case <-ctx.Done():
		failed(errCancelled)
		return
	}
	defer func() { <-sock.slots }()
	p.run(ctx, sock, addr, &tally{want: p.opts.Count, wait: p.opts.Wait, res: faultline.PingResult{Host: host}, deliver: deliver})
}

// run pings addr. The verdict comes from whichever happens first: the last
// reply (OnRecv), Wait passing after the last probe went out (OnSend),
// ctx ending, or Run ending. The wait counts from the last send, not from
// the start: on a loaded machine a pinger may start, and send, late, and
// its hosts must not be judged silent for that.
func (p *Prober) run(ctx context.Context, sock *socketKind, addr *net.IPAddr, t *tally) {
	pinger := p.pinger(addr, sock.privileged, t)
	t.stop = pinger.Stop
	stopCancel := context.AfterFunc(ctx, func() { t.finish(errCancelled) })
	err := pinger.RunWithContext(ctx)
	stopCancel()
	t.stopTimer()
	t.finish(runError(ctx, sock.mode(), err))
}

func (p *Prober) pinger(addr *net.IPAddr, privileged bool, t *tally) *probing.Pinger {
	pg := probing.New(addr.String())
	pg.SetIPAddr(addr)
	pg.SetPrivileged(privileged)
	pg.SetLogger(probingLogger{log: p.log.With("host", t.res.Host)})
	pg.Count = p.opts.Count
	pg.Interval = p.opts.Interval
	// An outer bound only: the verdict normally comes Wait after the last
	// send. This one stops a pinger whose sends are held up for longer than
	// Wait and a second besides.
	pg.Timeout = p.opts.budget() + p.opts.Wait + time.Second
	// Both default to keeping every sample; tally keeps what is needed.
	pg.RecordRtts = false
	pg.RecordTTLs = false
	pg.OnSend = t.sent
	pg.OnRecv = t.received
	return pg
}

// resolve looks host up and prefers IPv4, since paths are configured as
// LAN and WAN hops that usually answer on IPv4 only. A DNS answer slower
// than Wait counts as a failure, so a dead resolver cannot hold Ping for
// its own timeouts and retries.
func (p *Prober) resolve(ctx context.Context, host string) (*net.IPAddr, error) {
	ctx, cancel := context.WithTimeout(ctx, p.opts.Wait)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, errors.New("no addresses")
	}
	best := addrs[0].Unmap()
	for _, a := range addrs {
		if a.Unmap().Is4() {
			best = a.Unmap()
			break
		}
	}
	return &net.IPAddr{IP: best.AsSlice(), Zone: best.Zone()}, nil
}

// routeCheck asks the kernel for a route to addr by connecting a UDP
// socket, which sends nothing. pro-bing retries a send refused with EACCES
// (a "prohibit" route) forever, spinning a CPU and never closing its socket,
// so such hosts must not reach it.
func routeCheck(addr netip.Addr) error {
	c, err := net.DialUDP("udp", nil, &net.UDPAddr{IP: addr.AsSlice(), Zone: addr.Zone(), Port: 9})
	var op *net.OpError
	if errors.As(err, &op) {
		return op.Err // "connect: permission denied", without the port
	}
	if err != nil {
		return err
	}
	return c.Close()
}

func resolveError(ctx context.Context, err error) string {
	if ctx.Err() != nil {
		return errCancelled
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "cannot resolve host: " + dnsErr.Err
	}
	return "cannot resolve host: " + err.Error()
}

// runError is the Error for a finished Run. nil is no error: Run returns
// nil when its timeout hits, whatever was received.
func runError(ctx context.Context, mode Mode, err error) string {
	switch {
	case err == nil:
		return ""
	case ctx.Err() != nil:
		return errCancelled
	case listenFailed(err):
		return permission(mode, err).Error()
	}
	return fmt.Sprintf("ping: %v", err)
}

// tally collects one host's replies from pro-bing's callbacks, which run on
// its goroutines, and delivers the verdict once.
type tally struct {
	want    int
	wait    time.Duration
	deliver func(faultline.PingResult)
	stop    func()

	mu    sync.Mutex
	res   faultline.PingResult
	sum   time.Duration
	timer *time.Timer // runs from the last send
	once  sync.Once
}

func (t *tally) sent(*probing.Packet) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.res.Sent++
	if t.res.Sent == t.want && t.timer == nil {
		t.timer = time.AfterFunc(t.wait, func() { t.finish("") })
	}
}

func (t *tally) stopTimer() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.timer != nil {
		t.timer.Stop()
	}
}

func (t *tally) received(pkt *probing.Packet) {
	t.mu.Lock()
	r := &t.res
	if r.Received == 0 || pkt.Rtt < r.MinRTT {
		r.MinRTT = pkt.Rtt
	}
	r.MaxRTT = max(r.MaxRTT, pkt.Rtt)
	r.Received++
	t.sum += pkt.Rtt
	full := r.Received >= t.want
	t.mu.Unlock()
	if full {
		t.finish("")
	}
}

// finish delivers the result on the first call and stops the pinger; later
// calls do nothing.
func (t *tally) finish(errMsg string) {
	t.once.Do(func() {
		t.mu.Lock()
		r := t.res
		if r.Received > 0 {
			r.AvgRTT = t.sum / time.Duration(r.Received)
		}
		t.mu.Unlock()
		r.Error = errMsg
		t.deliver(r)
		t.stop()
	})
}
