package bot_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/bot/slackfake"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

// secret is in every incident's text; the privacy checks look for it
// wherever it must not be.
const secret42 = "ERP-PASSWORD-LEAK-42"

// incidentProcedure drives one incident through the HTTP endpoints.
type incidentProcedure struct {
	*procedure
}

func (p incidentProcedure) press(user, action string) []slackfake.Call {
	p.t.Helper()
	i := p.incident()
	resp := p.h.bot.Interaction(p.t, p.h.bot.BlockAction(user, incidents, i.MessageTS, "", action, i.Ref()))
	if resp.StatusCode != http.StatusOK {
		p.t.Fatalf("%s by %s: status %d", action, user, resp.StatusCode)
	}
	return p.settle()
}

func (p incidentProcedure) submit(user, callback string, values map[string]string) []slackfake.Call {
	p.t.Helper()
	resp := p.h.bot.Interaction(p.t, p.h.bot.ViewSubmission(user, callback, "I-1", values))
	if got := body(p.t, resp); resp.StatusCode != 200 || got != "" {
		p.t.Fatalf("%s by %s: %d %s", callback, user, resp.StatusCode, got)
	}
	return p.settle()
}

func (p incidentProcedure) incident() faultline.Incident {
	p.t.Helper()
	i, err := p.h.db.Incident(context.Background(), 1)
	if err != nil {
		p.t.Fatal(err)
	}
	return i
}

func (p incidentProcedure) expect(st faultline.IncidentState) faultline.Incident {
	p.t.Helper()
	i := p.incident()
	if i.State != st {
		p.t.Fatalf("I-1 is %s, want %s", i.State, st)
	}
	return i
}

// The security-incident procedure end to end through serve's endpoints:
// declared critical by an employee → handled → report filed in time →
// classified → notice drafted, edited, approved, posted → remediation →
// outside report → closed → summary with a follow-up → follow-up done.
// Privacy, over every call the fake Slack received: the incident's text
// is only ever in the private incidents channel or in DMs to the people
// allowed to read it, and the announcements channel gets exactly the
// approved notice, and nothing before the approval.
func TestIncidentEndToEnd(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setupWith(t, db, false)
		p := incidentProcedure{&procedure{t: t, h: h}}

		resp := h.bot.Command(t, "U0EMPLOYEE", "C0GENERAL", "/incident", "")
		if resp.StatusCode != 200 || len(filter(h.slack.Calls(), "views.open")) != 1 {
			t.Fatalf("/incident without text should open the form")
		}
		p.submitDeclare(t, map[string]string{"severity": "select:critical", "description": "phishing mail, I typed my password " + secret42,
			"systems": "ERP", "noticed": "the mail looked odd"})
		calls := p.settle()
		i := p.expect(faultline.IncOpen)
		mustSay(t, calls, "chat.postMessage", "<@U0SEC> <@U0HEAD>: a security incident was declared")
		mustSay(t, calls, "chat.postEphemeral", "I-1* is declared")
		if i.Severity != faultline.SevCritical || !i.ClassifiedAt.IsZero() {
			t.Fatalf("the reporter's severity is a suggestion until confirmed: %+v", i)
		}

		calls = p.press("U0TECH", "incident_take")
		mustSay(t, calls, "response_url", "There is no incident I-1 you may read")
		p.press("U0SEC", "incident_take")
		p.expect(faultline.IncHandling)
		calls = p.submit("U0SEC", "incident_report", map[string]string{"what": "credential phishing " + secret42, "actions": "password reset, PC isolated"})
		p.expect(faultline.IncReported)
		if dms := dmsTo(calls, "U0HEAD"); len(dms) != 1 || !strings.Contains(dms[0], "password reset") {
			t.Fatalf("the report does not reach the IT department manager: %v", dms)
		}

		calls = p.submit("U0HEAD", "incident_classify", map[string]string{"severity": "select:critical"})
		mustSay(t, calls, "chat.postMessage", "company notice is drafted")
		if dms := dmsTo(calls, "U0EXEC"); len(dms) != 1 {
			t.Fatalf("the executive in charge is not told: %s", dump(calls))
		}
		if announced(h.slack.Calls()) != nil {
			t.Fatal("something reached the announcements channel before the approval")
		}
		calls = p.press("U0SEC", "incident_approve_notice")
		mustSay(t, calls, "response_url", "Only the IT department head may approve the company notice")
		approved := "Security notice: beware of mails asking for your ERP password."
		p.submit("U0SEC", "incident_edit_notice", map[string]string{"notice": approved})
		p.press("U0HEAD", "incident_approve_notice")
		if got := announced(h.slack.Calls()); len(got) != 1 || got[0] != approved {
			t.Fatalf("announcements got %q, want exactly the approved text", got)
		}

		p.submit("U0SEC", "incident_remedy", map[string]string{"action": "blocked the sender domain"})
		h.bot.Event(t, slackfake.ThreadReply("Ev0INC1", "U0SEC", incidents, p.incident().MessageTS, "1700000100.000001", "mail gateway rule added"))
		p.press("U0SEC", "incident_external")
		p.submit("U0SEC", "incident_close", map[string]string{"cause": "user clicked a phishing link", "measures": "reset, block, training", "owner": "U0SUPER"})
		i = p.expect(faultline.IncClosed)
		if i.SummaryOwner != "U0SUPER" {
			t.Fatalf("summary owner %q", i.SummaryOwner)
		}
		calls = p.submit("U0SUPER", "incident_summary", map[string]string{"cause": "no MFA", "responsibility": "IT",
			"lessons": "turn on MFA", "followups": "U0TECH 2026-12-05 enable MFA on the ERP"})
		p.expect(faultline.IncArchived)
		followUp := dmsTo(calls, "U0TECH")
		if len(followUp) != 1 || !strings.Contains(followUp[0], "enable MFA") || strings.Contains(followUp[0], secret42) {
			t.Fatalf("follow-up DM: %v", followUp)
		}
		done := h.bot.BlockAction("U0TECH", "D0U0TECH", "1700000000.000099", "", "incident_followup_done", "I-1#1")
		h.bot.Interaction(t, done)
		p.settle()
		if fs, _ := db.FollowUps(context.Background(), i.ID); len(fs) != 1 || fs[0].DoneBy != "U0TECH" {
			t.Fatalf("follow-ups: %+v", fs)
		}
		assertIncidentPrivacy(t, h.slack.Calls())
		assertWellFormed(t, h.slack.Calls())

		metrics := scrape(t, h.bot.URL)
		for _, want := range []string{`faultline_incident_time_to_seconds_count{step="report"} 1`,
			`faultline_incident_time_to_seconds_count{step="classify"} 1`, `faultline_incident_time_to_seconds_count{step="close"} 1`,
			"faultline_incident_summaries_outstanding 0", "faultline_incident_reports_overdue 0"} {
			if !strings.Contains(metrics, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})
}

