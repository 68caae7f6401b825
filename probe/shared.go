package probe

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// shared is the sweep prober: one ICMP socket per address family for every
// host of a large batch, and one reader that hands each echo reply to the
// probe waiting for it. A socket per host (as pro-bing opens) costs a
// socket, three goroutines and a polling reader per host, and with raw
// sockets worse: the kernel gives every raw ICMP socket a copy of every
// ICMP packet, so each reply costs as many copies as there are hosts in
// flight. On a loaded machine a thousand of those fall behind, and replies
// are lost; one socket does not.
//
// Replies are told from other programs' pings by the echo identifier (on
// raw sockets, where every process sees every reply) and by a random tag
// in the payload, and matched to their probe by sequence number and source
// address.
type shared struct {
	privileged bool // raw sockets; otherwise datagram ("unprivileged") ones
	id         int
	tag        [8]byte
	log        *slog.Logger

	// window bounds the probes sent whose reply may still be queued in the
	// socket's buffer, so a burst never overflows it: a slot is freed by
	// the reply, or by windowHold passing (a silent host's probes do not
	// hold the sender up for Wait).
	window chan struct{}

	mu      sync.Mutex
	conns   map[int]net.PacketConn // by IP version, opened on first use
	waiting map[uint16]*echo       // by sequence number
	seq     uint16
	closed  bool
	readers sync.WaitGroup
}

const (
	windowSize = 128
	windowHold = 50 * time.Millisecond
	rcvBuf     = 4 << 20
)

// echo is one probe in flight.
type echo struct {
	to     netip.Addr
	sent   time.Time
	answer func(rtt time.Duration) // called once, by the reader
	free   sync.Once
	window chan struct{}
}

func (e *echo) release() { e.free.Do(func() { <-e.window }) }

func newShared(privileged bool, log *slog.Logger) (*shared, error) {
	id, err := rand.Int(rand.Reader, big.NewInt(1<<16))
	if err != nil {
		return nil, err
	}
	s := &shared{privileged: privileged, id: int(id.Int64()), log: log, window: make(chan struct{}, windowSize),
		conns: map[int]net.PacketConn{}, waiting: map[uint16]*echo{}}
	if _, err := rand.Read(s.tag[:]); err != nil {
		return nil, err
	}
	return s, nil
}

// conn returns the socket for addr's family, opening it and its reader on
// first use.
func (s *shared) conn(addr netip.Addr) (net.PacketConn, error) {
	version := 4
	if !addr.Is4() {
		version = 6
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("prober is closed")
	}
	if c := s.conns[version]; c != nil {
		return c, nil
	}
	c, err := listenICMP(version, s.privileged)
	if err != nil {
		return nil, err
	}
	s.tune(c, version)
	s.conns[version] = c
	s.readers.Add(1)
	go s.read(c, version)
	return c, nil
}

// tune asks for a large receive buffer and, on raw sockets where the
// kernel filters ICMP types, for echo replies only (a datagram socket gets
// only its own replies anyway).
func (s *shared) tune(c net.PacketConn, version int) {
	growReadBuffer(c, rcvBuf)
	if !s.privileged {
		return
	}
	var err error
	if version == 4 {
		var f ipv4.ICMPFilter
		f.SetAll(true)
		f.Accept(ipv4.ICMPTypeEchoReply)
		err = ipv4.NewPacketConn(c).SetICMPFilter(&f)
	} else {
		var f ipv6.ICMPFilter
		f.SetAll(true)
		f.Accept(ipv6.ICMPTypeEchoReply)
		err = ipv6.NewPacketConn(c).SetICMPFilter(&f)
	}
	if err != nil {
		s.log.Debug("icmp filter not set; every ICMP packet is read", "err", err)
	}
}

