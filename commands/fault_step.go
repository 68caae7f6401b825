package commands

import (
	"context"
	"errors"
	"strings"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/markup"
)

// ActionRecheck is the button that checks a ticket's path again; the
// procedure's steps are faultPrefix + the step (fault_take, fault_close…).
const ActionRecheck = "fault_recheck"

// The catalog's sentences for each step: what it is called in a refusal,
// its button, and the answer to whoever took it.
var (
	faultStepKeys = map[faultline.FaultAction]string{
		faultline.ActTake: "step.take", faultline.ActRequestRestart: "step.request_restart",
		faultline.ActConfirmRestart: "step.confirm_restart", faultline.ActCancelRestart: "step.cancel_restart",
		faultline.ActVendor: "step.vendor", faultline.ActEscalateHQ: "step.escalate_hq", faultline.ActMarkFixed: "step.mark_fixed",
		faultline.ActWorks: "step.works", faultline.ActStillBroken: "step.still_broken", faultline.ActOverride: "step.override",
		faultline.ActClose: "step.close",
	}
	faultButtonKeys = map[faultline.FaultAction]string{
		faultline.ActTake: "button.take", faultline.ActRequestRestart: "button.request_restart",
		faultline.ActConfirmRestart: "button.confirm_restart", faultline.ActCancelRestart: "button.cancel_restart",
		faultline.ActVendor: "button.vendor", faultline.ActEscalateHQ: "button.escalate_hq", faultline.ActMarkFixed: "button.mark_fixed",
		faultline.ActWorks: "button.works", faultline.ActStillBroken: "button.still_broken", faultline.ActOverride: "button.override",
		faultline.ActClose: "button.close",
	}
	faultDoneKeys = map[faultline.FaultAction]string{
		faultline.ActTake: "done.take", faultline.ActRequestRestart: "done.request_restart",
		faultline.ActConfirmRestart: "done.confirm_restart", faultline.ActCancelRestart: "done.cancel_restart",
		faultline.ActVendor: "done.vendor", faultline.ActEscalateHQ: "done.escalate_hq", faultline.ActMarkFixed: "done.mark_fixed",
		faultline.ActWorks: "done.works", faultline.ActStillBroken: "done.still_broken", faultline.ActOverride: "done.override",
		faultline.ActClose: "done.close",
	}
)

func faultButton(a faultline.FaultAction) string { return faultPrefix + string(a) }

func (f *faultFlow) stepName(a string) string {
	return f.cat.T(faultStepKeys[faultline.FaultAction(a)])
}

// press handles a ticket's buttons. Steps that need details (the vendor's
// ticket, the resolution) open their form after the same check the step
// makes; the step happens when the form is submitted.
func (f *faultFlow) press(ctx context.Context, a Action) Response {
	if a.ID == ActionRecheck {
		return f.recheck(ctx, a)
	}
	if a.ID == ActionResend {
		return f.resend(ctx, a)
	}
	action, ok := faultline.FaultProcedure.Step(strings.TrimPrefix(a.ID, faultPrefix))
	if !ok {
		return f.say(f.cat.T("action.unknown"))
	}
	ticket, refused := f.lookup(ctx, a.Value)
	if refused != nil {
		return *refused
	}
	by := f.actor(a.User)
	if resp, answered := f.reporterOnConfirmed(ctx, ticket, a.User, action); answered {
		return resp
	}
	switch action {
	case faultline.ActVendor, faultline.ActClose:
		if err := ticket.Check(action, by); err != nil {
			return f.say(f.refused(ticket, err))
		}
		if action == faultline.ActVendor {
			return Response{Modal: f.vendorModal(ticket)}
		}
		return Response{Modal: f.closeModal(ticket)}
	}
	resp, _ := f.step(ctx, ticket, by, action, faultline.StepInput{})
	return resp
}

