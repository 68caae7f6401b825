package probe

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// socketKind is the detected socket mode and the slots that bound the hosts
// pinged at once.
type socketKind struct {
	privileged bool
	slots      chan struct{} // pro-bing pingers at once
	shared     *shared       // the sweep's one socket per family
}

func (s *socketKind) mode() Mode {
	if s.privileged {
		return Privileged
	}
	return Unprivileged
}

// socket detects the socket mode on first use and caches it. A failure is
// not cached: two socket calls are cheap, and a fixed sysctl or capability
// then takes effect without a restart.
func (p *Prober) socket() (*socketKind, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sock != nil {
		return p.sock, nil
	}
	privileged, err := detect(p.opts.Mode)
	if err != nil {
		return nil, err
	}
	n := p.opts.Concurrency
	if n <= 0 {
		n = defaultConcurrency(privileged)
	}
	sock := &socketKind{privileged: privileged, slots: make(chan struct{}, n)}
	if sock.shared, err = newShared(privileged, p.log); err != nil {
		return nil, err
	}
	p.log.Info("icmp socket mode chosen", "mode", sock.mode(), "concurrency", n)
	p.sock = sock
	return sock, nil
}

// defaultConcurrency is how many pro-bing pingers, each with its own
// socket, run at once across concurrent path checks: lower for raw sockets,
// because each one receives a copy of every ICMP packet. Sweeps do not use
// it: they share one socket (see shared).
func defaultConcurrency(privileged bool) int {
	if privileged {
		return 64
	}
	return 256
}

// detect reports whether raw sockets are to be used, trying datagram sockets
// first in Auto. It falls back only when the kernel refuses datagram sockets,
// not on transient errors such as running out of file descriptors.
func detect(mode Mode) (privileged bool, err error) {
	switch mode {
	case Unprivileged:
		return false, permission(mode, openICMP(false))
	case Privileged:
		return true, permission(mode, openICMP(true))
	}
	err = openICMP(false)
	if !refused(err) {
		return false, permission(mode, err)
	}
	if err = openICMP(true); err != nil {
		return true, permission(mode, err)
	}
	return true, nil
}

// refused reports whether err is the kernel saying "not allowed" rather
// than a transient failure: EACCES from ping_group_range, EPERM without
// CAP_NET_RAW, or a kernel built without datagram ICMP sockets.
func refused(err error) bool {
	return errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) ||
		errors.Is(err, syscall.EPROTONOSUPPORT)
}

// permission turns a refused socket into a message that says how to fix it;
// other errors pass through with context.
func permission(mode Mode, err error) error {
	if err == nil {
		return nil
	}
	if !refused(err) {
		return fmt.Errorf("cannot open ICMP socket: %w", err)
	}
	const (
		dgram = "unprivileged ICMP is forbidden by net.ipv4.ping_group_range"
		raw   = "raw ICMP sockets need root or CAP_NET_RAW"
		sysct = "sysctl -w net.ipv4.ping_group_range=\"0 2147483647\""
		capab = "setcap cap_net_raw+ep faultline"
	)
	switch mode {
	case Unprivileged:
		return fmt.Errorf("ICMP not permitted: %s; allow it with `%s`", dgram, sysct)
	case Privileged:
		return fmt.Errorf("ICMP not permitted: %s; grant it with `%s`", raw, capab)
	}
	return fmt.Errorf("ICMP not permitted: %s and %s; fix with `%s` or `%s`", dgram, raw, sysct, capab)
}

// listenFailed reports whether err from pro-bing's Run came from opening the
// socket, as opposed to sending (where EPERM means a local firewall).
func listenFailed(err error) bool {
	var se *os.SyscallError
	return errors.As(err, &se) && se.Syscall == "socket"
}
