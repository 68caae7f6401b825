package commands_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/catalog"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/jobs"
	"github.com/faultline/faultline/probe/probetest"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

// The flows are tested here at their own layer: the Service driven as a
// transport drives it, on real storage (SQLite always, PostgreSQL when
// TEST_DATABASE_URL is set), with a recording chat for the Poster, a
// scripted pinger, and a clock the test moves. Slack's wire format is the
// bot package's business and is tested there.

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it); got:\n%s", path, got)
	}
}

const (
	faults    = "C0FAULTS"
	incidents = "G0INCIDENTS"
	announce  = "C0ANNOUNCE"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

var testSites = []faultline.Site{
	{Name: "office-a", Aliases: []string{"总部大楼"}, Path: []faultline.Hop{
		{Name: "LAN gateway", Host: "127.0.0.1", Kind: faultline.KindDevice},
		{Name: "core switch", Host: "127.0.1.1", Kind: faultline.KindDevice, Device: "sw-core-a"},
		{Name: "WAN router", Host: "127.0.2.1", Kind: faultline.KindDevice, Device: "rt-wan-a"},
		{Name: "carrier line", Host: "127.0.3.1", Kind: faultline.KindLine, Line: "ct-mstp-a"},
		{Name: "HQ", Host: "127.0.9.1", Kind: faultline.KindHQ},
	}},
}

// testSettings is the site, inventory, people and clocks the flow tests
// use.
func testSettings(lang catalog.Lang) commands.Settings {
	return commands.Settings{
		Language: lang, FaultsChannel: faults, Sites: testSites,
		Devices: []faultline.Device{
			{ID: "rt-wan-a", Label: "Office A WAN router", Model: "Cisco ISR 4331", Location: "3F server room", Vendor: "Eastern Systems", VendorContact: "400-820-0000", WarrantyEnd: "2099-12-31"},
			{ID: "sw-core-a", Label: "Office A core switch", Model: "Huawei S5735", Location: "3F server room", Vendor: "Netcom", VendorContact: "021-5555-0101", WarrantyEnd: "2023-12-31"},
		},
		Lines: []faultline.Line{{ID: "ct-mstp-a", Carrier: "China Telecom", FaultPhone: "10000", Circuit: "SH-MSTP-0045", SLA: 4 * time.Hour}},
		Roles: map[faultline.Role][]string{
			faultline.RoleMaintainer: {"U0TECH", "U0TECH2"}, faultline.RoleSysadmin: {"U0ADMIN", "U0ADMIN2"},
			faultline.RoleITSupervisor: {"U0SUPER"}, faultline.RoleDeptHead: {"U0HEAD"}, faultline.RoleHQNetadmin: {"U0HQ"},
			faultline.RoleInfoManager: {"U0SEC"}, faultline.RoleExec: {"U0EXEC"},
		},
		Escalation: faultline.Chain{faultline.RoleMaintainer, faultline.RoleITSupervisor, faultline.RoleDeptHead, faultline.RoleHQNetadmin},
		Deadlines: commands.Deadlines{Ack: 15 * time.Minute, Resolve: 4 * time.Hour, Device: 2 * time.Hour, Line: 4 * time.Hour,
			RestartRecheck: 3 * time.Minute, Confirm: 30 * time.Minute},
		IncidentsChannel: incidents, AnnouncementsChannel: announce,
		IncidentEscalation: faultline.Chain{faultline.RoleDeptHead, faultline.RoleExec},
		Incident: commands.IncidentClocks{Report: time.Hour, Summary: 72 * time.Hour,
			ReportReminders: []time.Duration{30 * time.Minute, 10 * time.Minute}, SummaryReminders: []time.Duration{24 * time.Hour, 4 * time.Hour}},
		Compliance: commands.ComplianceSettings{Operator: faultline.OperatorOther, Unit: "示例集团", Authority: "属地省级网信部门",
			Levels: map[faultline.Level]faultline.Severity{faultline.LevelGeneral: faultline.SevGeneral, faultline.LevelSignificant: faultline.SevMajor,
				faultline.LevelSerious: faultline.SevCritical, faultline.LevelExtraordinary: faultline.SevCritical},
			Categories: []string{"恶意程序事件", "网络攻击事件", "数据安全事件", "其他事件"}, Role: faultline.RoleInfoManager,
			Reminders: []time.Duration{30 * time.Minute, 10 * time.Minute}, Supplement: 24 * time.Hour, Note: "tel. 12387"},
	}
}

// sent is one message the flows sent, as the chat received it.
type sent struct {
	Method  string // "post", "update" or "reply" (an answer to the person acting)
	Channel string // D0<user> for a DM
	TS      string
	faultline.Message
}

func (s sent) String() string {
	return s.Method + " " + s.Channel + " " + strings.ReplaceAll(s.Text, "\n", " ⏎ ")
}

// chat is the flows' Poster and Responder in tests: it records what is
// sent, in order, and fails the next posts with the errors it is given.
type chat struct {
	mu   sync.Mutex
	sent []sent
	seq  int
	fail []error
	gone map[string]bool
}

func (c *chat) Post(_ context.Context, m faultline.Message) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.fail) > 0 {
		err := c.fail[0]
		c.fail = c.fail[1:]
		return "", err
	}
	c.seq++
	ts := fmt.Sprintf("1700000000.%06d", c.seq)
	c.sent = append(c.sent, sent{Method: "post", Channel: m.Channel, TS: ts, Message: m})
	return ts, nil
}

