//go:build !linux

package probe

import "net"

// growReadBuffer asks for a receive buffer of n bytes where the platform
// lets it be set.
func growReadBuffer(c net.PacketConn, n int) {
	if b, ok := c.(interface{ SetReadBuffer(int) error }); ok {
		_ = b.SetReadBuffer(n)
	}
}
