package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline/probe/probetest"

	"github.com/faultline/faultline"
)

// childHostsEnv makes the test binary, run by a test inside a namespace,
// ping the comma-separated hosts it names and print the results as JSON
// instead of running tests.
const childHostsEnv = "FAULTLINE_PROBE_CHILD_HOSTS"

func TestMain(m *testing.M) {
	if hosts := os.Getenv(childHostsEnv); hosts != "" {
		os.Exit(pingChild(strings.Split(hosts, ",")))
	}
	os.Exit(m.Run())
}

func pingChild(hosts []string) int {
	p := New(Options{Wait: 300 * time.Millisecond}, slog.New(slog.DiscardHandler), nil)
	res := p.Ping(context.Background(), hosts)
	p.Close() // hangs, and the parent's timeout fails the test, if a pinger never stops
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		return 2
	}
	return 0
}

// pingInNetns runs pingChild inside ns, behind the wrap command if any.
func pingInNetns(t *testing.T, ns string, wrap []string, hosts ...string) []faultline.PingResult {
	t.Helper()
	bin := copyForNobody(t, os.Args[0])
	out := inNetns(t, ns, []string{childHostsEnv + "=" + strings.Join(hosts, ",")}, wrap, bin)
	var got []faultline.PingResult
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != len(hosts) {
		t.Fatalf("child output is not %d results (%v):\n%s", len(hosts), err, out)
	}
	return got
}

// TestUnprivilegedInNetns runs the real-ICMP tests again inside a fresh
// network namespace whose ping_group_range allows datagram sockets, so the
// unprivileged path is exercised even where the host forbids it.
func TestUnprivilegedInNetns(t *testing.T) {
	if os.Getenv(wantModeEnv) != "" {
		t.Skip("already inside a namespace")
	}
	ns := newNetns(t)
	mustRun(t, "ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647")
	out := inNetns(t, ns, []string{wantModeEnv + "=" + string(Unprivileged)}, nil,
		os.Args[0], "-test.run", "^TestPing", "-test.v")
	t.Logf("inside %s:\n%s", ns, out)
	for _, name := range []string{"TestPingLoopback", "TestPingThousandHosts", "TestPingUnresolvable"} {
		if !strings.Contains(out, "--- PASS: "+name) {
			t.Errorf("%s did not pass inside the namespace:\n%s", name, out)
		}
	}
}

// TestNotPermittedInNetns pings as nobody inside a fresh namespace, whose
// ping_group_range starts at "1 0": neither socket kind is allowed, and every
// host must say so and how to fix it.
func TestNotPermittedInNetns(t *testing.T) {
	if os.Getenv(wantModeEnv) != "" {
		t.Skip("already inside a namespace")
	}
	needTool(t, "setpriv")
	ns := newNetns(t)
	got := pingInNetns(t, ns, []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"},
		"127.0.0.1", "127.0.0.2")
	for _, r := range got {
		for _, want := range []string{"not permitted", "ping_group_range", "CAP_NET_RAW", "setcap cap_net_raw+ep"} {
			if !strings.Contains(r.Error, want) {
				t.Errorf("%s: Error %q does not mention %q", r.Host, r.Error, want)
			}
		}
		if r.Received != 0 || r.Answered() {
			t.Errorf("%s: got %+v, want nothing received", r.Host, r)
		}
	}
}

// TestProhibitedRouteInNetns pings a loopback address whose route prohibits
// sending (EACCES), which would make pro-bing retry forever: the host must
// get an Error and Ping and Close must return.
func TestProhibitedRouteInNetns(t *testing.T) {
	if os.Getenv(wantModeEnv) != "" {
		t.Skip("already inside a namespace")
	}
	ns := newNetns(t)
	prohibited := fmt.Sprintf("127.88.%d.%d", 1+rand.IntN(254), 1+rand.IntN(254))
	// Loopback addresses are found in the local table, consulted first;
	// move it behind a prohibit rule (in this namespace only).
	mustRun(t, "ip", "-n", ns, "rule", "add", "pref", "100", "lookup", "local")
	mustRun(t, "ip", "-n", ns, "rule", "del", "pref", "0")
	mustRun(t, "ip", "-n", ns, "rule", "add", "pref", "10", "prohibit", "to", prohibited)
	got := pingInNetns(t, ns, nil, prohibited, "127.0.0.1")
	if r := got[0]; !strings.Contains(r.Error, "route") || r.Answered() {
		t.Errorf("prohibited %s: got %+v, want a route error", prohibited, r)
	}
	if r := got[1]; !r.Answered() {
		t.Errorf("127.0.0.1 next to a prohibited host: got %+v, want replies", r)
	}
}

// needEnv skips a test this machine cannot run, but fails it in CI, which
// must exercise it.
func needEnv(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("CI must run this test, but %s", why)
	}
	t.Skip(why)
}

// needTool requires root and an installed tool.
func needTool(t testing.TB, tool string) {
	t.Helper()
	if os.Geteuid() != 0 {
		needEnv(t, tool+" needs root")
	}
	if _, err := exec.LookPath(tool); err != nil {
		needEnv(t, tool+" is not installed (apt-get install nftables iproute2 util-linux)")
	}
}

// silentHost returns a loopback address of its own that never answers.
func silentHost(t testing.TB) string {
	t.Helper()
	addr, _ := probetest.SilentHost(t)
	return addr
}

// newNetns creates a network namespace with loopback up, deleted when the
// test ends.
func newNetns(t testing.TB) string {
	t.Helper()
	needTool(t, "ip")
	ns := fmt.Sprintf("fl-probe-%08x", rand.Uint32())
	mustRun(t, "ip", "netns", "add", ns)
	t.Cleanup(func() { run(t, "ip", "netns", "delete", ns) })
	mustRun(t, "ip", "-n", ns, "link", "set", "lo", "up")
	return ns
}

// inNetns runs argv inside ns, behind the wrap command if any, and returns
// its standard output; it fails the test when the command fails.
func inNetns(t testing.TB, ns string, env, wrap []string, argv ...string) string {
	t.Helper()
	args := append(append([]string{"netns", "exec", ns}, wrap...), argv...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ip %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// run runs a command, reporting a failure without stopping the test, as
// cleanups must.
func run(t testing.TB, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func mustRun(t testing.TB, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// copyForNobody copies the test binary where an unprivileged user can run
// it; go test builds it in a directory only its owner may enter.
func copyForNobody(t testing.TB, src string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "fl-probe-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	dst := filepath.Join(dir, "probe.test")
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return dst
}
