//go:build !unix

package probe

// openICMP cannot test sockets here; it lets pro-bing try, and a refusal
// surfaces as each host's Error.
func openICMP(privileged bool) error {
	return nil
}
