package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/bot/slackfake"
	"github.com/faultline/faultline/probe/probetest"
	"github.com/faultline/faultline/storage/storagetest"
)

// Fifty people report one site within ten seconds while its uplink is
// down, through the real program on both databases: one ticket, one head
// message, every answer names it; the escalation chain climbs once per
// level, not once per report; at recovery one question in the thread
// mentions all fifty.
func TestFiftyReportsOneOutage(t *testing.T) {
	icmpAllowed(t)
	uplink, upA := probetest.SilentHost(t)
	hq, upB := probetest.SilentHost(t)
	config := fmt.Sprintf(`timezone: UTC
language: en
channels:
  faults: C0FAULTS
roles:
  maintainer: [U0TECH]
  it_supervisor: [U0SUPER]
  dept_head: [U0HEAD]
deadlines:
  fault_ack: 2m
escalation:
  fault: [maintainer, it_supervisor, dept_head]
sites:
  - name: lab
    path:
      - {name: gateway, host: 127.0.0.1, kind: device}
      - {name: uplink, host: %s, kind: line}
      - {name: HQ, host: %s, kind: hq}
probe:
  wait: 300ms
`, uplink, hq)
	for i, dialect := range storagetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			if i > 0 { // the silence is shared: the first run's recovery undid it
				uplink2, up2 := probetest.SilentHost(t)
				hq2, up3 := probetest.SilentHost(t)
				config = strings.NewReplacer(uplink, uplink2, hq, hq2).Replace(config)
				upA, upB = up2, up3
			}
			fake := slackfake.New(t, "xoxb-outage")
			url := storagetest.URL(t, dialect)
			clk := newClock()
			srv := serve(t, url, config, fake, clk)
			client := srv.client(fake)

			users := make([]string, 50)
			answers := make([]string, 50)
			var wg sync.WaitGroup
			sem := make(chan struct{}, 8)
			for n := range users {
				users[n] = fmt.Sprintf("U0R%02d", n)
				wg.Go(func() {
					sem <- struct{}{}
					defer func() { <-sem }()
					resp := client.Command(t, users[n], "C0GENERAL", "/fault", "lab the network is down")
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					answers[n] = string(body)
				})
			}
			wg.Wait()
			for n, a := range answers {
				if !strings.Contains(a, "F-1") {
					t.Fatalf("answer %d does not name F-1: %s", n, a)
				}
			}
			fake.WaitFor(t, "the outage's path check", func(c []slackfake.Call) bool { return posts(c, "C0FAULTS", "Path check of lab") > 0 })
			heads := func() int {
				n := 0
				for _, c := range fake.Calls("chat.postMessage") {
					if c.Params["channel"] == "C0FAULTS" && c.Params["thread_ts"] == "" {
						n++
					}
				}
				return n
			}
			db := storagetest.OpenURL(t, url)
			open, err := db.Faults(context.Background(), faultline.OpenFaultStates, 10)
			if err != nil || len(open) != 1 || len(open[0].People()) != 50 {
				t.Fatalf("open tickets: %d (%v); reporters of the first: %v", len(open), err, open)
			}
			dms := func() []string {
				var to []string
				for _, c := range fake.Calls("chat.postMessage") {
					if strings.HasPrefix(c.Params["channel"], "D0") {
						to = append(to, c.Params["channel"])
					}
				}
				return to
			}
			for level := 1; level <= 3; level++ { // the third is past the chain's end
				clk.advance(2*time.Minute + time.Second)
				if level < 3 {
					fake.WaitFor(t, "the next escalation", func([]slackfake.Call) bool { return len(dms()) >= level })
				}
				srv.settled(t, 3)
			}
			if got := strings.Join(dms(), " "); got != "D0U0SUPER D0U0HEAD" {
				t.Fatalf("escalation DMs: %s; want one per level reached", got)
			}
			if n := heads(); n != 1 {
				t.Fatalf("%d head messages for one outage", n)
			}

			scrape, err := http.Get("http://" + srv.addr + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(scrape.Body)
			scrape.Body.Close()
			if !strings.Contains(string(page), `faultline_site_state{site="lab",state="outage"} 1`) {
				t.Fatalf("no outage in the site gauge:\n%s", grepLines(string(page), "faultline_site_state"))
			}

			upA()
			upB()
			for _, step := range []string{"fault_take", "fault_mark_fixed"} {
				if resp := client.Interaction(t, client.BlockAction("U0TECH", "C0FAULTS", "1.0", "", step, "F-1")); resp.StatusCode != 200 {
					t.Fatalf("%s: status %d", step, resp.StatusCode)
				}
			}
			question := fake.WaitFor(t, "the recovery question", func(c []slackfake.Call) bool {
				return posts(c, "C0FAULTS", "does the network work for you now") > 0
			})
			for _, c := range question {
				if c.Method == "chat.postMessage" && strings.Contains(c.Params["text"], "does the network work for you now") {
					for _, u := range users {
						if !strings.Contains(c.Params["text"], "<@"+u+">") {
							t.Fatalf("the question does not ask %s: %s", u, c.Params["text"])
						}
					}
				}
			}
			if n := posts(fake.Calls(), "C0FAULTS", "does the network work for you now"); n != 1 {
				t.Fatalf("%d recovery questions for 50 reporters, want 1", n)
			}
			if err := srv.stop(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func grepLines(text, what string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, what) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