func (p incidentProcedure) submitDeclare(t *testing.T, values map[string]string) {
	resp := p.h.bot.Interaction(t, p.h.bot.ViewSubmission("U0EMPLOYEE", "incident_declare", "C0GENERAL", values))
	if resp.StatusCode != 200 {
		t.Fatalf("declare: %d", resp.StatusCode)
	}
}

// dmsTo lists the texts sent as direct messages to user.
func dmsTo(calls []slackfake.Call, user string) []string {
	var out []string
	for _, c := range calls {
		if c.Method == "chat.postMessage" && c.Params["channel"] == "D0"+user {
			out = append(out, c.Params["text"])
		}
	}
	return out
}

func announced(calls []slackfake.Call) []string {
	var out []string
	for _, c := range calls {
		if c.Method == "chat.postMessage" && c.Params["channel"] == announce {
			out = append(out, c.Params["text"])
		}
	}
	return out
}

// assertIncidentPrivacy: the incident's text appears only in the private
// incidents channel, in DMs to the security roles, the executive and the
// responsible person, and in answers to the reporter alone.
func assertIncidentPrivacy(t *testing.T, calls []slackfake.Call) {
	t.Helper()
	allowedDM := map[string]bool{"D0U0SEC": true, "D0U0HEAD": true, "D0U0SUPER": true, "D0U0ADMIN": true, "D0U0ADMIN2": true, "D0U0EXEC": true}
	for _, c := range calls {
		if !strings.Contains(c.Body, secret42) {
			continue
		}
		ch := c.Params["channel"]
		switch {
		case c.Method == "views.open" || c.Method == "response_url":
			continue // only the person acting sees these
		case ch == incidents, allowedDM[ch]:
			continue
		case c.Method == "chat.postEphemeral" && c.Params["user"] == "U0EMPLOYEE":
			continue
		}
		t.Errorf("incident text leaked by %s to %s (user %s)", c.Method, ch, c.Params["user"])
	}
}
