package bot_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/bot/slackfake"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// backupDuty is a daily backup with two owners, two hours' grace, that
// the IT supervisor hears about when it is not confirmed.
func backupDuty(schedule string) func(*commands.Settings) {
	return func(set *commands.Settings) {
		set.Location = shanghai
		set.Duties = []faultline.Duty{{Name: "finance-backup", Owners: []string{"U0OWNER", "U0OWNER2"}, Schedule: schedule,
			Grace: 2 * time.Hour, EscalateTo: faultline.RoleITSupervisor, Instructions: "Copy \\\\fs01\\finance to the NAS."}}
	}
}

// dutyRun drives a duty through the HTTP endpoints on the harness's clock.
type dutyRun struct {
	*procedure
}

// occurrence of owner, the latest.
func (d dutyRun) occurrence(owner string) faultline.Occurrence {
	d.t.Helper()
	duty, err := d.h.db.Duty(context.Background(), "finance-backup")
	if err != nil {
		d.t.Fatal(err)
	}
	list, err := d.h.db.DutyOccurrences(context.Background(), duty.ID, 10)
	if err != nil {
		d.t.Fatal(err)
	}
	for _, o := range list {
		if o.Owner == owner {
			return o
		}
	}
	d.t.Fatalf("no occurrence for %s", owner)
	return faultline.Occurrence{}
}

func (d dutyRun) press(owner, action string) []slackfake.Call { return d.pressAs(owner, owner, action) }

// pressAs presses a button of owner's reminder as presser.
func (d dutyRun) pressAs(presser, owner, action string) []slackfake.Call {
	d.t.Helper()
	o := d.occurrence(owner)
	d.h.bot.Interaction(d.t, d.h.bot.BlockAction(presser, "D0"+owner, "1700000000.000001", "", action, strconv.FormatInt(o.ID, 10)))
	return d.settle()
}

// A backup duty through its life: the reminder with the instructions and
// the buttons; Done recorded; the owner who does not confirm is escalated
// once; Can't goes to the escalation role at once with the reason (and is
// not escalated again); a snooze moves the reminder; an owner who left is
// flagged instead of reminded.
func TestBackupDuty(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		start := time.Date(2026, 11, 23, 8, 0, 0, 0, shanghai) // a Monday
		h := setupCustom(t, db, false, start, backupDuty("0 9 * * *"))
		d := dutyRun{&procedure{t: t, h: h}}

		if calls := d.settle(); len(dmsTo(calls, "U0OWNER")) != 0 {
			t.Fatal("reminded before the duty is due")
		}
		h.advance(time.Hour) // 09:00: due
		calls := d.settle()
		for _, owner := range []string{"U0OWNER", "U0OWNER2"} {
			dms := dmsTo(calls, owner)
			if len(dms) != 1 || !strings.Contains(dms[0], "finance-backup") || !strings.Contains(dms[0], `fs01\finance`) {
				t.Fatalf("reminder to %s: %q", owner, dms)
			}
		}
		mustSay(t, calls, "chat.postMessage", `"action_id":"duty_done"`)

		calls = d.press("U0OWNER", "duty_done")
		mustSay(t, calls, "response_url", "Recorded: finance-backup done")
		if o := d.occurrence("U0OWNER"); o.State != faultline.OccDone || o.DoneBy != "U0OWNER" {
			t.Fatalf("done: %+v", o)
		}
		calls = d.pressAs("U0OWNER", "U0OWNER2", "duty_done") // someone else's reminder
		mustSay(t, calls, "response_url", "This reminder is for <@U0OWNER2>")
		h.advance(2*time.Hour + time.Minute) // past the grace
		calls = d.settle()
		d.settle()
		if dms := dmsTo(h.slack.Calls(), "U0SUPER"); len(dms) != 1 || !strings.Contains(dms[0], "<@U0OWNER2> has not confirmed finance-backup") {
			t.Fatalf("escalation of the unconfirmed owner: %q", dms)
		}
		if o := d.occurrence("U0OWNER2"); !o.Missed() {
			t.Fatalf("not recorded as missed: %+v", o)
		}

		// The next day: one owner can't, the other snoozes.
		h.advance(22 * time.Hour) // 09:01 on Tuesday
		d.settle()
		views := len(filter(h.slack.Calls(), "views.open"))
		d.press("U0OWNER", "duty_cant")
		if len(filter(h.slack.Calls(), "views.open")) != views+1 {
			t.Fatal("Can't do it opens no form")
		}
		o := d.occurrence("U0OWNER")
		h.bot.Interaction(t, h.bot.ViewSubmission("U0OWNER", "duty_cant", strconv.FormatInt(o.ID, 10), map[string]string{"reason": "the NAS is full"}))
		calls = d.settle()
		if dms := dmsTo(calls, "U0SUPER"); len(dms) != 1 || !strings.Contains(dms[0], "the NAS is full") {
			t.Fatalf("can't: %q", dms)
		}
		d.press("U0OWNER2", "duty_snooze_1")
		h.advance(30 * time.Minute)
		if dms := dmsTo(d.settle(), "U0OWNER2"); len(dms) != 0 {
			t.Fatalf("reminded again before the snooze ran out: %q", dms)
		}
		h.advance(31 * time.Minute)
		if dms := dmsTo(d.settle(), "U0OWNER2"); len(dms) != 1 {
			t.Fatalf("the snoozed reminder: %q", dms)
		}
		h.advance(2 * time.Hour) // past the grace: only the snoozer is escalated, not the one who said why
		calls = d.settle()
		if dms := dmsTo(calls, "U0SUPER"); len(dms) != 1 || !strings.Contains(dms[0], "U0OWNER2") {
			t.Fatalf("escalations after the grace: %q", dms)
		}

		// The third day: one owner has left the company.
		h.slack.DeleteUser("U0OWNER2")
		h.advance(21 * time.Hour) // Wednesday 09:03
		calls = d.settle()
		if len(dmsTo(calls, "U0OWNER2")) != 0 {
			t.Fatal("a departed owner was reminded")
		}
		if dms := dmsTo(calls, "U0SUPER"); len(dms) != 1 || !strings.Contains(dms[0], "has left") {
			t.Fatalf("the departed owner is not flagged: %q", dms)
		}
	})
}

