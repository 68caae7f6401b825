package commands_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

// The whole procedure of the seed's network-fault table: report → take →
// restart asked → confirmed by a second sysadmin → re-check when its clock
// runs out → carrier ticket → escalate to HQ → fixed → the reporter says
// still broken → reopened → fixed → works → close with a resolution; then
// /fault search finds it. Refusals on the way: an employee taking the
// ticket, a maintainer confirming a restart, the asker confirming their own
// restart, someone else answering for the reporter, closing without a
// resolution.
func TestFaultProcedureEndToEnd(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		h.pinger.Down("127.0.2.1", "127.0.3.1", "127.0.9.1") // WAN router down: a device fault

		mustReply(t, h.command("U0REPORTER", "/fault office-a ERP unreachable"), "*F-1* is open for office-a")
		msgs := h.settle()
		h.expectFault(1, faultline.FaultOpen)
		mustSay(t, msgs, "post", "please take the ticket")
		mustSay(t, msgs, "post", "first failing hop is 3. WAN router")
		if said(msgs, "update", "F-1") {
			t.Fatalf("the head went out after the check, and was then updated to show the same:\n%s", dump(msgs))
		}

		mustReply(t, h.press("U0REPORTER", "fault_take", "F-1"),
			"Only a maintainer, a sysadmin, an IT supervisor or an information manager may take the ticket")
		h.expectFault(1, faultline.FaultOpen)

		mustReply(t, h.press("U0TECH", "fault_take", "F-1"), "You took F-1")
		msgs = h.settle()
		if f := h.expectFault(1, faultline.FaultTaken); f.Owner != "U0TECH" {
			t.Fatalf("owner = %q", f.Owner)
		}
		mustSay(t, msgs, "post", "<@U0TECH> took F-1")
		mustSay(t, msgs, "post", "Under warranty until 2099-12-31 → call the vendor")
		mustSay(t, msgs, "update", "Owner: <@U0TECH>")

		h.press("U0ADMIN", "fault_request_restart", "F-1")
		h.expectFault(1, faultline.FaultRestartPending)
		mustSay(t, h.settle(), "post", "asks to restart Office A WAN router")
		mustReply(t, h.press("U0TECH", "fault_confirm_restart", "F-1"), "Only a sysadmin may confirm the restart")
		mustReply(t, h.press("U0ADMIN", "fault_confirm_restart", "F-1"), "you asked for this restart yourself")
		h.expectFault(1, faultline.FaultRestartPending)
		h.press("U0ADMIN2", "fault_confirm_restart", "F-1")
		h.expectFault(1, faultline.FaultTaken)
		mustSay(t, h.settle(), "post", "I will check the path again in 3m")

		h.advance(4 * time.Minute) // the restart's re-check is due
		mustSay(t, h.settle(), "post", "Path check of office-a")

		form := h.press("U0TECH", "fault_vendor", "F-1")
		if form.Modal == nil || form.Modal.CallbackID != commands.CallbackVendor || !strings.Contains(form.Modal.Intro, "400-820-0000") {
			t.Fatalf("vendor form: %+v", form.Modal)
		}
		h.submit("U0TECH", commands.CallbackVendor, "F-1", map[string]string{"ticket": "ES-4471", "due": "engineer by 16:00"})
		h.expectFault(1, faultline.FaultWaitingVendor)
		mustSay(t, h.settle(), "post", "ES-4471")
		if form := h.press("U0TECH", "fault_vendor", "F-1"); form.Modal.Inputs[0].Value != "ES-4471" {
			t.Fatalf("the vendor form does not show the ticket on record: %+v", form.Modal.Inputs)
		}

		h.press("U0TECH", "fault_escalate_hq", "F-1")
		h.expectFault(1, faultline.FaultEscalated)
		msgs = h.settle()
		mustSay(t, msgs, "post", "<@U0HQ>")
		mustSay(t, msgs, "post", "Tried so far")
		if dms := dmsTo(msgs, "U0HQ"); len(dms) != 1 || !strings.Contains(dms[0], "ERP unreachable") {
			t.Fatalf("HQ's admin does not get the symptom directly: %q", dms)
		}

		h.pinger.Up("127.0.2.1", "127.0.3.1", "127.0.9.1")
		h.press("U0TECH", "fault_mark_fixed", "F-1")
		h.expectFault(1, faultline.FaultVerifying)
		msgs = h.settle()
		mustSay(t, msgs, "post", "Every hop answers")
		mustSay(t, msgs, "post", "<@U0REPORTER>, does the network work for you now?")

		mustReply(t, h.press("U0TECH", "fault_works", "F-1"), "Only the person who reported it may confirm it works")
		until := h.fault(1).FixedAt.Add(30 * time.Minute).UTC().Format("2006-01-02 15:04")
		mustReply(t, h.press("U0TECH", "fault_override", "F-1"), "the reporter has until "+until+" to answer; you may confirm for them from then")
		h.press("U0REPORTER", "fault_still_broken", "F-1")
		h.expectFault(1, faultline.FaultTaken)
		mustSay(t, h.settle(), "post", "F-1 is reopened for <@U0TECH>")

		h.press("U0TECH", "fault_mark_fixed", "F-1")
		h.press("U0REPORTER", "fault_works", "F-1")
		h.expectFault(1, faultline.FaultConfirmed)

		if form := h.press("U0TECH", "fault_close", "F-1"); form.Modal == nil || form.Modal.CallbackID != commands.CallbackClose {
			t.Fatalf("close form: %+v", form)
		}
		if resp := h.submit("U0TECH", commands.CallbackClose, "F-1", map[string]string{"cause": "device", "done": " "}); resp.Errors["done"] == "" {
			t.Fatalf("closing without saying what was done: %+v", resp)
		}
		h.expectFault(1, faultline.FaultConfirmed)
		h.submit("U0TECH", commands.CallbackClose, "F-1", map[string]string{
			"cause": "device", "done": "vendor replaced the router's power supply", "fixed_by": "Eastern Systems"})
		f := h.expectFault(1, faultline.FaultClosed)
		if f.Resolution.Done != "vendor replaced the router's power supply" || f.Resolution.Cause != faultline.CauseDevice || f.Hop != "WAN router" {
			t.Fatalf("closed with %+v at hop %q", f.Resolution, f.Hop)
		}
		mustSay(t, h.settle(), "update", "State: closed")
		if timers := timersOf(t, db, f.ID); len(timers) != 0 {
			t.Fatalf("clocks still running on a closed ticket: %v", timers)
		}
		if got := reply(h.command("U0TECH", "/fault search power supply")); !strings.Contains(got, "F-1") || !strings.Contains(got, "replaced the router") {
			t.Fatalf("search: %s", got)
		}
		assertKinds(t, db, f.ID, "created", "check", "state", "state", "state", "check", // take, restart asked, confirmed, re-check
			"state", "state", "state", "check", // vendor, HQ, fixed
			"state", "state", "check", "state", "state") // still broken, fixed, works, closed
		assertWellFormed(t, h.chat.all())
	})
}

