package bot_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/bot/slackfake"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

// procedure drives one ticket through Slack's HTTP endpoints, and sends
// what the outbox holds after each step so every step's messages can be
// read in order.
type procedure struct {
	t     *testing.T
	h     *harness
	fault faultline.Fault
	seen  int // calls already read
}

func (p *procedure) settle() []slackfake.Call {
	p.t.Helper()
	p.h.work.Wait()
	if err := p.h.svc.FireDue(context.Background()); err != nil {
		p.t.Fatal(err)
	}
	p.h.work.Wait()
	if err := p.h.svc.Flush(context.Background()); err != nil {
		p.t.Fatal(err)
	}
	calls := p.h.slack.Calls()
	fresh := calls[p.seen:]
	p.seen = len(calls)
	return fresh
}

// press presses a step's button on the ticket as user and returns what
// Slack received because of it.
func (p *procedure) press(user string, action string) []slackfake.Call {
	p.t.Helper()
	payload := p.h.bot.BlockAction(user, faults, p.fault.MessageTS, "", action, p.fault.Ref())
	if resp := p.h.bot.Interaction(p.t, payload); resp.StatusCode != http.StatusOK {
		p.t.Fatalf("%s by %s: status %d", action, user, resp.StatusCode)
	}
	return p.settle()
}

func (p *procedure) submit(user, callback string, values map[string]string) (*http.Response, []slackfake.Call) {
	p.t.Helper()
	resp := p.h.bot.Interaction(p.t, p.h.bot.ViewSubmission(user, callback, p.fault.Ref(), values))
	return resp, p.settle()
}

func (p *procedure) state() faultline.Fault {
	p.t.Helper()
	f, err := p.h.db.Fault(context.Background(), p.fault.Number)
	if err != nil {
		p.t.Fatal(err)
	}
	return f
}

func (p *procedure) expectState(st faultline.FaultState) faultline.Fault {
	p.t.Helper()
	f := p.state()
	if f.State != st {
		p.t.Fatalf("%s is %s, want %s", f.Ref(), f.State, st)
	}
	return f
}

// said reports whether some call carries text (in its text or blocks).
func said(calls []slackfake.Call, method, text string) bool {
	for _, c := range calls {
		if c.Method == method && (strings.Contains(c.Params["text"], text) || strings.Contains(c.Params["blocks"], text)) {
			return true
		}
	}
	return false
}

func mustSay(t *testing.T, calls []slackfake.Call, method, text string) {
	t.Helper()
	if !said(calls, method, text) {
		t.Fatalf("no %s saying %q among:%s", method, text, dump(calls))
	}
}

func dump(calls []slackfake.Call) string {
	var b strings.Builder
	for _, c := range calls {
		b.WriteString("\n  " + c.Method + " " + c.Params["channel"] + " " + strings.ReplaceAll(c.Params["text"], "\n", " ⏎ "))
	}
	return b.String()
}

