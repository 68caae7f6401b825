package commands

import (
	"context"
	"strings"

	"github.com/faultline/faultline"
)

// Modal callback IDs and button action IDs of the incident flow. Steps'
// buttons are "incident_" + the step; forms are "incident_" + the step too.
const (
	CallbackDeclare = "incident_declare"
	ActionFollowUp  = "incident_followup_done"
)

// incidentCommand handles /incident: declare (with text, or a form without),
// list, show, export, close, help.
func (s *Service) incidentCommand(ctx context.Context, req Request) Response {
	if s.settings.IncidentsChannel == "" {
		return Response{Reply: s.ephemeral(s.cat.T("inc.no_channel"))}
	}
	text := strings.TrimSpace(req.Text)
	if text == "" {
		return Response{Modal: s.declareModal(req.Channel)}
	}
	word, rest := cut(text)
	switch strings.ToLower(word) {
	case "help":
		return Response{Reply: s.ephemeral(s.cat.T("inc.usage"))}
	case "list":
		return s.listIncidents(ctx, req.User, rest)
	case "show":
		return s.showIncident(ctx, req.User, rest)
	case "export":
		return s.exportIncident(ctx, req.User, rest)
	case "close":
		return s.pressIncident(ctx, Action{ID: "incident_close", Value: rest, User: req.User})
	}
	return s.declare(ctx, req.User, faultline.Incident{Description: text})
}

// declare records a new incident and tells, at once and only in the
// private incidents channel, the information manager and the department
// head (事件处理). The report clock starts now.
func (s *Service) declare(ctx context.Context, user string, i faultline.Incident) Response {
	if problem := s.checkIncidentText(i.Description); problem != "" {
		return Response{Reply: s.ephemeral(problem)}
	}
	now := s.now()
	i.Reporter, i.State, i.CreatedAt = user, faultline.IncOpen, now
	due := now.Add(s.settings.Incident.Report)
	out := []Outgoing{
		{Kind: OutHead, Message: Message{Channel: s.settings.IncidentsChannel}},
		s.incidentNote(s.cat.T("inc.declared", s.members(faultline.RoleInfoManager), s.members(faultline.RoleDeptHead),
			faultline.Mention(user), s.fmtClock(due))),
	}
	timers := []faultline.Timer{{Kind: faultline.TimerReport, DueAt: due}}
	if at, ok := nextReminder(due, now, s.settings.Incident.ReportReminders); ok {
		timers = append(timers, faultline.Timer{Kind: faultline.TimerReportReminder, DueAt: at})
	}
	inc, err := s.store.CreateIncident(ctx, i, out, timers)
	if err != nil {
		return s.internal(ctx, "declare incident", err)
	}
	s.nudge()
	return Response{Reply: s.ephemeral(s.cat.T("inc.declared_reply", inc.Ref()))}
}

func (s *Service) checkIncidentText(d string) string {
	if strings.TrimSpace(d) == "" {
		return s.cat.T("inc.need_description")
	}
	if n := len([]rune(d)); n > MaxDescription {
		return s.cat.T("fault.too_long", n, MaxDescription)
	}
	return ""
}

func (s *Service) incidentNote(text string) Outgoing {
	return threadPost(Message{Channel: s.settings.IncidentsChannel, Text: text})
}

// declareModal is the form /incident opens: severity as the reporter sees
// it, what happened, the systems affected, how it was noticed.
func (s *Service) declareModal(channel string) *Modal {
	return &Modal{
		CallbackID: CallbackDeclare, Title: s.cat.T("inc.modal.declare"), Submit: s.cat.T("inc.modal.declare_submit"),
		Metadata: channel, Intro: s.cat.T("inc.modal.declare_intro"),
		Inputs: []Input{
			{ID: "severity", Label: s.cat.T("inc.field.severity"), Options: s.severityOptions(), Optional: true},
			{ID: "description", Label: s.cat.T("inc.field.description"), Multiline: true, MaxLength: MaxDescription},
			{ID: "systems", Label: s.cat.T("inc.field.systems"), Optional: true, MaxLength: 500},
			{ID: "noticed", Label: s.cat.T("inc.field.noticed"), Optional: true, MaxLength: 500},
		},
	}
}

func (s *Service) severityOptions() []Option {
	out := make([]Option, len(faultline.Severities))
	for i, sev := range faultline.Severities {
		out[i] = Option{Value: string(sev), Label: s.cat.T("sev." + string(sev))}
	}
	return out
}

func (s *Service) submitDeclare(ctx context.Context, sub Submission) Response {
	if p := s.checkIncidentText(sub.Values["description"]); p != "" {
		return Response{Errors: map[string]string{"description": p}}
	}
	resp := s.declare(ctx, sub.User, faultline.Incident{
		Description: sub.Values["description"], Systems: strings.TrimSpace(sub.Values["systems"]),
		NoticedHow: strings.TrimSpace(sub.Values["noticed"]), Severity: faultline.Severity(sub.Values["severity"]),
	})
	if resp.Reply == nil || sub.Metadata == "" {
		return Response{}
	}
	// A form has no reply of its own: the confirmation goes to the
	// reporter alone in the conversation the form came from.
	confirm := Message{Channel: sub.Metadata, Text: resp.Reply.Text}
	return Response{Work: func(ctx context.Context) error {
		return s.commit(ctx, Change{Out: []Outgoing{{Kind: OutEphemeral, User: sub.User, Message: confirm}}})
	}}
}

// mayReadIncidents: the security roles and the executive read every
// incident; anyone else only what they reported.
func (s *Service) mayReadIncidents(user string) bool {
	return faultline.MayRead(s.rolesOf(user, faultline.Fault{}))
}

func (s *Service) incidentFromRef(ctx context.Context, user, ref string) (faultline.Incident, *Response) {
	n, err := faultline.ParseIncidentRef(ref)
	if err != nil {
		return faultline.Incident{}, &Response{Reply: s.ephemeral(s.cat.T("inc.not_found", faultline.Escape(ref)))}
	}
	inc, err := s.store.Incident(ctx, n)
	// Someone who may not read it is told the same as for a missing one:
	// that an incident exists is itself confidential.
	if err != nil || (!s.mayReadIncidents(user) && inc.Reporter != user) {
		if err != nil && !isNotFound(err) {
			r := s.internal(ctx, "look up incident", err)
			return inc, &r
		}
		return inc, &Response{Reply: s.ephemeral(s.cat.T("inc.not_found", faultline.Escape(ref)))}
	}
	return inc, nil
}
