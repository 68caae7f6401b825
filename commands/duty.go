package commands

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/faultline/faultline"
)

// Duty button action IDs; each carries the occurrence's ID as its value.
const (
	ActionDutyDone     = "duty_done"
	ActionDutyNote     = "duty_note"
	ActionDutySnooze   = "duty_snooze_" // + the hours
	ActionDutyCant     = "duty_cant"
	CallbackDutyNote   = "duty_note"
	CallbackDutyCant   = "duty_cant"
	CallbackDutyAdd    = "duty_add"
	dutyBatch          = 200
	dutyFallbackPeriod = 24 * time.Hour
)

// runDuties is the duties' part of the clock job: create what came due,
// send the reminders that are due, escalate what passed its grace.
func (s *Service) runDuties(ctx context.Context, now time.Time) error {
	if s.sched == nil {
		return nil
	}
	_, err := s.store.FireDueDuties(ctx, now, dutyBatch, func(d faultline.Duty) ([]faultline.Occurrence, time.Time) {
		return s.occurrencesOf(ctx, d, now)
	})
	return errors.Join(err, s.sendReminders(ctx, now), s.escalateDuties(ctx, now))
}

// occurrencesOf is one occurrence per owner for a duty coming due. On a
// day that is not worked (a holiday, a weekend that is no make-up day) it
// is not due at all; outside working hours its reminder waits for them,
// and the grace counts from the reminder. The next due time counts from
// now, so a duty missed while the bot was down comes due once, not once
// per missed tick.
func (s *Service) occurrencesOf(ctx context.Context, d faultline.Duty, now time.Time) ([]faultline.Occurrence, time.Time) {
	next, err := s.sched.Next(d.Schedule, now)
	if err != nil {
		s.log.ErrorContext(ctx, "duty schedule", "duty", d.Name, "err", err)
		next = now.Add(dutyFallbackPeriod)
	}
	if !s.settings.Calendar.WorkingDay(d.NextDue) {
		return nil, next
	}
	remind := s.settings.Calendar.Next(d.NextDue)
	escalate := s.settings.Calendar.Next(remind.Add(d.Grace))
	out := make([]faultline.Occurrence, 0, len(d.Owners))
	for _, owner := range d.Owners {
		out = append(out, faultline.Occurrence{Owner: owner, DueAt: d.NextDue, RemindAt: remind, EscalateAt: escalate})
	}
	return out, next
}

// sendReminders DMs the owners whose reminder is due. An owner whose Slack
// account is deleted is not reminded for ever: the escalation role is told
// the duty needs a new owner. Each reminder is sent once (the occurrence is
// updated only if still as read).
func (s *Service) sendReminders(ctx context.Context, now time.Time) error {
	due, err := s.store.DueReminders(ctx, now, dutyBatch)
	if err != nil {
		return err
	}
	duties := map[string]faultline.Duty{}
	var errs []error
	for _, o := range due {
		d, err := s.dutyOf(ctx, duties, o.Duty)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		gone, err := s.poster.UserGone(ctx, o.Owner)
		if err != nil {
			s.log.WarnContext(ctx, "look up duty owner", "user", o.Owner, "err", err)
		}
		next := o
		next.RemindedAt, next.OwnerGone = now, gone
		out := []Outgoing{s.reminder(d, o)}
		if gone {
			out = s.dmRole(d.EscalateTo, s.cat.T("duty.owner_gone", faultline.Mention(o.Owner), faultline.Escape(d.Name)))
		}
		if err := s.store.UpdateOccurrence(ctx, o, next, out, now); err != nil && !errors.Is(err, faultline.ErrConflict) {
			errs = append(errs, err)
		}
	}
	s.nudge()
	return errors.Join(errs...)
}

func (s *Service) dutyOf(ctx context.Context, cache map[string]faultline.Duty, name string) (faultline.Duty, error) {
	if d, ok := cache[name]; ok {
		return d, nil
	}
	d, err := s.store.Duty(ctx, name)
	cache[name] = d
	return d, err
}

