package commands_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/catalog"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
	"github.com/faultline/faultline/webhook"
	"github.com/faultline/faultline/webhook/webhooktest"
)

// national is the harness's settings under the national scheme for an
// operator, with the internal report's reminders off so only the outside
// report's clocks speak.
func national(op faultline.Operator) func(*commands.Settings) {
	return func(set *commands.Settings) {
		set.Compliance.National, set.Compliance.Operator = true, op
		set.Incident.ReportReminders = nil
		set.Incident.Report = 24 * time.Hour // the internal report is not what is tested here
	}
}

func count(msgs []sent, ref, text string) int {
	named := regexp.MustCompile(regexp.QuoteMeta(ref) + `[ :(]`) // I-1, not I-10
	n := 0
	for _, m := range msgs {
		if w := whole(m.Message); strings.Contains(w, text) && named.MatchString(w) {
			n++
		}
	}
	return n
}

// Every operator type and every level: the outside report's deadline is
// the regulation's (cii 1h, state organs 2h, others 4h; nothing for 一般),
// shown on the head; two reminders come before it, in the thread and to
// the information manager; when it passes unreported, the department head
// and the executive are told once; a regrade to a higher level escalates
// once more; and a general incident never has a clock.
func TestOutsideReportEveryOperatorAndLevel(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		for n, op := range []faultline.Operator{faultline.OperatorCII, faultline.OperatorState, faultline.OperatorOther} {
			t.Run(string(op), func(t *testing.T) {
				start := testT0.Add(time.Duration(n) * 1000 * time.Hour) // each operator's incidents apart in time
				h := setupAt(t, db, start, national(op))
				h.triggers = 1000 * n // fresh request keys: each operator's incidents are new ones
				within := map[faultline.Operator]time.Duration{faultline.OperatorCII: time.Hour, faultline.OperatorState: 2 * time.Hour,
					faultline.OperatorOther: 4 * time.Hour}[op] // 第四条: 1 hour, 2 hours, 4 hours
				first := int64(4*n + 1)
				for i, l := range faultline.Levels {
					ref := faultline.IncidentRef(first + int64(i))
					h.command("U0EMPLOYEE", "/incident suspicious login "+string(l))
					h.submit("U0HEAD", "incident_classify", ref, map[string]string{"level": string(l), "category": "网络攻击事件"})
				}
				msgs := h.settle()
				for i, l := range faultline.Levels {
					inc := h.incident(first + int64(i))
					if inc.Level != l || inc.Category != "网络攻击事件" {
						t.Fatalf("%s graded %q %q", inc.Ref(), inc.Level, inc.Category)
					}
					due := inc.CreatedAt.Add(within).UTC().Format("2006-01-02 15:04")
					head := whole(lastHead(t, h, inc))
					if got := strings.Contains(head, "report to 属地省级网信部门 by "+due); got != l.Reportable() {
						t.Errorf("%s (%s, %s): head shows the outside deadline %s: %v\n%s", inc.Ref(), op, l, due, got, head)
					}
					if got := count(msgs, inc.Ref(), "must be reported to"); got != b2i(l.Reportable()) {
						t.Errorf("%s (%s): %d notes of the deadline", inc.Ref(), l, got)
					}
				}
				// Both reminders, then the deadline, then long after it.
				var reminded, escalated [4]int
				steps := []time.Duration{within - 30*time.Minute + time.Second, 20 * time.Minute, 10 * time.Minute, 3 * time.Hour}
				for _, d := range steps {
					h.advance(d)
					msgs := h.settle()
					for i := range faultline.Levels {
						ref := faultline.IncidentRef(first + int64(i))
						reminded[i] += count(dmsAsSent(msgs, "U0SEC"), ref, "left (by")
						escalated[i] += len(filter(dmsTo(msgs, "U0EXEC"), ref+" (", "had to be reported"))
						if got := len(filter(dmsTo(msgs, "U0HEAD"), ref+" (", "had to be reported")); got > 1 {
							t.Errorf("%s: the department head told %d times at once", ref, got)
						}
					}
				}
				for i, l := range faultline.Levels {
					want := b2i(l.Reportable())
					if reminded[i] != 2*want || escalated[i] != want {
						t.Errorf("%s %s: %d reminders (want %d), %d escalations (want %d)", op, l, reminded[i], 2*want, escalated[i], want)
					}
				}
				// 较大 regraded 重大: overdue at the new level, told once more.
				sig := faultline.IncidentRef(first + 1)
				h.submit("U0HEAD", "incident_classify", sig, map[string]string{"level": "serious", "category": "网络攻击事件"})
				h.advance(time.Minute)
				msgs = h.settle()
				h.advance(time.Hour)
				msgs = append(msgs, h.settle()...)
				if got := len(filter(dmsTo(msgs, "U0EXEC"), sig+" (", "had to be reported")); got != 1 {
					t.Errorf("%s regraded serious: the executive told %d times, want once", sig, got)
				}
				// Back down to 较大, already escalated: nobody is told again.
				h.submit("U0HEAD", "incident_classify", sig, map[string]string{"level": "significant", "category": "网络攻击事件"})
				h.advance(time.Hour)
				if got := len(filter(dmsTo(h.settle(), "U0EXEC"), sig+" (", "had to be reported")); got != 0 {
					t.Errorf("%s regraded back to significant: the executive told %d more times", sig, got)
				}
				// Reported at last: the clocks stop.
				h.submit("U0SEC", "incident_external", sig, map[string]string{"to": "属地省级网信部门", "channel": "website"})
				h.advance(5 * time.Hour)
				if got := count(h.settle(), sig, "had to be reported"); got != 0 {
					t.Errorf("%s reported, still overdue %d times", sig, got)
				}
			})
		}
	})
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func filter(texts []string, words ...string) []string {
	var out []string
next:
	for _, s := range texts {
		for _, w := range words {
			if !strings.Contains(s, w) {
				continue next
			}
		}
		out = append(out, s)
	}
	return out
}

