package commands_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

// backupDuty is a daily backup with two owners, two hours' grace, that the
// IT supervisor hears about when it is not confirmed.
func backupDuty(schedule string) func(*commands.Settings) {
	return func(set *commands.Settings) {
		set.Location = shanghai
		set.Duties = []faultline.Duty{{Name: "finance-backup", Owners: []string{"U0OWNER", "U0OWNER2"}, Schedule: schedule,
			Grace: 2 * time.Hour, EscalateTo: faultline.RoleITSupervisor, Instructions: "Copy \\\\fs01\\finance to the NAS."}}
	}
}

// occurrence is owner's latest occurrence of the backup duty.
func (h *harness) occurrence(owner string) faultline.Occurrence {
	h.t.Helper()
	duty, err := h.db.Duty(context.Background(), "finance-backup")
	if err != nil {
		h.t.Fatal(err)
	}
	list, err := h.db.DutyOccurrences(context.Background(), duty.ID, 10)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, o := range list {
		if o.Owner == owner {
			return o
		}
	}
	h.t.Fatalf("no occurrence for %s", owner)
	return faultline.Occurrence{}
}

// pressDuty presses a button of owner's reminder as presser.
func (h *harness) pressDuty(presser, owner, id string) commands.Response {
	h.t.Helper()
	return h.press(presser, id, strconv.FormatInt(h.occurrence(owner).ID, 10))
}

// A backup duty through its life: the reminder with the instructions and
// the buttons; Done recorded; the owner who does not confirm is escalated
// once; Can't goes to the escalation role at once with the reason (and is
// not escalated again); a snooze moves the reminder; an owner who left is
// flagged instead of reminded.
func TestBackupDuty(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		start := time.Date(2026, 11, 23, 8, 0, 0, 0, shanghai) // a Monday
		h := setupAt(t, db, start, backupDuty("0 9 * * *"))
		if msgs := h.settle(); len(dmsTo(msgs, "U0OWNER")) != 0 {
			t.Fatal("reminded before the duty is due")
		}
		h.advance(time.Hour) // 09:00: due
		msgs := h.settle()
		for _, owner := range []string{"U0OWNER", "U0OWNER2"} {
			dms := dmsTo(msgs, owner)
			if len(dms) != 1 || !strings.Contains(dms[0], "finance-backup") || !strings.Contains(dms[0], `fs01\finance`) {
				t.Fatalf("reminder to %s: %q", owner, dms)
			}
		}
		mustSay(t, msgs, "post", "duty_done")

		mustReply(t, h.pressDuty("U0OWNER", "U0OWNER", commands.ActionDutyDone), "Recorded: finance-backup done")
		if o := h.occurrence("U0OWNER"); o.State != faultline.OccDone || o.DoneBy != "U0OWNER" {
			t.Fatalf("done: %+v", o)
		}
		mustReply(t, h.pressDuty("U0OWNER", "U0OWNER2", commands.ActionDutyDone), "This reminder is for <@U0OWNER2>")
		mustReply(t, h.press("U0OWNER", commands.ActionDutyDone, "4242"), "That reminder no longer exists")
		mustReply(t, h.press("U0OWNER", commands.ActionDutyDone, "banana"), "no longer does anything")
		h.advance(2*time.Hour + time.Minute) // past the grace
		h.settle()
		h.settle()
		if dms := dmsTo(h.chat.all(), "U0SUPER"); len(dms) != 1 || !strings.Contains(dms[0], "<@U0OWNER2> has not confirmed finance-backup") {
			t.Fatalf("escalation of the unconfirmed owner: %q", dms)
		}
		if o := h.occurrence("U0OWNER2"); !o.Missed() {
			t.Fatalf("not recorded as missed: %+v", o)
		}

		// The next day: one owner can't, the other snoozes.
		h.advance(22 * time.Hour) // 09:01 on Tuesday
		h.settle()
		if form := h.pressDuty("U0OWNER", "U0OWNER", commands.ActionDutyCant); form.Modal == nil || form.Modal.CallbackID != commands.CallbackDutyCant {
			t.Fatalf("Can't do it opens no form: %+v", form)
		}
		o := h.occurrence("U0OWNER")
		h.submit("U0OWNER", commands.CallbackDutyCant, strconv.FormatInt(o.ID, 10), map[string]string{"reason": "the NAS is full"})
		if dms := dmsTo(h.settle(), "U0SUPER"); len(dms) != 1 || !strings.Contains(dms[0], "the NAS is full") {
			t.Fatalf("can't: %q", dms)
		}
		h.pressDuty("U0OWNER2", "U0OWNER2", commands.ActionDutySnooze+"1")
		h.advance(30 * time.Minute)
		if dms := dmsTo(h.settle(), "U0OWNER2"); len(dms) != 0 {
			t.Fatalf("reminded again before the snooze ran out: %q", dms)
		}
		h.advance(31 * time.Minute)
		if dms := dmsTo(h.settle(), "U0OWNER2"); len(dms) != 1 {
			t.Fatalf("the snoozed reminder: %q", dms)
		}
		h.advance(2 * time.Hour) // past the grace: only the snoozer is escalated, not the one who said why
		if dms := dmsTo(h.settle(), "U0SUPER"); len(dms) != 1 || !strings.Contains(dms[0], "U0OWNER2") {
			t.Fatalf("escalations after the grace: %q", dms)
		}

		// The third day: one owner has left the company.
		h.chat.leave("U0OWNER2")
		h.advance(21 * time.Hour) // Wednesday 09:03
		msgs = h.settle()
		if len(dmsTo(msgs, "U0OWNER2")) != 0 {
			t.Fatal("a departed owner was reminded")
		}
		if dms := dmsTo(msgs, "U0SUPER"); len(dms) != 1 || !strings.Contains(dms[0], "has left") {
			t.Fatalf("the departed owner is not flagged: %q", dms)
		}
	})
}