// reminder is the DM an owner gets, with the instructions and the buttons.
func (s *Service) reminder(d faultline.Duty, o faultline.Occurrence) Outgoing {
	id := strconv.FormatInt(o.ID, 10)
	text := s.cat.T("duty.reminder", faultline.Escape(d.Name), s.fmtTime(o.DueAt), s.fmtTime(o.EscalateAt))
	if d.Instructions != "" {
		text += "\n" + quote(faultline.Escape(d.Instructions))
	}
	buttons := []Button{
		{ID: ActionDutyDone, Label: s.cat.T("duty.button.done"), Value: id, Style: "primary"},
		{ID: ActionDutyNote, Label: s.cat.T("duty.button.note"), Value: id},
	}
	for _, d := range faultline.SnoozeChoices {
		h := strconv.Itoa(int(d.Hours()))
		buttons = append(buttons, Button{ID: ActionDutySnooze + h, Label: s.cat.T("duty.button.snooze", h), Value: id})
	}
	buttons = append(buttons, Button{ID: ActionDutyCant, Label: s.cat.T("duty.button.cant"), Value: id, Style: "danger"})
	return directMessage(o.Owner, Message{Text: text, Buttons: buttons})
}

// escalateDuties tells each duty's escalation role, once, about the
// occurrences still unconfirmed past their grace.
func (s *Service) escalateDuties(ctx context.Context, now time.Time) error {
	due, err := s.store.DueEscalations(ctx, now, dutyBatch)
	if err != nil {
		return err
	}
	duties := map[string]faultline.Duty{}
	var errs []error
	for _, o := range due {
		d, err := s.dutyOf(ctx, duties, o.Duty)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		next := o
		next.EscalatedAt = now
		text := s.cat.T("duty.missed", s.members(d.EscalateTo), faultline.Mention(o.Owner), faultline.Escape(d.Name), s.fmtTime(o.DueAt))
		out := s.dmRole(d.EscalateTo, text)
		if !o.OwnerGone {
			out = append(out, directMessage(o.Owner, Message{Text: s.cat.T("duty.missed_owner", faultline.Escape(d.Name), s.fmtTime(o.DueAt))}))
		}
		if err := s.store.UpdateOccurrence(ctx, o, next, out, now); err != nil && !errors.Is(err, faultline.ErrConflict) {
			errs = append(errs, err)
		}
	}
	s.nudge()
	return errors.Join(errs...)
}

// pressDuty handles the owner's buttons on a reminder.
func (s *Service) pressDuty(ctx context.Context, a Action) Response {
	o, refusal := s.ownOccurrence(ctx, a.User, a.Value)
	if refusal != nil {
		return *refusal
	}
	switch {
	case a.ID == ActionDutyDone:
		return s.confirmDuty(ctx, o, true, a.User, "")
	case a.ID == ActionDutyNote:
		return Response{Modal: &Modal{CallbackID: CallbackDutyNote, Title: s.cat.T("duty.note.title"), Submit: s.cat.T("modal.save"),
			Metadata: a.Value, Intro: faultline.Escape(o.Duty),
			Inputs: []Input{{ID: "note", Label: s.cat.T("duty.note.label"), Hint: s.cat.T("duty.note.hint"), Multiline: true, MaxLength: 1000}}}}
	case a.ID == ActionDutyCant:
		return Response{Modal: &Modal{CallbackID: CallbackDutyCant, Title: s.cat.T("duty.cant.title"), Submit: s.cat.T("modal.save"),
			Metadata: a.Value, Intro: faultline.Escape(o.Duty),
			Inputs: []Input{{ID: "reason", Label: s.cat.T("duty.cant.label"), Multiline: true, MaxLength: 1000}}}}
	case strings.HasPrefix(a.ID, ActionDutySnooze):
		hours, _ := strconv.Atoi(strings.TrimPrefix(a.ID, ActionDutySnooze))
		return s.snoozeDuty(ctx, o, time.Duration(hours)*time.Hour)
	}
	return Response{Reply: s.ephemeral(s.cat.T("action.unknown"))}
}

// ownOccurrence reads the occurrence a button is about; only its owner
// may answer it.
func (s *Service) ownOccurrence(ctx context.Context, user, value string) (faultline.Occurrence, *Response) {
	id, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		return faultline.Occurrence{}, &Response{Reply: s.ephemeral(s.cat.T("action.unknown"))}
	}
	o, err := s.store.Occurrence(ctx, id)
	if err != nil {
		r := s.faultLookupFailed(ctx, value, err)
		return o, &r
	}
	if o.Owner != user {
		return o, &Response{Reply: s.ephemeral(s.cat.T("duty.not_yours", faultline.Mention(o.Owner)))}
	}
	return o, nil
}

