package commands

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/faultline/faultline"
)

// incidentStepOf maps a button or form ID (incident_take…) to its step.
func incidentStepOf(id string) (faultline.IncidentAction, bool) {
	name, ok := strings.CutPrefix(id, "incident_")
	if !ok {
		return "", false
	}
	for _, a := range faultline.IncidentActions {
		if string(a) == name {
			return a, true
		}
	}
	return "", false
}

func incidentButton(a faultline.IncidentAction) string { return "incident_" + string(a) }

// pressIncident handles an incident's buttons. Steps that need details
// open their form; the step happens when the form is submitted.
func (s *Service) pressIncident(ctx context.Context, a Action) Response {
	if a.ID == ActionFollowUp {
		return s.followUpDone(ctx, a)
	}
	action, ok := incidentStepOf(a.ID)
	if !ok {
		return Response{Reply: s.ephemeral(s.cat.T("action.unknown"))}
	}
	inc, refused := s.incidentFromRef(ctx, a.User, a.Value)
	if refused != nil {
		return *refused
	}
	if refusal := s.mayStepIncident(inc, a.User, action); refusal != "" {
		return Response{Reply: s.ephemeral(refusal)}
	}
	if md := s.incidentForm(inc, action); md != nil {
		return Response{Modal: md}
	}
	resp, _ := s.stepIncident(ctx, inc.Number, a.User, action, faultline.IncidentInput{})
	return resp
}

// mayStepIncident says why user may not take action on inc now, or "".
func (s *Service) mayStepIncident(inc faultline.Incident, user string, action faultline.IncidentAction) string {
	if !faultline.CanDoIncident(s.incidentRoles(user, inc), action) {
		return s.cat.T("refuse.role", s.cat.T("istep."+string(action)), s.roleNames(faultline.IncidentRoles(action)))
	}
	for _, allowed := range inc.State.Allowed() {
		if allowed == action {
			return ""
		}
	}
	return s.cat.T("refuse.state", inc.Ref(), s.cat.T("istate."+string(inc.State)), s.cat.T("istep."+string(action)))
}

// incidentRoles adds the responsible person's role, on this incident only.
func (s *Service) incidentRoles(user string, inc faultline.Incident) []faultline.Role {
	roles := s.rolesOf(user, faultline.Fault{})
	if user == inc.Reporter {
		roles = append(roles, faultline.RoleReporter)
	}
	if user == inc.SummaryOwner {
		roles = append(roles, faultline.RoleResponsible)
	}
	return roles
}

// stepIncident applies action to incident n and commits it with its
// messages and clocks, retrying on a concurrent change like step.
func (s *Service) stepIncident(ctx context.Context, n int64, user string, action faultline.IncidentAction, in faultline.IncidentInput) (Response, bool) {
	for attempt := 0; attempt < 3; attempt++ {
		inc, err := s.store.Incident(ctx, n)
		if err != nil {
			return s.internal(ctx, "read incident", err), true
		}
		if refusal := s.mayStepIncident(inc, user, action); refusal != "" {
			return Response{Reply: s.ephemeral(refusal)}, true
		}
		if action == faultline.IncClassify && in.NoticeText == "" {
			in.NoticeText = s.cat.T("notice.template", s.cat.T("sev."+string(in.Severity)))
		}
		next, err := inc.Apply(action, user, s.now(), in)
		if err != nil {
			return Response{Reply: s.ephemeral(s.incidentRefusal(inc, action, err))}, true
		}
		c, err := s.incidentChange(ctx, inc, next, action, user, in)
		if err != nil {
			return s.internal(ctx, "incident step", err), true
		}
		err = s.commit(ctx, c)
		if errors.Is(err, faultline.ErrConflict) {
			continue
		}
		if err != nil {
			return s.internal(ctx, "incident step "+string(action), err), true
		}
		s.measureIncident(inc, next, action)
		return Response{Reply: s.ephemeral(s.cat.T("idone."+string(action), next.Ref()))}, false
	}
	return Response{Reply: s.ephemeral(s.cat.T("refuse.busy", faultline.IncidentRef(n)))}, true
}

func (s *Service) incidentRefusal(inc faultline.Incident, action faultline.IncidentAction, err error) string {
	var ue *faultline.Error
	if errors.As(err, &ue) {
		return s.cat.T(ue.Code, inc.Ref())
	}
	return s.cat.T("refuse.state", inc.Ref(), s.cat.T("istate."+string(inc.State)), s.cat.T("istep."+string(action)))
}

func (s *Service) measureIncident(before, after faultline.Incident, action faultline.IncidentAction) {
	switch {
	case action == faultline.IncReport && before.ReportedAt.IsZero():
		s.rec.IncidentStep(action, after.ReportedAt.Sub(after.CreatedAt))
	case action == faultline.IncClassify && before.ClassifiedAt.IsZero():
		s.rec.IncidentStep(action, after.ClassifiedAt.Sub(after.CreatedAt))
	case action == faultline.IncClose:
		s.rec.IncidentStep(action, after.ClosedAt.Sub(after.CreatedAt))
	}
}

