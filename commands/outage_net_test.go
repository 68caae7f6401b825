package commands_test

import (
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/catalog"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/jobs"
	"github.com/faultline/faultline/probe"
	"github.com/faultline/faultline/probe/probetest"
	"github.com/faultline/faultline/storage/storagetest"
)

// Reports on a real routed network of namespaces: three offices behind
// one HQ line. The line broken: A's report opens an outage at the line,
// B's and C's join it, and its head names the three sites. Office A's
// router broken: only A is an outage, B's report is a ticket of its own
// with a healthy path. HQ's core ignoring ping but forwarding: nobody is
// blamed.
func TestOutagesOnARoutedNetwork(t *testing.T) {
	lab := probetest.OfficeLab(t)
	pinger := probe.New(probe.Options{Wait: 300 * time.Millisecond}, storagetest.Logger(), nil)
	t.Cleanup(pinger.Close)
	run := func(t *testing.T) (*harness, func() []sent) {
		db := storagetest.Open(t, "sqlite")
		h := &harness{t: t, db: db, chat: &chat{}, clock: testT0}
		set := testSettings(catalog.EN)
		set.Sites = lab.Sites()
		h.svc = commands.New(commands.Deps{Store: db, Pinger: pinger, Poster: h.chat, Log: storagetest.Logger(),
			Settings: set, Now: h.now, Scheduler: jobs.Schedules{}})
		return h, h.settle
	}

	t.Run("shared line", func(t *testing.T) {
		h, settle := run(t)
		restore := lab.HQLine.Break()
		defer restore()
		mustReply(t, h.command("U0A", "/fault A no network"), "*F-1* is open for A")
		settle()
		if f := h.fault(1); f.Hop != "hqline" || f.Verdict != faultline.VerdictLine {
			t.Fatalf("ticket: hop %q, verdict %s", f.Hop, f.Verdict)
		}
		mustReply(t, h.command("U0B", "/fault B no network"), "*F-1* is a known outage at B")
		mustReply(t, h.command("U0C", "/fault C no network"), "*F-1* is a known outage at C")
		msgs := settle()
		mustSay(t, msgs, "update", "*F-1* · outage · hqline down — A, B, C")
		if n := countFaults(t, h.db); n != 1 {
			t.Fatalf("%d tickets for one broken line", n)
		}
		if f := h.fault(1); strings.Join(f.Reporters, " ") != "U0A U0B U0C" {
			t.Fatalf("reporters %v", f.Reporters)
		}
	})

	t.Run("one office", func(t *testing.T) {
		h, settle := run(t)
		restore := lab.OfficeA.Break()
		defer restore()
		h.command("U0A", "/fault A no network")
		settle()
		if f := h.fault(1); f.Hop != "officeA" {
			t.Fatalf("A's ticket blames %q", f.Hop)
		}
		mustReply(t, h.command("U0B", "/fault B printer gone"), "*F-2* is open for B")
		settle()
		if f := h.fault(2); f.Verdict != faultline.VerdictHealthy {
			t.Fatalf("B's path: %s at %q", f.Verdict, f.Hop)
		}
		status := reply(h.command("U0EMPLOYEE", "/fault status"))
		for _, want := range []string{"🔴 A: outage *F-1*", "🟡 B: 1 open ticket(s)", "🟢 C: no open fault"} {
			if !strings.Contains(status, want) {
				t.Fatalf("status lacks %q:\n%s", want, status)
			}
		}
	})

	t.Run("filtering core", func(t *testing.T) {
		h, settle := run(t)
		restore := lab.HQCore.IgnorePing()
		defer restore()
		h.command("U0A", "/fault A slow")
		settle()
		if f := h.fault(1); f.Verdict != faultline.VerdictHealthy || f.Hop != "" {
			t.Fatalf("a core that forwards but ignores ping was blamed: %s at %q", f.Verdict, f.Hop)
		}
	})
}
