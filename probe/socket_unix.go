//go:build unix

package probe

import (
	"fmt"
	"net"
	"os"
	"syscall"
)

// openICMP opens and closes the kind of IPv4 ICMP socket pro-bing would
// open, to learn whether the kernel allows it. ping_group_range governs IPv4
// and IPv6 datagram sockets alike.
func openICMP(privileged bool) error {
	typ := syscall.SOCK_DGRAM
	if privileged {
		typ = syscall.SOCK_RAW
	}
	fd, err := syscall.Socket(syscall.AF_INET, typ, syscall.IPPROTO_ICMP)
	if err != nil {
		return os.NewSyscallError("socket", err)
	}
	return syscall.Close(fd)
}

// listenICMP opens the shared prober's socket for IP version 4 or 6: raw,
// or a datagram ICMP socket, which is what golang.org/x/net/icmp opens for
// "udp4" too (the kernel sets the echo identifier, and addresses are
// net.UDPAddr).
func listenICMP(version int, privileged bool) (net.PacketConn, error) {
	if privileged {
		if version == 4 {
			return net.ListenPacket("ip4:icmp", "0.0.0.0")
		}
		return net.ListenPacket("ip6:ipv6-icmp", "::")
	}
	family, proto := syscall.AF_INET, syscall.IPPROTO_ICMP
	var sa syscall.Sockaddr = &syscall.SockaddrInet4{}
	if version == 6 {
		family, proto, sa = syscall.AF_INET6, syscall.IPPROTO_ICMPV6, &syscall.SockaddrInet6{}
	}
	fd, err := syscall.Socket(family, syscall.SOCK_DGRAM, proto)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	syscall.CloseOnExec(fd)
	if err := syscall.Bind(fd, sa); err != nil {
		syscall.Close(fd)
		return nil, os.NewSyscallError("bind", err)
	}
	f := os.NewFile(uintptr(fd), fmt.Sprintf("icmp%d", version))
	defer f.Close()
	return net.FilePacketConn(f)
}

// sweeps says whether this platform has the shared sweep socket.
const sweeps = true