// A pause holds what is open too: an occurrence reminded before the pause
// is not escalated while the duty is paused, /duty show says so, and after
// the resume its escalation waits a whole grace again, counted from the
// resume, rather than firing at once for the time it was held.
func TestPauseHoldsOpenOccurrences(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		start := time.Date(2026, 11, 23, 8, 0, 0, 0, shanghai) // a Monday
		h := setupAt(t, db, start, backupDuty("0 9 * * *"))
		h.advance(time.Hour) // 09:00: due, reminded
		if dms := dmsTo(h.settle(), "U0OWNER"); len(dms) != 1 {
			t.Fatalf("reminder: %q", dms)
		}
		mustReply(t, h.command("U0HEAD", "/duty pause finance-backup"), "is paused")
		h.advance(5 * time.Hour) // far past the two hours' grace
		if dms := dmsTo(h.settle(), "U0SUPER"); len(dms) != 0 {
			t.Fatalf("a paused duty escalated: %q", dms)
		}
		show := reply(h.command("U0HEAD", "/duty show finance-backup"))
		if !strings.Contains(show, "Paused") || strings.Count(show, "held while the duty is paused") != 2 {
			t.Fatalf("/duty show of a paused duty: %q", show)
		}
		if list := reply(h.command("U0HEAD", "/duty list")); !strings.Contains(list, "paused") {
			t.Fatalf("/duty list: %q", list)
		}
		mustReply(t, h.command("U0HEAD", "/duty resume finance-backup"), "finance-backup")
		h.advance(time.Hour)
		if dms := dmsTo(h.settle(), "U0SUPER"); len(dms) != 0 {
			t.Fatalf("escalated an hour after the resume, within the grace: %q", dms)
		}
		h.advance(time.Hour + time.Minute)
		if dms := dmsTo(h.settle(), "U0SUPER"); len(dms) != 2 {
			t.Fatalf("escalations a grace after the resume: %q", dms)
		}
	})
}

