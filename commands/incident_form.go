package commands

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/markup"
)

// CallbackDeclare is the form /incident opens; the steps' forms are
// incidentPrefix + the step.
const CallbackDeclare = "incident_declare"

// incidentFormTitles are the titles of the steps' forms.
var incidentFormTitles = map[faultline.IncidentAction]string{
	faultline.IncReport: "istep.title.report", faultline.IncClassify: "istep.title.classify",
	faultline.IncRemedy: "istep.title.remedy", faultline.IncEdit: "istep.title.edit_notice",
	faultline.IncClose: "istep.title.close", faultline.IncSummary: "istep.title.summary",
	faultline.IncExternal: "istep.title.external", faultline.IncSupplement: "istep.title.supplement",
}

// declareModal is the form /incident opens: severity as the reporter sees
// it, what happened, the systems affected, how it was noticed.
func (f *incidentFlow) declareModal(channel string) *Modal {
	return &Modal{
		CallbackID: CallbackDeclare, Title: f.cat.T("inc.modal.declare"), Submit: f.cat.T("inc.modal.declare_submit"),
		Metadata: channel, Intro: f.cat.T("inc.modal.declare_intro"),
		Inputs: []Input{
			{ID: "severity", Label: f.cat.T("inc.field.severity"), Options: f.severityOptions(), Optional: true},
			{ID: "description", Label: f.cat.T("inc.field.description"), Multiline: true, MaxLength: MaxDescription},
			{ID: "systems", Label: f.cat.T("inc.field.systems"), Optional: true, MaxLength: 500},
			{ID: "noticed", Label: f.cat.T("inc.field.noticed"), Optional: true, MaxLength: 500},
		},
	}
}

func (f *incidentFlow) levelOptions() []Option {
	out := make([]Option, 0, len(faultline.Levels))
	for i := len(faultline.Levels) - 1; i >= 0; i-- { // gravest first, as the standard lists them
		l := faultline.Levels[i]
		out = append(out, Option{Value: string(l), Label: levelName(f.cat, l)})
	}
	return out
}

func (f *incidentFlow) categoryOptions() []Option {
	out := make([]Option, len(f.set.Compliance.Categories))
	for i, c := range f.set.Compliance.Categories {
		out[i] = Option{Value: c, Label: c}
	}
	return out
}

func (f *incidentFlow) reportChannelOptions() []Option {
	out := make([]Option, len(faultline.ReportChannels))
	for i, c := range faultline.ReportChannels {
		out[i] = Option{Value: c, Label: f.channelName(c)}
	}
	return out
}

// pendingOf is what a report form starts with as still being
// investigated: the hour's report's for the first report; a supplement
// starts empty, with what was pending as its hint.
func pendingOf(i faultline.Incident, action faultline.IncidentAction) string {
	if action == faultline.IncSupplement {
		return ""
	}
	return i.Report.Pending
}

func (f *incidentFlow) severityOptions() []Option {
	out := make([]Option, len(faultline.Severities))
	for i, sev := range faultline.Severities {
		out[i] = Option{Value: string(sev), Label: f.severityName(sev)}
	}
	return out
}

