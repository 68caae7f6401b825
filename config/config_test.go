package config

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline"
)

// env returns a getenv over m.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestBadFiles(t *testing.T) {
	t.Parallel()
	tests := []struct{ file, want string }{
		{"bad-unknown-key.yaml",
			`testdata/bad-unknown-key.yaml:8: sites[0].path[1]: unknown key "hots" in a hop; known keys: name, host, kind, device, line`},
		{"bad-no-faults-channel.yaml",
			`testdata/bad-no-faults-channel.yaml:2: channels.faults: the faults channel is required: tickets are posted there; give its ID (like C0123ABCD) under channels: faults:`},
		{"bad-external.yaml", `testdata/bad-external.yaml:7: compliance.operator: "bank" is not an operator type; use cii (critical information infrastructure, 1 hour), state_organ (central and state organs, 2 hours), other (4 hours), or leave it out for none
testdata/bad-external.yaml:8: compliance.scheme: "gbt" is not a grading scheme; use procedure (一般 / 重要 / 紧急) or national (GB/T 20986-2023: 一般 / 较大 / 重大 / 特别重大)
testdata/bad-external.yaml:9: compliance.levels.huge: "huge" is not a national level; use general, significant, serious or extraordinary
testdata/bad-external.yaml:9: compliance.levels.significant: "urgent" is not a procedure severity; use general, major or critical
testdata/bad-external.yaml:10: compliance.deadlines.general: an incident graded general is not reported outside; deadlines are for significant, serious and extraordinary
testdata/bad-external.yaml:11: compliance.role: "janitor" is not a role; use one of dept_head, it_supervisor, project_lead, info_manager, developer, sysadmin, maintainer, exec, hq_netadmin
testdata/bad-external.yaml:13: retention.incidents: 720h is under six months; the Cybersecurity Law (第二十一条) keeps network logs at least six months: use 4392h (183 days) or more
testdata/bad-external.yaml:15: webhooks[0].secret: a dingtalk robot must be set to sign (加签 / 签名校验) and its secret given here, so nobody else can post as it
testdata/bad-external.yaml:19: webhooks[1].name: "ops" names two webhooks
testdata/bad-external.yaml:20: webhooks[1].kind: "slack" is not a webhook kind; use dingtalk, feishu or wecom
testdata/bad-external.yaml:21: webhooks[1].url: needs the robot's webhook address, https://…
testdata/bad-external.yaml:22: webhooks[1].send[0]: "gossip" is not something a webhook receives; use escalations, notices, outages or overdue
testdata/bad-external.yaml:23: webhooks[1].detail: "everything" is not a detail level; use minimal (number, level and deadline) or full
testdata/bad-external.yaml:26: webhooks[2].url: a WeCom robot's address carries its key: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…
testdata/bad-external.yaml:27: webhooks[2].secret: a WeCom robot does not sign; its key is in the url, so leave secret out
testdata/bad-external.yaml:31: webhooks[3].url: use https://: over http the robot's token, key and signature cross the network in the clear (http is for a local test robot on 127.0.0.1 only)
testdata/bad-external.yaml:36: webhooks[4].url: a robot's address carries no user name or password`},
		{"old-external.yaml", `testdata/old-external.yaml:6: external_reports is replaced by compliance: set compliance.operator (cii, state_organ or other) and the outside report's deadlines follow the regulation; compliance.deadlines, .authority and .note adjust them`},
		{"bad-kind.yaml",
			`testdata/bad-kind.yaml:6: sites[0].path[0].kind: "swtich" is not a hop kind; use device, line or hq`},
		{"bad-dangling-device.yaml",
			`testdata/bad-dangling-device.yaml:4: sites[0].path[0].device: "gw-9" is not in the device inventory; add it under devices: or fix the id`},
		{"bad-duration.yaml", `testdata/bad-duration.yaml:6: deadlines.fault_ack: "15 minutes" is not a duration; write it like 15m, 90s or 4h
testdata/bad-duration.yaml:7: deadlines.fault_resolve: must be longer than zero`},
		{"bad-cron.yaml",
			`testdata/bad-cron.yaml:8: backups[0].schedule: "0 17 * *" is not a schedule (expected exactly 5 fields, found 4: [0 17 * *]); write 5 cron fields like "0 9 * * 1-5" or a descriptor like @daily or @every 1h`},
		{"bad-role.yaml",
			`testdata/bad-role.yaml:3: roles.admin: "admin" is not a role; use one of dept_head, it_supervisor, project_lead, info_manager, developer, sysadmin, maintainer, exec, hq_netadmin`},
		{"bad-duplicate-site.yaml",
			`testdata/bad-duplicate-site.yaml:7: sites[1].aliases[0]: "HQ" is already used by site "office-a"; site names and aliases must be unique (ignoring case)`},
		{"bad-syntax.yaml",
			`testdata/bad-syntax.yaml:6: this is not valid YAML (did not find expected '-' indicator); check the indentation, colons and quotes`},
		{"bad-missing-sites.yaml",
			`testdata/bad-missing-sites.yaml:2: sites: at least one site is required, with the path of hops to check`},
		{"bad-timezone.yaml",
			`testdata/bad-timezone.yaml:1: timezone: "Asia/Beijing" is not a time zone; use an IANA name like Asia/Shanghai or UTC`},
		{"bad-owners.yaml",
			`testdata/bad-owners.yaml:6: backups[0]: give either owner: (one person) or owners: (a list), not both`},
		{"bad-empty.yaml",
			`testdata/bad-empty.yaml:1: the file is empty; it needs at least a sites: section`},
		{"bad-not-mapping.yaml",
			`testdata/bad-not-mapping.yaml:1: the file must be a mapping of sections (timezone:, sites:, ...), not a list`},
		{"bad-type.yaml",
			`testdata/bad-type.yaml:2: sites: expected a list (one "- item" per line), not a mapping`},
		{"bad-outages.yaml", `testdata/bad-outages.yaml:7: monitors[0].recover_after: must be between 1 and 10 good checks
testdata/bad-outages.yaml:7: monitors[0].loss_above: is a percentage of lost probes, from 0 to 99
testdata/bad-outages.yaml:9: outages.check_reuse: must be between 1s and 5m; a check older than that says little about now
testdata/bad-outages.yaml:10: outages.escalate_above: must be 0 (never) or a number of reports
testdata/bad-outages.yaml:13: maintenance[1].hop: "nowhere" is not a hop of any site's path (give its name or host)
testdata/bad-outages.yaml:14: maintenance[2]: a window is on a site or on a hop, not both; write two windows
testdata/bad-outages.yaml:14: maintenance[2].start: "soon" is neither a time like "2026-12-05 22:00" nor a schedule like "0 22 * * 6"
testdata/bad-outages.yaml:14: maintenance[2].duration: a window lasts more than zero and at most 168h
testdata/bad-outages.yaml:15: maintenance[3]: a window needs the site: or the hop: it is on`},
		{"bad-many.yaml", badMany},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			c, err := Load("testdata/"+tt.file, nil)
			if c != nil || err == nil {
				t.Fatalf("Load = %v, %v; want nil and problems", c, err)
			}
			var p *Problems
			if !errors.As(err, &p) {
				t.Fatalf("error %T is not *Problems: %v", err, err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("problems:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// badMany is every problem of testdata/bad-many.yaml, in line order.
const badMany = `testdata/bad-many.yaml:1: timezone: "Mars/Olympus" is not a time zone; use an IANA name like Asia/Shanghai or UTC
testdata/bad-many.yaml:2: language: "fr" is not a supported language; use zh or en
testdata/bad-many.yaml:4: channels.faults: "#it-faults" is not a Slack channel ID; copy the ID (like C0123ABCD) from the channel's details
testdata/bad-many.yaml:6: roles.maintainer[0]: "zhangwei" is not a Slack user ID; copy the member ID (like U0123ABCD) from the person's profile
testdata/bad-many.yaml:7: roles.employee: "employee" is not a role to configure: everyone not listed under a role is an employee
testdata/bad-many.yaml:9: sites[0].name: "ping" is a command word and cannot name a site; choose another name
testdata/bad-many.yaml:11: sites[0].path[0]: a hop is either a device or a line; give device: or line:, not both
testdata/bad-many.yaml:13: sites[0].path[0].kind: "host" is only for hosts typed in chat; use device, line or hq
testdata/bad-many.yaml:15: sites[0].path[0].line: "ct-9" is not in the line inventory; add it under lines: or fix the id
testdata/bad-many.yaml:16: sites[0].path[1].name: a hop needs a name
testdata/bad-many.yaml:16: sites[0].path[1].host: a hop needs a host (an IP address or host name) to ping
testdata/bad-many.yaml:18: sites[1].path: a site needs at least one hop in its path
testdata/bad-many.yaml:21: devices[0].warranty_end: "2024/12/31" is not a date; write it as YYYY-MM-DD, like 2026-03-31
testdata/bad-many.yaml:22: devices[1].id: "GW-1" is already the id of devices[0]; device ids must be unique
testdata/bad-many.yaml:24: backups[0].name: a backup duty needs a name
testdata/bad-many.yaml:25: backups[0].schedule: "@sometimes" is not a schedule (unrecognized descriptor: @sometimes); write 5 cron fields like "0 9 * * 1-5" or a descriptor like @daily or @every 1h
testdata/bad-many.yaml:26: backups[0].grace: must not be negative
testdata/bad-many.yaml:27: backups[0].escalate_to: "boss" is not a role; use one of dept_head, it_supervisor, project_lead, info_manager, developer, sysadmin, maintainer, exec, hq_netadmin
testdata/bad-many.yaml:28: backups[1]: a backup duty needs an owner: (one user ID) or owners: (a list of user IDs)
testdata/bad-many.yaml:31: deadlines.incident_report: "1 hour" is not a duration; write it like 15m, 90s or 4h
testdata/bad-many.yaml:33: escalation.fault[1]: "maintainer" is listed twice; each role appears once in a chain
testdata/bad-many.yaml:35: monitors[0].site: "nowhere" is not a configured site
testdata/bad-many.yaml:37: monitors[0].failures: must be at least 1
testdata/bad-many.yaml:38: monitors[0].quiet_hours: "22-7" is not a time range; write it like 22:00-07:00
testdata/bad-many.yaml:40: announcements[0].text: an announcement needs text to post
testdata/bad-many.yaml:40: announcements[0].channel: an announcement needs a channel: give channel: here or set channels.announcements
testdata/bad-many.yaml:42: probe.count: must be between 1 and 20
testdata/bad-many.yaml:43: probe.concurrency: "lots" is not a whole number
testdata/bad-many.yaml:44: unknown key "env" at the top level; known keys: timezone, language, channels, roles, sites, devices, lines, backups, deadlines, escalation, monitors, announcements, probe, compliance, retention, webhooks, calendar, digest, outbox, outages, maintenance`

func TestParseProblems(t *testing.T) {
	t.Parallel()
	const site = "sites:\n  - name: a\n    path:\n      - {name: gw, host: 127.0.0.1, kind: device}\n"
	tests := []struct{ name, yaml, want string }{
		{"duplicate key", site + "language: zh\nlanguage: en\nchannels: {faults: C0FAULTS}\n",
			"faultline.yaml:6: language: this key is given twice (first on line 5); keep one of them"},
		{"list for a value", site + "timezone: [UTC]\nchannels: {faults: C0FAULTS}\n",
			"faultline.yaml:5: timezone: expected a single value, not a list"},
		{"number for a duration", site + "deadlines: {fault_ack: 15}\nchannels: {faults: C0FAULTS}\n",
			`faultline.yaml:5: deadlines.fault_ack: "15" is not a duration; write it like 15m, 90s or 4h`},
		{"explicit zero", site + "probe: {count: 0, wait: 0s}\nchannels: {faults: C0FAULTS}\n",
			"faultline.yaml:5: probe.count: must be between 1 and 20\nfaultline.yaml:5: probe.wait: must be longer than zero"},
		{"unclosed list", "sites: [\n", "faultline.yaml:1: this is not valid YAML (did not find expected node content); check the indentation, colons and quotes"},
		{"only a null", "~\n", "faultline.yaml:1: the file is empty; it needs at least a sites: section"},
		{"scalar file", "sites\n", `faultline.yaml:1: the file must be a mapping of sections (timezone:, sites:, ...), not the single value "sites"`},
		{"second document", site + "channels: {faults: C0FAULTS}\n---\nlanguage: en\n",
			"faultline.yaml:6: a second YAML document starts here (after ---), and Faultline reads only the first: merge the two, or remove the ---"},
		{"schedule under a second", site + "channels: {faults: C0FAULTS}\nannouncements:\n  - {schedule: '@every 1ns', text: hi, channel: C0NEWS}\n",
			`faultline.yaml:7: announcements[0].schedule: "@every 1ns" is more often than once a second; the shortest schedule is @every 1s`},
		{"zero retention", site + "channels: {faults: C0FAULTS}\noutbox: {retention: 0s}\n",
			"faultline.yaml:6: outbox.retention: must be longer than zero"},
		{"deadlines without an operator", site + "channels: {faults: C0FAULTS}\ncompliance:\n  deadlines: {significant: 2h}\n",
			"faultline.yaml:7: compliance.deadlines: no outside report is due without compliance.operator, so these deadlines are never used: set the operator (cii, state_organ or other)"},
		{"a reminder as long as the deadline", site + "channels: {faults: C0FAULTS}\ncompliance:\n  operator: other\n  deadlines: {serious: 1h}\n  reminders: [30m, 1h]\n",
			"faultline.yaml:9: compliance.reminders[1]: 1h before a deadline of 1h would remind at once; a reminder is time left before the deadline, shorter than it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.yaml), "faultline.yaml", nil)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Parse error:\n%v\nwant:\n%s", err, tt.want)
			}
		})
	}
}

func TestEnvProblems(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse(data, "faultline.yaml", env(map[string]string{
		"LISTEN_ADDR":   "8080",
		"DATABASE_URL":  "mysql://root:hunter2@db/faultline",
		"SLACK_API_URL": "localhost:9999",
	}))
	want := `env LISTEN_ADDR: "8080" is not a listen address; write it as host:port, like :8080 or 127.0.0.1:8080
env DATABASE_URL: must start with postgres:// or postgresql://, or sqlite: and a file path (leave it empty for the embedded SQLite file faultline.db)
env SLACK_API_URL: "localhost:9999/" is not an http:// or https:// URL`
	if err == nil || err.Error() != want {
		t.Errorf("Parse error:\n%v\nwant:\n%s", err, want)
	}
}

func TestExampleAndDemoAreValid(t *testing.T) {
	t.Parallel()
	c, err := Load("../faultline.example.yaml", nil)
	if err != nil {
		t.Fatalf("faultline.example.yaml:\n%v", err)
	}
	if c.Language != "zh" || len(c.Sites) != 2 {
		t.Errorf("example: language %q, %d sites", c.Language, len(c.Sites))
	}
	for _, r := range faultline.Roles {
		if len(c.Members(r)) == 0 {
			t.Errorf("example: nobody holds role %s", r)
		}
	}
	d := Demo(nil)
	if d.Path != DemoPath {
		t.Errorf("Demo().Path = %q", d.Path)
	}
	for _, s := range d.Sites {
		for _, h := range s.Path {
			a, err := netip.ParseAddr(h.Host)
			if err != nil || !netip.MustParsePrefix("127.0.0.0/8").Contains(a) {
				t.Errorf("demo site %s hop %s: host %q is not loopback", s.Name, h.Name, h.Host)
			}
		}
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load("testdata/good.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Deadlines{
		FaultAck: 15 * time.Minute, FaultResolve: 4 * time.Hour, FaultDevice: 2 * time.Hour, FaultLine: 4 * time.Hour,
		RestartRecheck: 3 * time.Minute, FaultConfirm: 30 * time.Minute,
		IncidentReport: time.Hour, IncidentSummary: 72 * time.Hour, BackupConfirm: 2 * time.Hour,
		IncidentReportReminders:  []time.Duration{30 * time.Minute, 10 * time.Minute},
		IncidentSummaryReminders: []time.Duration{24 * time.Hour, 4 * time.Hour},
	}
	if !reflect.DeepEqual(c.Deadlines, want) {
		t.Errorf("Deadlines = %+v, want %+v", c.Deadlines, want)
	}
	if c.Location.String() != "Asia/Shanghai" || c.Language != "zh" || c.Path != "testdata/good.yaml" {
		t.Errorf("Location %v, Language %q, Path %q", c.Location, c.Language, c.Path)
	}
	b := c.Backups[0]
	if b.Grace != 2*time.Hour || b.EscalateTo != faultline.RoleITSupervisor || len(b.Owners) != 1 || b.Owners[0] != "U0CLERK" {
		t.Errorf("backup defaults: %+v", b)
	}
	if got := fmt.Sprint(c.Escalation.Fault); got != "[maintainer it_supervisor dept_head hq_netadmin]" {
		t.Errorf("Escalation.Fault = %s", got)
	}
	if c.Probe != (Probe{Count: 3, Interval: 20 * time.Millisecond, Wait: time.Second}) {
		t.Errorf("Probe = %+v", c.Probe)
	}
	if c.Env.APIURL != DefaultAPIURL || c.Env.ListenAddr != DefaultListenAddr {
		t.Errorf("Env = %v", c.Env)
	}
	const summary = "ok: 2 sites, 3 hops, 2 roles (3 people), 1 device, 1 line, 1 backup duty, timezone Asia/Shanghai, language zh"
	if got := c.Summary(); got != summary {
		t.Errorf("Summary() = %q, want %q", got, summary)
	}
}

func TestLookups(t *testing.T) {
	t.Parallel()
	c, err := Load("testdata/good.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string]faultline.Role{
		"U0TECH": faultline.RoleMaintainer, "U0BOSS": faultline.RoleDeptHead,
		"U0BOTH": faultline.RoleDeptHead, "U0NOBODY": faultline.RoleEmployee,
	}
	for user, want := range roles {
		if got := c.RoleOf(user); got != want {
			t.Errorf("RoleOf(%s) = %s, want %s", user, got, want)
		}
	}
	if got := fmt.Sprint(c.RolesOf("U0BOTH")); got != "[dept_head maintainer]" {
		t.Errorf("RolesOf(U0BOTH) = %s", got)
	}
	if c.Members(faultline.RoleEmployee) != nil || len(c.Members(faultline.RoleMaintainer)) != 2 {
		t.Errorf("Members: employee %v, maintainer %v", c.Members(faultline.RoleEmployee), c.Members(faultline.RoleMaintainer))
	}
	for _, name := range []string{"office-a", "OFFICE-A", "hq-building", "总部大楼"} {
		if s, ok := c.Site(name); !ok || s.Name != "Office-A" {
			t.Errorf("Site(%q) = %q, %v", name, s.Name, ok)
		}
	}
	if _, ok := c.Site("nowhere"); ok {
		t.Error(`Site("nowhere") found a site`)
	}
	if d, ok := c.Device("GW-1"); !ok || d.Label != "gw-1" {
		t.Errorf("Device(GW-1) = %+v, %v (label defaults to the id)", d, ok)
	}
	if l, ok := c.Line("ct-1"); !ok || l.SLA != 4*time.Hour {
		t.Errorf("Line(ct-1) = %+v, %v", l, ok)
	}
}

func TestEnvRedaction(t *testing.T) {
	t.Parallel()
	secrets := []string{"s3cr3tbot", "s1gn1ngs3cr3t", "s3cr3tapp", "hunter2", "qpass"}
	e, err := ReadEnv(env(map[string]string{
		"SLACK_BOT_TOKEN":      "xoxb-1234-s3cr3tbot",
		"SLACK_SIGNING_SECRET": "s1gn1ngs3cr3t",
		"SLACK_APP_TOKEN":      "xapp-1-s3cr3tapp",
		"SLACK_API_URL":        "http://127.0.0.1:9999/api",
		"DATABASE_URL":         "postgres://faultline:hunter2@db:5432/faultline?sslmode=disable&password=qpass",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if e.APIURL != "http://127.0.0.1:9999/api/" {
		t.Errorf("APIURL = %q, want a trailing slash", e.APIURL)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "env", e, "config", &Config{Env: e})
	slog.New(slog.NewTextHandler(&buf, nil)).Info("starting", "env", e, "config", &Config{Env: e})
	outputs := map[string]string{
		"%v": fmt.Sprintf("%v", e), "%+v": fmt.Sprintf("%+v", e), "%#v": fmt.Sprintf("%#v", e),
		"%s": fmt.Sprintf("%s", e), "config %+v": fmt.Sprintf("%+v", Config{Env: e}), "slog": buf.String(),
	}
	for name, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s leaks %q: %s", name, s, out)
			}
		}
	}
	for _, want := range []string{"xoxb-…(redacted)", "xapp-…(redacted)", "faultline:xxxxx@db:5432"} {
		if !strings.Contains(outputs["%v"], want) || !strings.Contains(outputs["slog"], want) {
			t.Errorf("missing %q in %s\nand %s", want, outputs["%v"], outputs["slog"])
		}
	}
}

func TestQuietHours(t *testing.T) {
	t.Parallel()
	m := Monitor{QuietHours: "22:00-07:00"}
	for hhmm, want := range map[string]bool{"21:59": false, "22:00": true, "03:00": true, "06:59": true, "07:00": false} {
		at, _ := time.Parse("15:04", hhmm)
		if got := m.Quiet(at, time.UTC); got != want {
			t.Errorf("Quiet(%s) = %v, want %v", hhmm, got, want)
		}
	}
	if (Monitor{}).Quiet(time.Now(), time.UTC) {
		t.Error("a monitor without quiet hours is quiet")
	}
}

// A category written with spaces around it is kept as the Classify form
// compares what it is given: trimmed, so it can be chosen.
func TestCategoriesAreTrimmed(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(append(data, []byte("compliance:\n  scheme: national\n  categories: [\" 网络攻击事件 \", \"数据安全事件\"]\n")...), "faultline.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Compliance.Categories; len(got) != 2 || got[0] != "网络攻击事件" {
		t.Fatalf("categories %q", got)
	}
}

func TestShortDurations(t *testing.T) {
	for d, want := range map[time.Duration]string{time.Hour: "1h", 30 * time.Minute: "30m", 90 * time.Minute: "1h30m", 30 * time.Second: "30s", 90 * time.Second: "1m30s"} {
		if got := short(d); got != want {
			t.Errorf("short(%v) = %q, want %q", d, got, want)
		}
	}
}
