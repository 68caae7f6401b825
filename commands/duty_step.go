package commands

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/markup"
)

// Duty button action IDs; each carries the occurrence's ID as its value.
const (
	ActionDutyDone   = "duty_done"
	ActionDutyNote   = "duty_note"
	ActionDutySnooze = "duty_snooze_" // + the hours
	ActionDutyCant   = "duty_cant"
)

// press handles the owner's buttons on a reminder.
func (f *dutyFlow) press(ctx context.Context, a Action) Response {
	var snooze time.Duration
	switch {
	case a.ID == ActionDutyDone, a.ID == ActionDutyNote, a.ID == ActionDutyCant:
	case strings.HasPrefix(a.ID, ActionDutySnooze):
		// Only the lengths the reminder offers: a forged -5 or 3000000
		// would put the reminder in the past or in another century.
		hours, err := strconv.Atoi(strings.TrimPrefix(a.ID, ActionDutySnooze))
		snooze = time.Duration(hours) * time.Hour
		if err != nil || !slices.Contains(faultline.SnoozeChoices, snooze) {
			return f.say(f.cat.T("duty.bad_snooze"))
		}
	default:
		return f.say(f.cat.T("action.unknown"))
	}
	o, refusal := f.ownOccurrence(ctx, a.User, a.Value)
	if refusal != nil {
		return *refusal
	}
	switch a.ID {
	case ActionDutyDone:
		return f.confirm(ctx, o, true, a.User, "")
	case ActionDutyNote:
		return Response{Modal: f.noteModal(o, a.Value)}
	case ActionDutyCant:
		return Response{Modal: f.cantModal(o, a.Value)}
	}
	return f.snooze(ctx, o, snooze)
}

// ownOccurrence reads the occurrence a button is about; only its owner
// may answer it.
func (f *dutyFlow) ownOccurrence(ctx context.Context, user, value string) (faultline.Occurrence, *Response) {
	id, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		r := f.say(f.cat.T("action.unknown"))
		return faultline.Occurrence{}, &r
	}
	o, err := f.store.Occurrence(ctx, id)
	switch {
	case errors.Is(err, faultline.ErrNotFound):
		r := f.say(f.cat.T("duty.no_occurrence"))
		return o, &r
	case err != nil:
		r := f.internal(ctx, "look up duty occurrence", err)
		return o, &r
	case o.Owner != user:
		r := f.say(f.cat.T("duty.not_yours", markup.Mention(o.Owner)))
		return o, &r
	}
	return o, nil
}

// confirm records done (note optional) or can't (reason required; the
// escalation role hears of it at once, so it is not escalated again).
func (f *dutyFlow) confirm(ctx context.Context, o faultline.Occurrence, done bool, by, text string) Response {
	now := f.now()
	next, err := o.Confirm(done, by, text, now)
	if err != nil {
		return f.say(f.rule(err))
	}
	var out []faultline.Outgoing
	if !done {
		d, err := f.store.Duty(ctx, o.Duty)
		if err != nil {
			return f.internal(ctx, "duty of occurrence", err)
		}
		next.EscalatedAt = now
		out = f.dmRole(d.EscalateTo, f.cat.T("duty.cant_notice", f.members(d.EscalateTo), markup.Mention(by), markup.Escape(d.Name),
			f.fmtTime(o.DueAt), markup.Escape(next.Reason)))
	}
	if err := f.store.UpdateOccurrence(ctx, o, next, out, now); err != nil {
		if errors.Is(err, faultline.ErrConflict) {
			return f.say(f.cat.T("duty.already"))
		}
		return f.internal(ctx, "confirm duty", err)
	}
	f.nudge()
	if done {
		return f.say(f.cat.T("duty.done", markup.Escape(o.Duty), f.fmtTime(now)))
	}
	return f.say(f.cat.T("duty.cant_done", markup.Escape(o.Duty)))
}

// snooze puts the reminder off; a snooze into the night or a holiday lands
// on the next working time, and never past the escalation.
func (f *dutyFlow) snooze(ctx context.Context, o faultline.Occurrence, d time.Duration) Response {
	now := f.now()
	next, err := o.Snooze(d, now)
	if err == nil {
		next.RemindAt = f.set.Calendar.Next(next.RemindAt)
		if !next.RemindAt.Before(o.EscalateAt) {
			err = &faultline.Error{Code: "duty.snooze_too_long"}
		}
	}
	if err != nil {
		return f.say(f.rule(err))
	}
	if err := f.store.UpdateOccurrence(ctx, o, next, nil, now); err != nil {
		if errors.Is(err, faultline.ErrConflict) {
			return f.say(f.cat.T("duty.already"))
		}
		return f.internal(ctx, "snooze duty", err)
	}
	return f.say(f.cat.T("duty.snoozed", f.fmtTime(next.RemindAt)))
}

// rule is the sentence of a duty rule's refusal (its code is a catalog key).
func (f *dutyFlow) rule(err error) string {
	var ue *faultline.Error
	if errors.As(err, &ue) {
		return f.cat.T(ue.Code)
	}
	return err.Error()
}