// form is the form a step needs, filled with what the incident has, or nil
// when a press is enough.
func (f *incidentFlow) form(inc faultline.Incident, action faultline.IncidentAction) *Modal {
	title, ok := incidentFormTitles[action]
	if !ok {
		return nil
	}
	md := &Modal{CallbackID: incidentButton(action), Title: f.cat.T(title),
		Submit: f.cat.T("modal.save"), Metadata: inc.Ref(), Intro: inc.Ref() + ": " + markup.Escape(oneLine(inc.Description, 200))}
	text := func(id, label string, multiline, optional bool, value string) Input {
		return Input{ID: id, Label: label, Multiline: multiline, Optional: optional, Value: value, MaxLength: MaxDescription}
	}
	switch action {
	case faultline.IncReport:
		r := inc.Report
		md.Inputs = []Input{text("what", f.cat.T("inc.field.what"), true, false, r.What), text("actions", f.cat.T("inc.field.actions"), true, false, r.Actions),
			text("impact", f.cat.T("inc.field.impact"), true, true, r.Impact), text("status", f.cat.T("inc.field.status"), false, true, r.Status)}
		if f.set.Compliance.Operator.Known() {
			// What the outside report asks for besides (报告内容).
			md.Inputs = append(md.Inputs, text("cause", f.cat.T("inc.field.preliminary_cause"), true, true, r.Cause),
				text("pending", f.cat.T("inc.field.pending"), true, true, r.Pending), text("help", f.cat.T("inc.field.help"), true, true, r.Help))
		}
	case faultline.IncClassify:
		if f.set.Compliance.National {
			md.Inputs = []Input{{ID: "level", Label: f.cat.T("inc.field.level"), Options: f.levelOptions(), Value: string(inc.Level)},
				{ID: "category", Label: f.cat.T("inc.field.category"), Options: f.categoryOptions(), Value: inc.Category}}
			break
		}
		md.Inputs = []Input{{ID: "severity", Label: f.cat.T("inc.field.severity"), Options: f.severityOptions(), Value: string(inc.Severity)}}
	case faultline.IncExternal, faultline.IncSupplement:
		o := inc.Outside
		to := o.To
		if to == "" {
			to = f.set.Compliance.Authority
		}
		if action == faultline.IncSupplement {
			md.Inputs = append(md.Inputs, text("text", f.cat.T("inc.field.supplement"), true, false, ""))
		}
		md.Inputs = append(md.Inputs,
			Input{ID: "to", Label: f.cat.T("inc.field.outside_to"), Value: to, MaxLength: 200},
			Input{ID: "channel", Label: f.cat.T("inc.field.outside_channel"), Options: f.reportChannelOptions(), Value: o.Channel},
			Input{ID: "reference", Label: f.cat.T("inc.field.outside_ref"), Hint: f.cat.T("inc.field.outside_ref_hint"), Optional: true, MaxLength: 100},
			Input{ID: "at", Label: f.cat.T("inc.field.outside_at"), Hint: f.cat.T("inc.field.outside_at_hint"), Optional: true, MaxLength: 16},
			text("pending", f.cat.T("inc.field.pending"), true, true, pendingOf(inc, action)))
		if action == faultline.IncSupplement && inc.Outside.Pending != "" {
			// What is left is written anew: empty when the supplement settles it.
			last := &md.Inputs[len(md.Inputs)-1]
			last.Value, last.Hint = "", f.cat.T("inc.field.pending_was", oneLine(inc.Outside.Pending, 150)) // a hint is plain text: nothing to escape
		}
	case faultline.IncRemedy:
		md.Inputs = []Input{text("action", f.cat.T("inc.field.remedy"), true, false, "")}
	case faultline.IncEdit:
		md.Inputs = []Input{text("notice", f.cat.T("inc.field.notice"), true, false, inc.NoticeText)}
	case faultline.IncClose:
		md.Inputs = []Input{text("cause", f.cat.T("inc.field.cause"), true, false, inc.Cause), text("measures", f.cat.T("inc.field.measures"), true, false, inc.Measures),
			{ID: "owner", Label: f.cat.T("inc.field.summary_owner"), Hint: f.cat.T("inc.field.summary_owner_hint"), Kind: InputUser, Optional: true, MaxLength: 30, Value: inc.SummaryOwner}}
	case faultline.IncSummary:
		md.Inputs = []Input{text("cause", f.cat.T("inc.field.cause"), true, false, inc.Cause), text("responsibility", f.cat.T("inc.field.responsibility"), true, false, ""),
			text("lessons", f.cat.T("inc.field.lessons"), true, false, ""),
			{ID: "followups", Label: f.cat.T("inc.field.followups"), Hint: f.cat.T("inc.field.followups_hint"), Multiline: true, Optional: true, MaxLength: MaxDescription}}
	}
	return md
}

// submit takes a declaration or a step's form: its values become the step's
// input; a refusal stays in the form, under its first field.
func (f *incidentFlow) submit(ctx context.Context, sub Submission) Response {
	if sub.CallbackID == CallbackDeclare {
		return f.submitDeclare(ctx, sub)
	}
	action, ok := faultline.IncidentProcedure.Step(strings.TrimPrefix(sub.CallbackID, incidentPrefix))
	if !ok {
		return Response{}
	}
	in, field, problems := f.input(action, sub.Values)
	if len(problems) > 0 {
		return Response{Errors: problems}
	}
	inc, refused := f.lookup(ctx, sub.User, sub.Metadata)
	if refused != nil {
		return formProblem(field, *refused)
	}
	resp, wasRefused := f.step(ctx, inc, f.actor(sub.User), action, in)
	if wasRefused {
		return formProblem(field, resp)
	}
	return resp
}

