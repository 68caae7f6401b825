package bot_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/bot"
	"github.com/faultline/faultline/bot/slackfake"
	"github.com/faultline/faultline/catalog"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/jobs"
	"github.com/faultline/faultline/metrics"
	"github.com/faultline/faultline/probe/probetest"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

var testSites = []faultline.Site{
	{Name: "office-a", Aliases: []string{"总部大楼"}, Path: []faultline.Hop{
		{Name: "LAN gateway", Host: "127.0.0.1", Kind: faultline.KindDevice},
		{Name: "core switch", Host: "127.0.1.1", Kind: faultline.KindDevice, Device: "sw-core-a"},
		{Name: "WAN router", Host: "127.0.2.1", Kind: faultline.KindDevice, Device: "rt-wan-a"},
		{Name: "carrier line", Host: "127.0.3.1", Kind: faultline.KindLine, Line: "ct-mstp-a"},
		{Name: "HQ", Host: "127.0.9.1", Kind: faultline.KindHQ},
	}},
}

var (
	testDevices = []faultline.Device{
		{ID: "rt-wan-a", Label: "Office A WAN router", Model: "Cisco ISR 4331", Location: "3F server room", Vendor: "Eastern Systems", VendorContact: "400-820-0000", WarrantyEnd: "2099-12-31"},
		{ID: "sw-core-a", Label: "Office A core switch", Model: "Huawei S5735", Location: "3F server room", Vendor: "Netcom", VendorContact: "021-5555-0101", WarrantyEnd: "2023-12-31"},
	}
	testLines = []faultline.Line{{ID: "ct-mstp-a", Carrier: "China Telecom", FaultPhone: "10000", Circuit: "SH-MSTP-0045", SLA: 4 * time.Hour}}
	testRoles = map[faultline.Role][]string{
		faultline.RoleMaintainer: {"U0TECH", "U0TECH2"}, faultline.RoleSysadmin: {"U0ADMIN", "U0ADMIN2"},
		faultline.RoleITSupervisor: {"U0SUPER"}, faultline.RoleDeptHead: {"U0HEAD"}, faultline.RoleHQNetadmin: {"U0HQ"},
		faultline.RoleInfoManager: {"U0SEC"}, faultline.RoleExec: {"U0EXEC"},
	}
)

// testSettings is the site, inventory, people and clocks the tests use.
func testSettings(lang catalog.Lang) commands.Settings {
	return commands.Settings{
		Language: lang, FaultsChannel: faults, Sites: testSites, Devices: testDevices, Lines: testLines, Roles: testRoles,
		Escalation: []faultline.Role{faultline.RoleMaintainer, faultline.RoleITSupervisor, faultline.RoleDeptHead, faultline.RoleHQNetadmin},
		Deadlines: commands.Deadlines{Ack: 15 * time.Minute, Resolve: 4 * time.Hour, Device: 2 * time.Hour, Line: 4 * time.Hour,
			RestartRecheck: 3 * time.Minute, Confirm: 30 * time.Minute},
		IncidentsChannel: incidents, AnnouncementsChannel: announce,
		IncidentEscalation: []faultline.Role{faultline.RoleDeptHead, faultline.RoleExec},
		Incident: commands.IncidentClocks{Report: time.Hour, Summary: 72 * time.Hour,
			ReportReminders: []time.Duration{30 * time.Minute, 10 * time.Minute}, SummaryReminders: []time.Duration{24 * time.Hour, 4 * time.Hour}},
		Compliance: commands.ComplianceSettings{Operator: faultline.OperatorOther, Unit: "示例集团", Authority: "属地省级网信部门",
			Levels: map[faultline.Level]faultline.Severity{faultline.LevelGeneral: faultline.SevGeneral, faultline.LevelSignificant: faultline.SevMajor,
				faultline.LevelSerious: faultline.SevCritical, faultline.LevelExtraordinary: faultline.SevCritical},
			Categories: []string{"恶意程序事件", "网络攻击事件", "数据安全事件", "其他事件"}, Role: faultline.RoleInfoManager,
			Reminders: []time.Duration{30 * time.Minute, 10 * time.Minute}, Supplement: 24 * time.Hour, Note: "tel. 12387"},
	}
}

type harness struct {
	slack  *slackfake.Slack
	bot    slackfake.Bot
	db     *storage.DB
	pinger *probetest.Script
	reg    *prometheus.Registry
	work   *bot.Workers
	config bot.ServerConfig
	svc    *commands.Service
	mu     sync.Mutex
	clock  time.Time
}

// setup runs the real HTTP transport, the real flows and a real database,
// with Slack faked at the HTTP boundary and a scripted pinger.
func setup(t testing.TB, db *storage.DB) *harness { return setupWith(t, db, true) }

// setupWith builds the harness; with jobs, the clock job and the delivery
// loop run as in serve, otherwise the test drives them (Flush, FireDue)
// and its clock (advance) so that every step is deterministic.
func setupWith(t testing.TB, db *storage.DB, withJobs bool) *harness {
	return setupCustom(t, db, withJobs, time.Now(), nil)
}

