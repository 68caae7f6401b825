package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faultline/faultline/bot/slackfake"
	"github.com/faultline/faultline/probe/probetest"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

const testConfig = `timezone: UTC
language: en
channels:
  faults: C0FAULTS
roles:
  maintainer: [U0TECH]
sites:
  - name: lab
    path:
      - {name: gateway, host: 127.0.0.1, kind: device}
      - {name: uplink, host: 127.0.77.2, kind: line}
      - {name: HQ, host: 127.0.77.3, kind: hq}
probe:
  wait: 500ms
`

func writeConfig(t testing.TB, text string) string {
	path := filepath.Join(t.TempDir(), "faultline.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// icmpAllowed reports whether this process may ping at all (root, or a
// permissive ping_group_range); the end-to-end checks need real replies.
func icmpAllowed(t *testing.T) {
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal("CI runs as root so that real pings are tested")
	}
	t.Skip("not root: real ICMP to loopback may not be permitted here")
}

// testClock is the flows' clock in these tests: it starts at the real time
// and stands still until the test moves it, so a deadline of minutes is
// reached by moving the clock, not by waiting.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *testClock { return &testClock{t: time.Now()} }

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testEnv is the process environment for these tests: vars, the test's
// clock, no pacing between posts, and a clock job that runs every 20 ms.
func testEnv(vars map[string]string, clk *testClock, stdout, stderr io.Writer) environment {
	return environment{getenv: envOf(vars), stdin: strings.NewReader(""), stdout: stdout, stderr: stderr,
		now: clk.now, tick: 20 * time.Millisecond}
}

// server is one running serve process.
type server struct {
	addr  string
	stop  func() error
	ticks chan struct{} // one value per run of its clock job
}

// serve runs the real program — config file, database, prober, HTTP
// transport, jobs — against the fake Slack on clk, and returns the address
// it listens on, read from its own log line.
func serve(t testing.TB, databaseURL, config string, fake *slackfake.Slack, clk *testClock) *server {
	return serveAt(t, databaseURL, config, fake, clk.now, 0)
}

// serveWithPace is serve on the real clock at Slack's pace, as in
// production: one message a second per channel after a burst.
func serveWithPace(t testing.TB, databaseURL, config string, fake *slackfake.Slack) *server {
	return serveAt(t, databaseURL, config, fake, time.Now, time.Second)
}

func serveAt(t testing.TB, databaseURL, config string, fake *slackfake.Slack, now func() time.Time, pace time.Duration) *server {
	ctx, cancel := context.WithCancel(context.Background())
	logs, logw := io.Pipe()
	env := testEnv(map[string]string{
		"SLACK_BOT_TOKEN": fake.Token, "SLACK_SIGNING_SECRET": "s3cret", "SLACK_API_URL": fake.APIURL(),
		"DATABASE_URL": databaseURL, "FAULTLINE_CONFIG": writeConfig(t, config),
		"LISTEN_ADDR": "127.0.0.1:0",
	}, &testClock{}, io.Discard, io.MultiWriter(logw, debugLog()))
	env.now, env.pace = now, pace
	s := &server{ticks: make(chan struct{}, 1000)}
	env.ran = func() {
		select {
		case s.ticks <- struct{}{}:
		default:
		}
	}
	done := make(chan error, 1)
	go func() {
		done <- env.run(ctx, []string{"serve"})
		logw.Close()
	}()
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(logs)
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				addrc <- line.Addr
			}
		}
	}()
	select {
	case s.addr = <-addrc:
	case err := <-done:
		t.Fatalf("serve exited before listening: %v", err)
	}
	stopped := false
	s.stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { s.stop() })
	return s
}

// settled waits until the process's clock job has run n more times: what
// it had to do at the clock's time is done, so whatever it would have done
// twice would have been done by now.
func (s *server) settled(t testing.TB, n int) {
	t.Helper()
	for len(s.ticks) > 0 {
		<-s.ticks
	}
	limit := time.After(15 * time.Second)
	for range n {
		select {
		case <-s.ticks:
		case <-limit:
			t.Fatal("the clock job stopped running")
		}
	}
}

