package commands_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/catalog"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

// secret42 is in the incident's text; the privacy check looks for it
// wherever it must not be.
const secret42 = "ERP-PASSWORD-LEAK-42"

// The security-incident procedure end to end: declared critical by an
// employee → handled → report filed in time → classified → notice drafted,
// edited, approved, posted → remediation → outside report → closed →
// summary with a follow-up → follow-up done. Privacy, over every message
// sent: the incident's text is only ever in the private incidents channel
// or in DMs to the people allowed to read it, and the announcements channel
// gets exactly the approved notice, and nothing before the approval.
func TestIncidentEndToEnd(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		if form := h.command("U0EMPLOYEE", "/incident"); form.Modal == nil || form.Modal.CallbackID != commands.CallbackDeclare {
			t.Fatalf("/incident without text should open the form: %+v", form)
		}
		h.submit("U0EMPLOYEE", commands.CallbackDeclare, "C0GENERAL", map[string]string{"severity": "critical",
			"description": "phishing mail, I typed my password " + secret42, "systems": "ERP", "noticed": "the mail looked odd"})
		msgs := h.settle()
		mustSay(t, msgs, "post", "<@U0SEC> <@U0HEAD>: a security incident was declared")
		mustSay(t, msgs, "post", "I-1* is declared")
		if i := h.incident(1); i.Severity != faultline.SevCritical || !i.ClassifiedAt.IsZero() || i.State != faultline.IncOpen {
			t.Fatalf("the reporter's severity is a suggestion until confirmed: %+v", i)
		}

		mustReply(t, h.press("U0TECH", "incident_take", "I-1"), "There is no incident I-1 you may read")
		h.press("U0SEC", "incident_take", "I-1")
		h.submit("U0SEC", "incident_report", "I-1", map[string]string{"what": "credential phishing " + secret42, "actions": "password reset, PC isolated"})
		if i := h.incident(1); i.State != faultline.IncReported {
			t.Fatalf("I-1 is %s", i.State)
		}
		if dms := dmsTo(h.settle(), "U0HEAD"); len(dms) != 1 || !strings.Contains(dms[0], "password reset") {
			t.Fatalf("the report does not reach the IT department manager: %v", dms)
		}
		// Amending the report starts from what was filed.
		if form := h.press("U0SEC", "incident_report", "I-1"); form.Modal == nil || form.Modal.Inputs[0].Value != "credential phishing "+secret42 ||
			form.Modal.Inputs[1].Value != "password reset, PC isolated" {
			t.Fatalf("the amend form does not show the report filed: %+v", form.Modal)
		}

		if form := h.press("U0HEAD", "incident_classify", "I-1"); form.Modal == nil || form.Modal.Inputs[0].Value != "critical" {
			t.Fatalf("the classify form does not preselect the reported severity: %+v", form.Modal)
		}
		h.submit("U0HEAD", "incident_classify", "I-1", map[string]string{"severity": "critical"})
		msgs = h.settle()
		mustSay(t, msgs, "post", "company notice is drafted")
		if dms := dmsTo(msgs, "U0EXEC"); len(dms) != 1 {
			t.Fatalf("the executive in charge is not told: %s", dump(msgs))
		}
		if got := announced(h.chat.all()); len(got) != 0 {
			t.Fatalf("something reached the announcements channel before the approval: %q", got)
		}
		mustReply(t, h.press("U0SEC", "incident_approve_notice", "I-1"), "Only the IT department head may approve the company notice")
		approved := "Security notice: beware of mails asking for your ERP password."
		h.submit("U0SEC", "incident_edit_notice", "I-1", map[string]string{"notice": approved})
		h.press("U0HEAD", "incident_approve_notice", "I-1")
		h.settle()
		if got := announced(h.chat.all()); len(got) != 1 || got[0] != approved {
			t.Fatalf("announcements got %q, want exactly the approved text", got)
		}

		h.submit("U0SEC", "incident_remedy", "I-1", map[string]string{"action": "blocked the sender domain"})
		if err := h.svc.ThreadReply(context.Background(), commands.ThreadReply{Channel: incidents, ThreadTS: h.incident(1).MessageTS,
			TS: "1700000100.000001", User: "U0SEC", Text: "mail gateway rule added"}); err != nil {
			t.Fatal(err)
		}
		if form := h.press("U0SEC", "incident_external", "I-1"); form.Modal == nil || form.Modal.Inputs[0].Value != "属地省级网信部门" {
			t.Fatalf("the outside report's form does not name the authority: %+v", form)
		}
		h.submit("U0SEC", "incident_external", "I-1", map[string]string{"to": "属地省级网信部门", "channel": "hotline", "reference": "R-1"})
		if i := h.incident(1); i.ExternalAt.IsZero() || i.Outside.Channel != "hotline" || i.Outside.Reference != "R-1" {
			t.Fatalf("the outside report is not recorded: %+v", i)
		}
		h.submit("U0SEC", "incident_close", "I-1", map[string]string{"cause": "user clicked a phishing link", "measures": "reset, block, training", "owner": "U0SUPER"})
		if i := h.incident(1); i.State != faultline.IncClosed || i.SummaryOwner != "U0SUPER" {
			t.Fatalf("closed: %+v", i)
		}
		h.settle()
		h.submit("U0SUPER", "incident_summary", "I-1", map[string]string{"cause": "no MFA", "responsibility": "IT",
			"lessons": "turn on MFA", "followups": "U0TECH 2026-12-05 enable MFA on the ERP"})
		if i := h.incident(1); i.State != faultline.IncArchived {
			t.Fatalf("I-1 is %s", i.State)
		}
		followUp := dmsTo(h.settle(), "U0TECH")
		if len(followUp) != 1 || !strings.Contains(followUp[0], "enable MFA") || strings.Contains(followUp[0], secret42) {
			t.Fatalf("follow-up DM: %v", followUp)
		}
		mustReply(t, h.press("U0STRANGER", commands.ActionFollowUp, "I-1#1"), "There is no incident I-1 you may read")
		mustReply(t, h.press("U0EMPLOYEE", commands.ActionFollowUp, "I-1#1"), "This follow-up is <@U0TECH>'s")
		h.press("U0TECH", commands.ActionFollowUp, "I-1#1")
		if fs, _ := db.FollowUps(context.Background(), h.incident(1).ID); len(fs) != 1 || fs[0].DoneBy != "U0TECH" {
			t.Fatalf("follow-ups: %+v", fs)
		}
		h.settle()
		assertIncidentPrivacy(t, h.chat.all())
		assertWellFormed(t, h.chat.all())
	})
}