func (c *chat) Update(_ context.Context, channel, ts string, m faultline.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = append(c.sent, sent{Method: "update", Channel: channel, TS: ts, Message: m})
	return nil
}

func (c *chat) OpenDM(_ context.Context, user string) (string, error) { return "D0" + user, nil }

func (c *chat) UserGone(_ context.Context, user string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gone[user], nil
}

func (c *chat) Respond(_ context.Context, m faultline.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = append(c.sent, sent{Method: "reply", Message: m})
	return nil
}

func (c *chat) failNext(errs ...error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fail = append(c.fail, errs...)
}

func (c *chat) leave(user string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gone == nil {
		c.gone = map[string]bool{}
	}
	c.gone[user] = true
}

func (c *chat) all() []sent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]sent(nil), c.sent...)
}

// harness is one Service on a real database.
type harness struct {
	t      *testing.T
	db     *storage.DB
	svc    *commands.Service
	chat   *chat
	pinger *probetest.Script
	mu     sync.Mutex
	clock  time.Time
	seen   int
	// triggers counts the trigger IDs handed out.
	triggers int
}

var testT0 = time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC) // 10:00 in Shanghai

// setup is a Service in English over db, its clock at testT0.
func setup(t *testing.T, db *storage.DB) *harness { return setupAt(t, db, testT0, nil) }

// setupAt starts the clock at start and changes the settings with adjust
// (duties, a calendar, another language), and starts the service (its
// duties and schedules synced) as serve does.
func setupAt(t *testing.T, db *storage.DB, start time.Time, adjust func(*commands.Settings)) *harness {
	return setupHooks(t, db, start, adjust, nil)
}

// setupHooks is setupAt with group robots that hooks sends to.
func setupHooks(t *testing.T, db *storage.DB, start time.Time, adjust func(*commands.Settings), hooks commands.HookSender) *harness {
	h := &harness{t: t, db: db, chat: &chat{}, pinger: &probetest.Script{}, clock: start}
	set := testSettings(catalog.EN)
	if adjust != nil {
		adjust(&set)
	}
	h.svc = commands.New(commands.Deps{
		Store: db, Pinger: h.pinger, Poster: h.chat, Hooks: hooks, Log: storagetest.Logger(), Settings: set,
		Now: h.now, Scheduler: jobs.Schedules{Location: set.Location},
	})
	if err := h.svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return h
}

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

// run does a response's slow work at once, as a transport does after its
// acknowledgement, and returns the response.
func (h *harness) run(resp commands.Response) commands.Response {
	h.t.Helper()
	if resp.Work != nil {
		if err := resp.Work(context.Background()); err != nil {
			h.t.Fatalf("work: %v", err)
		}
	}
	h.tasks()
	return resp
}

// tasks runs the stored tasks (path checks) until none is left, as the
// task worker does.
func (h *harness) tasks() {
	h.t.Helper()
	for {
		n, err := h.svc.RunTasks(context.Background(), 1)
		if err != nil {
			h.t.Fatalf("tasks: %v", err)
		}
		if n == 0 {
			return
		}
	}
}

// trigger is a fresh trigger ID, as Slack gives each command and press.
func (h *harness) trigger() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.triggers++
	return fmt.Sprintf("T%d", h.triggers)
}

// command runs a slash command ("/fault office-a down") as user.
func (h *harness) command(user, line string) commands.Response {
	h.t.Helper()
	cmd, text, _ := strings.Cut(line, " ")
	return h.run(h.svc.Command(context.Background(), commands.Request{
		Command: cmd, Text: text, User: user, Channel: "C0GENERAL", TriggerID: h.trigger(), Respond: h.chat}))
}

func (h *harness) press(user, id, value string) commands.Response {
	h.t.Helper()
	return h.run(h.svc.Press(context.Background(), commands.Action{ID: id, Value: value, User: user, TriggerID: h.trigger(), Respond: h.chat}))
}