// Two technicians press Take at the same moment: one takes it, the other
// is told who did, and the ticket changed once.
func TestTwoTechniciansTakeAtOnce(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		h.command("U0REPORTER", "/fault office-a down")
		h.settle()
		var wg sync.WaitGroup
		answers := make([]string, 2)
		for i, u := range []string{"U0TECH", "U0TECH2"} {
			wg.Go(func() { answers[i] = reply(h.press(u, "fault_take", "F-1")) })
		}
		wg.Wait()
		msgs := h.settle()
		f := h.expectFault(1, faultline.FaultTaken)
		if f.Version != 2 { // the check's verdict, then one take
			t.Fatalf("version %d: the ticket changed more than once", f.Version)
		}
		if joined := strings.Join(answers, " | "); !strings.Contains(joined, "F-1 is already taken by <@"+f.Owner+">") || !strings.Contains(joined, "You took F-1") {
			t.Fatalf("answers: %s", joined)
		}
		if n := strings.Count(dump(msgs), "> took F-1"); n != 1 {
			t.Fatalf("%d take notes in the thread", n)
		}
	})
}

// Bad input gets an answer that says what to type, and stores nothing.
func TestBadReportsStoreNothing(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		cases := map[string]string{
			"nowhere printer broken": "I don't know a site called `nowhere`",
			"office-a":               "Please say what is wrong",
			"office-a " + strings.Repeat("长", commands.MaxDescription+1): "please keep it under 2000",
			"show F-99":     "There is no ticket F-99",
			"show":          "Say which ticket",
			"ping":          "Say what to check",
			"ping nowhere":  "I don't know a site called `nowhere`",
			"list":          "No open tickets",
			"help":          "Report a network fault",
			"show F-banana": "There is no ticket F-banana",
			"HELP":          "Report a network fault",
		}
		for text, want := range cases {
			if got := reply(h.command("U0REPORTER", "/fault "+text)); !strings.Contains(got, want) {
				t.Errorf("/fault %.30s: %.200s; want it to say %q", text, got, want)
			}
		}
		for id, want := range map[string]string{"fault_take": "There is no ticket F-7", "fault_frobnicate": "no longer does anything",
			"fault_close": "There is no ticket F-7", commands.ActionRecheck: "There is no ticket F-7"} {
			if got := reply(h.press("U0TECH", id, "F-7")); !strings.Contains(got, want) {
				t.Errorf("%s on a missing ticket: %q", id, got)
			}
		}
		if resp := h.submit("U0TECH", commands.CallbackClose, "F-7", map[string]string{"cause": "device", "done": "x"}); !strings.Contains(resp.Errors["done"], "There is no ticket F-7") {
			t.Errorf("closing a missing ticket: %+v", resp)
		}
		if got := reply(h.command("U0REPORTER", "/nope x")); !strings.Contains(got, "I don't know the command /nope") {
			t.Errorf("unknown command: %q", got)
		}
		if list, _ := db.Faults(context.Background(), faultline.OpenFaultStates, 10); len(list) != 0 {
			t.Fatalf("bad input stored tickets: %+v", list)
		}
		if msgs := h.settle(); len(msgs) != 0 {
			t.Fatalf("bad input sent messages: %s", dump(msgs))
		}
	})
}

