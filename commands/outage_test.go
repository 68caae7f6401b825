package commands_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

// withOfficeB adds a second office whose path shares office-a's carrier
// line and HQ (the same line ID, the same host), as branch offices behind
// one HQ line do.
func withOfficeB(set *commands.Settings) {
	set.Sites = append([]faultline.Site{}, set.Sites...)
	set.Sites = append(set.Sites, faultline.Site{Name: "office-b", Path: []faultline.Hop{
		{Name: "B gateway", Host: "127.0.5.1", Kind: faultline.KindDevice},
		{Name: "HQ line", Host: "127.0.3.1", Kind: faultline.KindLine, Line: "ct-mstp-a"},
		{Name: "HQ", Host: "127.0.9.1", Kind: faultline.KindHQ},
	}})
}

func heads(msgs []sent) int {
	n := 0
	for _, m := range msgs {
		if m.Method == "post" && m.ThreadTS == "" && strings.Contains(m.Text, "· network fault ·") {
			n++
		}
	}
	return n
}

func countKind(t *testing.T, db *storage.DB, faultID int64, kind faultline.EventKind) int {
	t.Helper()
	evs, err := db.Events(context.Background(), faultID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.Kind == kind {
			n++
		}
	}
	return n
}

// Three people report office-a while its WAN router is down: one ticket,
// one head message, one escalation chain; the later reporters are told at
// once that it is a known outage, who is on it and which reporter they
// are; the same person twice is one reporter; every report's text is on
// the timeline and the head counts the people. At recovery all of them are
// asked; the first "works" confirms, a second reporter's "still broken"
// splits them off into a linked ticket, a third's "works" is thanked.
func TestReportsFoldIntoOneOutage(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		h.pinger.Down("127.0.2.1", "127.0.3.1", "127.0.9.1")
		mustReply(t, h.command("U0A", "/fault office-a ERP unreachable"), "*F-1* is open for office-a")
		h.settle()
		mustReply(t, h.press("U0TECH", "fault_take", "F-1"), "You took F-1")
		h.advance(time.Minute)
		mustReply(t, h.command("U0B", "/fault office-a no internet"),
			"*F-1* is a known outage at office-a since 2026-11-27 02:00 (being worked on); <@U0TECH> is on it. You are reporter 2")
		mustReply(t, h.command("U0C", "/fault office-a mail is down"), "You are reporter 3")
		mustReply(t, h.command("U0B", "/fault office-a still nothing"), "You reported *F-1* at office-a already")
		msgs := h.settle()
		if n := countFaults(t, db); n != 1 {
			t.Fatalf("%d tickets for one outage", n)
		}
		if n := heads(h.chat.all()); n != 1 {
			t.Fatalf("%d head messages for one outage", n)
		}
		mustSay(t, msgs, "update", "Reports: 3 people")
		f := h.fault(1)
		if got := strings.Join(f.Reporters, " "); got != "U0A U0B U0C" {
			t.Fatalf("reporters %q", got)
		}
		if n := countKind(t, db, 1, faultline.EventReport); n != 3 {
			t.Fatalf("%d reports on the timeline, want 3 (one person twice)", n)
		}
		show := reply(h.command("U0C", "/fault show F-1"))
		for _, text := range []string{"<@U0B> reported it too (office-a): no internet", "<@U0B> reported it too (office-a): still nothing",
			"<@U0C> reported it too (office-a): mail is down"} {
			if !strings.Contains(show, text) {
				t.Fatalf("show lacks %q:\n%s", text, show)
			}
		}
		// The ticket's clocks, once each however many reported: the ack
		// clock stopped when it was taken.
		if got := strings.Join(timersOf(t, db, 1), " "); got != "device resolve" {
			t.Fatalf("timers of the outage: %s", got)
		}
		if n, err := db.Fault(context.Background(), 2); err == nil {
			t.Fatalf("a second ticket: %+v", n)
		}

		h.pinger.Up("127.0.2.1", "127.0.3.1", "127.0.9.1")
		h.press("U0TECH", "fault_mark_fixed", "F-1")
		msgs = h.settle()
		mustSay(t, msgs, "post", "<@U0A> <@U0B> <@U0C>, does the network work for you now?")
		mustReply(t, h.press("U0B", "fault_works", "F-1"), "Thank you: F-1 works again")
		h.expectFault(1, faultline.FaultConfirmed)
		mustReply(t, h.press("U0C", "fault_still_broken", "F-1"), "*F-2* is open for you, linked to *F-1*")
		mustReply(t, h.press("U0C", "fault_still_broken", "F-1"), "Only the person who reported it may")
		mustReply(t, h.press("U0A", "fault_works", "F-1"), "works for you too")
		mustReply(t, h.press("U0OTHER", "fault_works", "F-1"), "Only the person who reported it may")
		msgs = h.settle()
		mustSay(t, msgs, "post", "<@U0C> says it still does not work for them; *F-2* is open for them")
		split := h.fault(2)
		if split.LinkedTo != 1 || split.Reporter != "U0C" || !strings.Contains(split.Description, "mail is down") {
			t.Fatalf("split ticket: %+v", split)
		}
		if got := strings.Join(h.fault(1).Reporters, " "); got != "U0A U0B" {
			t.Fatalf("reporters after the split: %q", got)
		}
		h.expectFault(1, faultline.FaultConfirmed)
	})
}

