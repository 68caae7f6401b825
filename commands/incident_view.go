package commands

import (
	"context"
	"strings"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/markup"
)

// The catalog's names of an incident's states, what each expects next, the
// severities and the states of the company notice.
var (
	incidentStateKeys = map[faultline.IncidentState]string{
		faultline.IncOpen: "istate.open", faultline.IncHandling: "istate.handling", faultline.IncReported: "istate.reported",
		faultline.IncClosed: "istate.closed", faultline.IncArchived: "istate.archived",
	}
	incidentNextKeys = map[faultline.IncidentState]string{
		faultline.IncOpen: "inext.open", faultline.IncHandling: "inext.handling", faultline.IncReported: "inext.reported",
		faultline.IncClosed: "inext.closed", faultline.IncArchived: "inext.archived",
	}
	severityKeys = map[faultline.Severity]string{
		faultline.SevGeneral: "sev.general", faultline.SevMajor: "sev.major", faultline.SevCritical: "sev.critical",
	}
	noticeKeys = map[faultline.NoticeState]string{
		faultline.NoticeDraft: "notice.draft", faultline.NoticePosted: "notice.posted", faultline.NoticeRejected: "notice.rejected",
	}
)

func (f *incidentFlow) stateName(st string) string {
	return f.cat.T(incidentStateKeys[faultline.IncidentState(st)])
}

func (f *incidentFlow) severityName(s faultline.Severity) string {
	if key, ok := severityKeys[s]; ok {
		return f.cat.T(key)
	}
	return f.cat.T("sev.none")
}

// head is the incident's message in the private incidents channel,
// rendered from the incident as it is now.
func (f *incidentFlow) head(i faultline.Incident) faultline.Message {
	fields := []faultline.Field{
		{Label: f.cat.T("field.reporter"), Value: markup.Mention(i.Reporter)},
		{Label: f.cat.T("field.state"), Value: f.stateName(string(i.State))},
		{Label: f.cat.T("inc.field.handler"), Value: f.owner(i.Owner)},
		{Label: f.gradeLabel(i), Value: f.severityText(i)},
		{Label: f.cat.T("inc.field.declared"), Value: f.fmtTime(i.CreatedAt)},
		{Label: f.cat.T("inc.field.report"), Value: f.reportState(i)},
	}
	if _, owed := f.outsideDue(i); owed || !i.ExternalAt.IsZero() {
		// Next to the internal report: the two clocks of the first hours.
		fields = append(fields, faultline.Field{Label: f.cat.T("inc.field.external"), Value: f.outsideState(i)})
	}
	if i.Category != "" {
		fields = append(fields, faultline.Field{Label: f.cat.T("inc.field.category"), Value: markup.Escape(i.Category)})
	}
	if i.Systems != "" {
		fields = append(fields, faultline.Field{Label: f.cat.T("inc.field.systems"), Value: markup.Escape(i.Systems)})
	}
	if i.Notice != faultline.NoticeNone {
		fields = append(fields, faultline.Field{Label: f.cat.T("inc.field.notice"), Value: f.cat.T(noticeKeys[i.Notice])})
	}
	return faultline.Message{
		Channel: f.set.IncidentsChannel,
		Text:    f.cat.T("inc.head", i.Ref()) + "\n" + markup.Quote(markup.Escape(i.Description)),
		Fields:  fields, Context: f.next(i),
		Buttons: f.buttons(i),
	}
}

func (f *incidentFlow) severityText(i faultline.Incident) string {
	switch {
	case i.Severity == "":
		return f.cat.T("sev.none")
	case i.ClassifiedAt.IsZero():
		return f.cat.T("sev.unconfirmed", f.severityName(i.Severity))
	case i.Level != "":
		return f.cat.T("sev.national", levelName(f.cat, i.Level), f.severityName(i.Severity)) + " · " + markup.Mention(i.ClassifiedBy)
	}
	return f.severityName(i.Severity) + " · " + markup.Mention(i.ClassifiedBy)
}

func (f *incidentFlow) reportState(i faultline.Incident) string {
	if !i.ReportedAt.IsZero() {
		return f.cat.T("inc.report_filed", f.fmtTime(i.ReportedAt), f.durationText(i.ReportedAt.Sub(i.CreatedAt)))
	}
	return f.cat.T("inc.report_due", f.fmtTime(i.CreatedAt.Add(f.set.Incident.Report)))
}

// buttons are the steps the state allows that are pressed on the head
// message; the notice's own buttons are on its draft.
func (f *incidentFlow) buttons(i faultline.Incident) []faultline.Button {
	var out []faultline.Button
	for _, a := range faultline.IncidentProcedure.Allowed(i.State) {
		switch a {
		case faultline.IncApprove, faultline.IncReject, faultline.IncEdit:
			continue
		case faultline.IncExternal:
			if !f.outsideOwed(i) {
				continue
			}
		case faultline.IncSupplement:
			if i.ExternalAt.IsZero() {
				continue
			}
		}
		style := ""
		if a == faultline.IncTake || a == faultline.IncReport {
			style = "primary"
		}
		out = append(out, faultline.Button{ID: incidentButton(a), Label: f.cat.T(incidentButtonKeys[a]), Value: i.Ref(), Style: style})
	}
	return out
}