func (s *server) client(fake *slackfake.Slack) slackfake.Bot {
	return slackfake.Bot{URL: "http://" + s.addr, Secret: "s3cret", Slack: fake}
}

func TestServeEndToEnd(t *testing.T) {
	icmpAllowed(t)
	for _, dialect := range storagetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			fake := slackfake.New(t, "xoxb-e2e")
			srv := serve(t, storagetest.URL(t, dialect), testConfig, fake, newClock())
			addr, client := srv.addr, srv.client(fake)

			resp := client.Command(t, "U0REPORTER", "C0GENERAL", "/fault", "lab cannot reach the ERP")
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			calls := fake.WaitFor(t, "the verdict on the ticket", checkPosted)
			var check string
			for _, c := range calls {
				if c.Method == "chat.postMessage" && c.Params["thread_ts"] != "" {
					check = c.Params["blocks"]
				}
			}
			if !strings.Contains(check, "Every hop answers") || !strings.Contains(check, "127.0.77.3") {
				t.Fatalf("thread reply with the real check: %s", check)
			}

			forged := client
			forged.Secret = "wrong"
			if resp := forged.Command(t, "U0EVIL", "C0GENERAL", "/fault", "lab forged"); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("forged: status %d", resp.StatusCode)
			}
			for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
				r, err := http.Get("http://" + addr + path)
				if err != nil || r.StatusCode != 200 {
					t.Fatalf("%s: %v %v", path, r, err)
				}
				r.Body.Close()
			}
			if err := srv.stop(); err != nil {
				t.Fatalf("graceful stop: %v", err)
			}
		})
	}
}

func TestServeExplainsMissingSettings(t *testing.T) {
	err := run(context.Background(), []string{"serve"}, envOf(map[string]string{"FAULTLINE_CONFIG": writeConfig(t, testConfig)}),
		strings.NewReader(""), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "SLACK_BOT_TOKEN is not set") || !strings.Contains(err.Error(), "SLACK_SIGNING_SECRET is not set") {
		t.Fatalf("err = %v", err)
	}
	err = run(context.Background(), []string{"serve"}, envOf(map[string]string{"FAULTLINE_CONFIG": filepath.Join(t.TempDir(), "missing.yaml")}),
		strings.NewReader(""), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "no config file at") {
		t.Fatalf("err = %v", err)
	}
}

func TestCheckConfig(t *testing.T) {
	var out bytes.Buffer
	good := writeConfig(t, testConfig)
	if err := run(context.Background(), []string{"check-config", good}, envOf(nil), nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "warning") {
		t.Fatalf("a warning with a maintainer configured: %s", out.String())
	}
	var warned bytes.Buffer
	nobody := writeConfig(t, strings.Replace(testConfig, "roles:\n  maintainer: [U0TECH]\n", "", 1))
	if err := run(context.Background(), []string{"check-config", nobody}, envOf(nil), nil, &warned, io.Discard); err != nil {
		t.Fatalf("a config nobody can work is still valid: %v", err)
	}
	if !strings.Contains(warned.String(), "warning: no one holds a technician role") {
		t.Fatalf("no warning without technicians: %s", warned.String())
	}
	if !strings.Contains(out.String(), "ok: 1 site, 3 hops") {
		t.Fatalf("output %q", out.String())
	}
	bad := writeConfig(t, "sites:\n  - name: lab\n    path:\n      - {name: gw, host: 127.0.0.1, kind: swtich}\n")
	err := run(context.Background(), []string{"check-config", bad}, envOf(nil), nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `faultline.yaml:4: sites[0].path[0].kind: "swtich" is not a hop kind`) {
		t.Fatalf("err = %v", err)
	}
	if exitCode(err) != 1 {
		t.Fatalf("exit code %d", exitCode(err))
	}
}