// A report that joined an outage but whose own check finds every hop
// answering (a PC, an application) becomes a ticket of its own, and its
// reporter is told why; the outage keeps its other reporters.
func TestJoinedReportMovesWhenItsCheckDisagrees(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		h.pinger.Down("127.0.3.1", "127.0.9.1")
		h.command("U0A", "/fault office-a down")
		h.settle()
		h.pinger.Up("127.0.3.1", "127.0.9.1")
		h.advance(time.Minute) // past the reuse window: the next report's check is its own
		mustReply(t, h.command("U0B", "/fault office-a my mail is slow"), "You are reporter 2")
		msgs := h.settle()
		mustSay(t, msgs, "post", "Your report is not part of *F-1* after all: the path check of office-a found every hop answering")
		mustSay(t, msgs, "post", "it is now its own ticket, *F-2*")
		if got := strings.Join(h.fault(1).Reporters, " "); got != "U0A" {
			t.Fatalf("outage reporters %q", got)
		}
		if f := h.fault(2); f.Reporter != "U0B" || f.Description != "my mail is slow" {
			t.Fatalf("moved report: %+v", f)
		}
	})
}

// Reports of one site within the reuse window share one path check.
func TestReportsShareOneCheck(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		h.pinger.Down("127.0.2.1", "127.0.3.1", "127.0.9.1")
		for _, u := range []string{"U01", "U02", "U03", "U04", "U05"} {
			h.command(u, "/fault office-a down")
		}
		msgs := h.settle()
		if n := len(h.pinger.Calls()); n != 1 {
			t.Fatalf("%d path checks for five reports in the reuse window, want 1", n)
		}
		// Each report's change asks for the head to be updated; one
		// waiting update shows them all, and none is sent when the head
		// went out showing them already.
		updates := 0
		for _, m := range msgs {
			if m.Method == "update" {
				updates++
			}
		}
		if updates > 1 {
			t.Fatalf("%d head updates for five reports sent at once, want at most 1:\n%s", updates, dump(msgs))
		}
		if f := h.fault(1); len(f.Reporters) != 5 {
			t.Fatalf("reporters %v", f.Reporters)
		}
	})
}

// A failing hop that two sites share is one outage: office-b's report
// joins office-a's ticket, whose head names both sites, and /fault status
// shows both cut off by it.
func TestSharedHopIsOneOutage(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setupAt(t, db, testT0, withOfficeB)
		h.pinger.Down("127.0.3.1", "127.0.9.1")
		h.command("U0A", "/fault office-a no network")
		h.settle()
		mustReply(t, h.command("U0B", "/fault office-b no network either"), "*F-1* is a known outage at office-b")
		msgs := h.settle()
		mustSay(t, msgs, "update", "*F-1* · outage · carrier line down — office-a, office-b")
		if n := countFaults(t, db); n != 1 {
			t.Fatalf("%d tickets for one shared line", n)
		}
		status := reply(h.command("U0EMPLOYEE", "/fault status"))
		for _, want := range []string{"🔴 office-a: outage *F-1*", "🔴 office-b: outage *F-1*"} {
			if !strings.Contains(status, want) {
				t.Fatalf("status lacks %q:\n%s", want, status)
			}
		}
	})
}

// A monitor of a site behind a failing shared hop opens no ticket of its
// own: it follows the outage, says so on its timeline, and posts its
// recovery there.
func TestMonitorBehindASharedHopFollowsTheOutage(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setupAt(t, db, testT0, func(s *commands.Settings) {
			withOfficeB(s)
			s.Monitors = []commands.MonitorSpec{{Site: "office-b", Schedule: "@every 1m", Failures: 2, RecoverAfter: 1}}
		})
		h.pinger.Down("127.0.3.1", "127.0.9.1")
		h.command("U0A", "/fault office-a no network")
		h.settle()
		for range 3 {
			h.advance(time.Minute)
			h.settle()
		}
		if n := countFaults(t, db); n != 1 {
			t.Fatalf("%d tickets: the monitor behind the shared line opened its own", n)
		}
		if n := countKind(t, db, 1, faultline.EventMonitor); n != 1 {
			t.Fatalf("%d monitor entries on the outage's timeline, want 1", n)
		}
		h.pinger.Up("127.0.3.1", "127.0.9.1")
		h.advance(time.Minute)
		mustSay(t, h.settle(), "post", "The monitor sees the path of office-b answer again")
	})
}

