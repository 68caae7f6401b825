//go:build !unix

package probe

import (
	"errors"
	"net"
)

// openICMP cannot test sockets here; it lets pro-bing try, and a refusal
// surfaces as each host's Error.
func openICMP(privileged bool) error { return nil }

// listenICMP: the shared sweep socket is for unix systems; elsewhere every
// batch goes to pro-bing.

func listenICMP(int, bool) (net.PacketConn, error) { return nil, errors.ErrUnsupported }

const sweeps = false