// A working calendar: a daily duty is not due on the public holidays nor
// the weekend around them (no reminder, no record to miss), and is due on
// the make-up working Saturday (调休).
func TestDutyCalendar(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		start := time.Date(2026, 9, 30, 20, 0, 0, 0, shanghai)
		h := setupCustom(t, db, false, start, func(set *commands.Settings) {
			backupDuty("0 10 * * *")(set)
			set.Duties[0].Owners = []string{"U0OWNER"}
			set.Calendar = faultline.Calendar{Enabled: true, Start: 9 * 60, End: 18 * 60, Location: shanghai,
				Weekdays: [7]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true, time.Friday: true},
				Holidays: map[string]bool{"2026-10-01": true, "2026-10-02": true, "2026-10-05": true, "2026-10-06": true,
					"2026-10-07": true, "2026-10-08": true, "2026-10-09": true},
				Workdays: map[string]bool{"2026-10-10": true}}
		})
		d := dutyRun{&procedure{t: t, h: h}}
		for h.now().Before(time.Date(2026, 10, 9, 23, 0, 0, 0, shanghai)) {
			h.advance(time.Hour)
			if dms := dmsTo(d.settle(), "U0OWNER"); len(dms) != 0 {
				t.Fatalf("reminded on %s, a holiday or a weekend", h.now().In(shanghai).Format("Mon 2006-01-02 15:04"))
			}
		}
		for h.now().Before(time.Date(2026, 10, 10, 10, 0, 0, 0, shanghai)) {
			h.advance(time.Hour)
		}
		calls := d.settle()
		if dms := dmsTo(calls, "U0OWNER"); len(dms) != 1 {
			t.Fatalf("reminders on the make-up working Saturday: %q", dms)
		}
		duty, _ := db.Duty(context.Background(), "finance-backup")
		if list, _ := db.DutyOccurrences(context.Background(), duty.ID, 50); len(list) != 1 || list[0].DueAt.In(shanghai).Day() != 10 {
			t.Fatalf("the holidays left occurrences: %+v", list)
		}
	})
}