// With escalate_above set, the report that passes it moves the chain one
// level up at once, recorded on the timeline, and only once.
func TestManyReportsEscalate(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setupAt(t, db, testT0, func(s *commands.Settings) { s.Outage.EscalateAbove = 2 })
		h.pinger.Down("127.0.2.1", "127.0.3.1", "127.0.9.1")
		for _, u := range []string{"U01", "U02", "U03", "U04"} {
			h.command(u, "/fault office-a down")
		}
		msgs := h.settle()
		mustSay(t, msgs, "post", "Escalated to an IT supervisor (level 2 of 4)")
		if dms := dmsTo(msgs, "U0SUPER"); len(dms) != 1 {
			t.Fatalf("IT supervisor DMs: %v", dms)
		}
		if n := countKind(t, db, 1, faultline.EventEscalation); n != 2 { // the count, then the climb
			t.Fatalf("%d escalation entries", n)
		}
		if f := h.fault(1); f.EscLevel != 1 {
			t.Fatalf("level %d", f.EscLevel)
		}
	})
}

// A maintenance window: only the roles that may open it do; bad input gets
// its own answer and opens nothing; a report during it is stored and told
// of the window; the ticket's clocks wait until it ends, then run; a
// monitor opens no ticket during it; ending it is recorded.
func TestMaintenanceWindow(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setupAt(t, db, testT0, func(s *commands.Settings) {
			s.Location = shanghai
			s.Monitors = []commands.MonitorSpec{{Site: "office-a", Schedule: "@every 1m", Failures: 1}}
		})
		for line, want := range map[string]string{
			"/fault maintenance office-a 2h":   "Only a sysadmin, an IT supervisor or the IT department head may open or end maintenance windows",
			"/fault maintenance nowhere 2h":    "There is no site or hop called `nowhere`",
			"/fault maintenance office-a":      "Please say how long the window lasts",
			"/fault maintenance office-a soon": "`soon` is not a duration",
			"/fault maintenance office-a 30s":  "too short",
			"/fault maintenance office-a 48h":  "longer than a window may be (24h00m)",
			"/fault maintenance end 7":         "There is no maintenance window #7",
			"/fault maintenance end x":         "`x` is not a window number",
			"/fault maintenance list":          "No maintenance is on or planned",
		} {
			user := "U0ADMIN"
			if strings.HasSuffix(line, "office-a 2h") {
				user = "U0EMPLOYEE"
			}
			mustReply(t, h.command(user, line), want)
		}
		if ws, _ := db.Windows(context.Background(), h.now()); len(ws) != 0 {
			t.Fatalf("windows opened by bad input: %+v", ws)
		}
		mustReply(t, h.command("U0ADMIN", "/fault maintenance office-a 2h switch firmware"), "Maintenance window #1 on office-a is on until 2026-11-27 12:00")
		mustSay(t, h.settle(), "post", "<@U0ADMIN> started maintenance on office-a until 2026-11-27 12:00: switch firmware")
		mustReply(t, h.command("U0EMPLOYEE", "/fault status"), "🔧 office-a: maintenance until 2026-11-27 12:00 (switch firmware)")

		h.pinger.Down("127.0.2.1", "127.0.3.1", "127.0.9.1")
		h.advance(time.Minute)
		h.settle() // the monitor's check, inside the window
		if n := countFaults(t, db); n != 0 {
			t.Fatalf("the monitor opened %d tickets during maintenance", n)
		}
		resp := h.command("U0A", "/fault office-a ERP down")
		mustReply(t, resp, "🔧 Planned maintenance on office-a until 2026-11-27 12:00: switch firmware.")
		mustReply(t, resp, "*F-1* is open for office-a")
		h.settle()
		h.advance(20 * time.Minute) // past the 15-minute ack clock, inside the window
		if msgs := h.settle(); said(msgs, "post", "has not been taken") {
			t.Fatalf("escalated during maintenance:\n%s", dump(msgs))
		}
		if n := countKind(t, db, 1, faultline.EventMaintained); n != 1 {
			t.Fatalf("%d waits recorded", n)
		}
		mustReply(t, h.command("U0SUPER", "/fault maintenance end 1"), "Maintenance window #1 on office-a is over")
		mustReply(t, h.command("U0SUPER", "/fault maintenance end 1"), "There is no maintenance window #1")
		h.advance(2 * time.Hour)
		mustSay(t, h.settle(), "post", "has not been taken")
		ws, err := db.Windows(context.Background(), testT0)
		if err != nil || len(ws) != 1 || ws[0].EndedBy != "U0SUPER" || ws[0].By != "U0ADMIN" {
			t.Fatalf("window record: %+v %v", ws, err)
		}
	})
}