func (f *incidentFlow) next(i faultline.Incident) string {
	if i.State == faultline.IncOpen {
		return f.cat.T("inext.open", f.members(faultline.RoleInfoManager))
	}
	return f.cat.T(incidentNextKeys[i.State])
}

// list: /incident list [open|closed|all]. The security roles see every
// incident; anyone else only what they reported.
func (f *incidentFlow) list(ctx context.Context, user, rest string) Response {
	states := faultline.OpenIncidentStates
	switch strings.ToLower(strings.TrimSpace(rest)) {
	case "closed":
		states = []faultline.IncidentState{faultline.IncClosed, faultline.IncArchived}
	case "all":
		states = faultline.IncidentStates
	case "", "open":
	default:
		return f.say(f.cat.T("inc.usage"))
	}
	list, err := f.store.Incidents(ctx, states, f.confinedTo(user), maxListed)
	if err != nil {
		return f.internal(ctx, "list incidents", err)
	}
	if len(list) == 0 {
		return f.say(f.cat.T("inc.list_empty"))
	}
	return f.listed(f.cat.T("inc.list_title", len(list)), list)
}

// confinedTo is whose incidents user may see in a list or a search: every
// one (empty) for the security roles and the executive, their own
// otherwise.
func (f *incidentFlow) confinedTo(user string) string {
	if faultline.MayReadIncidents(f.actor(user).Roles) {
		return ""
	}
	return user
}

// listed is a list of incidents under its title, one line each.
func (f *incidentFlow) listed(title string, list []faultline.Incident) Response {
	lines := []string{title}
	for _, i := range list {
		lines = append(lines, f.cat.T("inc.list_item", i.Ref(), f.severityText(i), f.stateName(string(i.State)),
			markup.Escape(oneLine(i.Description, 80)), f.fmtTime(i.CreatedAt)))
	}
	return f.say(strings.Join(lines, "\n"))
}

// search: /incident search WORDS, the incidents whose text has every
// word, open or closed. The security roles and the executive search every
// incident; anyone else only the ones they may read, and is told nothing
// of the rest (that an incident exists is itself confidential).
func (f *incidentFlow) search(ctx context.Context, user, rest string) Response {
	words, refused := f.searchWords(rest, f.cat.T("inc.search_usage"))
	if refused != nil {
		return *refused
	}
	found, err := f.store.SearchIncidents(ctx, words, f.confinedTo(user), maxListed)
	if err != nil {
		return f.internal(ctx, "search incidents", err)
	}
	if len(found) == 0 {
		return f.say(f.cat.T("inc.search_none", markup.Escape(rest)))
	}
	return f.listed(f.cat.T("inc.search_title", len(found), markup.Escape(rest)), found)
}

// show: /incident show I-n, the whole record, to whoever may read it.
func (f *incidentFlow) show(ctx context.Context, user, rest string) Response {
	ref, _ := cut(rest)
	inc, refused := f.lookup(ctx, user, ref)
	if refused != nil {
		return *refused
	}
	text, err := f.markdown(ctx, inc)
	if err != nil {
		return f.internal(ctx, "show incident", err)
	}
	return f.say("```\n" + markup.Escape(text) + "\n```")
}

// export posts the incident's record as Markdown in its own thread, in the
// private channel, for the archive (记录事故档案).
func (f *incidentFlow) export(ctx context.Context, user, rest string) Response {
	ref, more := cut(rest)
	external := false
	switch strings.Join(strings.Fields(more), " ") {
	case "":
	case "--form external", "--form=external", "external":
		external = true
	default:
		return f.say(f.cat.T("inc.export_usage"))
	}
	inc, refused := f.lookup(ctx, user, ref)
	if refused != nil {
		return *refused
	}
	if !faultline.MayReadIncidents(f.actor(user).Roles) {
		return f.say(f.cat.T("refuse.role", f.cat.T("istep.export"), f.roleNames(faultline.SecurityRoles)))
	}
	var body string
	if external {
		md, plain, err := f.externalReport(ctx, inc)
		if err != nil {
			return f.internal(ctx, "export incident", err)
		}
		body = "```\n" + markup.Escape(md) + "\n```\n" + f.cat.T("xr.plain") + "\n```\n" + markup.Escape(plain) + "```"
	} else {
		text, err := f.markdown(ctx, inc)
		if err != nil {
			return f.internal(ctx, "export incident", err)
		}
		body = "```\n" + markup.Escape(text) + "\n```"
	}
	if err := f.commit(ctx, faultline.Change{IncidentID: inc.ID, Out: []faultline.Outgoing{f.note(body)}}); err != nil {
		return f.internal(ctx, "export incident", err)
	}
	return f.say(f.cat.T("inc.exported", inc.Ref()))
}

// gradeLabel names the grade's field: the national level's (also before
// the grading, under the national scheme), or the procedure's severity.
func (f *incidentFlow) gradeLabel(i faultline.Incident) string {
	if i.Level != "" || f.set.Compliance.National && i.Severity == "" {
		return f.cat.T("inc.field.grade")
	}
	return f.cat.T("inc.field.severity")
}