func TestPing(t *testing.T) {
	icmpAllowed(t)
	var out bytes.Buffer
	env := envOf(map[string]string{"FAULTLINE_CONFIG": writeConfig(t, testConfig)})
	if err := run(context.Background(), []string{"ping", "127.0.0.1", "lab"}, env, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Path check of 127.0.0.1", "Path check of lab · hops: 3", "3. HQ", "Every hop answers"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	err := run(context.Background(), []string{"ping", "nowhere"}, env, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "not a configured site") {
		t.Fatalf("err = %v", err)
	}
}

func TestConsoleOnDemoConfig(t *testing.T) {
	icmpAllowed(t)
	var out bytes.Buffer
	env := envOf(map[string]string{"DATABASE_URL": storagetest.URL(t, "sqlite")})
	in := strings.NewReader("/fault office-a 网络不通\n/fault list\n:who\n:as U0DEMOTEHC\n")
	if err := run(context.Background(), []string{"console", "--as", "U0DEMOTECH"}, env, in, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"内置演示配置", "您是 U0DEMOTECH（系统维护员）", "F-1 已为 office-a 登记", "所有节点均有响应", "未关闭的工单（1）",
		"  U0DEMOADMIN (系统管理员)", "U0DEMOTEHC 不在配置中，您将以员工身份操作"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("console output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestMigrateAndUsage(t *testing.T) {
	var out bytes.Buffer
	env := envOf(map[string]string{"DATABASE_URL": storagetest.URL(t, "sqlite")})
	if err := run(context.Background(), []string{"migrate"}, env, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if first := out.String(); !strings.Contains(first, "sqlite database: applied ") || !strings.Contains(first, " migration(s) now") ||
		!strings.Contains(first, "1  fault tickets") || !strings.Contains(first, ", now)") {
		t.Fatalf("first migrate: %q", first)
	}
	out.Reset()
	if err := run(context.Background(), []string{"migrate"}, env, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if again := out.String(); !strings.Contains(again, "sqlite database was up to date; nothing applied") || strings.Contains(again, ", now)") {
		t.Fatalf("second migrate: %q", again)
	}
	err := run(context.Background(), []string{"frobnicate"}, envOf(nil), nil, io.Discard, io.Discard)
	var ue usageError
	if !errors.As(err, &ue) || exitCode(err) != 2 {
		t.Fatalf("unknown command: %v", err)
	}
}

// Two serve processes on one database, deadlines of seconds: a ticket
// nobody takes climbs the chain one level per fault_ack, and each level's
// people hear about it once, not once per process.
func TestTwoServesEscalateOnce(t *testing.T) {
	icmpAllowed(t)
	config := testConfig + `roles:
  maintainer: [U0TECH]
  it_supervisor: [U0SUPER]
  dept_head: [U0HEAD]
deadlines:
  fault_ack: 2m
escalation:
  fault: [maintainer, it_supervisor, dept_head]
`
	config = strings.Replace(config, "roles:\n  maintainer: [U0TECH]\n", "", 1)
	for _, dialect := range storagetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			fake := slackfake.New(t, "xoxb-e2e")
			url := storagetest.URL(t, dialect)
			clk := newClock()
			a, b := serve(t, url, config, fake, clk), serve(t, url, config, fake, clk)
			if resp := a.client(fake).Command(t, "U0REPORTER", "C0GENERAL", "/fault", "lab down"); resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			dms := func(c []slackfake.Call) []string {
				var to []string
				for _, call := range c {
					if call.Method == "chat.postMessage" && strings.HasPrefix(call.Params["channel"], "D0") {
						to = append(to, call.Params["channel"])
					}
				}
				return to
			}
			fake.WaitFor(t, "the ticket's check", checkPosted)
			for level := 1; level <= 3; level++ { // the third is past the chain's end
				clk.advance(2*time.Minute + time.Second)
				if level < 3 {
					fake.WaitFor(t, "the next escalation", func(c []slackfake.Call) bool { return len(dms(c)) >= level })
				}
				a.settled(t, 3)
				b.settled(t, 3)
			}
			if got := strings.Join(dms(fake.Calls()), " "); got != "D0U0SUPER D0U0HEAD" {
				t.Fatalf("escalation DMs: %s; want one to the supervisor, then one to the department head", got)
			}
			if err := errors.Join(a.stop(), b.stop()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// ping fails when a path cannot be fully checked, so scripts can rely on
// its exit status; a name that does not resolve is such a case.
func TestPingFailsWhenAHopIsNotHealthy(t *testing.T) {
	icmpAllowed(t)
	var out bytes.Buffer
	env := envOf(map[string]string{"FAULTLINE_CONFIG": writeConfig(t, testConfig)})
	err := run(context.Background(), []string{"ping", "127.0.0.1", "no-such-host.onion"}, env, nil, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "could not be checked on: no-such-host.onion") || exitCode(err) != 1 {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(out.String(), "cannot resolve") {
		t.Fatalf("output: %s", out.String())
	}
}

func TestCommandLineMistakes(t *testing.T) {
	ctx := context.Background()
	err := run(ctx, []string{"console", "extra"}, envOf(nil), strings.NewReader(""), io.Discard, io.Discard)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "console takes no arguments") {
		t.Fatalf("console extra: %v", err)
	}
	var help bytes.Buffer
	if err := run(ctx, []string{"serve", "-h"}, envOf(nil), nil, &help, io.Discard); err != nil || !strings.Contains(help.String(), "SLACK_SIGNING_SECRET") {
		t.Fatalf("serve -h: %v, %q", err, help.String())
	}
	err = run(ctx, []string{"check-config", filepath.Join(t.TempDir(), "faultline.yaml")}, envOf(nil), nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "copy faultline.example.yaml there") {
		t.Fatalf("check-config on a missing file: %v", err)
	}
	env := envOf(map[string]string{"FAULTLINE_CONFIG": writeConfig(t, testConfig), "SLACK_BOT_TOKEN": "xoxp-user", "SLACK_SIGNING_SECRET": "x"})
	err = run(ctx, []string{"serve"}, env, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "not a bot token") {
		t.Fatalf("serve with a user token: %v", err)
	}
}

// The security procedure's clocks on real serve processes with deadlines of
// seconds: an unfiled report is escalated to the department head and then
// the executive, once each; an owed summary likewise; and the archive
// exports from the command line.
func TestIncidentClocksThroughServe(t *testing.T) {
	icmpAllowed(t)
	config := testConfig + `deadlines:
  incident_report: 1h
  incident_summary: 72h
  incident_report_reminders: [30m]
  incident_summary_reminders: [4h]
`
	config = strings.Replace(config, "  faults: C0FAULTS\n", "  faults: C0FAULTS\n  incidents: G0INCIDENTS\n  announcements: C0ANNOUNCE\n", 1)
	config = strings.Replace(config, "  maintainer: [U0TECH]\n", "  maintainer: [U0TECH]\n  info_manager: [U0SEC]\n  dept_head: [U0HEAD]\n  exec: [U0EXEC]\n", 1)
	for _, dialect := range storagetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			fake := slackfake.New(t, "xoxb-e2e")
			url := storagetest.URL(t, dialect)
			clk := newClock()
			srv := serve(t, url, config, fake, clk)
			client := srv.client(fake)
			client.Command(t, "U0REPORTER", "C0GENERAL", "/incident", "ransomware note on the file server")
			client.Command(t, "U0REPORTER", "C0GENERAL", "/incident", "phishing mail")
			client.Interaction(t, client.BlockAction("U0SEC", "G0INCIDENTS", "1", "", "incident_take", "I-2"))
			client.Interaction(t, client.ViewSubmission("U0SEC", "incident_report", "I-2", map[string]string{"what": "phish", "actions": "blocked"}))
			client.Interaction(t, client.ViewSubmission("U0SEC", "incident_close", "I-2", map[string]string{"cause": "phish", "measures": "blocked"}))

			overdue := func(c []slackfake.Call, user, what string) int {
				n := 0
				for _, call := range c {
					if call.Method == "chat.postMessage" && call.Params["channel"] == "D0"+user && strings.Contains(call.Params["text"], what) {
						n++
					}
				}
				return n
			}
			srv.settled(t, 2)
			for _, step := range []time.Duration{31 * time.Minute, 30 * time.Minute, time.Hour, 68 * time.Hour, 4 * time.Hour, 72 * time.Hour} {
				clk.advance(step) // a reminder, the report overdue twice, the summary's reminder and overdue twice
				srv.settled(t, 3)
			}
			fake.WaitFor(t, "the executive to hear of both", func(c []slackfake.Call) bool {
				return overdue(c, "U0EXEC", "incident report of I-1 is overdue") > 0 && overdue(c, "U0EXEC", "summary report of I-2 is overdue") > 0
			})
			if err := srv.stop(); err != nil {
				t.Fatal(err)
			}
			calls := fake.Calls()
			for _, c := range []struct{ user, what string }{
				{"U0SEC", "the incident report of I-1 is due in"}, {"U0HEAD", "incident report of I-1 is overdue"},
				{"U0EXEC", "incident report of I-1 is overdue"}, {"U0SEC", "the summary report of I-2 is due in"},
				{"U0HEAD", "summary report of I-2 is overdue"}, {"U0EXEC", "summary report of I-2 is overdue"},
			} {
				if n := overdue(calls, c.user, c.what); n != 1 {
					t.Errorf("%s got %d DMs saying %q, want 1", c.user, n, c.what)
				}
			}

			var md, csv bytes.Buffer
			env := envOf(map[string]string{"DATABASE_URL": url, "FAULTLINE_CONFIG": writeConfig(t, config)})
			if err := run(context.Background(), []string{"export", "I-2"}, env, nil, &md, io.Discard); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(md.String(), "# I-2 Security incident record") || !strings.Contains(md.String(), "phishing mail") {
				t.Fatalf("export I-2:\n%s", md.String())
			}
			if err := run(context.Background(), []string{"export", "--from", "2020-01-01"}, env, nil, &csv, io.Discard); err != nil {
				t.Fatal(err)
			}
			if lines := strings.Count(csv.String(), "\n"); lines != 3 || !strings.HasPrefix(csv.String(), "incident,declared_at") {
				t.Fatalf("export CSV (%d lines):\n%s", lines, csv.String())
			}
		})
	}
}

const dutyConfig = `backups:
  - name: nightly
    owner: U0OWNER
    schedule: "@every 3s"
    grace: 2s
    escalate_to: it_supervisor
    instructions: copy the ledger to the NAS
announcements:
  - name: bulletin
    schedule: "@every 3s"
    channel: C0ANNOUNCE
    text: antivirus definitions updated
`

// withDuties is the test config with a supervisor to escalate to and
// dutyConfig's duty and announcement.
func withDuties() string {
	return strings.Replace(testConfig, "  maintainer: [U0TECH]\n", "  maintainer: [U0TECH]\n  it_supervisor: [U0SUPER]\n", 1) + dutyConfig
}

// posts counts the messages to channel containing what.
func posts(calls []slackfake.Call, channel, what string) int {
	n := 0
	for _, c := range calls {
		if c.Method == "chat.postMessage" && c.Params["channel"] == channel && strings.Contains(c.Params["text"], what) {
			n++
		}
	}
	return n
}

// Two serve processes on one database: each duty reminder, its escalation
// and each announcement goes out once per due time, however many processes
// run the clocks.
func TestTwoServesRemindAndAnnounceOnce(t *testing.T) {
	config := withDuties()
	for _, dialect := range storagetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			fake := slackfake.New(t, "xoxb-e2e")
			url := storagetest.URL(t, dialect)
			clk := newClock()
			a, b := serve(t, url, config, fake, clk), serve(t, url, config, fake, clk)
			for due := 1; due <= 3; due++ {
				clk.advance(3 * time.Second) // the duty and the bulletin come due
				fake.WaitFor(t, "the due time's bulletin and reminder", func(c []slackfake.Call) bool {
					return posts(c, "C0ANNOUNCE", "antivirus") >= due && posts(c, "D0U0OWNER", "nightly* is due") >= due
				})
				a.settled(t, 3)
				b.settled(t, 3)
				calls := fake.Calls()
				if got := posts(calls, "C0ANNOUNCE", "antivirus"); got != due {
					t.Fatalf("after %d due times, %d bulletins", due, got)
				}
				if got := posts(calls, "D0U0OWNER", "nightly* is due"); got != due {
					t.Fatalf("after %d due times, %d reminders", due, got)
				}
				if got := posts(calls, "D0U0SUPER", "nightly"); got != due-1 { // the previous one's grace has passed
					t.Fatalf("after %d due times, %d escalations", due, got)
				}
			}
			if err := errors.Join(a.stop(), b.stop()); err != nil {
				t.Fatal(err)
			}
			db, err := storage.Open(context.Background(), url, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			duty, err := db.Duty(context.Background(), "nightly")
			if err != nil {
				t.Fatal(err)
			}
			if occ, err := db.DutyOccurrences(context.Background(), duty.ID, 100); err != nil || len(occ) != 3 {
				t.Errorf("%d stored occurrences (%v) for 3 reminders", len(occ), err)
			}
		})
	}
}

// A duty and an announcement that fell due several times while the bot
// was down run once when it starts again, not once per missed time.
func TestRestartCatchesUpOnce(t *testing.T) {
	config := withDuties()
	for _, dialect := range storagetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			fake := slackfake.New(t, "xoxb-e2e")
			url := storagetest.URL(t, dialect)
			clk := newClock()
			srv := serve(t, url, config, fake, clk)
			clk.advance(3 * time.Second)
			fake.WaitFor(t, "the first reminder and bulletin", func(c []slackfake.Call) bool {
				return posts(c, "C0ANNOUNCE", "antivirus") >= 1 && posts(c, "D0U0OWNER", "nightly* is due") >= 1
			})
			if err := srv.stop(); err != nil {
				t.Fatal(err)
			}
			clk.advance(7 * time.Second) // two more due times pass with nobody running
			srv = serve(t, url, config, fake, clk)
			fake.WaitFor(t, "the catch-up", func(c []slackfake.Call) bool {
				return posts(c, "C0ANNOUNCE", "antivirus") >= 2 && posts(c, "D0U0OWNER", "nightly* is due") >= 2
			})
			srv.settled(t, 3) // a second catch-up would come now; the next due time is 2s off
			calls := fake.Calls()
			for _, p := range []struct{ channel, what string }{{"C0ANNOUNCE", "antivirus"}, {"D0U0OWNER", "nightly* is due"}} {
				if n := posts(calls, p.channel, p.what); n != 2 {
					t.Errorf("%s: %d posts; the first and one catch-up were wanted", p.channel, n)
				}
			}
		})
	}
}

