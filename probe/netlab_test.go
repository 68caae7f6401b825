package probe_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/probe"
	"github.com/faultline/faultline/probe/probetest"
)

// These tests run the real prober against the Office lab (probetest.Office)
// and judge each site's path, so that what Judge concludes from real
// silence (a dead router, a dead line, a router that filters ICMP, a cut
// link) is what an operator would conclude from the network. Each builds
// its own lab, so they run in parallel.

// Hop statuses, short, for the expected paths below.
const (
	up       = faultline.HopUp
	down     = faultline.HopDown
	behind   = faultline.HopBehind
	filtered = faultline.HopFiltered
)

var healthy = faultline.Verdict{Kind: faultline.VerdictHealthy, Failing: -1, Status: []faultline.HopStatus{up, up, up, up}}

// newOffice builds the Office lab and a prober for it; the prober is
// closed before the lab is torn down.
func newOffice(t *testing.T) (*probetest.Office, *probe.Prober) {
	t.Helper()
	o := probetest.OfficeLab(t)
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	p := probe.New(probe.Options{Wait: 300 * time.Millisecond}, log, nil)
	t.Cleanup(p.Close)
	return o, p
}

// checkSites pings every hop of every site in one batch, judges each
// site's path and compares the verdicts with want, by site name. when says
// what the lab is like now, for the failure message.
func checkSites(t *testing.T, o *probetest.Office, p *probe.Prober, when string, want map[string]faultline.Verdict) {
	t.Helper()
	sites := o.Sites()
	var hosts []string
	for _, s := range sites {
		for _, h := range s.Path {
			if !slices.Contains(hosts, h.Host) {
				hosts = append(hosts, h.Host)
			}
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	got := map[string]faultline.PingResult{}
	for _, r := range p.Ping(ctx, hosts) {
		got[r.Host] = r
	}
	failed := false
	for _, s := range sites {
		w, ok := want[s.Name]
		if !ok {
			t.Fatalf("%s: no verdict expected for site %s", when, s.Name)
		}
		results := make([]faultline.PingResult, len(s.Path))
		for i, h := range s.Path {
			results[i] = got[h.Host]
		}
		v := faultline.Judge(s.Path, results)
		if v.Kind != w.Kind || v.Failing != w.Failing || !slices.Equal(v.Status, w.Status) {
			failed = true
			t.Errorf("%s: site %s: got %s failing at %d %v, want %s failing at %d %v\n%s",
				when, s.Name, v.Kind, v.Failing, v.Status, w.Kind, w.Failing, w.Status, describe(s.Path, results))
		}
	}
	if failed {
		t.Logf("%s: the lab:\n%s", when, o.Describe())
	}
}

func describe(path []faultline.Hop, results []faultline.PingResult) string {
	var b strings.Builder
	for i, h := range path {
		r := results[i]
		fmt.Fprintf(&b, "  %d %-8s %-15s %-6s sent %d received %d %s\n", i, h.Name, h.Host, h.Kind, r.Sent, r.Received, r.Error)
	}
	return b.String()
}

func allSites(v faultline.Verdict) map[string]faultline.Verdict {
	return map[string]faultline.Verdict{"A": v, "B": v, "C": v}
}

// TestLabHealthy: with every router up, every hop of every site answers.
func TestLabHealthy(t *testing.T) {
	t.Parallel()
	o, p := newOffice(t)
	checkSites(t, o, p, "all up", allSites(healthy))
}

// TestLabLineBreak: when the shared line dies, all three sites are blamed
// on the line, not on their offices, and what lies behind it is only
// unreachable. The lab answers first, as a network does before a failure,
// so the routers' ARP caches are warm and only dropping what the dead
// router would forward silences what lies behind it.
func TestLabLineBreak(t *testing.T) {
	t.Parallel()
	o, p := newOffice(t)
	checkSites(t, o, p, "before", allSites(healthy))
	o.HQLine.Break()
	checkSites(t, o, p, "hqline broken", allSites(faultline.Verdict{
		Kind: faultline.VerdictLine, Failing: 1, Status: []faultline.HopStatus{up, down, behind, behind},
	}))
}

// TestLabOfficeBreak: a dead office router fails its own site only.
func TestLabOfficeBreak(t *testing.T) {
	t.Parallel()
	o, p := newOffice(t)
	checkSites(t, o, p, "before", allSites(healthy))
	o.OfficeA.Break()
	checkSites(t, o, p, "officeA broken", map[string]faultline.Verdict{
		"A": {Kind: faultline.VerdictDevice, Failing: 2, Status: []faultline.HopStatus{up, up, down, behind}},
		"B": healthy,
		"C": healthy,
	})
}

// TestLabCoreIgnoresPing: a router that filters ICMP but forwards is not
// blamed, because the hops behind it answer.
func TestLabCoreIgnoresPing(t *testing.T) {
	t.Parallel()
	o, p := newOffice(t)
	checkSites(t, o, p, "before", allSites(healthy))
	o.HQCore.IgnorePing()
	checkSites(t, o, p, "hqcore ignores ping", allSites(faultline.Verdict{
		Kind: faultline.VerdictHealthy, Failing: -1, Status: []faultline.HopStatus{filtered, up, up, up},
	}))
}

// TestLabCutLink: a link taken down silences the router behind it and its
// subtree, whether it is the bot's own link or an office's line, and
// bringing it up restores the routes that went down with it.
func TestLabCutLink(t *testing.T) {
	t.Parallel()
	o, p := newOffice(t)

	restore := o.CutLink(o.HQLine, o.OfficeC)
	checkSites(t, o, p, "hqline–officeC cut", map[string]faultline.Verdict{
		"A": healthy,
		"B": healthy,
		"C": {Kind: faultline.VerdictDevice, Failing: 2, Status: []faultline.HopStatus{up, up, down, behind}},
	})
	restore()
	checkSites(t, o, p, "hqline–officeC restored", allSites(healthy))

	restore = o.CutLink(o.Root(), o.HQCore)
	checkSites(t, o, p, "bot–hqcore cut", allSites(faultline.Verdict{
		Kind: faultline.VerdictDevice, Failing: 0, Status: []faultline.HopStatus{down, behind, behind, behind},
	}))
	restore()
	restore() // a second call does nothing
	checkSites(t, o, p, "bot–hqcore restored", allSites(healthy))
}

// TestLabRestore: undoing a break or a filter makes everything answer
// again, also when several were in force at once and are undone in any
// order.
func TestLabRestore(t *testing.T) {
	t.Parallel()
	o, p := newOffice(t)

	revive := o.HQLine.Break()
	checkSites(t, o, p, "hqline broken", allSites(faultline.Verdict{
		Kind: faultline.VerdictLine, Failing: 1, Status: []faultline.HopStatus{up, down, behind, behind},
	}))
	revive()
	checkSites(t, o, p, "hqline revived", allSites(healthy))

	answer := o.HQCore.IgnorePing()
	reviveB := o.OfficeB.Break()
	reviveSwitch := o.SwitchC.Break()
	checkSites(t, o, p, "hqcore filtering, officeB and switchC broken", map[string]faultline.Verdict{
		"A": {Kind: faultline.VerdictHealthy, Failing: -1, Status: []faultline.HopStatus{filtered, up, up, up}},
		"B": {Kind: faultline.VerdictDevice, Failing: 2, Status: []faultline.HopStatus{filtered, up, down, behind}},
		"C": {Kind: faultline.VerdictDevice, Failing: 3, Status: []faultline.HopStatus{filtered, up, up, down}},
	})
	answer()
	reviveSwitch()
	checkSites(t, o, p, "officeB still broken", map[string]faultline.Verdict{
		"A": healthy,
		"B": {Kind: faultline.VerdictDevice, Failing: 2, Status: []faultline.HopStatus{up, up, down, behind}},
		"C": healthy,
	})
	reviveB()
	checkSites(t, o, p, "all revived", allSites(healthy))
}
