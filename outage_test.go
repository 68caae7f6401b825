package faultline_test

import (
	"testing"
	"time"

	"github.com/faultline/faultline"
)

var (
	line  = faultline.Hop{Name: "HQ line", Host: "127.9.0.1", Kind: faultline.KindLine, Line: "ct-1"}
	hq    = faultline.Hop{Name: "HQ", Host: "127.9.9.1", Kind: faultline.KindHQ}
	siteA = faultline.Site{Name: "office-a", Path: []faultline.Hop{{Name: "A gw", Host: "127.1.0.1"}, line, hq}}
	siteB = faultline.Site{Name: "office-b", Path: []faultline.Hop{{Name: "B gw", Host: "127.2.0.1"},
		{Name: "line (as B calls it)", Host: "127.9.0.1", Kind: faultline.KindLine, Line: "ct-1"}, hq}}
	siteC = faultline.Site{Name: "office-c", Path: []faultline.Hop{{Name: "C gw", Host: "127.3.0.1"}}}
)

func verdictAt(i int) faultline.Verdict {
	return faultline.Verdict{Kind: faultline.VerdictDevice, Failing: i}
}

// A hop is one hop across sites by its line, device or host; an open
// ticket covers the sites behind its failing hop; a report joins it when
// its own check fails there or further down, and not when the path
// answers or breaks before it.
func TestOutageRules(t *testing.T) {
	if got := faultline.SitesBehind([]faultline.Site{siteA, siteB, siteC}, faultline.HopKey(line)); len(got) != 2 || got[1] != "office-b" {
		t.Fatalf("sites behind the line: %v", got)
	}
	outage := faultline.Fault{Site: "office-a", State: faultline.FaultTaken, Reporter: "U1", Verdict: faultline.VerdictLine, HopKey: faultline.HopKey(line)}
	if !outage.Covers(siteB) || outage.Covers(siteC) {
		t.Fatal("covers: the line's outage must cover office-b and not office-c")
	}
	pc := faultline.Fault{Site: "office-a", State: faultline.FaultOpen, Reporter: "U1", Verdict: faultline.VerdictHealthy}
	if pc.Covers(siteA) {
		t.Fatal("a ticket whose path answered (one person's PC) is no outage to join")
	}
	pending := faultline.Fault{Site: "office-a", State: faultline.FaultOpen, Reporter: "U1"}
	if !pending.Covers(siteA) || pending.Covers(siteB) {
		t.Fatal("a ticket not yet checked covers its own site only")
	}
	closed := outage
	closed.State = faultline.FaultClosed
	if closed.Covers(siteA) {
		t.Fatal("a closed ticket covers nothing")
	}
	for _, tt := range []struct {
		name string
		t    faultline.Fault
		site faultline.Site
		v    faultline.Verdict
		want bool
	}{
		{"same hop from another site", outage, siteB, verdictAt(1), true},
		{"further down the same path", outage, siteA, verdictAt(2), true},
		{"before the outage's hop", outage, siteA, verdictAt(0), false},
		{"every hop answers", outage, siteA, faultline.Verdict{Kind: faultline.VerdictHealthy, Failing: -1}, false},
		{"unknown", outage, siteA, faultline.Verdict{Kind: faultline.VerdictUnknown, Failing: 1}, false},
		{"pending ticket, a break", pending, siteA, verdictAt(0), true},
		{"pending ticket, healthy", pending, siteA, faultline.Verdict{Kind: faultline.VerdictHealthy, Failing: -1}, false},
		{"monitor ticket whatever the check", faultline.Fault{Site: "office-a", Reporter: faultline.ActorBot}, siteA,
			faultline.Verdict{Kind: faultline.VerdictHealthy, Failing: -1}, true},
	} {
		if got := tt.t.Joins(tt.site, tt.site.Path, tt.v); got != tt.want {
			t.Errorf("%s: joins = %v", tt.name, got)
		}
	}
	if h, ok := faultline.FindHop([]faultline.Site{siteA, siteB}, "hq"); !ok || h.Host != "127.9.9.1" {
		t.Fatal("a hop two sites share is one hop to name")
	}
	twin := faultline.Site{Name: "office-d", Path: []faultline.Hop{{Name: "A gw", Host: "127.4.0.1"}}}
	if _, ok := faultline.FindHop([]faultline.Site{siteA, twin}, "a gw"); ok {
		t.Fatal("a name two different hops have named one of them")
	}
	if _, ok := faultline.FindHop([]faultline.Site{siteA, twin}, "127.4.0.1"); !ok {
		t.Fatal("a hop is named by its host")
	}
	f := faultline.Fault{Reporter: faultline.ActorBot, Reporters: []string{"U2", "U3"}}
	if p := f.People(); len(p) != 2 || !f.IsReporter("U3") || f.IsReporter("U4") {
		t.Fatalf("people of a monitor's ticket: %v", p)
	}
}

// A window is on from its start until its end, or until ended early; on
// a hop, it covers every site whose path passes it, and a ticket failing
// at or behind it.
func TestWindow(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)
	w := faultline.Window{HopKey: faultline.HopKey(line), Start: t0, End: t0.Add(2 * time.Hour)}
	if w.Active(t0.Add(-time.Second)) || !w.Active(t0) || w.Active(t0.Add(2*time.Hour)) {
		t.Fatal("active at the wrong times")
	}
	w.EndedAt = t0.Add(time.Hour)
	if w.Active(t0.Add(90*time.Minute)) || !w.Until().Equal(t0.Add(time.Hour)) {
		t.Fatal("ended early but still on")
	}
	if !w.Covers(siteB) || w.Covers(siteC) {
		t.Fatal("a hop's window covers the sites behind it only")
	}
	sites := []faultline.Site{siteA, siteB, siteC}
	behind := faultline.Fault{Site: "office-a", HopKey: faultline.HopKey(hq)}
	before := faultline.Fault{Site: "office-a", HopKey: faultline.HopKey(siteA.Path[0])}
	if !w.CoversFault(behind, sites) || w.CoversFault(before, sites) {
		t.Fatal("a hop's window covers tickets failing at or behind it")
	}
}

// An outage clears only after recover_after good checks in a row; a bad
// check in between starts the count again.
func TestMonitorRecoversAfterGoodChecks(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	m := faultline.MonitorState{FaultID: 7, Failing: "WAN", Consecutive: 3, History: "DDD"}
	var a faultline.MonitorAction
	for i, step := range []struct {
		failing string
		want    faultline.MonitorAction
	}{{"", ""}, {"WAN", ""}, {"", ""}, {"", ""}, {"", faultline.MonRecovered}} {
		if m, a = m.Observe(step.failing, 3, 3, false, now); a != step.want {
			t.Fatalf("check %d: %q, want %q (%+v)", i+1, a, step.want, m)
		}
	}
}