func announced(msgs []sent) []string {
	var out []string
	for _, m := range msgs {
		if m.Method == "post" && m.Channel == announce {
			out = append(out, m.Text)
		}
	}
	return out
}

// assertIncidentPrivacy: the incident's text appears only in the private
// incidents channel, in DMs to the security roles, the executive and the
// responsible person, and in answers to the reporter alone.
func assertIncidentPrivacy(t *testing.T, msgs []sent) {
	t.Helper()
	allowedDM := map[string]bool{"D0U0SEC": true, "D0U0HEAD": true, "D0U0SUPER": true, "D0U0ADMIN": true, "D0U0ADMIN2": true, "D0U0EXEC": true}
	for _, m := range msgs {
		if !strings.Contains(whole(m.Message), secret42) {
			continue
		}
		switch {
		case m.Method == "reply", m.Channel == incidents, allowedDM[m.Channel]:
			continue
		case m.Ephemeral && m.User == "U0EMPLOYEE":
			continue
		}
		t.Errorf("incident text leaked: %s", m)
	}
}

// A summary owner who is an employee may open and file the summary; a
// stranger is told the incident does not exist, whatever the button.
func TestSummaryOwnerAndStrangers(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		h.command("U0EMPLOYEE", "/incident a stolen laptop")
		h.press("U0SEC", "incident_take", "I-1")
		h.submit("U0SEC", "incident_report", "I-1", map[string]string{"what": "laptop stolen", "actions": "remote wipe"})
		h.submit("U0SEC", "incident_close", "I-1", map[string]string{"cause": "car break-in", "measures": "wiped", "owner": "U0CLERK"})
		if form := h.press("U0CLERK", "incident_summary", "I-1"); form.Modal == nil {
			t.Fatalf("the summary owner cannot open the summary: %q", reply(form))
		}
		for _, id := range []string{"incident_summary", "incident_take", "incident_close", "incident_frobnicate"} {
			got := reply(h.press("U0STRANGER", id, "I-1"))
			if id == "incident_frobnicate" {
				continue
			}
			missing := strings.ReplaceAll(reply(h.press("U0STRANGER", id, "I-99")), "I-99", "I-1")
			if got != missing || !strings.Contains(got, "There is no incident") {
				t.Errorf("%s by a stranger: %q; it must read as for a missing incident", id, got)
			}
		}
		forged := h.submit("U0STRANGER", "incident_summary", "I-1", map[string]string{"cause": "c", "responsibility": "r", "lessons": "l"})
		if !strings.Contains(forged.Errors["cause"], "There is no incident I-1") {
			t.Fatalf("a stranger's summary: %+v", forged)
		}
		h.submit("U0CLERK", "incident_summary", "I-1", map[string]string{"cause": "c", "responsibility": "r", "lessons": "l"})
		if i := h.incident(1); i.State != faultline.IncArchived {
			t.Fatalf("the owner's summary was not filed: %s", i.State)
		}
		// Search: the security roles, the reporter and the summary owner
		// find it; a stranger is told what a search for nothing says.
		h.command("U0STRANGER", "/incident a phishing mail about laptops")
		for user, want := range map[string]int{"U0SEC": 2, "U0EMPLOYEE": 1, "U0CLERK": 1} {
			if got := reply(h.command(user, "/incident search laptop")); !strings.Contains(got, "I-1* ") || strings.Count(got, "• ") != want {
				t.Errorf("/incident search laptop by %s: %q, want %d incidents", user, got, want)
			}
		}
		if got := reply(h.command("U0STRANGER", "/incident search break-in")); !strings.Contains(got, "No incident you may read mentions") {
			t.Errorf("a stranger's search finds what they may not read: %q", got)
		}
		if got := reply(h.command("U0STRANGER", "/incident search laptops")); !strings.Contains(got, "I-2*") || strings.Contains(got, "I-1*") {
			t.Errorf("a stranger's search: %q", got)
		}
		mustReply(t, h.command("U0SEC", "/incident search"), "Say what to look for")
	})
}

