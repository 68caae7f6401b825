package commands

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/markup"
)

// The security-incident flow (信息安全管理流程: 事件处理, 事件善后): /incident,
// the incident's buttons and forms in the private channel, its clocks, its
// follow-ups, and the archive.
type incidentFlow struct {
	*flow
	store IncidentStore
}

// declare records a new incident (with extra messages) and tells, at
// once and only in the private incidents channel, the information manager
// and the department head (事件处理). The report clock starts now. A
// repeated key is faultline.ErrReplay, with the incident it made.
func (f *incidentFlow) declare(ctx context.Context, user string, i faultline.Incident, key string, extra []faultline.Outgoing) (faultline.Incident, error) {
	now := f.now()
	i.Reporter, i.State, i.CreatedAt, i.RequestKey = user, faultline.IncOpen, now, key
	due := now.Add(f.set.Incident.Report)
	with := faultline.Change{
		Out: append([]faultline.Outgoing{
			{Kind: faultline.OutHead, Message: faultline.Message{Channel: f.set.IncidentsChannel}},
			f.note(f.cat.T("inc.declared", f.members(faultline.RoleInfoManager), f.members(faultline.RoleDeptHead),
				markup.Mention(user), f.fmtTime(due))),
		}, extra...),
		SetTimers: []faultline.Timer{{Kind: faultline.TimerReport, DueAt: due}},
	}
	if at, ok := nextReminder(due, now, f.set.Incident.ReportReminders); ok {
		with.SetTimers = append(with.SetTimers, faultline.Timer{Kind: faultline.TimerReportReminder, DueAt: at})
	}
	var inc faultline.Incident
	err := f.persist(ctx, func(ctx context.Context) (err error) {
		inc, err = f.store.CreateIncident(ctx, i, with)
		return err
	})
	if err == nil {
		f.nudge()
	}
	return inc, err
}

// declareCommand is /incident with the description typed after it.
func (f *incidentFlow) declareCommand(ctx context.Context, req Request) Response {
	text := strings.TrimSpace(req.Text)
	if problem := f.checkText(text); problem != "" {
		return f.say(problem)
	}
	key := requestKey(req.TriggerID)
	inc, err := f.declare(ctx, req.User, faultline.Incident{Description: text}, key, nil)
	switch {
	case errors.Is(err, faultline.ErrReplay):
	case errors.Is(err, faultline.ErrUnavailable):
		f.log.ErrorContext(ctx, "declare incident: database unavailable", "user", req.User, "err", err)
		return Response{Reply: f.notSaved(err, incidentUnsaved, key, req.Text)}
	case err != nil:
		return f.internal(ctx, "declare incident", err)
	}
	return f.say(f.cat.T("inc.declared_reply", inc.Ref()))
}

// ActionIncidentResend sends again a declaration the database did not take.
const ActionIncidentResend = "incident_resend"

func (f *incidentFlow) resend(ctx context.Context, a Action) Response {
	key, text, _ := strings.Cut(a.Value, "\n")
	trigger, _ := strings.CutPrefix(key, "trigger:")
	return f.declareCommand(ctx, Request{Command: "/incident", Text: text, User: a.User, Channel: a.Channel, TriggerID: trigger})
}

func (f *incidentFlow) checkText(d string) string {
	if strings.TrimSpace(d) == "" {
		return f.cat.T("inc.need_description")
	}
	if n := utf8.RuneCountInString(d); n > MaxDescription {
		return f.cat.T("fault.too_long", n, MaxDescription)
	}
	return ""
}

// note is a post in the incident's private thread.
func (f *incidentFlow) note(text string) faultline.Outgoing {
	return threadPost(faultline.Message{Channel: f.set.IncidentsChannel, Text: text})
}

// lookup reads the incident ref names for user. Someone who may not read it
// is told the same as for a missing one, word for word: that an incident
// exists is itself confidential.
func (f *incidentFlow) lookup(ctx context.Context, user, ref string) (faultline.Incident, *Response) {
	missing := f.say(f.cat.T("inc.not_found", markup.Escape(ref)))
	n, err := faultline.ParseIncidentRef(ref)
	if err != nil {
		return faultline.Incident{}, &missing
	}
	inc, err := f.store.Incident(ctx, n)
	switch {
	case errors.Is(err, faultline.ErrNotFound):
		return inc, &missing
	case err != nil:
		r := f.internal(ctx, "look up incident", err)
		return inc, &r
	case !inc.ReadableBy(f.actor(user)):
		return faultline.Incident{}, &missing
	}
	return inc, nil
}

// reply records a message written in an incident's thread on its timeline
// (the archive keeps what people said while handling it).
func (f *incidentFlow) reply(ctx context.Context, r ThreadReply) error {
	inc, err := f.store.IncidentByMessage(ctx, r.Channel, r.ThreadTS)
	if errors.Is(err, faultline.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.commit(ctx, faultline.Change{IncidentID: inc.ID, Request: eventKey(r), Events: []faultline.Event{{
		At: f.now(), Actor: r.User, Kind: faultline.EventReply, Text: r.Text,
	}}})
}
