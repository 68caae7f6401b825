//go:build unix

package probe

import (
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