// A message Slack refuses for good (the bot is not in the channel) is
// listed with its reason and remedy by `outbox list`, with what waits
// behind it; `outbox retry --all` puts it back and the running bot sends
// it and the rest, in order.
func TestOutboxListAndRetry(t *testing.T) {
	icmpAllowed(t)
	for _, dialect := range storagetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			url := storagetest.URL(t, dialect)
			fake := slackfake.New(t, "xoxb-outbox")
			fake.Script("chat.postMessage", slackfake.Scripted{Error: "not_in_channel"})
			clk := newClock()
			srv := serve(t, url, testConfig, fake, clk)
			srv.client(fake).Command(t, "U0REPORTER", "C0GENERAL", "/fault", "lab down")
			db := storagetest.OpenURL(t, url)
			deadline := time.Now().Add(15 * time.Second)
			for {
				if _, failed, _ := db.OutboxDepth(ctx); failed == 1 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the refused head message was never given up")
				}
				time.Sleep(20 * time.Millisecond)
			}
			outbox := func(args ...string) (string, error) {
				var out bytes.Buffer
				err := testEnv(map[string]string{"DATABASE_URL": url}, clk, &out, io.Discard).run(ctx, append([]string{"outbox"}, args...))
				return out.String(), err
			}
			list, err := outbox()
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"Given up: 1", "F-1 head message in C0FAULTS", "not_in_channel",
				"/invite @Faultline in C0FAULTS", "waits behind a given-up message", "faultline outbox retry --all"} {
				if !strings.Contains(list, want) {
					t.Errorf("outbox list lacks %q:\n%s", want, list)
				}
			}
			if _, err := outbox("retry", "99999"); err == nil || !strings.Contains(err.Error(), "not one given up") {
				t.Errorf("retry of an unknown message: %v", err)
			}
			if _, err := outbox("retry", "abc"); exitCode(err) != 2 {
				t.Errorf("retry abc: %v", err)
			}
			if out, err := outbox("retry", "--all"); err != nil || !strings.Contains(out, "Put back 1") {
				t.Fatalf("retry --all: %q %v", out, err)
			}
			fake.WaitFor(t, "the head message and its thread after the retry", func(c []slackfake.Call) bool {
				return slackfake.Count(c, "chat.postMessage") >= 2 // the head shows the verdict when it goes out after the check
			})
			if list, _ := outbox("list"); !strings.Contains(list, "Given up: 0") {
				t.Errorf("after the retry:\n%s", list)
			}
		})
	}
}