// User text never becomes live markup: a description with <!channel> and a
// mention reaches the chat escaped, and is stored as typed.
func TestReportTextIsEscaped(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		h.command("U0REPORTER", "/fault office-a 网络不通 <!channel> & <@U0BOSS>")
		msgs := h.settle()
		for _, m := range msgs {
			if text := whole(m.Message); strings.Contains(text, "<!channel>") || strings.Contains(text, "<@U0BOSS>") {
				t.Errorf("%s carries live markup from user text: %s", m, text)
			}
		}
		mustSay(t, msgs, "post", "&lt;!channel&gt; &amp; &lt;@U0BOSS&gt;")
		if f := h.fault(1); f.Description != "网络不通 <!channel> & <@U0BOSS>" {
			t.Fatalf("stored %q", f.Description)
		}
	})
}

// The report form: a bad submission keeps the form open with a problem
// under each field concerned; a good one opens the ticket and tells the
// reporter, alone, in the channel the form came from.
func TestReportForm(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		form := h.command("U0REPORTER", "/fault")
		if form.Modal == nil || form.Modal.CallbackID != commands.CallbackReport || form.Modal.Inputs[0].Options[0].Value != "office-a" {
			t.Fatalf("form: %+v", form.Modal)
		}
		bad := h.submit("U0REPORTER", commands.CallbackReport, "C0GENERAL", map[string]string{"host": "not a host", "description": ""})
		if bad.Errors["host"] == "" || bad.Errors["description"] == "" {
			t.Fatalf("bad submission answered %+v", bad.Errors)
		}
		h.submit("U0REPORTER", commands.CallbackReport, "C0GENERAL", map[string]string{"site": "office-a", "description": "打印机连不上网"})
		msgs := h.settle()
		var told bool
		for _, m := range msgs {
			told = told || (m.Ephemeral && m.User == "U0REPORTER" && m.Channel == "C0GENERAL" && strings.Contains(m.Text, "F-1"))
		}
		if !told {
			t.Fatalf("reporter not told in the channel: %s", dump(msgs))
		}
		if f := h.fault(1); f.Description != "打印机连不上网" || f.Site != "office-a" {
			t.Fatalf("stored %+v", f)
		}
	})
}

// Check again: a fresh check in the thread, recorded as the presser's, and
// the presser answered at once.
func TestRecheck(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		h.pinger.Down("127.0.9.1")
		h.command("U0REPORTER", "/fault office-a HQ apps down")
		h.settle()
		h.pinger.Up("127.0.9.1")
		mustReply(t, h.press("U0TECH", commands.ActionRecheck, "F-1"), "again")
		msgs := h.settle()
		mustSay(t, msgs, "post", "Every hop answers")
		events, _ := db.Events(context.Background(), h.fault(1).ID)
		if last := events[len(events)-1]; last.Kind != faultline.EventCheck || last.Actor != "U0TECH" {
			t.Fatalf("recheck recorded as %+v", last)
		}
	})
}

// Replies in a ticket's thread go on its timeline; replies in other threads
// are ignored. /fault show lists them, with the ticket's buttons.
func TestThreadRepliesAndShow(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		h.command("U0REPORTER", "/fault office-a down")
		h.settle()
		f := h.fault(1)
		ctx := context.Background()
		if err := h.svc.ThreadReply(ctx, commands.ThreadReply{Channel: faults, ThreadTS: f.MessageTS, TS: "1700000050.000100", User: "U0TECH", Text: "on my way & checking"}); err != nil {
			t.Fatal(err)
		}
		if err := h.svc.ThreadReply(ctx, commands.ThreadReply{Channel: faults, ThreadTS: "1600000000.000001", TS: "1700000051.000100", User: "U0TECH", Text: "unrelated"}); err != nil {
			t.Fatal(err)
		}
		assertKinds(t, db, f.ID, faultline.EventCreated, faultline.EventCheck, faultline.EventReply)
		show := h.command("U0TECH", "/fault show F-1")
		if !strings.Contains(reply(show), "on my way &amp; checking") || len(show.Reply.Buttons) == 0 || show.Reply.Buttons[0].ID != "fault_take" {
			t.Fatalf("show: %q with buttons %+v", reply(show), show.Reply.Buttons)
		}
	})
}

// A hop that failed before is suggested with how it was fixed.
func TestPastResolutionSuggested(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		h.pinger.Down("127.0.3.1", "127.0.9.1") // the carrier line
		h.command("U0REPORTER", "/fault office-a down")
		h.settle()
		h.press("U0TECH", "fault_take", "F-1")
		h.press("U0TECH", "fault_mark_fixed", "F-1")
		h.press("U0REPORTER", "fault_works", "F-1")
		h.submit("U0TECH", commands.CallbackClose, "F-1", map[string]string{"cause": "line", "done": "China Telecom spliced the fibre"})
		h.expectFault(1, faultline.FaultClosed)
		h.settle()
		h.command("U0REPORTER", "/fault office-a down again")
		mustSay(t, h.settle(), "post", "carrier line failed before")
	})
}