// The archive record of an incident as Markdown, and the period as CSV,
// against golden files, in Chinese.
func TestIncidentExportGolden(t *testing.T) {
	start := time.Date(2026, 11, 27, 1, 30, 0, 0, time.UTC)
	h := setupAt(t, storagetest.Open(t, "sqlite"), start, func(set *commands.Settings) {
		set.Language, set.Location = catalog.ZH, shanghai
		set.Roles = map[faultline.Role][]string{
			faultline.RoleInfoManager: {"U0SEC"}, faultline.RoleDeptHead: {"U0HEAD"}, faultline.RoleExec: {"U0EXEC"},
			faultline.RoleMaintainer: {"U0TECH"},
		}
		set.Incident.ReportReminders, set.Incident.SummaryReminders, set.Compliance.Operator = nil, nil, faultline.OperatorNone
	})
	h.command("U0REP", "/incident 财务部电脑弹出勒索软件提示，共享盘文件被加密 | 部分文件名带 .locked")
	h.advance(5 * time.Minute)
	h.press("U0SEC", "incident_take", "I-1")
	h.advance(40 * time.Minute)
	h.submit("U0SEC", "incident_report", "I-1", map[string]string{
		"what": "财务部一台电脑感染勒索软件，共享盘 \\\\fs01\\finance 约300个文件被加密", "actions": "断网隔离该电脑；共享盘改为只读",
		"impact": "财务共享盘不可用约2小时", "status": "已控制，正在从备份恢复"})
	h.submit("U0HEAD", "incident_classify", "I-1", map[string]string{"severity": "major"})
	h.press("U0HEAD", "incident_approve_notice", "I-1")
	h.submit("U0SEC", "incident_remedy", "I-1", map[string]string{"action": "从昨晚的备份恢复共享盘"})
	h.advance(3 * time.Hour)
	h.submit("U0SEC", "incident_close", "I-1", map[string]string{"cause": "员工打开了带宏的邮件附件", "measures": "恢复备份；全员禁用Office宏"})
	h.advance(24 * time.Hour)
	h.submit("U0SEC", "incident_summary", "I-1", map[string]string{"cause": "邮件附件宏病毒", "responsibility": "信息部；财务部",
		"lessons": "备份有效；宏策略应默认关闭", "followups": "U0TECH 2026-12-05 推送禁用宏的组策略"})
	h.command("U0REP", "/incident 又收到一封可疑邮件")

	md, err := h.svc.IncidentMarkdown(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "incident-I-1.md", []byte(md))
	var csv bytes.Buffer
	if err := h.svc.IncidentsCSV(context.Background(), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), &csv); err != nil {
		t.Fatal(err)
	}
	golden(t, "incidents-2026-11.csv", csv.Bytes())
}