// A working calendar: a daily duty is not due on the public holidays nor
// the weekend around them (no reminder, no record to miss), and is due on
// the make-up working Saturday (调休).
func TestDutyCalendar(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		start := time.Date(2026, 9, 30, 20, 0, 0, 0, shanghai)
		h := setupAt(t, db, start, func(set *commands.Settings) {
			backupDuty("0 10 * * *")(set)
			set.Duties[0].Owners = []string{"U0OWNER"}
			set.Calendar = faultline.Calendar{Enabled: true, Start: 9 * 60, End: 18 * 60, Location: shanghai,
				Weekdays: [7]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true, time.Friday: true},
				Holidays: map[string]bool{"2026-10-01": true, "2026-10-02": true, "2026-10-05": true, "2026-10-06": true,
					"2026-10-07": true, "2026-10-08": true, "2026-10-09": true},
				Workdays: map[string]bool{"2026-10-10": true}}
		})
		for h.now().Before(time.Date(2026, 10, 9, 23, 0, 0, 0, shanghai)) {
			h.advance(time.Hour)
			if dms := dmsTo(h.settle(), "U0OWNER"); len(dms) != 0 {
				t.Fatalf("reminded on %s, a holiday or a weekend", h.now().In(shanghai).Format("Mon 2006-01-02 15:04"))
			}
		}
		for h.now().Before(time.Date(2026, 10, 10, 10, 0, 0, 0, shanghai)) {
			h.advance(time.Hour)
		}
		if dms := dmsTo(h.settle(), "U0OWNER"); len(dms) != 1 {
			t.Fatalf("reminders on the make-up working Saturday: %q", dms)
		}
		duty, _ := db.Duty(context.Background(), "finance-backup")
		if list, _ := db.DutyOccurrences(context.Background(), duty.ID, 50); len(list) != 1 || list[0].DueAt.In(shanghai).Day() != 10 {
			t.Fatalf("the holidays left occurrences: %+v", list)
		}
	})
}

// /duty is for the department head and the technicians; the rest are told
// who may, and bad forms get their field's problem.
func TestDutyCommand(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setupAt(t, db, testT0, backupDuty("0 9 * * *"))
		mustReply(t, h.command("U0NOBODY", "/duty list"), "Only the IT department head")
		mustReply(t, h.command("U0NOBODY", "/duty"), "/duty list")
		mustReply(t, h.command("U0HEAD", "/duty list"), "finance-backup")
		mustReply(t, h.command("U0HEAD", "/duty show nope"), "There is no duty called nope")
		mustReply(t, h.command("U0HEAD", "/duty pause finance-backup"), "is paused")
		if d, _ := db.Duty(context.Background(), "finance-backup"); !d.Paused {
			t.Fatal("not paused")
		}
		form := h.command("U0HEAD", "/duty add")
		if form.Modal == nil || form.Modal.CallbackID != commands.CallbackDutyAdd {
			t.Fatalf("add form: %+v", form)
		}
		bad := h.submit("U0HEAD", commands.CallbackDutyAdd, "", map[string]string{"name": "two words", "owners": "bob",
			"schedule": "every day", "grace": "soon", "escalate": "boss"})
		for _, field := range []string{"name", "owners", "schedule", "grace", "escalate"} {
			if bad.Errors[field] == "" {
				t.Errorf("no problem under %s: %+v", field, bad.Errors)
			}
		}
		h.submit("U0HEAD", commands.CallbackDutyAdd, "", map[string]string{"name": "design-backup", "owners": "U0DESIGN",
			"schedule": "@daily", "escalate": "it_supervisor"})
		if _, err := db.Duty(context.Background(), "design-backup"); err != nil {
			t.Fatalf("the added duty: %v", err)
		}
		taken := h.submit("U0HEAD", commands.CallbackDutyAdd, "", map[string]string{"name": "design-backup", "owners": "U0DESIGN",
			"schedule": "@daily", "escalate": "it_supervisor"})
		if !strings.Contains(taken.Errors["name"], "already a duty") {
			t.Fatalf("a taken name: %+v", taken.Errors)
		}
	})
}