// A bot token Slack refuses stops serve at once, saying what to do,
// instead of taking requests it cannot answer.
func TestServeExitsOnARefusedToken(t *testing.T) {
	fake := slackfake.New(t, "xoxb-the-real-one")
	var stderr bytes.Buffer
	env := testEnv(map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-revoked", "SLACK_SIGNING_SECRET": "s3cret", "SLACK_API_URL": fake.APIURL(),
		"DATABASE_URL": storagetest.URL(t, "sqlite"), "FAULTLINE_CONFIG": writeConfig(t, testConfig), "LISTEN_ADDR": "127.0.0.1:0",
	}, newClock(), io.Discard, &stderr)
	err := env.run(context.Background(), []string{"serve"})
	if err == nil || !strings.Contains(err.Error(), "Slack refuses SLACK_BOT_TOKEN") || !strings.Contains(err.Error(), "invalid_auth") {
		t.Fatalf("serve with a refused token: %v", err)
	}
}

func debugLog() io.Writer {
	if os.Getenv("FL_DEBUG") != "" {
		return os.Stderr
	}
	return io.Discard
}

// faultline ping with many hosts checks them together and prints every
// one once, in the order given; its exit status says whether any failed.
func TestPingManyHosts(t *testing.T) {
	icmpAllowed(t)
	silent, _ := probetest.SilentHost(t)
	env := envOf(map[string]string{"FAULTLINE_CONFIG": writeConfig(t, testConfig)})
	var hosts []string
	for i := 40; i >= 1; i-- { // not in address order, to see the argument order kept
		hosts = append(hosts, fmt.Sprintf("127.0.%d.%d", i%3, i))
	}
	var out bytes.Buffer
	if err := run(context.Background(), append([]string{"ping"}, hosts...), env, nil, &out, io.Discard); err != nil {
		t.Fatalf("all answering: %v", err)
	}
	at := -1
	for _, h := range hosts {
		title := "Path check of " + h + " ·"
		if n := strings.Count(out.String(), title); n != 1 {
			t.Fatalf("%s printed %d times", h, n)
		}
		i := strings.Index(out.String(), title)
		if i < at {
			t.Fatalf("%s is out of the argument order", h)
		}
		at = i
	}
	out.Reset()
	err := run(context.Background(), append([]string{"ping", silent}, hosts...), env, nil, &out, io.Discard)
	if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), silent) {
		t.Fatalf("one silent host: err = %v", err)
	}
	if n := strings.Count(out.String(), "Path check of "); n != len(hosts)+1 {
		t.Fatalf("%d checks printed, want %d", n, len(hosts)+1)
	}
}

