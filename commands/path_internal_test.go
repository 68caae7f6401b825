package commands

import (
	"strings"
	"testing"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/catalog"
)

func TestLooksLikeHost(t *testing.T) {
	for w, want := range map[string]bool{
		"127.0.0.1": true, "::1": true, "erp.example.com": true, "localhost": true, "gw-1.lan": true,
		"printer": false, "office-z": false, "not a host": false, ".example.com": false, "a..": false,
		"网络.中国": false, "<!channel>": false, "": false,
	} {
		if got := looksLikeHost(w); got != want {
			t.Errorf("looksLikeHost(%q) = %v, want %v", w, got, want)
		}
	}
}

func TestDisplayWidthAlignsChinese(t *testing.T) {
	if got := displayWidth("核心交换机"); got != 10 {
		t.Fatalf("width = %d, want 10", got)
	}
	if got := pad("网关", 6); got != "网关  " {
		t.Fatalf("pad = %q", got)
	}
}

// A monitor's loss_above counts a hop losing more than that share of its
// probes as failing, and judges the path again (so the first such hop is
// blamed, as a silent one would be); below it, or without it, lossy hops
// answer.
func TestLossAboveCountsALossyHopAsFailing(t *testing.T) {
	hops := []faultline.Hop{{Name: "gw", Host: "127.0.0.1"}, {Name: "line", Host: "127.0.0.2", Kind: faultline.KindLine}, {Name: "hq", Host: "127.0.0.3", Kind: faultline.KindHQ}}
	// A lossy line makes everything behind it lossy too.
	results := []faultline.PingResult{{Sent: 10, Received: 10}, {Sent: 10, Received: 3}, {Sent: 10, Received: 2}}
	c := faultline.PathCheck{Hops: hops, Results: results, Verdict: faultline.Judge(hops, results)}
	if got := lossy(c, 0); got.Verdict.Failing != -1 {
		t.Fatalf("without loss_above a lossy hop fails: %+v", got.Verdict)
	}
	if got := lossy(c, 0.8); got.Verdict.Failing != -1 {
		t.Fatalf("70%% loss under an 80%% threshold fails: %+v", got.Verdict)
	}
	got := lossy(c, 0.5)
	if got.Verdict.Failing != 1 || got.Verdict.Kind != faultline.VerdictLine {
		t.Fatalf("70%% loss over a 50%% threshold: %+v", got.Verdict)
	}
	if c.Results[1].Received != 3 {
		t.Fatal("lossy changed the check it was given")
	}
}

// A check the prober could not run says why in the users' language: the
// head of the prober's error is the catalog's, its detail (the command
// that fixes it) stays as given.
func TestCheckErrorsInTheUsersLanguage(t *testing.T) {
	f := &flow{cat: catalog.New(catalog.ZH)}
	err := "ICMP not permitted: datagram sockets refused and raw sockets refused; fix with `sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"`"
	if got := f.shortReason(err); got != "不允许发送 ICMP" {
		t.Errorf("short reason: %q", got)
	}
	if got := f.reason(err); !strings.HasPrefix(got, "不允许发送 ICMP：datagram sockets refused") || !strings.Contains(got, "sysctl -w") {
		t.Errorf("reason: %q", got)
	}
	if got := f.reason("something new: odd"); got != "something new: odd" {
		t.Errorf("an unknown error: %q", got)
	}
}
