package commands

import (
	"context"
	"strings"

	"github.com/faultline/faultline"
)

// incidentHead is the incident's message in the private incidents
// channel, rendered from the incident as it is now.
func (s *Service) incidentHead(i faultline.Incident) Message {
	fields := []Field{
		{Label: s.cat.T("field.reporter"), Value: faultline.Mention(i.Reporter)},
		{Label: s.cat.T("field.state"), Value: s.cat.T("istate." + string(i.State))},
		{Label: s.cat.T("inc.field.handler"), Value: s.ownerText(faultline.Fault{Owner: i.Owner})},
		{Label: s.cat.T("inc.field.severity"), Value: s.severityText(i)},
		{Label: s.cat.T("inc.field.declared"), Value: s.fmtTime(i.CreatedAt)},
		{Label: s.cat.T("inc.field.report"), Value: s.reportState(i)},
	}
	if i.Systems != "" {
		fields = append(fields, Field{Label: s.cat.T("inc.field.systems"), Value: faultline.Escape(i.Systems)})
	}
	if i.Notice != faultline.NoticeNone {
		fields = append(fields, Field{Label: s.cat.T("inc.field.notice"), Value: s.cat.T("notice." + string(i.Notice))})
	}
	if duty := s.externalDuty(i); duty.Authority != "" {
		fields = append(fields, Field{Label: s.cat.T("inc.field.external"), Value: s.externalState(i, duty)})
	}
	return Message{
		Channel: s.settings.IncidentsChannel,
		Text:    s.cat.T("inc.head", i.Ref()) + "\n" + quote(faultline.Escape(i.Description)),
		Fields:  fields, Context: s.incidentNext(i),
		Buttons: s.incidentButtons(i),
	}
}

func (s *Service) severityText(i faultline.Incident) string {
	switch {
	case i.Severity == "":
		return s.cat.T("sev.none")
	case i.ClassifiedAt.IsZero():
		return s.cat.T("sev.unconfirmed", s.cat.T("sev."+string(i.Severity)))
	}
	return s.cat.T("sev."+string(i.Severity)) + " · " + faultline.Mention(i.ClassifiedBy)
}

func (s *Service) reportState(i faultline.Incident) string {
	if !i.ReportedAt.IsZero() {
		return s.cat.T("inc.report_filed", s.fmtTime(i.ReportedAt), durationText(i.ReportedAt.Sub(i.CreatedAt)))
	}
	return s.cat.T("inc.report_due", s.fmtClock(i.CreatedAt.Add(s.settings.Incident.Report)))
}

func (s *Service) externalState(i faultline.Incident, duty ExternalDuty) string {
	if !i.ExternalAt.IsZero() {
		return s.cat.T("inc.external_done", faultline.Escape(duty.Authority), faultline.Mention(i.ExternalBy), s.fmtTime(i.ExternalAt))
	}
	return s.cat.T("inc.external_due", faultline.Escape(duty.Authority), s.fmtClock(i.CreatedAt.Add(duty.Within)))
}

// incidentButtons are the steps the state allows that are pressed on the
// head message; the notice's own buttons are on its draft.
func (s *Service) incidentButtons(i faultline.Incident) []Button {
	var out []Button
	for _, a := range i.State.Allowed() {
		switch a {
		case faultline.IncApprove, faultline.IncReject, faultline.IncEdit:
			continue
		case faultline.IncExternal:
			if s.externalDuty(i).Authority == "" || !i.ExternalAt.IsZero() {
				continue
			}
		}
		style := ""
		if a == faultline.IncTake || a == faultline.IncReport {
			style = "primary"
		}
		out = append(out, Button{ID: incidentButton(a), Label: s.cat.T("ibutton." + string(a)), Value: i.Ref(), Style: style})
	}
	return out
}

// listIncidents: /incident list [open|closed|all]. The security roles see
// every incident; anyone else only what they reported.
func (s *Service) listIncidents(ctx context.Context, user, rest string) Response {
	states := faultline.OpenIncidentStates
	switch strings.ToLower(strings.TrimSpace(rest)) {
	case "closed":
		states = []faultline.IncidentState{faultline.IncClosed, faultline.IncArchived}
	case "all":
		states = faultline.IncidentStates
	case "", "open":
	default:
		return Response{Reply: s.ephemeral(s.cat.T("inc.usage"))}
	}
	reporter := ""
	if !s.mayReadIncidents(user) {
		reporter = user
	}
	list, err := s.store.Incidents(ctx, states, reporter, maxListed)
	if err != nil {
		return s.internal(ctx, "list incidents", err)
	}
	if len(list) == 0 {
		return Response{Reply: s.ephemeral(s.cat.T("inc.list_empty"))}
	}
	lines := []string{s.cat.T("inc.list_title", len(list))}
	for _, i := range list {
		lines = append(lines, s.cat.T("inc.list_item", i.Ref(), s.severityText(i), s.cat.T("istate."+string(i.State)),
			faultline.Escape(oneLine(i.Description, 80)), s.fmtTime(i.CreatedAt)))
	}
	return Response{Reply: s.ephemeral(strings.Join(lines, "\n"))}
}

// showIncident: /incident show I-n, the whole record, to whoever may read it.
func (s *Service) showIncident(ctx context.Context, user, rest string) Response {
	ref, _ := cut(rest)
	inc, refused := s.incidentFromRef(ctx, user, ref)
	if refused != nil {
		return *refused
	}
	text, err := s.IncidentMarkdown(ctx, inc.Number)
	if err != nil {
		return s.internal(ctx, "show incident", err)
	}
	return Response{Reply: s.ephemeral("```\n" + faultline.Escape(text) + "\n```")}
}

// exportIncident posts the incident's record as Markdown in its own
// thread, in the private channel, for the archive (记录事故档案).
func (s *Service) exportIncident(ctx context.Context, user, rest string) Response {
	ref, _ := cut(rest)
	inc, refused := s.incidentFromRef(ctx, user, ref)
	if refused != nil {
		return *refused
	}
	if !s.mayReadIncidents(user) {
		return Response{Reply: s.ephemeral(s.cat.T("refuse.role", s.cat.T("istep.export"), s.roleNames(faultline.SecurityRoles)))}
	}
	text, err := s.IncidentMarkdown(ctx, inc.Number)
	if err != nil {
		return s.internal(ctx, "export incident", err)
	}
	body := "```\n" + faultline.Escape(text) + "\n```"
	if err := s.commit(ctx, Change{IncidentID: inc.ID, Out: []Outgoing{s.incidentNote(body)}}); err != nil {
		return s.internal(ctx, "export incident", err)
	}
	return Response{Reply: s.ephemeral(s.cat.T("inc.exported", inc.Ref()))}
}

func (s *Service) incidentNext(i faultline.Incident) string {
	if i.State == faultline.IncOpen {
		return s.cat.T("inext.open", s.members(faultline.RoleInfoManager))
	}
	return s.cat.T("inext." + string(i.State))
}