// Every subcommand explains itself with --help (exit 0, on stdout, nothing
// run), and --version names the build.
func TestHelpAndVersion(t *testing.T) {
	for name := range commandHelp {
		for _, flag := range []string{"--help", "-h"} {
			var out, errs bytes.Buffer
			if err := run(context.Background(), []string{name, flag}, envOf(nil), nil, &out, &errs); err != nil {
				t.Fatalf("%s %s: %v", name, flag, err)
			}
			if !strings.HasPrefix(out.String(), "Usage: faultline "+name) || errs.Len() != 0 {
				t.Fatalf("%s %s printed %q (stderr %q)", name, flag, out.String(), errs.String())
			}
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--version"}, envOf(nil), nil, &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "faultline ") {
		t.Fatalf("--version: %q %v", out.String(), err)
	}
}

// healthcheck is 0 against a running serve and not once it stopped.
func TestHealthcheck(t *testing.T) {
	fake := slackfake.New(t, "xoxb-health")
	srv := serve(t, storagetest.URL(t, "sqlite"), testConfig, fake, newClock())
	var out bytes.Buffer
	if err := run(context.Background(), []string{"healthcheck", srv.addr}, envOf(nil), nil, &out, io.Discard); err != nil {
		t.Fatalf("against a running serve: %v", err)
	}
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"healthcheck", srv.addr}, envOf(nil), nil, io.Discard, io.Discard)
	if err == nil || exitCode(err) != 1 {
		t.Fatalf("against a stopped serve: %v", err)
	}
}

