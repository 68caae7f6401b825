package commands_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

// eachDialect runs f once per database, as subtests, with the database
// and an Outage that takes it down.
func eachDialect(t *testing.T, f func(t *testing.T, db *storage.DB, out *storagetest.Outage)) {
	for _, d := range storagetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			db, out := storagetest.OpenWithOutage(t, d)
			f(t, db, out)
		})
	}
}

func countFaults(t *testing.T, db *storage.DB) int {
	t.Helper()
	list, err := db.Faults(context.Background(), faultline.FaultStates, 100)
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// A report made while the database does not answer is answered "not
// saved" (never "nothing was lost"), stores nothing, and carries a Send
// again button; pressed once the database is back, it opens the ticket,
// and pressed again it shows the same ticket instead of a second one.
// The same for an incident.
func TestIntakeWithTheDatabaseDown(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *storage.DB, out *storagetest.Outage) {
		ctx := context.Background()
		h := setup(t, db)
		out.Down()
		start := time.Now()
		resp := h.svc.Command(ctx, commands.Request{Command: "/fault", Text: "office-a printer offline", User: "U0REPORTER",
			Channel: "C0GENERAL", TriggerID: "T-down", Respond: h.chat})
		took := time.Since(start)
		got := reply(resp)
		// SQLite knows nothing was written. A PostgreSQL client whose
		// connection died under a statement cannot know whether it
		// arrived, and may only say it cannot confirm.
		sure, unsure := strings.Contains(got, "could not save your report"), strings.Contains(got, "could not confirm that your report was saved")
		if !sure && !(unsure && db.Dialect() == "postgres") || strings.Contains(got, "lost") {
			t.Fatalf("answer with the database down: %q", got)
		}
		if took > 2800*time.Millisecond {
			t.Errorf("the answer took %s, past Slack's three seconds", took)
		}
		buttons := resp.Reply.Buttons
		if len(buttons) != 1 || buttons[0].ID != commands.ActionResend || !strings.Contains(buttons[0].Value, "printer offline") {
			t.Fatalf("no Send again button: %+v", buttons)
		}
		incident := h.svc.Command(ctx, commands.Request{Command: "/incident", Text: "phishing mail opened", User: "U0REPORTER",
			Channel: "C0GENERAL", TriggerID: "T-down-2", Respond: h.chat})
		if got := reply(incident); !strings.Contains(got, "could not record the incident") && !strings.Contains(got, "could not confirm that the incident") || len(incident.Reply.Buttons) != 1 {
			t.Fatalf("incident with the database down: %q %+v", got, incident.Reply.Buttons)
		}
		out.Up()
		if n := countFaults(t, db); n != 0 {
			t.Fatalf("%d tickets stored by a report answered not saved", n)
		}
		if _, err := db.Incident(ctx, 1); err == nil {
			t.Fatal("an incident was stored by a declaration answered not recorded")
		}

		mustReply(t, h.press("U0REPORTER", buttons[0].ID, buttons[0].Value), "*F-1* is open for office-a")
		mustReply(t, h.press("U0REPORTER", buttons[0].ID, buttons[0].Value), "F-1")
		if n := countFaults(t, db); n != 1 {
			t.Fatalf("%d tickets after pressing Send again twice, want 1", n)
		}
		b := incident.Reply.Buttons[0]
		mustReply(t, h.press("U0REPORTER", b.ID, b.Value), "I-1")
		h.press("U0REPORTER", b.ID, b.Value)
		if _, err := db.Incident(ctx, 2); err == nil {
			t.Fatal("Send again declared the incident twice")
		}
		if i := h.incident(1); i.Description != "phishing mail opened" {
			t.Fatalf("incident stored as %q", i.Description)
		}
	})
}

