package commands

import (
	"context"
	"errors"
	"strings"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/markup"
)

// The catalog's sentences for each incident step: its name in a refusal,
// its button, its form's title, and the answer to whoever took it.
var (
	incidentStepKeys = map[faultline.IncidentAction]string{
		faultline.IncTake: "istep.take", faultline.IncReport: "istep.report", faultline.IncClassify: "istep.classify",
		faultline.IncRemedy: "istep.remedy", faultline.IncApprove: "istep.approve_notice", faultline.IncReject: "istep.reject_notice",
		faultline.IncEdit: "istep.edit_notice", faultline.IncClose: "istep.close", faultline.IncSummary: "istep.summary",
		faultline.IncExternal: "istep.external", faultline.IncSupplement: "istep.supplement",
	}
	incidentButtonKeys = map[faultline.IncidentAction]string{
		faultline.IncTake: "ibutton.take", faultline.IncReport: "ibutton.report", faultline.IncClassify: "ibutton.classify",
		faultline.IncRemedy: "ibutton.remedy", faultline.IncApprove: "ibutton.approve_notice", faultline.IncReject: "ibutton.reject_notice",
		faultline.IncEdit: "ibutton.edit_notice", faultline.IncClose: "ibutton.close", faultline.IncSummary: "ibutton.summary",
		faultline.IncExternal: "ibutton.external", faultline.IncSupplement: "ibutton.supplement",
	}
	incidentDoneKeys = map[faultline.IncidentAction]string{
		faultline.IncTake: "idone.take", faultline.IncReport: "idone.report", faultline.IncClassify: "idone.classify",
		faultline.IncRemedy: "idone.remedy", faultline.IncApprove: "idone.approve_notice", faultline.IncReject: "idone.reject_notice",
		faultline.IncEdit: "idone.edit_notice", faultline.IncClose: "idone.close", faultline.IncSummary: "idone.summary",
		faultline.IncExternal: "idone.external", faultline.IncSupplement: "idone.supplement",
	}
)

// ActionFollowUp is the button a follow-up's owner presses when it is
// done; the steps' buttons and forms are incidentPrefix + the step.
const ActionFollowUp = "incident_followup_done"

func incidentButton(a faultline.IncidentAction) string { return incidentPrefix + string(a) }

func (f *incidentFlow) stepName(a string) string {
	return f.cat.T(incidentStepKeys[faultline.IncidentAction(a)])
}

// press handles an incident's buttons. Steps that need details open their
// form after the same check the step makes; the step happens when the
// form is submitted.
func (f *incidentFlow) press(ctx context.Context, a Action) Response {
	switch a.ID {
	case ActionFollowUp:
		return f.followUpDone(ctx, a)
	case ActionIncidentResend:
		return f.resend(ctx, a)
	}
	action, ok := faultline.IncidentProcedure.Step(strings.TrimPrefix(a.ID, incidentPrefix))
	if !ok {
		return f.say(f.cat.T("action.unknown"))
	}
	inc, refused := f.lookup(ctx, a.User, a.Value)
	if refused != nil {
		return *refused
	}
	by := f.actor(a.User)
	if md := f.form(inc, action); md != nil {
		if err := inc.Check(action, by); err != nil {
			return f.say(f.refused(inc, err))
		}
		return Response{Modal: md}
	}
	resp, _ := f.step(ctx, inc, by, action, faultline.IncidentInput{})
	return resp
}

func (f *incidentFlow) refused(inc faultline.Incident, err error) string {
	return f.refusal(inc.Ref(), err, f.stepName, f.stateName)
}

// step applies action to inc (as read) and commits it with its messages and
// clocks, reading it again after a concurrent change, like the fault flow.
func (f *incidentFlow) step(ctx context.Context, inc faultline.Incident, by faultline.Actor, action faultline.IncidentAction, in faultline.IncidentInput) (Response, bool) {
	if action == faultline.IncClassify && in.Level != "" {
		in.Severity = f.set.Compliance.severityOf(in.Level)
	}
	if action == faultline.IncClassify && in.NoticeText == "" {
		in.NoticeText = f.cat.T("notice.template", f.severityName(in.Severity))
	}
	if action == faultline.IncExternal || action == faultline.IncSupplement {
		in.Supplement = f.set.Compliance.Supplement
	}
	for attempt := 0; attempt < 3; attempt++ {
		next, err := inc.Apply(action, by, f.now(), in)
		if err != nil {
			return f.say(f.refused(inc, err)), true
		}
		err = f.commit(ctx, f.change(inc, next, action, by.User, in))
		switch {
		case errors.Is(err, faultline.ErrConflict):
			var again *Response
			if inc, again = f.lookup(ctx, by.User, inc.Ref()); again != nil {
				return *again, true
			}
			continue
		case err != nil:
			return f.internal(ctx, "incident step "+string(action), err), true
		}
		f.measure(inc, next, action)
		return f.say(f.cat.T(incidentDoneKeys[action], next.Ref())), false
	}
	return f.busy(inc.Ref()), true
}