// confirmDuty records done (note optional) or can't (reason required; the
// escalation role hears of it at once, so it is not escalated again).
func (s *Service) confirmDuty(ctx context.Context, o faultline.Occurrence, done bool, by, text string) Response {
	now := s.now()
	next, err := o.Confirm(done, by, text, now)
	if err != nil {
		return Response{Reply: s.ephemeral(s.refusalText(err))}
	}
	var out []Outgoing
	if !done {
		d, err := s.store.Duty(ctx, o.Duty)
		if err != nil {
			return s.internal(ctx, "duty of occurrence", err)
		}
		next.EscalatedAt = now
		out = s.dmRole(d.EscalateTo, s.cat.T("duty.cant_notice", s.members(d.EscalateTo), faultline.Mention(by), faultline.Escape(d.Name),
			s.fmtTime(o.DueAt), faultline.Escape(next.Reason)))
	}
	if err := s.store.UpdateOccurrence(ctx, o, next, out, now); err != nil {
		if errors.Is(err, faultline.ErrConflict) {
			return Response{Reply: s.ephemeral(s.cat.T("duty.already"))}
		}
		return s.internal(ctx, "confirm duty", err)
	}
	s.nudge()
	if done {
		return Response{Reply: s.ephemeral(s.cat.T("duty.done", faultline.Escape(o.Duty), s.fmtTime(now)))}
	}
	return Response{Reply: s.ephemeral(s.cat.T("duty.cant_done", faultline.Escape(o.Duty)))}
}

// snoozeDuty puts the reminder off; a snooze into the night or a holiday
// lands on the next working time, and never past the escalation.
func (s *Service) snoozeDuty(ctx context.Context, o faultline.Occurrence, d time.Duration) Response {
	now := s.now()
	next, err := o.Snooze(d, now)
	if err == nil {
		next.RemindAt = s.settings.Calendar.Next(next.RemindAt)
		if !next.RemindAt.Before(o.EscalateAt) {
			err = &faultline.Error{Code: "duty.snooze_too_long"}
		}
	}
	if err != nil {
		return Response{Reply: s.ephemeral(s.refusalText(err))}
	}
	if err := s.store.UpdateOccurrence(ctx, o, next, nil, now); err != nil {
		if errors.Is(err, faultline.ErrConflict) {
			return Response{Reply: s.ephemeral(s.cat.T("duty.already"))}
		}
		return s.internal(ctx, "snooze duty", err)
	}
	return Response{Reply: s.ephemeral(s.cat.T("duty.snoozed", s.fmtTime(next.RemindAt)))}
}

func (s *Service) refusalText(err error) string {
	var ue *faultline.Error
	if errors.As(err, &ue) {
		return s.cat.T(ue.Code)
	}
	return err.Error()
}

func (s *Service) submitDuty(ctx context.Context, sub Submission) Response {
	if sub.CallbackID == CallbackDutyAdd {
		return s.submitDutyAdd(ctx, sub)
	}
	o, refusal := s.ownOccurrence(ctx, sub.User, sub.Metadata)
	if refusal != nil {
		return Response{Errors: map[string]string{"note": plainMentions(refusal.Reply.Text), "reason": plainMentions(refusal.Reply.Text)}}
	}
	done := sub.CallbackID == CallbackDutyNote
	text := sub.Values["note"]
	if !done {
		text = sub.Values["reason"]
		if strings.TrimSpace(text) == "" {
			return Response{Errors: map[string]string{"reason": s.cat.T("duty.need_reason")}}
		}
	}
	resp := s.confirmDuty(ctx, o, done, sub.User, text)
	return Response{Work: s.tellLater(sub.User, resp.Reply)}
}

// tellLater sends a form's outcome to the person as a DM, since a
// submitted form has nowhere to show a reply.
func (s *Service) tellLater(user string, m *Message) func(context.Context) error {
	if m == nil {
		return nil
	}
	return func(ctx context.Context) error {
		return s.commit(ctx, Change{Out: []Outgoing{directMessage(user, Message{Text: m.Text})}})
	}
}