// The whole procedure of the seed's network-fault table, through serve's
// HTTP endpoints and the fake Slack: report → take → restart asked →
// confirmed by a second sysadmin → re-check when its clock runs out →
// carrier ticket → escalate to HQ → fixed → the reporter says still broken
// → reopened → fixed → works → close with a resolution; then /fault search
// finds it. Refusals on the way: an employee taking the ticket, a
// maintainer confirming a restart, the asker confirming their own restart,
// someone else answering for the reporter, closing without a resolution.
func TestProcedureEndToEnd(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setupWith(t, db, false)
		p := &procedure{t: t, h: h, fault: faultline.Fault{Number: 1}}
		h.pinger.Down("127.0.2.1", "127.0.3.1", "127.0.9.1") // WAN router down: a device fault

		h.bot.Command(t, "U0REPORTER", "C0GENERAL", "/fault", "office-a ERP unreachable")
		calls := p.settle()
		p.fault = p.expectState(faultline.FaultOpen)
		mustSay(t, calls, "chat.postMessage", "please take the ticket")
		mustSay(t, calls, "chat.postMessage", "first failing hop is 3. WAN router")

		// An employee may not take it; nothing changes.
		calls = p.press("U0REPORTER", "fault_take")
		mustSay(t, calls, "response_url", "Only a maintainer, a sysadmin, an IT supervisor or an information manager may take the ticket")
		p.expectState(faultline.FaultOpen)

		calls = p.press("U0TECH", "fault_take")
		f := p.expectState(faultline.FaultTaken)
		if f.Owner != "U0TECH" {
			t.Fatalf("owner = %q", f.Owner)
		}
		mustSay(t, calls, "chat.postMessage", "<@U0TECH> took F-1")
		mustSay(t, calls, "chat.postMessage", "Under warranty until 2099-12-31 → call the vendor")
		mustSay(t, calls, "chat.update", "Owner: <@U0TECH>")

		calls = p.press("U0ADMIN", "fault_request_restart")
		p.expectState(faultline.FaultRestartPending)
		mustSay(t, calls, "chat.postMessage", "asks to restart Office A WAN router")
		calls = p.press("U0TECH", "fault_confirm_restart")
		mustSay(t, calls, "response_url", "Only a sysadmin may confirm the restart")
		calls = p.press("U0ADMIN", "fault_confirm_restart")
		mustSay(t, calls, "response_url", "you asked for this restart yourself")
		p.expectState(faultline.FaultRestartPending)
		calls = p.press("U0ADMIN2", "fault_confirm_restart")
		p.expectState(faultline.FaultTaken)
		mustSay(t, calls, "chat.postMessage", "I will check the path again in 3m")

		h.advance(4 * time.Minute) // the restart's re-check is due
		calls = p.settle()
		mustSay(t, calls, "chat.postMessage", "Path check of office-a")

		calls = p.press("U0TECH", "fault_vendor")
		views := filter(calls, "views.open")
		if len(views) != 1 || !strings.Contains(views[0].Params["view"], "400-820-0000") {
			t.Fatalf("vendor form: %+v", views)
		}
		resp, calls := p.submit("U0TECH", commands.CallbackVendor, map[string]string{"ticket": "ES-4471", "due": "engineer by 16:00"})
		if resp.StatusCode != 200 {
			t.Fatalf("vendor submission: %d", resp.StatusCode)
		}
		p.expectState(faultline.FaultWaitingVendor)
		mustSay(t, calls, "chat.postMessage", "ES-4471")

		calls = p.press("U0TECH", "fault_escalate_hq")
		p.expectState(faultline.FaultEscalated)
		mustSay(t, calls, "chat.postMessage", "<@U0HQ>")
		mustSay(t, calls, "chat.postMessage", "Tried so far")
		if opened := filter(calls, "conversations.open"); len(opened) != 1 || opened[0].Params["users"] != "U0HQ" {
			t.Fatalf("HQ's admin not messaged directly: %+v", opened)
		}
		mustSay(t, calls, "chat.postMessage", "ERP unreachable") // the symptom reaches HQ

		h.pinger.Up("127.0.2.1", "127.0.3.1", "127.0.9.1")
		calls = p.press("U0TECH", "fault_mark_fixed")
		p.expectState(faultline.FaultVerifying)
		mustSay(t, calls, "chat.postMessage", "Every hop answers")
		mustSay(t, calls, "chat.postMessage", "<@U0REPORTER>, does the network work for you now?")

		calls = p.press("U0TECH", "fault_works")
		mustSay(t, calls, "response_url", "Only the person who reported it may confirm it works")
		calls = p.press("U0TECH", "fault_override")
		mustSay(t, calls, "response_url", "the reporter still has time to answer")
		calls = p.press("U0REPORTER", "fault_still_broken")
		p.expectState(faultline.FaultTaken)
		mustSay(t, calls, "chat.postMessage", "F-1 is reopened for <@U0TECH>")

		p.press("U0TECH", "fault_mark_fixed")
		p.press("U0REPORTER", "fault_works")
		p.expectState(faultline.FaultConfirmed)

		calls = p.press("U0TECH", "fault_close")
		if views := filter(calls, "views.open"); len(views) != 1 || !strings.Contains(views[0].Params["view"], `"callback_id":"fault_close"`) {
			t.Fatalf("close form: %+v", views)
		}
		resp, _ = p.submit("U0TECH", commands.CallbackClose, map[string]string{"cause": "select:device", "done": " "})
		var errs struct{ Errors map[string]string }
		json.NewDecoder(resp.Body).Decode(&errs)
		if errs.Errors["done"] == "" {
			t.Fatalf("closing without saying what was done: %+v", errs)
		}
		p.expectState(faultline.FaultConfirmed)
		_, calls = p.submit("U0TECH", commands.CallbackClose, map[string]string{
			"cause": "select:device", "done": "vendor replaced the router's power supply", "fixed_by": "Eastern Systems"})
		f = p.expectState(faultline.FaultClosed)
		if f.Resolution.Done != "vendor replaced the router's power supply" || f.Resolution.Cause != faultline.CauseDevice || f.Hop != "WAN router" {
			t.Fatalf("closed with %+v at hop %q", f.Resolution, f.Hop)
		}
		mustSay(t, calls, "chat.update", "State: closed")
		if timers, _ := db.Timers(context.Background(), f.ID); len(timers) != 0 {
			t.Fatalf("clocks still running on a closed ticket: %+v", timers)
		}

		resp = h.bot.Command(t, "U0TECH", "C0GENERAL", "/fault", "search power supply")
		if got := body(t, resp); !strings.Contains(got, "F-1") || !strings.Contains(got, "replaced the router") {
			t.Fatalf("search: %s", got)
		}
		assertKinds(t, db, f.ID, "created", "check", "state", "state", "state", "check", // take, restart asked, confirmed, re-check
			"state", "state", "state", "check", // vendor, HQ, fixed
			"state", "state", "check", "state", "state") // still broken, fixed, works, closed
		assertWellFormed(t, h.slack.Calls())

		metrics := scrape(t, h.bot.URL)
		for _, want := range []string{
			"faultline_fault_time_to_take_seconds_count 1", "faultline_fault_time_to_close_seconds_count 1",
			`faultline_faults{state="closed"} 1`, `faultline_faults{state="open"} 0`,
			"faultline_outbox_pending 0", "faultline_outbox_failed 0",
		} {
			if !strings.Contains(metrics, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})
}