func dmsAsSent(msgs []sent, user string) []sent {
	var out []sent
	for _, m := range msgs {
		if m.Channel == "D0"+user {
			out = append(out, m)
		}
	}
	return out
}

// lastHead is the incident's head message as last posted or updated.
func lastHead(t *testing.T, h *harness, i faultline.Incident) faultline.Message {
	t.Helper()
	var head faultline.Message
	found := false
	for _, m := range h.chat.all() {
		if (m.Method == "post" || m.Method == "update") && m.Channel == incidents && m.ThreadTS == "" &&
			strings.Contains(m.Text, "*"+i.Ref()+"*") {
			head, found = m.Message, true
		}
	}
	if !found {
		t.Fatalf("no head message for %s", i.Ref())
	}
	return head
}

// 补报: a report made outside that leaves something under investigation
// owes a supplement within compliance.supplement; when it passes, the
// information manager and the department head are told, once; a
// supplement that settles everything stops its clock, one that leaves
// something again starts a new one. A supplement before any report is
// refused, and so is one that says nothing.
func TestSupplementAndItsDeadline(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setupAt(t, db, testT0, national(faultline.OperatorOther))
		h.command("U0EMPLOYEE", "/incident 数据库被拖库的迹象")
		h.submit("U0HEAD", "incident_classify", "I-1", map[string]string{"level": "significant", "category": "数据安全事件"})
		if resp := h.submit("U0SEC", "incident_supplement", "I-1", map[string]string{"text": "more", "to": "x", "channel": "email"}); !strings.Contains(whole(formErr(resp)), "no outside report to supplement") {
			t.Fatalf("a supplement before the report: %+v", resp)
		}
		h.advance(20 * time.Minute)
		// A report dated before the incident was declared would read as
		// made in time: refused, nothing recorded.
		before := h.incident(1).CreatedAt.Add(-24 * time.Hour).UTC().Format("2006-01-02 15:04") // the settings keep UTC
		if resp := h.submit("U0SEC", "incident_external", "I-1", map[string]string{"to": "x", "channel": "email", "at": before}); !strings.Contains(whole(formErr(resp)), "cannot be earlier") {
			t.Fatalf("a report dated before the declaration: %+v", resp)
		}
		if i := h.incident(1); !i.ExternalAt.IsZero() || !i.Outside.At.IsZero() {
			t.Fatalf("a refused report was recorded: %+v", i.Outside)
		}
		h.submit("U0SEC", "incident_external", "I-1", map[string]string{"to": "属地省级网信部门", "channel": "hotline",
			"reference": "A-7", "at": h.now().Add(-5 * time.Minute).UTC().Format("15:04"), "pending": "how much data left"})
		i := h.incident(1)
		wantDue := i.Outside.At.Add(24 * time.Hour)
		if !i.SupplementDue.Equal(wantDue) || i.Outside.Reference != "A-7" {
			t.Fatalf("supplement due %v, want %v: %+v", i.SupplementDue, wantDue, i.Outside)
		}
		h.settle()
		if resp := h.submit("U0SEC", "incident_supplement", "I-1", map[string]string{"text": "", "to": "x", "channel": "email"}); !strings.Contains(whole(formErr(resp)), "say what the supplement adds") {
			t.Fatalf("an empty supplement: %+v", resp)
		}
		if resp := h.submit("U0SEC", "incident_external", "I-1", map[string]string{"to": "x", "channel": "email", "at": "25:99"}); !strings.Contains(whole(formErr(resp)), "is not a time") {
			t.Fatalf("a bad time: %+v", resp)
		}
		early := i.Outside.At.Add(-time.Minute).UTC().Format("2006-01-02 15:04") // the settings keep UTC
		if resp := h.submit("U0SEC", "incident_supplement", "I-1", map[string]string{"text": "more", "to": "x", "channel": "email", "at": early}); !strings.Contains(whole(formErr(resp)), "its supplement cannot be earlier") {
			t.Fatalf("a supplement dated before the report: %+v", resp)
		}
		if i := h.incident(1); i.Supplements != 0 {
			t.Fatalf("a refused supplement was recorded: %d", i.Supplements)
		}
		h.advance(24*time.Hour - 4*time.Minute)
		msgs := h.settle()
		if n := len(filter(dmsTo(msgs, "U0HEAD"), "I-1", "supplement")); n != 1 {
			t.Fatalf("the department head told of the late supplement %d times:\n%s", n, dump(msgs))
		}
		h.advance(48 * time.Hour)
		if n := len(filter(dmsTo(h.settle(), "U0SEC"), "supplement")); n != 0 {
			t.Fatalf("the late supplement told again %d times", n)
		}
		h.submit("U0SEC", "incident_supplement", "I-1", map[string]string{"text": "2,000 rows of customer data", "to": "属地省级网信部门",
			"channel": "email", "pending": "whether the backups were read"})
		if i := h.incident(1); i.Supplements != 1 || !i.SupplementDue.After(h.now()) || i.Outside.Pending != "whether the backups were read" {
			t.Fatalf("after a supplement that leaves something: %+v", i)
		}
		h.submit("U0SEC", "incident_supplement", "I-1", map[string]string{"text": "the backups were not read", "to": "属地省级网信部门", "channel": "email"})
		if i := h.incident(1); i.Supplements != 2 || !i.SupplementDue.IsZero() {
			t.Fatalf("after a supplement that settles it: %+v", i)
		}
		h.advance(72 * time.Hour)
		if msgs := h.settle(); len(filter(textsOf(msgs), "supplement on I-1", "was due by")) != 0 {
			t.Fatalf("a settled supplement still comes due: %s", dump(msgs))
		}
		md, plain, err := h.svc.IncidentExternalReport(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"A-7", "2,000 rows of customer data", "数据安全事件", "significant (较大)"} {
			if !strings.Contains(md, want) {
				t.Errorf("the external report lacks %q:\n%s", want, md)
			}
		}
		if !strings.Contains(plain, "Level：significant (较大)") || strings.Contains(plain, "|") {
			t.Errorf("plain text:\n%s", plain)
		}
	})
}