// step applies action by by to ticket (as read) and commits it with its
// messages and clocks. A concurrent change makes it read the ticket again
// and retry, so the second of two simultaneous presses gets an answer about
// the ticket as it now is ("already taken by …"). refused says the reply is
// a refusal rather than a confirmation.
func (f *faultFlow) step(ctx context.Context, ticket faultline.Fault, by faultline.Actor, action faultline.FaultAction, in faultline.StepInput) (resp Response, refused bool) {
	in.OverrideAfter = f.set.Deadlines.Confirm
	for attempt := 0; attempt < 3; attempt++ {
		next, err := ticket.Apply(action, by, f.now(), in)
		if err != nil {
			return f.say(f.refused(ticket, err)), true
		}
		var tried []string
		if action == faultline.ActEscalateHQ {
			if tried, err = f.triedSoFar(ctx, ticket); err != nil {
				return f.internal(ctx, "timeline for HQ", err), true
			}
		}
		err = f.commit(ctx, f.stepChange(ticket, next, action, by.User, tried))
		switch {
		case errors.Is(err, faultline.ErrConflict):
			var again *Response
			if ticket, again = f.lookup(ctx, ticket.Ref()); again != nil {
				return *again, true
			}
			if resp, answered := f.reporterOnConfirmed(ctx, ticket, by.User, action); answered {
				return resp, false // someone confirmed meanwhile
			}
			continue
		case err != nil:
			return f.internal(ctx, "step "+string(action), err), true
		}
		f.measure(ticket, next, action)
		return f.say(f.cat.T(faultDoneKeys[action], next.Ref())), false
	}
	return f.busy(ticket.Ref()), true
}

// refused explains a step the ticket or its rules refused.
func (f *faultFlow) refused(ticket faultline.Fault, err error) string {
	var te *faultline.TransitionError
	if errors.As(err, &te) && te.Action == string(faultline.ActTake) && ticket.Owner != "" {
		return f.cat.T("refuse.taken", ticket.Ref(), markup.Mention(ticket.Owner))
	}
	return f.refusal(ticket.Ref(), err, f.stepName, f.stateName)
}

func (f *faultFlow) measure(before, after faultline.Fault, action faultline.FaultAction) {
	switch action {
	case faultline.ActTake:
		f.rec.Taken(after.TakenAt.Sub(before.CreatedAt))
	case faultline.ActClose:
		f.rec.Closed(after.ClosedAt.Sub(before.CreatedAt))
	}
}

// stepChange is what a step writes besides the ticket: the timeline entry,
// the note in the thread (with whoever must act next mentioned), the head
// message's update, and the clocks it starts or stops.
func (f *faultFlow) stepChange(before, after faultline.Fault, action faultline.FaultAction, by string, tried []string) faultline.Change {
	now := after.UpdatedAt
	c := faultline.Change{
		FaultID: before.ID, Fault: &after, Read: before,
		Events: []faultline.Event{{At: now, Actor: by, Kind: faultline.EventState, Text: string(action), Data: stepDetail(after, action)}},
	}
	note := f.stepNote(before, after, action, by)
	if action == faultline.ActEscalateHQ && len(tried) > 0 {
		note += "\n" + f.cat.T("hq.tried") + "\n" + strings.Join(tried, "\n")
	}
	if note != "" {
		c.Out = append(c.Out, f.threadNote(note))
	}
	c.Out = append(c.Out, headUpdate())
	switch action {
	case faultline.ActTake:
		c.CancelTimers = []faultline.TimerKind{faultline.TimerAck}
		if info := f.inventoryText(after, now); info != "" {
			c.Out = append(c.Out, f.threadNote(info))
		}
	case faultline.ActConfirmRestart:
		c.SetTimers = []faultline.Timer{{Kind: faultline.TimerRecheck, DueAt: now.Add(f.set.Deadlines.RestartRecheck)}}
	case faultline.ActMarkFixed:
		// The path is checked again, and then the reporter asked whether it
		// works (故障恢复确认).
		c.Tasks = checkTask(faultline.TaskCheckAndAsk, by)
	case faultline.ActEscalateHQ:
		for _, u := range f.set.Roles[faultline.RoleHQNetadmin] {
			c.Out = append(c.Out, directMessage(u, faultline.Message{Text: note}))
		}
	case faultline.ActStillBroken:
		if after.Owner != "" {
			c.Out = append(c.Out, directMessage(after.Owner, faultline.Message{Text: note}))
		}
	case faultline.ActClose:
		c.CancelTimers = faultline.FaultTimers
	}
	return c
}

func (f *faultFlow) threadNote(text string) faultline.Outgoing {
	return threadPost(faultline.Message{Channel: f.set.FaultsChannel, Text: text})
}