func scrape(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	return body(t, resp)
}

// Two technicians press Take at the same moment: one takes it, the other
// is told who did, and the ticket changed once.
func TestTwoTechniciansTakeAtOnce(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setupWith(t, db, false)
		p := &procedure{t: t, h: h, fault: faultline.Fault{Number: 1}}
		h.bot.Command(t, "U0REPORTER", "C0GENERAL", "/fault", "office-a down")
		p.settle()
		p.fault = p.state()
		var wg sync.WaitGroup
		for _, u := range []string{"U0TECH", "U0TECH2"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h.bot.Interaction(t, h.bot.BlockAction(u, faults, p.fault.MessageTS, "", "fault_take", "F-1"))
			}()
		}
		wg.Wait()
		calls := p.settle()
		f := p.expectState(faultline.FaultTaken)
		if f.Version != 2 { // the check's verdict, then one take
			t.Fatalf("version %d: the ticket changed more than once", f.Version)
		}
		mustSay(t, calls, "response_url", "F-1 is already taken by <@"+f.Owner+">")
		if n := strings.Count(dump(calls), "> took F-1"); n != 1 {
			t.Fatalf("%d take notes in the thread", n)
		}
	})
}

// assertWellFormed checks every text the bot sent for broken mrkdwn: a
// "<" must open a mention, a channel link, a special mention or a link,
// never be raw text that Slack would misread.
func assertWellFormed(t *testing.T, calls []slackfake.Call) {
	t.Helper()
	unjson := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&")
	for _, c := range calls {
		for _, field := range []string{c.Params["text"], unjson.Replace(c.Params["blocks"])} {
			for i := strings.Index(field, "<"); i >= 0; i = next(field, i) {
				rest := field[i+1:]
				if !(strings.HasPrefix(rest, "@U") || strings.HasPrefix(rest, "#C") || strings.HasPrefix(rest, "#G") || strings.HasPrefix(rest, "http")) {
					t.Errorf("%s carries a raw '<': …%s", c.Method, field[i:min(len(field), i+40)])
				}
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
