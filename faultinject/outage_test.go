//go:build faultinject

package faultinject

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/bot/slackfake"
	"github.com/faultline/faultline/probe/probetest"
	"github.com/faultline/faultline/storage/storagetest"
)

// TestOutageBurst measures 50 reports of one site within 10 s while its
// uplink is down, through the real binary on PostgreSQL at Slack's real
// pace: tickets opened, head messages posted, path checks run,
// escalation DMs, seconds from the first report to the first head
// message in the channel, and the answers' p99. With COMPARE_REF set (a
// git commit), the binary built from it runs the same burst first, side
// by side in one run.
func TestOutageBurst(t *testing.T) {
	bins := []struct{ name, path string }{{"this tree", binary}}
	if ref := os.Getenv("COMPARE_REF"); ref != "" {
		bins = append([]struct{ name, path string }{{ref, buildRef(t, ref)}}, bins...)
	}
	for _, b := range bins {
		uplink, _ := probetest.SilentHost(t)
		hq, _ := probetest.SilentHost(t)
		cfg := outageConfig(uplink, hq)
		url := storagetest.URL(t, "postgres")
		fake := slackfake.New(t, token)
		fake.RateLimit(time.Second) // Slack's pace: one message a second per channel
		r := serveWith(t, b.path, url, fake, cfg)

		start := time.Now()
		var (
			mu    sync.Mutex
			waits []time.Duration
			bad   int
			wg    sync.WaitGroup
		)
		for n := range 50 {
			wg.Go(func() {
				time.Sleep(time.Duration(n) * 200 * time.Millisecond) // 50 reports over 10 s
				status, body, took, err := command(fake, fmt.Sprintf("U0R%02d", n), "/fault", "lab the network is down").to(r.addr)
				mu.Lock()
				defer mu.Unlock()
				waits = append(waits, took)
				if err != nil || status != 200 || !strings.Contains(body, "F-") {
					bad++
				}
			})
		}
		wg.Wait()
		time.Sleep(20 * time.Second) // two levels of the 8 s ack clock, and the outbox
		db := open(t, url)
		counts, err := db.CountFaults(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		tickets := int64(0)
		for _, n := range counts {
			tickets += n
		}
		var heads, dms int
		var firstHead time.Duration
		for _, c := range fake.Calls("chat.postMessage") {
			switch {
			case c.Params["channel"] == "C0FAULTS" && c.Params["thread_ts"] == "":
				if heads == 0 {
					firstHead = c.At.Sub(start)
				}
				heads++
			case strings.HasPrefix(c.Params["channel"], "D0"):
				dms++
			}
		}
		slices.Sort(waits)
		p99 := waits[len(waits)*99/100]
		report("outage burst", "%s: 50 reports in 10 s → %d tickets, %d head messages posted, %d path checks, %d escalation DMs, first head %.2f s after the first report, answers p99 %s (max %s), %d answers not naming a ticket",
			b.name, tickets, heads, checks(t, r.addr), dms, firstHead.Seconds(), p99.Round(time.Millisecond), waits[len(waits)-1].Round(time.Millisecond), bad)
	}
}

// checks is how many path checks the process ran: pings counted by its
// metrics, three hops a check.
func checks(t *testing.T, addr string) int {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	total := 0.0
	for _, m := range regexp.MustCompile(`(?m)^faultline_ping_results_total\{[^}]*\} ([0-9.e+]+)$`).FindAllStringSubmatch(string(page), -1) {
		v, _ := strconv.ParseFloat(m[1], 64)
		total += v
	}
	return int(total) / 3
}

// buildRef builds the faultline binary of git commit ref.
func buildRef(t *testing.T, ref string) string {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	for _, args := range [][]string{{"worktree", "add", "--detach", src, ref}} {
		if out, err := exec.Command("git", args...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	t.Cleanup(func() { exec.Command("git", "worktree", "remove", "--force", src).Run() })
	bin := filepath.Join(dir, "faultline-"+ref)
	build := exec.Command("go", "build", "-o", bin, "./cmd/faultline")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", ref, err, out)
	}
	return bin
}

// outageConfig is one site whose uplink and HQ are the silent hosts given,
// with an 8 s ack clock and a three-level chain.
func outageConfig(uplink, hq string) string {
	return fmt.Sprintf(`timezone: UTC
language: en
channels: {faults: C0FAULTS}
roles: {maintainer: [U0TECH], it_supervisor: [U0SUPER], dept_head: [U0HEAD]}
deadlines: {fault_ack: 8s}
escalation: {fault: [maintainer, it_supervisor, dept_head]}
sites:
  - name: lab
    path:
      - {name: gateway, host: 127.0.0.1, kind: device}
      - {name: uplink, host: %s, kind: line}
      - {name: HQ, host: %s, kind: hq}
probe: {wait: 300ms}
`, uplink, hq)
}

// TestOutageThroughARestart: the same 50 reports of one outage over 10 s,
// while PostgreSQL stops for about five seconds. Every reporter told the
// outage is known (or a ticket is open) must be on it in the database;
// every one told "not saved" must not be; and it is still one ticket.
func TestOutageThroughARestart(t *testing.T) {
	versions, _ := os.ReadDir("/etc/postgresql")
	if os.Getenv("TEST_DATABASE_URL") == "" || os.Geteuid() != 0 || len(versions) != 1 {
		t.Skip("needs root, one local PostgreSQL cluster (/etc/postgresql) and TEST_DATABASE_URL pointing at it")
	}
	cluster := versions[0].Name()
	uplink, _ := probetest.SilentHost(t)
	hq, _ := probetest.SilentHost(t)
	url := storagetest.URL(t, "postgres")
	fake := slackfake.New(t, token)
	fake.RateLimitBurst(time.Second, 3)
	r := serveWith(t, binary, url, fake, outageConfig(uplink, hq))
	restarted := make(chan error, 1)
	go func() {
		time.Sleep(3 * time.Second)
		err := exec.Command("pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "stop", "-m", "fast").Run()
		time.Sleep(5 * time.Second)
		restarted <- errorsJoin(err, exec.Command("pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "start").Run())
	}()
	type answer struct {
		user, body string
		err        error
	}
	answers := make([]answer, 50)
	var wg sync.WaitGroup
	for n := range answers {
		wg.Go(func() {
			time.Sleep(time.Duration(n) * 200 * time.Millisecond)
			user := fmt.Sprintf("U0RR%02d", n)
			_, body, _, err := command(fake, user, "/fault", "lab the network is down").to(r.addr)
			answers[n] = answer{user, body, err}
		})
	}
	wg.Wait()
	if err := <-restarted; err != nil {
		t.Fatalf("restart: %v", err)
	}
	time.Sleep(3 * time.Second) // the pool reconnects, tasks retry
	db := open(t, url)
	tickets, err := db.Faults(context.Background(), faultline.OpenFaultStates, 100)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, f := range tickets {
		for _, u := range f.People() {
			stored[u] = true
		}
	}
	var held, refused, unsure, unanswered, lost, refusedButStored int
	for _, a := range answers {
		switch {
		case a.err != nil:
			unanswered++
		case strings.Contains(a.body, "is a known outage") || strings.Contains(a.body, "is open for"):
			held++
			if !stored[a.user] {
				lost++
			}
		case strings.Contains(a.body, "could not confirm"):
			unsure++
		case strings.Contains(a.body, "could not save") || strings.Contains(a.body, "not saved"):
			refused++
			if stored[a.user] {
				refusedButStored++
			}
		default:
			unanswered++
		}
	}
	report("outage through a restart", "50 reports of one outage over 10 s, PostgreSQL down ~5 s: %d open tickets, %d answered held (%d of them not stored: lost), %d answered not saved (%d stored all the same), %d cannot confirm, %d unanswered",
		len(tickets), held, lost, refused, refusedButStored, unsure, unanswered)
	if lost > 0 || refusedButStored > 0 || len(tickets) != 1 {
		t.Errorf("%d lost, %d refused but stored, %d tickets for one outage", lost, refusedButStored, len(tickets))
	}
}
