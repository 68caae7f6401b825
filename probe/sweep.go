package probe

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/faultline/faultline"
)

// pingShared pings hosts over the shared raw sockets: every host at once,
// each host's probes Interval apart, and a host is decided when all its
// replies are in or Wait after its last probe went out.
func (p *Prober) pingShared(ctx context.Context, sh *shared, hosts []string) []faultline.PingResult {
	results := make([]faultline.PingResult, len(hosts))
	addrs := p.resolveAll(ctx, hosts, results)
	var (
		mu       sync.Mutex
		finished bool
		sums     = make([]time.Duration, len(hosts))
		awaited  int // replies still to come from hosts still being probed
		allIn    = make(chan struct{})
		echoes   []*echo
		lastSend time.Time
	)
	settle := func(n int) { // mu is held
		if awaited -= n; awaited == 0 {
			close(allIn)
		}
	}
	live := 0
	for i := range hosts {
		if results[i].Error == "" {
			live++
		}
	}
	awaited = live * p.opts.Count
	if awaited == 0 {
		close(allIn)
	}
	for round := 0; round < p.opts.Count && ctx.Err() == nil; round++ {
		start := time.Now()
		for i := range hosts {
			if results[i].Error != "" || ctx.Err() != nil {
				continue
			}
			e := &echo{to: addrs[i]}
			e.answer = func(rtt time.Duration) {
				mu.Lock()
				defer mu.Unlock()
				if finished {
					return
				}
				r := &results[i]
				if r.Received == 0 || rtt < r.MinRTT {
					r.MinRTT = rtt
				}
				r.MaxRTT = max(r.MaxRTT, rtt)
				r.Received++
				sums[i] += rtt
				settle(1)
			}
			err := sh.send(ctx, e)
			mu.Lock()
			switch {
			case err == nil:
				results[i].Sent++
				echoes, lastSend = append(echoes, e), e.sent
			case ctx.Err() == nil:
				results[i].Error = sendError(err)
				settle(p.opts.Count - round) // these replies will never come
			}
			mu.Unlock()
		}
		if round+1 < p.opts.Count {
			select {
			case <-time.After(time.Until(start.Add(p.opts.Interval))):
			case <-ctx.Done():
			}
		}
	}
	if !lastSend.IsZero() {
		timer := time.NewTimer(time.Until(lastSend.Add(p.opts.Wait)))
		select {
		case <-allIn:
		case <-timer.C:
		case <-ctx.Done():
		}
		timer.Stop()
	}
	sh.forgetAll(echoes)
	mu.Lock()
	defer mu.Unlock()
	finished = true
	for i := range results {
		r := &results[i]
		if ctx.Err() != nil && r.Error == "" && r.Received < p.opts.Count {
			*r = faultline.PingResult{Host: r.Host, Error: errCancelled}
			continue
		}
		if r.Received > 0 {
			r.AvgRTT = sums[i] / time.Duration(r.Received)
		}
	}
	return results
}

// resolveAll resolves every host (names at most 64 at once, each within
// Wait) and checks there is a route to it; a host that fails either gets
// its Error in results.
func (p *Prober) resolveAll(ctx context.Context, hosts []string, results []faultline.PingResult) []netip.Addr {
	addrs := make([]netip.Addr, len(hosts))
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for i, host := range hosts {
		results[i].Host = host
		if a, err := netip.ParseAddr(host); err == nil {
			addrs[i] = a.Unmap()
			if err := routeCheck(a.Unmap()); err != nil {
				results[i].Error = "cannot route to host: " + err.Error()
			}
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			addr, err := p.resolve(ctx, host)
			if err != nil {
				results[i].Error = resolveError(ctx, err)
				return
			}
			a, _ := netip.AddrFromSlice(addr.IP)
			addrs[i] = a.Unmap()
			if err := routeCheck(addrs[i]); err != nil {
				results[i].Error = "cannot route to host: " + err.Error()
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		for i := range results {
			results[i].Error = errCancelled
		}
	}
	return addrs
}

// sendError says why a probe could not leave: no route, or a local
// firewall refusing it (EPERM), or something else the kernel said.
func sendError(err error) string {
	switch {
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.EACCES):
		return "cannot route to host: " + err.Error()
	case errors.Is(err, syscall.EPERM):
		return "ping: sending refused by a local firewall: " + err.Error()
	}
	return err.Error()
}