// setupCustom is setupWith starting the clock at start, with the settings
// changed by adjust (duties, a calendar…), and the service started (its
// duties and schedules synced) as serve does.
func setupCustom(t testing.TB, db *storage.DB, withJobs bool, start time.Time, adjust func(*commands.Settings)) *harness {
	h := &harness{slack: slackfake.New(t, token), db: db, pinger: &probetest.Script{}, reg: prometheus.NewRegistry(), clock: start}
	h.reg.MustRegister(metrics.Gauges{Store: db, ReportWithin: time.Hour, Log: storagetest.Logger()})
	log := storagetest.Logger()
	api := bot.NewWebAPI(token, h.slack.APIURL())
	api.Now = h.now
	set := testSettings(catalog.EN)
	if adjust != nil {
		adjust(&set)
	}
	svc := commands.New(commands.Deps{
		Store: db, Pinger: h.pinger, Poster: api, Log: log, Settings: set,
		Now: h.now, Recorder: metrics.NewFlows(h.reg), Scheduler: jobs.Schedules{Location: set.Location},
	})
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	metrics := bot.NewMetrics(h.reg)
	workers := bot.NewWorkers(log, metrics.WorkFailed)
	h.config = bot.ServerConfig{
		Handler: svc, API: api, SigningSecret: secret, Ready: db.Ping,
		Gatherer: h.reg, Metrics: metrics, Workers: workers, Log: log,
	}
	srv := bot.NewServer(h.config)
	ts := httptest.NewServer(srv.Routes())
	h.svc = svc
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		if withJobs {
			jobs.New(svc, jobs.Config{ClockSchedule: "@every 1s"}, log).Run(ctx)
		}
	}()
	t.Cleanup(func() {
		ts.Close()
		workers.Drain(10 * time.Second)
		stop()
		<-ran
	})
	h.bot = slackfake.Bot{URL: ts.URL, Secret: secret, Slack: h.slack}
	h.work = workers
	return h
}

// now is the flows' clock: real time plus whatever the test advanced.
func (h *harness) now() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.clock
}

func (h *harness) advance(d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.clock = h.clock.Add(d)
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// headShowsVerdict reports whether the ticket's head message, as last
// posted or updated, shows a check's verdict: the head goes out as the
// ticket is when it is sent, so it shows the verdict at once when the check
// finished first, and is updated to show it otherwise.
func headShowsVerdict(calls []slackfake.Call) bool {
	last := ""
	for _, c := range calls {
		if c.Method == "chat.update" || c.Method == "chat.postMessage" && c.Params["thread_ts"] == "" {
			last = c.Params["blocks"]
		}
	}
	return last != "" && !strings.Contains(last, "Checking the network path") && slackfake.Count(calls, "chat.postMessage") >= 2
}

// headRender is the ticket's head message as Slack shows it last.
func headRender(calls []slackfake.Call) slackfake.Call {
	var last slackfake.Call
	for _, c := range calls {
		if c.Method == "chat.update" || c.Method == "chat.postMessage" && c.Params["thread_ts"] == "" {
			last = c
		}
	}
	return last
}

func filter(calls []slackfake.Call, method string) []slackfake.Call {
	var out []slackfake.Call
	for _, c := range calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

func assertKinds[K ~string](t *testing.T, db *storage.DB, faultID int64, want ...K) {
	t.Helper()
	events, err := db.Events(context.Background(), faultID)
	if err != nil {
		t.Fatal(err)
	}
	var got []faultline.EventKind
	for _, e := range events {
		got = append(got, e.Kind)
	}
	if strings.Join(kinds(got), ",") != strings.Join(kinds(want), ",") {
		t.Fatalf("timeline = %v, want %v", got, want)
	}
}

func kinds[K ~string](k []K) []string {
	out := make([]string, len(k))
	for i, x := range k {
		out[i] = string(x)
	}
	return out
}

// settle waits for the work requests started, runs the clocks and sends
// what the outbox holds.
func (h *harness) settle(t *testing.T) {
	t.Helper()
	h.drain(t)
	if err := h.svc.FireDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.drain(t)
	if err := h.svc.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// drain waits for the work requests started and runs the tasks (path
// checks) they stored, as the task worker does.
func (h *harness) drain(t testing.TB) {
	t.Helper()
	h.work.Wait()
	for {
		n, err := h.svc.RunTasks(context.Background(), 1)
		if err != nil {
			t.Fatalf("tasks: %v", err)
		}
		if n == 0 {
			return
		}
	}
}

// press presses a ticket's button through the interactions endpoint.
func (h *harness) press(t *testing.T, user, action, ref string) {
	t.Helper()
	f, err := h.db.Fault(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if resp := h.bot.Interaction(t, h.bot.BlockAction(user, faults, f.MessageTS, "", action, ref)); resp.StatusCode != http.StatusOK {
		t.Fatalf("%s by %s: status %d", action, user, resp.StatusCode)
	}
	h.settle(t)
}
