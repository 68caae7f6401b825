package probetest

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Need skips a test this machine cannot run (not root, a tool missing),
// but fails it when CI is set: CI must exercise it.
func Need(t testing.TB, tool string) {
	t.Helper()
	why := ""
	switch _, err := exec.LookPath(tool); {
	case os.Geteuid() != 0:
		why = tool + " needs root"
	case err != nil:
		why = tool + " is not installed (apt-get install nftables iproute2)"
	default:
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI must run this test, but %s", why)
	}
	t.Skip(why)
}

// SilentHost returns a loopback address of its own (127.77.x.y) whose echo
// requests an nftables table drops on input, so pings to it are sent and
// never answered. answer removes the rule (the host answers again); the
// rule is removed at the end of the test in any case. Only loopback is
// ever involved.
func SilentHost(t testing.TB) (addr string, answer func()) {
	t.Helper()
	Need(t, "nft")
	addr = fmt.Sprintf("127.77.%d.%d", 1+rand.IntN(254), 1+rand.IntN(254))
	table := fmt.Sprintf("fl_test_%08x", rand.Uint32())
	ruleset := fmt.Sprintf(`table ip %s {
	chain input {
		type filter hook input priority 0; policy accept;
		ip daddr %s icmp type echo-request drop
	}
}
`, table, addr)
	cmd := exec.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(ruleset)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft -f: %v\n%s", err, out)
	}
	removed := false
	answer = func() {
		if removed {
			return
		}
		removed = true
		if out, err := exec.Command("nft", "delete", "table", "ip", table).CombinedOutput(); err != nil {
			t.Errorf("nft delete table %s: %v\n%s", table, err, out)
		}
	}
	t.Cleanup(answer)
	return addr, answer
}