func (f *incidentFlow) measure(before, after faultline.Incident, action faultline.IncidentAction) {
	switch {
	case action == faultline.IncReport && before.ReportedAt.IsZero():
		f.rec.IncidentStep(action, after.ReportedAt.Sub(after.CreatedAt))
	case action == faultline.IncClassify && before.ClassifiedAt.IsZero():
		f.rec.IncidentStep(action, after.ClassifiedAt.Sub(after.CreatedAt))
	case action == faultline.IncClose:
		f.rec.IncidentStep(action, after.ClosedAt.Sub(after.CreatedAt))
	}
}

// change is what an incident step writes besides the incident: the
// timeline entry, the note in the private thread with whoever acts next,
// the head message's update, DMs to the people the document names, the
// company notice once approved, and the clocks.
func (f *incidentFlow) change(before, after faultline.Incident, action faultline.IncidentAction, by string, in faultline.IncidentInput) faultline.Change {
	now := after.UpdatedAt
	c := faultline.Change{
		IncidentID: before.ID, Incident: &after, ReadIncident: before,
		Events: []faultline.Event{{At: now, Actor: by, Kind: faultline.EventState, Text: string(action), Data: incidentDetail(after, action, in)}},
	}
	if note := f.stepNote(after, action, by, in); note != "" {
		c.Out = append(c.Out, f.note(note))
	}
	c.Out = append(c.Out, headUpdate())
	switch action {
	case faultline.IncReport:
		c.CancelTimers = []faultline.TimerKind{faultline.TimerReport, faultline.TimerReportReminder}
		c.Out = append(c.Out, f.dmRole(faultline.RoleDeptHead, f.reportText(after, by))...)
	case faultline.IncClassify:
		f.classifyEffects(&c, before, after, by)
	case faultline.IncEdit:
		c.Out = append(c.Out, f.noticeDraft(after))
	case faultline.IncApprove:
		// Exactly the approved text, and nothing else, goes to the company.
		c.Out = append(c.Out, faultline.Outgoing{Kind: faultline.OutPost, Message: faultline.Message{Channel: f.set.AnnouncementsChannel, Text: markup.Escape(after.NoticeText)}})
		c.Out = append(c.Out, f.hooks(HookNotices, hookNote{textKey: "hook.notice", ref: after.Ref(), detail: markup.Escape(after.NoticeText), public: true})...)
	case faultline.IncClose:
		f.closeEffects(&c, after)
	case faultline.IncSummary:
		f.summaryEffects(&c, after, in)
	case faultline.IncExternal, faultline.IncSupplement:
		f.outsideEffects(&c, after, action)
	}
	return c
}

// incidentDetail is what the timeline keeps of a step besides its name.
func incidentDetail(i faultline.Incident, action faultline.IncidentAction, in faultline.IncidentInput) string {
	switch action {
	case faultline.IncClassify:
		if i.Level != "" {
			return string(i.Severity) + " " + string(i.Level) + " " + i.Category
		}
		return string(i.Severity)
	case faultline.IncExternal, faultline.IncSupplement:
		return outsideDetail(in.Outside)
	case faultline.IncRemedy:
		return in.Remedy
	case faultline.IncEdit, faultline.IncApprove:
		return i.NoticeText
	case faultline.IncClose:
		return i.Cause + " / " + i.Measures
	}
	return ""
}

func (f *incidentFlow) stepNote(i faultline.Incident, action faultline.IncidentAction, by string, in faultline.IncidentInput) string {
	who := markup.Mention(by)
	switch action {
	case faultline.IncTake:
		return f.cat.T("inote.take", who, i.Ref(), f.fmtTime(i.CreatedAt.Add(f.set.Incident.Report)))
	case faultline.IncReport:
		return f.reportText(i, by)
	case faultline.IncClassify:
		if i.Level != "" {
			return f.cat.T("inote.classify_national", who, i.Ref(), levelName(f.cat, i.Level), markup.Escape(orDash(i.Category)), f.severityName(i.Severity))
		}
		return f.cat.T("inote.classify", who, i.Ref(), f.severityName(i.Severity))
	case faultline.IncRemedy:
		return f.cat.T("inote.remedy", who, markup.Escape(in.Remedy))
	case faultline.IncApprove:
		return f.cat.T("inote.approve", who, markup.ChannelLink(f.set.AnnouncementsChannel))
	case faultline.IncReject:
		return f.cat.T("inote.reject", who)
	case faultline.IncClose:
		return f.cat.T("inote.close", who, i.Ref(), markup.Escape(i.Cause), markup.Escape(i.Measures),
			markup.Mention(i.SummaryOwner), f.fmtTime(i.ClosedAt.Add(f.set.Incident.Summary)))
	case faultline.IncSummary:
		return f.cat.T("inote.summary", who, i.Ref(), markup.Escape(i.Summary.Cause),
			markup.Escape(i.Summary.Responsibility), markup.Escape(i.Summary.Lessons))
	case faultline.IncExternal, faultline.IncSupplement:
		return f.outsideNote(i, action, by, in.Outside)
	}
	return ""
}