// A planned window from the config (a cron schedule) is on at its time.
func TestPlannedMaintenance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setupAt(t, db, testT0, func(s *commands.Settings) {
			s.Location = shanghai
			// Every day at 09:30 in the configured zone for an hour: on at testT0 (10:00).
			s.Maintenance = []commands.PlannedWindow{{Site: "office-a", Schedule: "30 9 * * *", Duration: time.Hour, Reason: "backup run"}}
		})
		mustReply(t, h.command("U0EMPLOYEE", "/fault maintenance list"), "office-a · on now · until 2026-11-27 10:30 · planned in the config · backup run")
		h.advance(time.Hour)
		mustReply(t, h.command("U0EMPLOYEE", "/fault maintenance list"), "office-a · from 2026-11-28 09:30")
	})
}

// A report from the form joins the outage too, and its confirmation, to
// the reporter alone where the form came from, says so.
func TestFormReportJoinsTheOutage(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		h.pinger.Down("127.0.2.1", "127.0.3.1", "127.0.9.1")
		h.command("U0A", "/fault office-a down")
		h.settle()
		if resp := h.submit("U0B", commands.CallbackReport, "C0GENERAL", map[string]string{"site": "office-a", "description": "邮件发不出去"}); len(resp.Errors) != 0 {
			t.Fatalf("form: %+v", resp.Errors)
		}
		msgs := h.settle()
		mustSay(t, msgs, "post", "*F-1* is a known outage at office-a")
		mustSay(t, msgs, "post", "You are reporter 2")
		if n := countFaults(t, db); n != 1 {
			t.Fatalf("%d tickets", n)
		}
	})
}

// After someone else confirmed, the first reporter's "still broken"
// splits them off once: pressing again, or "works", is refused, as they
// reported nothing more on this ticket. A reporter who alone confirmed
// and then says it is still broken takes the confirmation back: the
// ticket reopens, no ticket is split off.
func TestStillBrokenAfterAConfirmation(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		h.pinger.Down("127.0.2.1", "127.0.3.1", "127.0.9.1")
		h.command("U0A", "/fault office-a down")
		h.command("U0B", "/fault office-a down too")
		h.press("U0TECH", "fault_take", "F-1")
		h.pinger.Up("127.0.2.1", "127.0.3.1", "127.0.9.1")
		h.press("U0TECH", "fault_mark_fixed", "F-1")
		h.settle()
		h.press("U0B", "fault_works", "F-1")
		mustReply(t, h.press("U0A", "fault_still_broken", "F-1"), "*F-2* is open for you, linked to *F-1*")
		mustReply(t, h.press("U0A", "fault_still_broken", "F-1"), "Only the person who reported it may")
		mustReply(t, h.press("U0A", "fault_works", "F-1"), "Only the person who reported it may")
		if n := countKind(t, db, 1, faultline.EventMoved); n != 1 {
			t.Fatalf("%d splits recorded, want 1", n)
		}
		if f := h.fault(1); strings.Join(f.People(), " ") != "U0B" || f.State != faultline.FaultConfirmed {
			t.Fatalf("after the split: reporters %v, %s", f.People(), f.State)
		}

		h.command("U0C", "/fault 127.0.0.9 printer gone") // F-3, one reporter
		h.press("U0TECH", "fault_take", "F-3")
		h.press("U0TECH", "fault_mark_fixed", "F-3")
		h.settle()
		h.press("U0C", "fault_works", "F-3")
		h.expectFault(3, faultline.FaultConfirmed)
		mustReply(t, h.press("U0C", "fault_still_broken", "F-3"), "F-3 is reopened")
		h.expectFault(3, faultline.FaultTaken)
		if n := countFaults(t, db); n != 3 {
			t.Fatalf("%d tickets: a lone confirmer taking it back was split off", n)
		}
	})
}

// A hop's name may have spaces: the longest run of words that names a
// site or a hop is the window's target.
func TestMaintenanceOnAHopWithSpaces(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		mustReply(t, h.command("U0ADMIN", "/fault maintenance WAN router\t2h firmware upgrade"), "Maintenance window #1 on WAN router")
		ws, err := db.Windows(context.Background(), h.now())
		if err != nil || len(ws) != 1 || ws[0].HopKey != "device:rt-wan-a" || ws[0].Reason != "firmware upgrade" {
			t.Fatalf("window: %+v %v", ws, err)
		}
		mustReply(t, h.command("U0EMPLOYEE", "/fault status"), "🔧 office-a: maintenance until")
	})
}
