package probe

import (
	"net"
	"syscall"
)

// growReadBuffer asks for a receive buffer of n bytes, beyond
// net.core.rmem_max when the process may (SO_RCVBUFFORCE, which root
// usually can), else as much as rmem_max allows. A sweep's replies can
// arrive faster than a starved reader takes them.
func growReadBuffer(c net.PacketConn, n int) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) {
		if syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, n) != nil {
			_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, n)
		}
	})
}