// A path check whose write fails (the database went away while it pinged)
// is not lost: its task stays, and once the database is back and the
// claim has lapsed, it runs again and the ticket gets its verdict.
func TestCheckWhoseWriteFailsIsRedone(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *storage.DB, out *storagetest.Outage) {
		ctx := context.Background()
		h := setup(t, db)
		h.svc.Command(ctx, commands.Request{Command: "/fault", Text: "office-a slow", User: "U0REPORTER",
			Channel: "C0GENERAL", TriggerID: "T1", Respond: h.chat})
		release := h.pinger.Hold()
		done := make(chan error, 1)
		go func() { _, err := h.svc.RunTasks(ctx, 1); done <- err }()
		for len(h.pinger.Calls()) == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		out.Down()
		release()
		if err := <-done; err == nil {
			t.Fatal("the check's write succeeded with the database down")
		}
		out.Up()
		if evs, _ := db.Events(ctx, 1); hasKind(evs, faultline.EventCheck) {
			t.Fatal("a check was recorded while the database was down")
		}
		tasks, err := db.Tasks(ctx, 10)
		if err != nil || len(tasks) != 1 {
			t.Fatalf("the check's task: %+v (%v)", tasks, err)
		}
		h.advance(2 * time.Minute) // past the claim's lease
		h.tasks()
		assertKinds(t, db, 1, faultline.EventCreated, faultline.EventCheck)
		if tasks, _ := db.Tasks(ctx, 10); len(tasks) != 0 {
			t.Fatalf("tasks left after the redo: %+v", tasks)
		}
		mustSay(t, h.settle(), "post", "Every hop answers")
	})
}

func hasKind(evs []faultline.Event, k faultline.EventKind) bool {
	for _, e := range evs {
		if e.Kind == k {
			return true
		}
	}
	return false
}

// A thread reply that cannot be recorded is an error (the transport
// answers 5xx and Slack delivers it again); the redelivery records it,
// and a further one records nothing more.
func TestThreadReplyRecordedAfterRetry(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *storage.DB, out *storagetest.Outage) {
		ctx := context.Background()
		h := setup(t, db)
		h.command("U0REPORTER", "/fault office-a down")
		h.settle()
		f := h.fault(1)
		r := commands.ThreadReply{Channel: f.Channel, ThreadTS: f.MessageTS, TS: "1700000500.000100",
			User: "U0TECH", Text: "on my way", EventID: "Ev01"}
		out.Down()
		if err := h.svc.ThreadReply(ctx, r); err == nil {
			t.Fatal("a reply was taken with the database down")
		}
		out.Up()
		for range 2 {
			if err := h.svc.ThreadReply(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		assertKinds(t, db, 1, faultline.EventCreated, faultline.EventCheck, faultline.EventReply)
	})
}

// Text PostgreSQL cannot store (a NUL byte, invalid UTF-8) and control
// characters are made storable and harmless rather than refused or lost,
// on both databases.
func TestUnstorableTextIsStored(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		mustReply(t, h.command("U0REPORTER", "/fault office-a bad\x00byte and \xff\xfe junk"), "*F-1* is open")
		if d := h.fault(1).Description; d != "bad\uFFFDbyte and \uFFFD junk" {
			t.Fatalf("stored %q", d)
		}
		// A terminal's escape sequence, a bell, a lone carriage return:
		// shown as U+FFFD wherever the record is printed; tabs and line
		// breaks stay.
		mustReply(t, h.command("U0REPORTER", "/fault office-a \x1b[31mred\x1b[0m\x07 line\r\nnext\rover\tend\u009b"), "*F-2* is open")
		if d := h.fault(2).Description; d != "\uFFFD[31mred\uFFFD[0m\uFFFD line\nnext\uFFFDover\tend\uFFFD" {
			t.Fatalf("stored %q", d)
		}
		f := h.fault(1)
		err := h.svc.ThreadReply(context.Background(), commands.ThreadReply{Channel: f.Channel, ThreadTS: f.MessageTS,
			TS: "1700000500.000200", User: "U0TECH", Text: "nul\x00here", EventID: "Ev02"})
		if err != nil {
			t.Fatalf("a reply with a NUL byte: %v", err)
		}
		assertKinds(t, db, 1, faultline.EventCreated, faultline.EventCheck, faultline.EventReply)
	})
}