func (h *harness) submit(user, callback, metadata string, values map[string]string) commands.Response {
	h.t.Helper()
	return h.run(h.svc.Submit(context.Background(), commands.Submission{CallbackID: callback, User: user, Values: values, Metadata: metadata, TriggerID: h.trigger(), ViewID: "V" + h.trigger()}))
}

// settle runs the clocks and sends what the outbox holds, and returns what
// was sent since the last settle.
func (h *harness) settle() []sent {
	h.t.Helper()
	if err := h.svc.FireDue(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	h.tasks()
	if err := h.svc.Flush(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	all := h.chat.all()
	fresh := all[h.seen:]
	h.seen = len(all)
	return fresh
}

func (h *harness) fault(n int64) faultline.Fault {
	h.t.Helper()
	f, err := h.db.Fault(context.Background(), n)
	if err != nil {
		h.t.Fatal(err)
	}
	return f
}

func (h *harness) expectFault(n int64, st faultline.FaultState) faultline.Fault {
	h.t.Helper()
	f := h.fault(n)
	if f.State != st {
		h.t.Fatalf("%s is %s, want %s", f.Ref(), f.State, st)
	}
	return f
}

func (h *harness) incident(n int64) faultline.Incident {
	h.t.Helper()
	i, err := h.db.Incident(context.Background(), n)
	if err != nil {
		h.t.Fatal(err)
	}
	return i
}

// reply is what the person acting was answered, in one line.
func reply(resp commands.Response) string {
	if resp.Reply == nil {
		return ""
	}
	return resp.Reply.Text
}

func mustReply(t *testing.T, resp commands.Response, text string) {
	t.Helper()
	if got := reply(resp); !strings.Contains(got, text) {
		t.Fatalf("answer %q lacks %q", got, text)
	}
}

// said reports whether a message sent by method carries text in its text,
// its fields, its context or its buttons.
func said(msgs []sent, method, text string) bool {
	for _, m := range msgs {
		if m.Method == method && strings.Contains(whole(m.Message), text) {
			return true
		}
	}
	return false
}

func whole(m faultline.Message) string {
	parts := []string{m.Text, m.Context}
	for _, f := range m.Fields {
		parts = append(parts, f.Label+": "+f.Value)
	}
	for _, b := range m.Buttons {
		parts = append(parts, b.ID+" "+b.Label+" "+b.Value)
	}
	return strings.Join(parts, "\n")
}

func mustSay(t *testing.T, msgs []sent, method, text string) {
	t.Helper()
	if !said(msgs, method, text) {
		t.Fatalf("no %s saying %q among:%s", method, text, dump(msgs))
	}
}

func dump(msgs []sent) string {
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString("\n  " + m.String())
	}
	return b.String()
}

// dmsTo lists the texts sent as direct messages to user.
func dmsTo(msgs []sent, user string) []string {
	var out []string
	for _, m := range msgs {
		if m.Method == "post" && m.Channel == "D0"+user {
			out = append(out, m.Text)
		}
	}
	return out
}

func timersOf(t *testing.T, db *storage.DB, faultID int64) []string {
	t.Helper()
	timers, err := db.Timers(context.Background(), faultID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, tm := range timers {
		kinds = append(kinds, string(tm.Kind))
	}
	return kinds
}

func assertKinds(t *testing.T, db *storage.DB, faultID int64, want ...faultline.EventKind) {
	t.Helper()
	events, err := db.Events(context.Background(), faultID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		got = append(got, string(e.Kind))
	}
	var w []string
	for _, k := range want {
		w = append(w, string(k))
	}
	if strings.Join(got, ",") != strings.Join(w, ",") {
		t.Fatalf("timeline = %v, want %v", got, w)
	}
}

// assertWellFormed checks every text the flows sent for broken markup: a
// "<" must open a mention, a channel link or a link, never be raw text.
func assertWellFormed(t *testing.T, msgs []sent) {
	t.Helper()
	for _, m := range msgs {
		text := whole(m.Message)
		for i := strings.Index(text, "<"); i >= 0; i = next(text, i) {
			rest := text[i+1:]
			if !(strings.HasPrefix(rest, "@U") || strings.HasPrefix(rest, "#C") || strings.HasPrefix(rest, "#G") || strings.HasPrefix(rest, "http")) {
				t.Errorf("%s carries a raw '<': …%s", m.Method, text[i:min(len(text), i+40)])
			}
		}
	}
}

func next(s string, i int) int {
	j := strings.Index(s[i+1:], "<")
	if j < 0 {
		return -1
	}
	return i + 1 + j
}