// send sends one echo request to e.to and registers e for its reply. It
// waits for a window slot first.
func (s *shared) send(ctx context.Context, e *echo) error {
	c, err := s.conn(e.to)
	if err != nil {
		return err
	}
	select {
	case s.window <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	e.window = s.window
	s.mu.Lock()
	seq := s.nextSeq()
	e.sent = time.Now()
	s.waiting[seq] = e
	s.mu.Unlock()
	payload := make([]byte, 16)
	binary.BigEndian.PutUint64(payload, uint64(e.sent.UnixNano()))
	copy(payload[8:], s.tag[:])
	m := icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: s.id, Seq: int(seq), Data: payload}}
	if !e.to.Is4() {
		m.Type = ipv6.ICMPTypeEchoRequest // the kernel fills in the checksum
	}
	b, err := m.Marshal(nil)
	if err == nil {
		_, err = c.WriteTo(b, s.sockaddr(e.to))
	}
	if err != nil {
		s.forget(seq)
		e.release()
		return fmt.Errorf("ping: sendto: %w", err)
	}
	time.AfterFunc(windowHold, e.release)
	return nil
}

// sockaddr is where a packet to addr goes: an IP address for a raw
// socket, a "UDP" address (its port unused) for a datagram ICMP socket.
func (s *shared) sockaddr(addr netip.Addr) net.Addr {
	if s.privileged {
		return &net.IPAddr{IP: addr.AsSlice(), Zone: addr.Zone()}
	}
	return &net.UDPAddr{IP: addr.AsSlice(), Zone: addr.Zone()}
}

// nextSeq is a sequence number no probe in flight has; s.mu is held.
func (s *shared) nextSeq() uint16 {
	for {
		s.seq++
		if _, taken := s.waiting[s.seq]; !taken {
			return s.seq
		}
	}
}

func (s *shared) forget(seq uint16) {
	s.mu.Lock()
	delete(s.waiting, seq)
	s.mu.Unlock()
}

// forgetAll drops the probes of a finished Ping whose replies never came.
func (s *shared) forgetAll(es []*echo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for seq, e := range s.waiting {
		for _, mine := range es {
			if e == mine {
				delete(s.waiting, seq)
			}
		}
	}
}

// read hands each echo reply on c to its probe, until c is closed.
func (s *shared) read(c net.PacketConn, version int) {
	defer s.readers.Done()
	proto := 1 // ICMP
	if version == 6 {
		proto = 58 // ICMPv6
	}
	buf := make([]byte, 1500)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.log.Warn("icmp read", "err", err)
			}
			return
		}
		at := time.Now()
		m, err := icmp.ParseMessage(proto, buf[:n])
		if err != nil || (m.Type != ipv4.ICMPTypeEchoReply && m.Type != ipv6.ICMPTypeEchoReply) {
			continue
		}
		body, ok := m.Body.(*icmp.Echo)
		// A datagram socket's identifier is set by the kernel, which hands
		// it only its own replies; a raw socket sees everyone's.
		if !ok || (s.privileged && body.ID != s.id) || len(body.Data) < 16 || !bytes.Equal(body.Data[8:16], s.tag[:]) {
			continue // another program's ping, or one of ours from an earlier run
		}
		src := sourceOf(from)
		s.mu.Lock()
		e := s.waiting[uint16(body.Seq)]
		if e != nil && e.to.Unmap() == src.Unmap() {
			delete(s.waiting, uint16(body.Seq))
		} else {
			e = nil
		}
		s.mu.Unlock()
		if e != nil {
			e.release()
			e.answer(at.Sub(e.sent))
		}
	}
}

func sourceOf(from net.Addr) netip.Addr {
	var ip net.IP
	switch a := from.(type) {
	case *net.IPAddr:
		ip = a.IP
	case *net.UDPAddr:
		ip = a.IP
	}
	addr, _ := netip.AddrFromSlice(ip)
	return addr
}

// close closes the sockets and waits for their readers.
func (s *shared) close() {
	s.mu.Lock()
	s.closed = true
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.readers.Wait()
}
