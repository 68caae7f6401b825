package commands

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/markup"
)

// The duties flow (监督与提醒): backup duties and the like, their reminders
// by DM, the owner's answers, and the escalation of what is not confirmed.
type dutyFlow struct {
	*flow
	store  DutyStore
	poster Poster
	sched  Scheduler
}

const (
	dutyBatch          = 200
	dutyFallbackPeriod = 24 * time.Hour
)

// sync makes the database's config duties the config's, each due next on
// its schedule.
func (f *dutyFlow) sync(ctx context.Context, now time.Time) error {
	duties := make([]faultline.Duty, len(f.set.Duties))
	for i, d := range f.set.Duties {
		d.Source = faultline.SourceConfig
		next, err := f.sched.Next(d.Schedule, now)
		if err != nil {
			return err
		}
		d.NextDue = next
		duties[i] = d
	}
	return f.store.SyncDuties(ctx, duties, now)
}

// run is the duties' part of the clock job: create what came due, send the
// reminders that are due, escalate what passed its grace.
func (f *dutyFlow) run(ctx context.Context, now time.Time) error {
	if f.sched == nil {
		return nil
	}
	return errors.Join(f.fireDuties(ctx, now), f.sendReminders(ctx, now), f.escalate(ctx, now))
}

// fireDuties creates the occurrences of each duty due now, once each
// however many processes run it (the store refuses a duty no longer due as
// read).
func (f *dutyFlow) fireDuties(ctx context.Context, now time.Time) error {
	due, err := f.store.DueDuties(ctx, now, dutyBatch)
	if err != nil {
		return err
	}
	var errs []error
	for _, d := range due {
		occurrences, next := f.occurrencesOf(ctx, d, now)
		if err := f.store.FireDuty(ctx, d, occurrences, next); err != nil && !errors.Is(err, faultline.ErrConflict) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// occurrencesOf is one occurrence per owner for a duty coming due. On a
// day that is not worked (a holiday, a weekend that is no make-up day) it
// is not due at all; outside working hours its reminder waits for them,
// and the grace counts from the reminder. The next due time counts from
// now, so a duty missed while the bot was down comes due once, not once
// per missed tick.
func (f *dutyFlow) occurrencesOf(ctx context.Context, d faultline.Duty, now time.Time) ([]faultline.Occurrence, time.Time) {
	next, err := f.sched.Next(d.Schedule, now)
	if err != nil {
		f.log.ErrorContext(ctx, "duty schedule", "duty", d.Name, "err", err)
		next = now.Add(dutyFallbackPeriod)
	}
	if !f.set.Calendar.WorkingDay(d.NextDue) {
		return nil, next
	}
	remind := f.set.Calendar.Next(d.NextDue)
	escalate := f.set.Calendar.Next(remind.Add(d.Grace))
	out := make([]faultline.Occurrence, 0, len(d.Owners))
	for _, owner := range d.Owners {
		out = append(out, faultline.Occurrence{Owner: owner, DueAt: d.NextDue, RemindAt: remind, EscalateAt: escalate})
	}
	return out, next
}

// sendReminders DMs the owners whose reminder is due. An owner whose Slack
// account is deleted is not reminded for ever: the escalation role is told
// the duty needs a new owner.
func (f *dutyFlow) sendReminders(ctx context.Context, now time.Time) error {
	due, err := f.store.DueReminders(ctx, now, dutyBatch)
	if err != nil {
		return err
	}
	return f.each(ctx, due, now, func(d faultline.Duty, o faultline.Occurrence) (faultline.Occurrence, []faultline.Outgoing) {
		gone, err := f.poster.UserGone(ctx, o.Owner)
		if err != nil {
			f.log.WarnContext(ctx, "look up duty owner", "user", o.Owner, "err", err)
		}
		next := o
		next.RemindedAt, next.OwnerGone = now, gone
		if gone {
			return next, f.dmRole(d.EscalateTo, f.cat.T("duty.owner_gone", markup.Mention(o.Owner), markup.Escape(d.Name)))
		}
		return next, []faultline.Outgoing{f.reminder(d, o)}
	})
}

// each works out what each occurrence due becomes, with its messages, and
// writes it; each happens once however many processes run it, since the
// store writes an occurrence only if it is still as read.
func (f *dutyFlow) each(ctx context.Context, due []faultline.Occurrence, now time.Time,
	step func(faultline.Duty, faultline.Occurrence) (faultline.Occurrence, []faultline.Outgoing)) error {
	duties := map[string]faultline.Duty{}
	var errs []error
	for _, o := range due {
		d, err := f.dutyOf(ctx, duties, o.Duty)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		next, out := step(d, o)
		if err := f.store.UpdateOccurrence(ctx, o, next, out, now); err != nil && !errors.Is(err, faultline.ErrConflict) {
			errs = append(errs, err)
		}
	}
	f.nudge()
	return errors.Join(errs...)
}

func (f *dutyFlow) dutyOf(ctx context.Context, cache map[string]faultline.Duty, name string) (faultline.Duty, error) {
	if d, ok := cache[name]; ok {
		return d, nil
	}
	d, err := f.store.Duty(ctx, name)
	cache[name] = d
	return d, err
}

// reminder is the DM an owner gets, with the instructions and the buttons.
func (f *dutyFlow) reminder(d faultline.Duty, o faultline.Occurrence) faultline.Outgoing {
	id := strconv.FormatInt(o.ID, 10)
	text := f.cat.T("duty.reminder", markup.Escape(d.Name), f.fmtTime(o.DueAt), f.fmtTime(o.EscalateAt))
	if d.Instructions != "" {
		text += "\n" + markup.Quote(markup.Escape(d.Instructions))
	}
	buttons := []faultline.Button{
		{ID: ActionDutyDone, Label: f.cat.T("duty.button.done"), Value: id, Style: "primary"},
		{ID: ActionDutyNote, Label: f.cat.T("duty.button.note"), Value: id},
	}
	for _, d := range faultline.SnoozeChoices {
		h := strconv.Itoa(int(d.Hours()))
		buttons = append(buttons, faultline.Button{ID: ActionDutySnooze + h, Label: f.cat.T("duty.button.snooze", h), Value: id})
	}
	buttons = append(buttons, faultline.Button{ID: ActionDutyCant, Label: f.cat.T("duty.button.cant"), Value: id, Style: "danger"})
	return directMessage(o.Owner, faultline.Message{Text: text, Buttons: buttons})
}

// escalate tells each duty's escalation role, once, about the occurrences
// still unconfirmed past their grace.
func (f *dutyFlow) escalate(ctx context.Context, now time.Time) error {
	due, err := f.store.DueEscalations(ctx, now, dutyBatch)
	if err != nil {
		return err
	}
	return f.each(ctx, due, now, func(d faultline.Duty, o faultline.Occurrence) (faultline.Occurrence, []faultline.Outgoing) {
		next := o
		next.EscalatedAt = now
		text := f.cat.T("duty.missed", f.members(d.EscalateTo), markup.Mention(o.Owner), markup.Escape(d.Name), f.fmtTime(o.DueAt))
		out := f.dmRole(d.EscalateTo, text)
		if !o.OwnerGone {
			out = append(out, directMessage(o.Owner, faultline.Message{Text: f.cat.T("duty.missed_owner", markup.Escape(d.Name), f.fmtTime(o.DueAt))}))
		}
		return next, out
	})
}
