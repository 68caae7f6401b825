package commands_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/probe/probetest"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

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

// flow drives the service directly, as a transport would, on a clock the
// test moves.
type flow struct {
	t   *testing.T
	svc *commands.Service
	now time.Time
}

func newFlow(t *testing.T, db *storage.DB) *flow { return newFlowIn(t, db, faultline.LangZH) }

// newFlowLang is a service in lang over a fresh SQLite file.
func newFlowLang(t *testing.T, lang faultline.Lang) *commands.Service {
	return newFlowIn(t, storagetest.Open(t, "sqlite"), lang).svc
}

func newFlowIn(t *testing.T, db *storage.DB, lang faultline.Lang) *flow {
	f := &flow{t: t, now: time.Date(2026, 11, 27, 1, 30, 0, 0, time.UTC)}
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	f.svc = commands.New(commands.Deps{
		Store: db, Pinger: &probetest.Script{}, Log: storagetest.Logger(), Now: func() time.Time { return f.now },
		Settings: commands.Settings{
			Language: lang, Location: shanghai, FaultsChannel: "C0FAULTS",
			IncidentsChannel: "G0INCIDENTS", AnnouncementsChannel: "C0ANNOUNCE",
			Roles: map[faultline.Role][]string{
				faultline.RoleInfoManager: {"U0SEC"}, faultline.RoleDeptHead: {"U0HEAD"}, faultline.RoleExec: {"U0EXEC"},
				faultline.RoleMaintainer: {"U0TECH"},
			},
			IncidentEscalation: []faultline.Role{faultline.RoleDeptHead, faultline.RoleExec},
			Incident:           commands.IncidentClocks{Report: time.Hour, Summary: 72 * time.Hour},
		},
	})
	return f
}

func (f *flow) cmd(user, text string) commands.Response {
	return f.svc.Command(context.Background(), commands.Request{Command: "/incident", Text: text, User: user, Channel: "D0"})
}

func (f *flow) press(user, id, value string) commands.Response {
	f.t.Helper()
	return f.svc.Press(context.Background(), commands.Action{ID: id, Value: value, User: user})
}

func (f *flow) submit(user, callback, ref string, values map[string]string) {
	f.t.Helper()
	resp := f.svc.Submit(context.Background(), commands.Submission{CallbackID: callback, User: user, Values: values, Metadata: ref})
	if len(resp.Errors) > 0 {
		f.t.Fatalf("%s refused: %v", callback, resp.Errors)
	}
}

// The archive's record of a known incident, as Markdown and with the
// period's CSV, Chinese text intact.
func TestIncidentExportGolden(t *testing.T) {
	db := storagetest.Open(t, "sqlite")
	f := newFlow(t, db)
	f.cmd("U0REP", "财务部电脑弹出勒索软件提示，共享盘文件被加密 | 部分文件名带 .locked")
	f.now = f.now.Add(5 * time.Minute)
	f.press("U0SEC", "incident_take", "I-1")
	f.now = f.now.Add(40 * time.Minute)
	f.submit("U0SEC", "incident_report", "I-1", map[string]string{
		"what": "财务部一台电脑感染勒索软件，共享盘 \\\\fs01\\finance 约300个文件被加密", "actions": "断网隔离该电脑；共享盘改为只读",
		"impact": "财务共享盘不可用约2小时", "status": "已控制，正在从备份恢复"})
	f.submit("U0HEAD", "incident_classify", "I-1", map[string]string{"severity": "major"})
	f.press("U0HEAD", "incident_approve_notice", "I-1")
	f.submit("U0SEC", "incident_remedy", "I-1", map[string]string{"action": "从昨晚的备份恢复共享盘"})
	f.now = f.now.Add(3 * time.Hour)
	f.submit("U0SEC", "incident_close", "I-1", map[string]string{"cause": "员工打开了带宏的邮件附件", "measures": "恢复备份；全员禁用Office宏"})
	f.now = f.now.Add(24 * time.Hour)
	f.submit("U0SEC", "incident_summary", "I-1", map[string]string{"cause": "邮件附件宏病毒", "responsibility": "信息部；财务部",
		"lessons": "备份有效；宏策略应默认关闭", "followups": "U0TECH 2026-12-05 推送禁用宏的组策略"})
	f.cmd("U0REP", "又收到一封可疑邮件")

	md, err := f.svc.IncidentMarkdown(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "incident-I-1.md", []byte(md))
	var csv bytes.Buffer
	if err := f.svc.IncidentsCSV(context.Background(), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), &csv); err != nil {
		t.Fatal(err)
	}
	golden(t, "incidents-2026-11.csv", csv.Bytes())
}