// incidentForm is the form a step needs, or nil when a press is enough.
func (s *Service) incidentForm(inc faultline.Incident, action faultline.IncidentAction) *Modal {
	md := &Modal{CallbackID: incidentButton(action), Title: s.cat.T("istep.title." + string(action)),
		Submit: s.cat.T("modal.save"), Metadata: inc.Ref(), Intro: inc.Ref() + ": " + faultline.Escape(oneLine(inc.Description, 200))}
	field := func(id, label string, multiline, optional bool, value string) Input {
		return Input{ID: id, Label: s.cat.T(label), Multiline: multiline, Optional: optional, Value: value, MaxLength: MaxDescription}
	}
	switch action {
	case faultline.IncReport:
		r := inc.Report
		md.Inputs = []Input{field("what", "inc.field.what", true, false, r.What), field("actions", "inc.field.actions", true, false, r.Actions),
			field("impact", "inc.field.impact", true, true, r.Impact), field("status", "inc.field.status", false, true, r.Status)}
	case faultline.IncClassify:
		md.Inputs = []Input{{ID: "severity", Label: s.cat.T("inc.field.severity"), Options: s.severityOptions(), Value: string(inc.Severity)}}
	case faultline.IncRemedy:
		md.Inputs = []Input{field("action", "inc.field.remedy", true, false, "")}
	case faultline.IncEdit:
		md.Inputs = []Input{field("notice", "inc.field.notice", true, false, inc.NoticeText)}
	case faultline.IncClose:
		md.Inputs = []Input{field("cause", "inc.field.cause", true, false, ""), field("measures", "inc.field.measures", true, false, ""),
			{ID: "owner", Label: s.cat.T("inc.field.summary_owner"), Hint: s.cat.T("inc.field.summary_owner_hint"), Optional: true, MaxLength: 30}}
	case faultline.IncSummary:
		md.Inputs = []Input{field("cause", "inc.field.cause", true, false, inc.Cause), field("responsibility", "inc.field.responsibility", true, false, ""),
			field("lessons", "inc.field.lessons", true, false, ""),
			{ID: "followups", Label: s.cat.T("inc.field.followups"), Hint: s.cat.T("inc.field.followups_hint"), Multiline: true, Optional: true, MaxLength: MaxDescription}}
	default:
		return nil
	}
	return md
}

// submitIncident takes a step's form: its values become the step's input;
// a refusal stays in the form, under its first field.
func (s *Service) submitIncident(ctx context.Context, sub Submission) Response {
	if sub.CallbackID == CallbackDeclare {
		return s.submitDeclare(ctx, sub)
	}
	action, ok := incidentStepOf(sub.CallbackID)
	n, err := faultline.ParseIncidentRef(sub.Metadata)
	if !ok || err != nil {
		return Response{}
	}
	in, field, problems := s.incidentInput(action, sub.Values)
	if len(problems) > 0 {
		return Response{Errors: problems}
	}
	resp, refused := s.stepIncident(ctx, n, sub.User, action, in)
	if refused && resp.Reply != nil {
		return Response{Errors: map[string]string{field: plainMentions(resp.Reply.Text)}}
	}
	return resp
}

func (s *Service) incidentInput(action faultline.IncidentAction, v map[string]string) (faultline.IncidentInput, string, map[string]string) {
	trim := func(k string) string { return strings.TrimSpace(v[k]) }
	var in faultline.IncidentInput
	switch action {
	case faultline.IncReport:
		in.Report = faultline.IncidentReport{What: trim("what"), Actions: trim("actions"), Impact: trim("impact"), Status: trim("status")}
		return in, "what", nil
	case faultline.IncClassify:
		in.Severity = faultline.Severity(trim("severity"))
		return in, "severity", nil
	case faultline.IncRemedy:
		in.Remedy = trim("action")
		return in, "action", nil
	case faultline.IncEdit:
		in.NoticeText = trim("notice")
		return in, "notice", nil
	case faultline.IncClose:
		in.Cause, in.Measures, in.SummaryOwner = trim("cause"), trim("measures"), strings.TrimPrefix(trim("owner"), "@")
		if in.SummaryOwner != "" && !validUser(in.SummaryOwner) {
			return in, "owner", map[string]string{"owner": s.cat.T("inc.bad_user", faultline.Escape(in.SummaryOwner))}
		}
		return in, "cause", nil
	case faultline.IncSummary:
		in.Summary = faultline.IncidentSummary{Cause: trim("cause"), Responsibility: trim("responsibility"), Lessons: trim("lessons")}
		followUps, problem := s.parseFollowUps(v["followups"])
		if problem != "" {
			return in, "followups", map[string]string{"followups": problem}
		}
		in.FollowUps = followUps
		return in, "cause", nil
	}
	return in, "", nil
}

// parseFollowUps reads one follow-up per line: "U123 2026-12-05 what to
// do". It returns the first problem in words, or "".
func (s *Service) parseFollowUps(text string) ([]faultline.FollowUp, string) {
	var out []faultline.FollowUp
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 3 || !validUser(strings.TrimPrefix(fields[0], "@")) {
			return nil, s.cat.T("inc.followup_format", n+1)
		}
		due, err := time.ParseInLocation("2006-01-02", fields[1], s.settings.Location)
		if err != nil {
			return nil, s.cat.T("inc.followup_format", n+1)
		}
		text := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(line, fields[0]), " "))
		text = strings.TrimSpace(strings.TrimPrefix(text, fields[1]))
		// Due at the end of that working day.
		out = append(out, faultline.FollowUp{Owner: strings.TrimPrefix(fields[0], "@"), Due: due.Add(18 * time.Hour), Text: text})
	}
	return out, ""
}

func validUser(id string) bool {
	if len(id) < 2 || (id[0] != 'U' && id[0] != 'W') {
		return false
	}
	for _, r := range id[1:] {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