// A command, a press and a form submission that Slack's signature would
// let through again (a replay within five minutes) have one effect, on
// both databases and across two processes sharing one.
func TestReplaysHaveOneEffect(t *testing.T) {
	for _, d := range storagetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			url := storagetest.URL(t, d)
			a, b := setup(t, storagetest.OpenURL(t, url)), setup(t, storagetest.OpenURL(t, url))
			ctx := context.Background()
			cmd := commands.Request{Command: "/fault", Text: "office-a down", User: "U0REPORTER", Channel: "C0GENERAL", TriggerID: "T-replay"}
			first := reply(a.svc.Command(ctx, cmd))
			second := reply(b.svc.Command(ctx, cmd))
			if !strings.Contains(first, "*F-1* is open") || !strings.Contains(second, "F-1") {
				t.Fatalf("answers: %q, then %q", first, second)
			}
			if n := countFaults(t, a.db); n != 1 {
				t.Fatalf("%d tickets from one command replayed", n)
			}

			press := commands.Action{ID: "fault_take", Value: "F-1", User: "U0TECH", TriggerID: "T-press"}
			a.svc.Press(ctx, press)
			again := reply(b.svc.Press(ctx, press))
			if !strings.Contains(again, "already") {
				t.Fatalf("replayed press answered %q", again)
			}
			assertKinds(t, a.db, 1, faultline.EventCreated, faultline.EventState)

			form := commands.Submission{CallbackID: commands.CallbackReport, User: "U0REPORTER", Metadata: "C0GENERAL",
				Values: map[string]string{"site": "office-a", "description": "打印机连不上网"}, TriggerID: "T-form", ViewID: "V-form"}
			if resp := a.svc.Submit(ctx, form); len(resp.Errors) != 0 {
				t.Fatalf("form: %+v", resp.Errors)
			}
			b.svc.Submit(ctx, form)
			form.TriggerID = "T-form-2" // the same modal submitted again, as a replay with a fresh trigger could not be
			b.svc.Submit(ctx, form)
			form.User, form.TriggerID, form.ViewID = "U0OTHER", "T-form-3", "V-form-3" // someone else's report joins F-1
			a.svc.Submit(ctx, form)
			if n := countFaults(t, a.db); n != 1 {
				t.Fatalf("%d tickets after reports of one site's outage, want 1", n)
			}
			evs, err := a.db.Events(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			reports := 0
			for _, ev := range evs {
				if ev.Kind == faultline.EventReport {
					reports++
				}
			}
			if f, _ := a.db.Fault(ctx, 1); reports != 2 || len(f.Reporters) != 2 {
				t.Fatalf("a form submitted three times and another person's: %d reports on the timeline, reporters %v; want 2 and 2",
					reports, f.Reporters)
			}
		})
	}
}

// Signed requests still carry what a person typed or a forger chose:
// snooze values outside the offered set, a search of 40,000 words, and a
// recheck of a closed ticket each get their own answer and change nothing.
func TestHostileValuesGetTheirAnswer(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		for _, hours := range []string{"-5", "3000000", "1e9", "x"} {
			got := reply(h.press("U0OWNER", commands.ActionDutySnooze+hours, "1"))
			if !strings.Contains(got, "That snooze is not one of the choices") {
				t.Errorf("snooze %s: %q", hours, got)
			}
		}
		start := time.Now()
		got := reply(h.command("U0TECH", "/fault search "+strings.Repeat("word ", 40000)))
		if !strings.Contains(got, "at most 10 words") {
			t.Errorf("a 40,000-word search: %q", got)
		}
		if took := time.Since(start); took > time.Second {
			t.Errorf("a 40,000-word search took %s", took)
		}

		h.command("U0REPORTER", "/fault office-a down")
		h.press("U0TECH", "fault_take", "F-1")
		h.press("U0TECH", "fault_mark_fixed", "F-1")
		h.press("U0REPORTER", "fault_works", "F-1")
		h.submit("U0TECH", commands.CallbackClose, "F-1", map[string]string{"cause": "device", "done": "replaced the cable"})
		if f := h.fault(1); f.State != faultline.FaultClosed {
			t.Fatalf("not closed: %s", f.State)
		}
		before := len(h.pinger.Calls())
		if got := reply(h.press("U0TECH", "fault_recheck", "F-1")); !strings.Contains(got, "F-1 is closed") {
			t.Fatalf("recheck of a closed ticket: %q", got)
		}
		if after := len(h.pinger.Calls()); after != before {
			t.Fatal("a closed ticket was checked again")
		}
	})
}