// reportText is the report to the IT department manager (在1小时内将情况
// 汇报至信息技术部经理).
func (f *incidentFlow) reportText(i faultline.Incident, by string) string {
	r := i.Report
	return f.cat.T("inote.report", markup.Mention(by), i.Ref(), f.members(faultline.RoleDeptHead),
		f.durationText(i.ReportedAt.Sub(i.CreatedAt)), markup.Escape(r.What), markup.Escape(r.Actions),
		markup.Escape(orDash(r.Impact)), markup.Escape(orDash(r.Status)))
}

// classifyEffects: a notifiable severity tells the executive in charge
// (视情况上报公司分管领导) and drafts the company notice for the department
// head's approval; an outside reporting duty starts its clock.
func (f *incidentFlow) classifyEffects(c *faultline.Change, before, after faultline.Incident, by string) {
	if after.Severity.Notifiable() && (!before.Severity.Notifiable() || before.ClassifiedAt.IsZero()) {
		grade := f.severityName(after.Severity)
		if after.Level != "" {
			grade = f.cat.T("sev.national", levelName(f.cat, after.Level), grade)
		}
		text := f.cat.T("inote.exec", after.Ref(), grade, markup.Mention(by),
			markup.Escape(oneLine(after.Description, 300)), markup.ChannelLink(f.set.IncidentsChannel))
		c.Out = append(c.Out, f.dmRole(faultline.RoleExec, text)...)
	}
	switch {
	case after.Notice == faultline.NoticeDraft && before.Notice != faultline.NoticeDraft:
		c.Out = append(c.Out, f.noticeDraft(after))
	case before.Notice == faultline.NoticeDraft && after.Notice == faultline.NoticeNone:
		c.Out = append(c.Out, f.note(f.cat.T("inote.notice_withdrawn")))
	}
	f.outsideClock(c, before, after)
}

// noticeDraft shows the draft notice in the thread with the department
// head's buttons.
func (f *incidentFlow) noticeDraft(i faultline.Incident) faultline.Outgoing {
	return threadPost(faultline.Message{
		Channel: f.set.IncidentsChannel,
		Text: f.cat.T("inote.draft", f.members(faultline.RoleDeptHead), markup.ChannelLink(f.set.AnnouncementsChannel),
			markup.Quote(markup.Escape(i.NoticeText))),
		Buttons: []faultline.Button{
			{ID: incidentButton(faultline.IncApprove), Label: f.cat.T("ibutton.approve_notice"), Value: i.Ref(), Style: "primary"},
			{ID: incidentButton(faultline.IncEdit), Label: f.cat.T("ibutton.edit_notice"), Value: i.Ref()},
			{ID: incidentButton(faultline.IncReject), Label: f.cat.T("ibutton.reject_notice"), Value: i.Ref(), Style: "danger"},
		},
	})
}

// closeEffects starts the summary report's clocks (事故总结报告) and tells
// the person who owes it.
func (f *incidentFlow) closeEffects(c *faultline.Change, i faultline.Incident) {
	due := i.ClosedAt.Add(f.set.Incident.Summary)
	c.CancelTimers = []faultline.TimerKind{faultline.TimerReport, faultline.TimerReportReminder}
	c.SetTimers = []faultline.Timer{{Kind: faultline.TimerSummary, DueAt: due}}
	if at, ok := nextReminder(due, i.ClosedAt, f.set.Incident.SummaryReminders); ok {
		c.SetTimers = append(c.SetTimers, faultline.Timer{Kind: faultline.TimerSummaryReminder, DueAt: at})
	}
	c.Out = append(c.Out, directMessage(i.SummaryOwner, faultline.Message{Text: f.cat.T("inote.summary_owed", i.Ref(), f.fmtTime(due),
		markup.ChannelLink(f.set.IncidentsChannel))}))
}

// summaryEffects files the follow-ups the summary decided; each owner gets
// a DM with their action (only theirs) and a button to mark it done.
func (f *incidentFlow) summaryEffects(c *faultline.Change, i faultline.Incident, in faultline.IncidentInput) {
	c.CancelTimers = []faultline.TimerKind{faultline.TimerSummary, faultline.TimerSummaryReminder}
	c.FollowUps = in.FollowUps
	if len(in.FollowUps) == 0 {
		return
	}
	lines := []string{f.cat.T("inote.followups")}
	for n, fu := range in.FollowUps {
		lines = append(lines, f.cat.T("inote.followup", n+1, markup.Mention(fu.Owner), markup.Escape(fu.Text), f.fmtDate(fu.Due)))
		c.Out = append(c.Out, directMessage(fu.Owner, faultline.Message{
			Text:    f.cat.T("inote.followup_dm", i.Ref(), markup.Escape(fu.Text), f.fmtDate(fu.Due)),
			Buttons: []faultline.Button{{ID: ActionFollowUp, Label: f.cat.T("ibutton.followup_done"), Value: followUpRef(i, n+1), Style: "primary"}},
		}))
	}
	c.Out = append(c.Out, f.note(strings.Join(lines, "\n")))
}