func (f *incidentFlow) submitDeclare(ctx context.Context, sub Submission) Response {
	if p := f.checkText(sub.Values["description"]); p != "" {
		return Response{Errors: map[string]string{"description": p}}
	}
	if sev := faultline.Severity(sub.Values["severity"]); sev != "" && !sev.Known() {
		return Response{Errors: map[string]string{"severity": f.cat.T("irefuse.need_severity", f.cat.T("inc.field.severity"))}}
	}
	// A form has no reply of its own: the confirmation goes with the
	// incident to the reporter alone in the conversation the form came
	// from, its text (naming the incident) written when it is sent.
	confirm := []faultline.Outgoing{formConfirmation(sub.User, sub.Metadata)}
	key := ""
	if sub.ViewID != "" {
		key = "view:" + sub.ViewID
	}
	_, err := f.declare(ctx, sub.User, faultline.Incident{
		Description: sub.Values["description"], Systems: strings.TrimSpace(sub.Values["systems"]),
		NoticedHow: strings.TrimSpace(sub.Values["noticed"]), Severity: faultline.Severity(sub.Values["severity"]),
	}, key, confirm)
	switch {
	case errors.Is(err, faultline.ErrUnavailable):
		f.log.ErrorContext(ctx, "declare incident from the form: database unavailable", "user", sub.User, "err", err)
		return Response{Errors: f.formUnsaved(err, incidentUnsaved)}
	case err != nil && !errors.Is(err, faultline.ErrReplay):
		return formProblem("description", f.internal(ctx, "declare incident", err))
	}
	return Response{}
}

// input reads a step's form into the step's input; field is where a
// refusal of the step shows.
func (f *incidentFlow) input(action faultline.IncidentAction, v map[string]string) (faultline.IncidentInput, string, map[string]string) {
	trim := func(k string) string { return strings.TrimSpace(v[k]) }
	var in faultline.IncidentInput
	switch action {
	case faultline.IncReport:
		in.Report = faultline.IncidentReport{What: trim("what"), Actions: trim("actions"), Impact: trim("impact"), Status: trim("status"),
			Cause: trim("cause"), Pending: trim("pending"), Help: trim("help")}
		return in, "what", nil
	case faultline.IncClassify:
		if f.set.Compliance.National {
			in.Level, in.Category = faultline.Level(trim("level")), trim("category")
			if !in.Level.Known() {
				return in, "level", map[string]string{"level": f.cat.T("inc.need_level")}
			}
			if !slices.Contains(f.set.Compliance.Categories, in.Category) {
				return in, "category", map[string]string{"category": f.cat.T("inc.need_category", markup.Escape(strings.Join(f.set.Compliance.Categories, "、")))}
			}
			return in, "level", nil
		}
		in.Severity = faultline.Severity(trim("severity"))
		return in, "severity", nil
	case faultline.IncExternal, faultline.IncSupplement:
		at, ok := f.parseWhen(v["at"])
		if !ok {
			return in, "at", map[string]string{"at": f.cat.T("inc.bad_when", markup.Escape(trim("at")))}
		}
		in.Outside = faultline.OutsideReport{To: trim("to"), Channel: trim("channel"), Reference: trim("reference"), At: at,
			Pending: trim("pending"), Text: trim("text")}
		if in.Outside.Channel != "" && !slices.Contains(faultline.ReportChannels, in.Outside.Channel) {
			return in, "channel", map[string]string{"channel": f.cat.T("inc.bad_channel")}
		}
		if action == faultline.IncSupplement {
			return in, "text", nil
		}
		return in, "to", nil
	case faultline.IncRemedy:
		in.Remedy = trim("action")
		return in, "action", nil
	case faultline.IncEdit:
		in.NoticeText = trim("notice")
		return in, "notice", nil
	case faultline.IncClose:
		in.Cause, in.Measures, in.SummaryOwner = trim("cause"), trim("measures"), strings.TrimPrefix(trim("owner"), "@")
		if in.SummaryOwner != "" && !validUser(in.SummaryOwner) {
			return in, "owner", map[string]string{"owner": f.cat.T("inc.bad_user", markup.Escape(in.SummaryOwner))}
		}
		return in, "cause", nil
	case faultline.IncSummary:
		in.Summary = faultline.IncidentSummary{Cause: trim("cause"), Responsibility: trim("responsibility"), Lessons: trim("lessons")}
		followUps, problem := f.parseFollowUps(v["followups"])
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
func (f *incidentFlow) parseFollowUps(text string) ([]faultline.FollowUp, string) {
	var out []faultline.FollowUp
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 3 || !validUser(strings.TrimPrefix(fields[0], "@")) {
			return nil, f.cat.T("inc.followup_format", n+1)
		}
		due, err := time.ParseInLocation("2006-01-02", fields[1], f.set.Location)
		if err != nil {
			return nil, f.cat.T("inc.followup_format", n+1)
		}
		what := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(line, fields[0]), " "))
		what = strings.TrimSpace(strings.TrimPrefix(what, fields[1]))
		// Due at the end of that working day.
		out = append(out, faultline.FollowUp{Owner: strings.TrimPrefix(fields[0], "@"), Due: due.Add(18 * time.Hour), Text: what})
	}
	return out, ""
}