// When the database takes a report but its answer is lost (the network
// failed after the commit was sent), the bot does not say "not saved": it
// says it cannot confirm, and Send again shows the ticket that was saved
// instead of opening a second one.
func TestIntakeWhenTheAnswerIsLost(t *testing.T) {
	if !slices.Contains(storagetest.Dialects(t), "postgres") {
		t.Skip("the answer of a local SQLite file cannot be lost; needs TEST_DATABASE_URL")
	}
	t.Parallel()
	ctx := context.Background()
	db, out := storagetest.OpenWithOutage(t, "postgres")
	h := setup(t, db)
	out.LoseNextAnswer()
	// A host's report goes straight to its insert (a site's first looks
	// for an open outage), so the answer lost is the insert's.
	resp := h.svc.Command(ctx, commands.Request{Command: "/fault", Text: "127.0.0.1 printer offline", User: "U0REPORTER",
		Channel: "C0GENERAL", TriggerID: "T-mute", Respond: h.chat})
	out.Up()
	got := reply(resp)
	if !strings.Contains(got, "could not confirm that your report was saved") || len(resp.Reply.Buttons) != 1 {
		t.Fatalf("answer when the database's answer was lost: %q", got)
	}
	if n := countFaults(t, db); n != 1 {
		t.Fatalf("%d tickets: the muted database should have committed the report", n)
	}
	b := resp.Reply.Buttons[0]
	mustReply(t, h.press("U0REPORTER", b.ID, b.Value), "*F-1* is already open for this report")
	if n := countFaults(t, db); n != 1 {
		t.Fatalf("%d tickets after Send again", n)
	}
}

// Values only a forged submission could carry get their own answer and
// store nothing: a field longer than any form allows, a severity that is
// none of the choices; a form whose metadata names no channel confirms by
// DM; the same thread message under a second event ID is recorded once.
func TestForgedFormValues(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		long := h.submit("U0REPORTER", commands.CallbackReport, "C0GENERAL",
			map[string]string{"site": "office-a", "description": "ok", "host": strings.Repeat("h", 5000)})
		if !strings.Contains(long.Errors["host"], "5000 characters long") {
			t.Errorf("a 5,000-character host: %+v", long.Errors)
		}
		sev := h.submit("U0EMPLOYEE", commands.CallbackDeclare, "C0GENERAL",
			map[string]string{"description": "phishing mail", "severity": "apocalyptic"})
		if !strings.Contains(sev.Errors["severity"], "pick general, major or critical") {
			t.Errorf("an unknown severity: %+v", sev.Errors)
		}
		if n := countFaults(t, db); n != 0 {
			t.Fatalf("%d tickets from refused forms", n)
		}
		if _, err := db.Incident(context.Background(), 1); err == nil {
			t.Fatal("an incident was declared with an unknown severity")
		}

		if resp := h.submit("U0REPORTER", commands.CallbackReport, "<!channel>",
			map[string]string{"site": "office-a", "description": "printer offline"}); len(resp.Errors) != 0 {
			t.Fatalf("form: %+v", resp.Errors)
		}
		msgs := h.settle()
		if dms := dmsTo(msgs, "U0REPORTER"); len(dms) != 1 || !strings.Contains(dms[0], "F-1") {
			t.Fatalf("confirmation of a form with forged metadata: %v\n%s", dms, dump(msgs))
		}
		for _, m := range msgs {
			if strings.Contains(m.Channel, "channel") {
				t.Fatalf("sent to the forged conversation: %s", m)
			}
		}

		f := h.fault(1)
		for _, id := range []string{"Ev10", "Ev11"} {
			if err := h.svc.ThreadReply(context.Background(), commands.ThreadReply{Channel: f.Channel, ThreadTS: f.MessageTS,
				TS: "1700000600.000100", User: "U0TECH", Text: "on my way", EventID: id}); err != nil {
				t.Fatal(err)
			}
		}
		assertKinds(t, db, 1, faultline.EventCreated, faultline.EventCheck, faultline.EventReply)
	})
}