// audit verify passes on the bot's own records and names the event a
// direct UPDATE changed (exit 1); export writes every sealed event and the
// head.
func TestAuditVerifyAndExport(t *testing.T) {
	for _, dialect := range storagetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			url := storagetest.URL(t, dialect)
			env := envOf(map[string]string{"DATABASE_URL": url, "FAULTLINE_CONFIG": writeConfig(t, testConfig)})
			in := strings.NewReader("/fault lab printer down\n/fault lab ERP down\n")
			if err := run(context.Background(), []string{"console", "--as", "U0REPORTER"}, env, in, io.Discard, io.Discard); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := run(context.Background(), []string{"audit", "verify"}, env, nil, &out, io.Discard); err != nil {
				t.Fatalf("untouched: %v", err)
			}
			if !strings.Contains(out.String(), "every seal matches") {
				t.Fatalf("verify: %q", out.String())
			}
			out.Reset()
			if err := run(context.Background(), []string{"audit", "export"}, env, nil, &out, io.Discard); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if len(lines) < 5 || !strings.Contains(lines[0], `"seq":1`) || !strings.Contains(lines[len(lines)-1], `"head"`) {
				t.Fatalf("export: %q", out.String())
			}
			storagetest.Exec(t, url, "UPDATE fault_events SET text = 'ERP fine' WHERE text = 'ERP down'")
			err := run(context.Background(), []string{"audit", "verify"}, env, nil, io.Discard, io.Discard)
			if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "fault event") || !strings.Contains(err.Error(), "altered") {
				t.Fatalf("after an UPDATE: %v (exit %d)", err, exitCode(err))
			}
			if err := run(context.Background(), []string{"audit", "frobnicate"}, env, nil, io.Discard, io.Discard); exitCode(err) != 2 {
				t.Fatalf("an unknown audit command: %v", err)
			}
		})
	}
}

// checkPosted reports whether the path check's verdict reached the
// ticket's thread. (The head is updated only when what it shows changed
// since it was posted: a check done before the head went out leaves
// nothing to update.)
func checkPosted(c []slackfake.Call) bool {
	for _, call := range c {
		if call.Method == "chat.postMessage" && call.Params["thread_ts"] != "" && strings.Contains(call.Params["text"], "Path check") {
			return true
		}
	}
	return false
}
