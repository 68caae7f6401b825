package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline/bot/slackfake"
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

func writeConfig(t *testing.T, text string) string {
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

// serve runs the real program — config file, database, prober, HTTP
// transport — against the fake Slack, and returns the address it listens
// on, read from its own log line.
func serve(t *testing.T, databaseURL, config string, fake *slackfake.Slack) (addr string, stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	logs, logw := io.Pipe()
	env := envOf(map[string]string{
		"SLACK_BOT_TOKEN": fake.Token, "SLACK_SIGNING_SECRET": "s3cret", "SLACK_API_URL": fake.APIURL(),
		"DATABASE_URL": databaseURL, "FAULTLINE_CONFIG": writeConfig(t, config),
		"LISTEN_ADDR": "127.0.0.1:0",
	})
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, env, strings.NewReader(""), io.Discard, logw)
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
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("serve exited before listening: %v", err)
	}
	return addr, func() error {
		cancel()
		return <-done
	}
}

func TestServeEndToEnd(t *testing.T) {
	icmpAllowed(t)
	for _, dialect := range storagetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			fake := slackfake.New(t, "xoxb-e2e")
			addr, stop := serve(t, storagetest.URL(t, dialect), testConfig, fake)
			client := slackfake.Bot{URL: "http://" + addr, Secret: "s3cret", Slack: fake}

			resp := client.Command(t, "U0REPORTER", "C0GENERAL", "/fault", "lab cannot reach the ERP")
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			calls := fake.WaitFor(t, "the verdict on the ticket", func(c []slackfake.Call) bool { return slackfake.Count(c, "chat.update") > 0 })
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
			if err := stop(); err != nil {
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
	in := strings.NewReader("/fault office-a 网络不通\n/fault list\n")
	if err := run(context.Background(), []string{"console", "--as", "U0DEMOTECH"}, env, in, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"built-in demo config", "you are U0DEMOTECH (maintainer)", "F-1 已为 office-a 登记", "所有节点均有响应", "未关闭的工单（1）"} {
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
	if !strings.Contains(out.String(), "sqlite database is up to date") || !strings.Contains(out.String(), "1  fault tickets") {
		t.Fatalf("output %q", out.String())
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
  fault_ack: 2s
escalation:
  fault: [maintainer, it_supervisor, dept_head]
`
	config = strings.Replace(config, "roles:\n  maintainer: [U0TECH]\n", "", 1)
	for _, dialect := range storagetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			fake := slackfake.New(t, "xoxb-e2e")
			url := storagetest.URL(t, dialect)
			addrA, stopA := serve(t, url, config, fake)
			_, stopB := serve(t, url, config, fake)
			client := slackfake.Bot{URL: "http://" + addrA, Secret: "s3cret", Slack: fake}
			if resp := client.Command(t, "U0REPORTER", "C0GENERAL", "/fault", "lab down"); resp.StatusCode != 200 {
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
			fake.WaitFor(t, "both escalations", func(c []slackfake.Call) bool { return len(dms(c)) >= 2 })
			if err := errors.Join(stopA(), stopB()); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(dms(fake.Calls()), " "); got != "D0U0SUPER D0U0HEAD" {
				t.Fatalf("escalation DMs: %s; want one to the supervisor, then one to the department head", got)
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
	err := run(context.Background(), []string{"ping", "127.0.0.1", "no-such-host.invalid"}, env, nil, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "could not be checked on: no-such-host.invalid") || exitCode(err) != 1 {
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
	if err := run(ctx, []string{"serve", "-h"}, envOf(nil), nil, io.Discard, &help); err != nil || !strings.Contains(help.String(), "Usage of serve") {
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
  incident_report: 2s
  incident_summary: 2s
  incident_report_reminders: [1s]
  incident_summary_reminders: [1s]
`
	config = strings.Replace(config, "  faults: C0FAULTS\n", "  faults: C0FAULTS\n  incidents: G0INCIDENTS\n  announcements: C0ANNOUNCE\n", 1)
	config = strings.Replace(config, "  maintainer: [U0TECH]\n", "  maintainer: [U0TECH]\n  info_manager: [U0SEC]\n  dept_head: [U0HEAD]\n  exec: [U0EXEC]\n", 1)
	for _, dialect := range storagetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			fake := slackfake.New(t, "xoxb-e2e")
			url := storagetest.URL(t, dialect)
			addr, stop := serve(t, url, config, fake)
			client := slackfake.Bot{URL: "http://" + addr, Secret: "s3cret", Slack: fake}
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
			fake.WaitFor(t, "the executive to hear of both", func(c []slackfake.Call) bool {
				return overdue(c, "U0EXEC", "incident report of I-1 is overdue") > 0 && overdue(c, "U0EXEC", "summary report of I-2 is overdue") > 0
			})
			if err := stop(); err != nil {
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

// posts returns when each message to channel containing what was received.
func posts(calls []slackfake.Call, channel, what string) []time.Time {
	var at []time.Time
	for _, c := range calls {
		if c.Method == "chat.postMessage" && c.Params["channel"] == channel && strings.Contains(c.Params["text"], what) {
			at = append(at, c.At)
		}
	}
	return at
}

// Two serve processes on one database: each duty reminder, its
// escalation and each announcement goes out once, spaced by the schedule.
func TestTwoServesRemindAndAnnounceOnce(t *testing.T) {
	config := withDuties()
	for _, dialect := range storagetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			fake := slackfake.New(t, "xoxb-e2e")
			url := storagetest.URL(t, dialect)
			_, stopA := serve(t, url, config, fake)
			_, stopB := serve(t, url, config, fake)
			fake.WaitFor(t, "three bulletins, reminders and escalations", func(c []slackfake.Call) bool {
				return len(posts(c, "C0ANNOUNCE", "antivirus")) >= 3 && len(posts(c, "D0U0OWNER", "nightly* is due")) >= 3 &&
					len(posts(c, "D0U0SUPER", "nightly")) >= 2
			})
			// A duplicate would come from the other process's next tick.
			time.Sleep(1500 * time.Millisecond)
			if err := errors.Join(stopA(), stopB()); err != nil {
				t.Fatal(err)
			}
			calls := fake.Calls()
			for _, p := range []struct{ channel, what string }{
				{"C0ANNOUNCE", "antivirus"}, {"D0U0OWNER", "nightly* is due"}, {"D0U0SUPER", "nightly"},
			} {
				at := posts(calls, p.channel, p.what)
				for i := 1; i < len(at); i++ {
					if gap := at[i].Sub(at[i-1]); gap < 2*time.Second {
						t.Errorf("%s: posts %d and %d only %v apart; every 3s, once each, was wanted", p.channel, i-1, i, gap)
					}
				}
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
			occ, err := db.DutyOccurrences(context.Background(), duty.ID, 100)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(posts(calls, "D0U0OWNER", "nightly* is due")), len(occ); got != want {
				t.Errorf("%d reminders for %d stored occurrences", got, want)
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
			_, stop := serve(t, url, config, fake)
			fake.WaitFor(t, "the first reminder and bulletin", func(c []slackfake.Call) bool {
				return len(posts(c, "C0ANNOUNCE", "antivirus")) >= 1 && len(posts(c, "D0U0OWNER", "nightly* is due")) >= 1
			})
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			before := fake.Calls()
			time.Sleep(7 * time.Second) // two more due times pass with nobody running
			restart := time.Now()
			_, stop = serve(t, url, config, fake)
			defer stop()
			fake.WaitFor(t, "the catch-up", func(c []slackfake.Call) bool {
				return len(posts(c, "C0ANNOUNCE", "antivirus")) > len(posts(before, "C0ANNOUNCE", "antivirus")) &&
					len(posts(c, "D0U0OWNER", "nightly* is due")) > len(posts(before, "D0U0OWNER", "nightly* is due"))
			})
			time.Sleep(time.Second) // more catch-up would come on the next tick, the next due time 3s off
			calls := fake.Calls()
			for _, p := range []struct{ channel, what string }{{"C0ANNOUNCE", "antivirus"}, {"D0U0OWNER", "nightly* is due"}} {
				var since []time.Time
				for _, at := range posts(calls, p.channel, p.what) {
					if at.After(restart) && at.Before(restart.Add(2500*time.Millisecond)) {
						since = append(since, at)
					}
				}
				if len(since) != 1 {
					t.Errorf("%s: %d posts in the first 2.5s after the restart; one catch-up was wanted", p.channel, len(since))
				}
			}
		})
	}
}