func formErr(resp commands.Response) faultline.Message {
	var parts []string
	for k, v := range resp.Errors {
		parts = append(parts, k+": "+v)
	}
	if resp.Reply != nil {
		parts = append(parts, resp.Reply.Text)
	}
	return faultline.Message{Text: strings.Join(parts, "\n")}
}

func textsOf(msgs []sent) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = whole(m.Message)
	}
	return out
}

// The group robots: each gets what it subscribed to, through the outbox,
// signed as its platform checks; a robot allowed minimal detail sees the
// number, level and deadline, never the description; one allowed full
// detail sees it. A 500 is tried again and the message arrives once; a
// burst is paced to the robot's 20 a minute and nothing is lost.
func TestRobotsThroughTheOutbox(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		var h *harness
		fake := webhooktest.New(func() time.Time { return h.now() })
		defer fake.Close()
		robots := []webhook.Robot{
			{Name: "managers", Kind: "dingtalk", URL: fake.URL("dingtalk"), Secret: fake.Secret},
			{Name: "board", Kind: "feishu", URL: fake.URL("feishu"), Secret: fake.Secret},
			{Name: "it", Kind: "wecom", URL: fake.URL("wecom")},
		}
		sender := webhook.New(robots, nil, func() time.Time { return h.now() })
		h = setupHooks(t, db, testT0, func(set *commands.Settings) {
			national(faultline.OperatorCII)(set)
			set.Hooks = []commands.HookSpec{
				{Name: "managers", Topics: []string{commands.HookEscalations, commands.HookOverdue}, Language: catalog.ZH, PerMinute: 20},
				{Name: "board", Topics: []string{commands.HookNotices}, Language: catalog.ZH, PerMinute: 20},
				{Name: "it", Topics: []string{commands.HookOverdue}, Full: true, Language: catalog.EN, PerMinute: 20},
			}
			set.Incident.Report = time.Hour
		}, sender)
		fake.FailNext("wecom", 1)
		h.command("U0EMPLOYEE", "/incident "+secret42+" leaked from the HR share")
		h.submit("U0HEAD", "incident_classify", "I-1", map[string]string{"level": "significant", "category": "数据安全事件"})
		h.advance(61 * time.Minute)
		h.settle()
		for i := 0; i < 10; i++ { // the 500's retry comes after its backoff
			h.advance(2 * time.Second)
			h.settle()
		}
		got := fake.Accepted()
		byKind := map[string][]string{}
		for _, m := range got {
			byKind[m.Kind] = append(byKind[m.Kind], m.Text)
		}
		if len(byKind["dingtalk"]) != 2 || len(byKind["wecom"]) != 1 || len(byKind["feishu"]) != 0 {
			t.Fatalf("robots got %v (refused %v)", byKind, fake.Refused())
		}
		for _, text := range byKind["dingtalk"] {
			if strings.Contains(text, secret42) || strings.Contains(text, "HR share") || !strings.Contains(text, "I-1") || !strings.Contains(text, "较大") {
				t.Errorf("a minimal robot read %q", text)
			}
		}
		if !strings.Contains(byKind["wecom"][0], secret42) || !strings.Contains(byKind["wecom"][0], "due by") {
			t.Errorf("the full robot got %q", byKind["wecom"][0])
		}
		if r := fake.Refused(); len(r) != 1 || r[0] != "wecom: 500" {
			t.Errorf("refusals %v", r)
		}
		// A burst: 30 incidents whose report is late, one escalation each.
		for n := 0; n < 30; n++ {
			h.command("U0EMPLOYEE", fmt.Sprintf("/incident burst %d", n))
		}
		h.advance(61 * time.Minute)
		h.settle()
		for i := 0; i < 200 && len(fake.Accepted()) < 3+30; i++ {
			h.advance(time.Second)
			if _, _, err := h.svc.DeliverDue(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(fake.Accepted()); n != 33 {
			t.Fatalf("%d of 33 messages arrived (refused %v)", n, fake.Refused())
		}
		if most := fake.MaxInMinute("dingtalk"); most > 20 {
			t.Fatalf("%d messages in one minute to a robot that takes 20", most)
		}
		for _, r := range fake.Refused() {
			if strings.HasSuffix(r, ": rate") {
				t.Fatalf("the bot sent faster than the robot takes, and was throttled: %v", fake.Refused())
			}
		}
		seen := map[string]bool{}
		for _, m := range fake.Accepted() {
			if seen[m.Kind+m.Text] {
				t.Fatalf("sent twice: %q", m.Text)
			}
			seen[m.Kind+m.Text] = true
		}
	})
}