// stepNote is the sentence the thread gets for a step.
func (f *faultFlow) stepNote(before, after faultline.Fault, action faultline.FaultAction, by string) string {
	who := markup.Mention(by)
	switch action {
	case faultline.ActTake:
		return f.cat.T("note.take", who, after.Ref())
	case faultline.ActRequestRestart:
		return f.cat.T("note.request_restart", who, f.restartTarget(after), f.members(faultline.RoleSysadmin))
	case faultline.ActConfirmRestart:
		return f.cat.T("note.confirm_restart", who, f.restartTarget(after), markup.Mention(before.RestartBy), f.minutes(f.set.Deadlines.RestartRecheck))
	case faultline.ActCancelRestart:
		return f.cat.T("note.cancel_restart", who)
	case faultline.ActVendor:
		return f.cat.T("note.vendor", who, markup.Escape(after.VendorTicket), markup.Escape(orDash(after.VendorDue)))
	case faultline.ActEscalateHQ:
		return f.escalationReport(after, who)
	case faultline.ActMarkFixed:
		return f.cat.T("note.mark_fixed", who)
	case faultline.ActWorks:
		return f.cat.T("note.works", who, f.owner(after.Owner))
	case faultline.ActStillBroken:
		return f.cat.T("note.still_broken", who, after.Ref(), markup.Mention(after.Owner))
	case faultline.ActOverride:
		return f.cat.T("note.override", who, f.who(after.Reporter))
	case faultline.ActClose:
		return f.cat.T("note.close", who, after.Ref(), f.causeName(after.Resolution.Cause),
			markup.Escape(after.Resolution.Done), markup.Escape(orDash(after.Resolution.FixedBy)))
	}
	return ""
}

// escalationReport is what HQ's network admin gets (上报总公司网络管理员):
// the symptom as reported, where the path breaks, and every step tried,
// because the document asks for a detailed description.
func (f *faultFlow) escalationReport(t faultline.Fault, who string) string {
	lines := []string{
		f.cat.T("hq.title", f.members(faultline.RoleHQNetadmin), t.Ref(), who),
		f.cat.T("hq.symptom", markup.Escape(t.Target), markup.Escape(oneLine(t.Description, 500))),
		f.cat.T("hq.verdict", f.verdictSummary(t)),
	}
	if t.VendorTicket != "" {
		lines = append(lines, f.cat.T("hq.vendor", markup.Escape(t.VendorTicket)))
	}
	return strings.Join(lines, "\n")
}

// triedSoFar lists the ticket's checks and steps so far, for the report
// to HQ (在申报故障的时候详细描述故障现象).
func (f *faultFlow) triedSoFar(ctx context.Context, t faultline.Fault) ([]string, error) {
	events, err := f.store.Events(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, ev := range events {
		switch ev.Kind {
		case faultline.EventCheck, faultline.EventState, faultline.EventReply, faultline.EventEscalation:
			lines = append(lines, f.eventLine(ev))
		}
	}
	return lines, nil
}

// reporterQuestion asks whoever reported t whether it works again: every
// reporter, or for a monitor's ticket nobody reported, its owner.
func (f *faultFlow) reporterQuestion(t faultline.Fault) []faultline.Outgoing {
	if len(t.People()) == 0 {
		return []faultline.Outgoing{f.threadNote(f.cat.T("note.monitor_confirm", f.owner(t.Owner)))}
	}
	return f.askReporters(t)
}

// mentionsPerMessage is how many reporters one question mentions: Slack
// shows a section of 3,000 characters, and a mention is about 15.
const mentionsPerMessage = 100

// askReporters is the question to every reporter, as few messages as
// the mentions fit in, each with the two answers; each reporter answers
// for themselves.
func (f *faultFlow) askReporters(t faultline.Fault) []faultline.Outgoing {
	people := t.People()
	var out []faultline.Outgoing
	for start := 0; start < len(people); start += mentionsPerMessage {
		batch := people[start:min(start+mentionsPerMessage, len(people))]
		out = append(out, threadPost(faultline.Message{
			Channel: f.set.FaultsChannel,
			Text:    f.cat.T("note.ask_reporter", mentions(batch), f.minutes(f.set.Deadlines.Confirm)),
			Buttons: []faultline.Button{
				{ID: faultButton(faultline.ActWorks), Label: f.cat.T("button.works"), Value: t.Ref(), Style: "primary"},
				{ID: faultButton(faultline.ActStillBroken), Label: f.cat.T("button.still_broken"), Value: t.Ref(), Style: "danger"},
			},
		}))
	}
	return out
}

// stepDetail is what the timeline keeps of a step besides its name.
func stepDetail(t faultline.Fault, action faultline.FaultAction) string {
	switch action {
	case faultline.ActVendor:
		return strings.TrimSpace(t.VendorTicket + " " + t.VendorDue)
	case faultline.ActClose:
		return string(t.Resolution.Cause) + ": " + t.Resolution.Done
	}
	return ""
}
