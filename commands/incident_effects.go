package commands

import (
	"context"
	"strconv"
	"strings"

	"github.com/faultline/faultline"
)

// incidentChange is what an incident step writes besides the incident: the
// timeline entry, the note in the private thread with whoever acts next,
// the head message's update, DMs to the people the document names, the
// company notice once approved, and the clocks.
func (s *Service) incidentChange(ctx context.Context, before, after faultline.Incident, action faultline.IncidentAction, by string, in faultline.IncidentInput) (Change, error) {
	now := after.UpdatedAt
	c := Change{
		IncidentID: before.ID, Incident: &after, ReadIncident: before,
		Events: []faultline.Event{{At: now, Actor: by, Kind: faultline.EventState, Text: string(action), Data: incidentDetail(after, action, in)}},
	}
	if note := s.incidentStepNote(after, action, by, in); note != "" {
		c.Out = append(c.Out, s.incidentNote(note))
	}
	c.Out = append(c.Out, headUpdate())
	switch action {
	case faultline.IncReport:
		c.CancelTimers = []faultline.TimerKind{faultline.TimerReport, faultline.TimerReportReminder}
		c.Out = append(c.Out, s.dmRole(faultline.RoleDeptHead, s.incidentReportText(after, by))...)
	case faultline.IncClassify:
		s.classifyEffects(&c, before, after, by)
	case faultline.IncEdit:
		c.Out = append(c.Out, s.noticeDraft(after))
	case faultline.IncApprove:
		// Exactly the approved text, and nothing else, goes to the company.
		c.Out = append(c.Out, Outgoing{Kind: OutPost, Message: Message{Channel: s.settings.AnnouncementsChannel, Text: faultline.Escape(after.NoticeText)}})
	case faultline.IncClose:
		s.closeEffects(&c, after)
	case faultline.IncSummary:
		if err := s.summaryEffects(&c, after, in); err != nil {
			return c, err
		}
	case faultline.IncExternal:
		c.CancelTimers = []faultline.TimerKind{faultline.TimerExternal}
	}
	return c, nil
}

// incidentDetail is what the timeline keeps of a step besides its name.
func incidentDetail(i faultline.Incident, action faultline.IncidentAction, in faultline.IncidentInput) string {
	switch action {
	case faultline.IncClassify:
		return string(i.Severity)
	case faultline.IncRemedy:
		return in.Remedy
	case faultline.IncEdit, faultline.IncApprove:
		return i.NoticeText
	case faultline.IncClose:
		return i.Cause + " / " + i.Measures
	}
	return ""
}

func (s *Service) incidentStepNote(i faultline.Incident, action faultline.IncidentAction, by string, in faultline.IncidentInput) string {
	who := faultline.Mention(by)
	switch action {
	case faultline.IncTake:
		return s.cat.T("inote.take", who, i.Ref(), s.fmtClock(i.CreatedAt.Add(s.settings.Incident.Report)))
	case faultline.IncReport:
		return s.incidentReportText(i, by)
	case faultline.IncClassify:
		return s.cat.T("inote.classify", who, i.Ref(), s.cat.T("sev."+string(i.Severity)))
	case faultline.IncRemedy:
		return s.cat.T("inote.remedy", who, faultline.Escape(in.Remedy))
	case faultline.IncApprove:
		return s.cat.T("inote.approve", who, faultline.ChannelLink(s.settings.AnnouncementsChannel))
	case faultline.IncReject:
		return s.cat.T("inote.reject", who)
	case faultline.IncClose:
		return s.cat.T("inote.close", who, i.Ref(), faultline.Escape(i.Cause), faultline.Escape(i.Measures),
			faultline.Mention(i.SummaryOwner), s.fmtClock(i.ClosedAt.Add(s.settings.Incident.Summary)))
	case faultline.IncSummary:
		return s.cat.T("inote.summary", who, i.Ref(), faultline.Escape(i.Summary.Cause),
			faultline.Escape(i.Summary.Responsibility), faultline.Escape(i.Summary.Lessons))
	case faultline.IncExternal:
		return s.cat.T("inote.external", who, faultline.Escape(s.externalDuty(i).Authority))
	}
	return ""
}

// incidentReportText is the report to the IT department manager
// (在1小时内将情况汇报至信息技术部经理).
func (s *Service) incidentReportText(i faultline.Incident, by string) string {
	r := i.Report
	return s.cat.T("inote.report", faultline.Mention(by), i.Ref(), s.members(faultline.RoleDeptHead),
		durationText(i.ReportedAt.Sub(i.CreatedAt)), faultline.Escape(r.What), faultline.Escape(r.Actions),
		faultline.Escape(orDash(r.Impact)), faultline.Escape(orDash(r.Status)))
}

// classifyEffects: a notifiable severity tells the executive in charge
// (视情况上报公司分管领导) and drafts the company notice for the department
// head's approval; an outside reporting duty starts its clock.
func (s *Service) classifyEffects(c *Change, before, after faultline.Incident, by string) {
	if after.Severity.Notifiable() && !before.Severity.Notifiable() || after.Severity.Notifiable() && before.ClassifiedAt.IsZero() {
		text := s.cat.T("inote.exec", after.Ref(), s.cat.T("sev."+string(after.Severity)), faultline.Mention(by),
			faultline.Escape(oneLine(after.Description, 300)), faultline.ChannelLink(s.settings.IncidentsChannel))
		c.Out = append(c.Out, s.dmRole(faultline.RoleExec, text)...)
	}
	switch {
	case after.Notice == faultline.NoticeDraft && before.Notice != faultline.NoticeDraft:
		c.Out = append(c.Out, s.noticeDraft(after))
	case before.Notice == faultline.NoticeDraft && after.Notice == faultline.NoticeNone:
		c.Out = append(c.Out, s.incidentNote(s.cat.T("inote.notice_withdrawn")))
	}
	duty := s.externalDuty(after)
	if duty.Authority != "" && after.ExternalAt.IsZero() && s.externalDuty(before).Authority == "" {
		due := after.CreatedAt.Add(duty.Within)
		c.SetTimers = append(c.SetTimers, faultline.Timer{Kind: faultline.TimerExternal, DueAt: due})
		c.Out = append(c.Out, s.incidentNote(s.cat.T("inote.external_due", s.members(duty.Role),
			faultline.Escape(duty.Authority), s.fmtClock(due), faultline.Escape(orDash(duty.Note)))))
	}
}

// noticeDraft shows the draft notice in the thread with the department
// head's buttons.
func (s *Service) noticeDraft(i faultline.Incident) Outgoing {
	return threadPost(Message{
		Channel: s.settings.IncidentsChannel,
		Text:    s.cat.T("inote.draft", s.members(faultline.RoleDeptHead), faultline.ChannelLink(s.settings.AnnouncementsChannel), quote(faultline.Escape(i.NoticeText))),
		Buttons: []Button{
			{ID: incidentButton(faultline.IncApprove), Label: s.cat.T("ibutton.approve_notice"), Value: i.Ref(), Style: "primary"},
			{ID: incidentButton(faultline.IncEdit), Label: s.cat.T("ibutton.edit_notice"), Value: i.Ref()},
			{ID: incidentButton(faultline.IncReject), Label: s.cat.T("ibutton.reject_notice"), Value: i.Ref(), Style: "danger"},
		},
	})
}

// closeEffects starts the summary report's clocks (事故总结报告) and tells
// the person who owes it.
func (s *Service) closeEffects(c *Change, i faultline.Incident) {
	due := i.ClosedAt.Add(s.settings.Incident.Summary)
	c.CancelTimers = []faultline.TimerKind{faultline.TimerReport, faultline.TimerReportReminder}
	c.SetTimers = []faultline.Timer{{Kind: faultline.TimerSummary, DueAt: due}}
	if at, ok := nextReminder(due, i.ClosedAt, s.settings.Incident.SummaryReminders); ok {
		c.SetTimers = append(c.SetTimers, faultline.Timer{Kind: faultline.TimerSummaryReminder, DueAt: at})
	}
	c.Out = append(c.Out, directMessage(i.SummaryOwner, Message{Text: s.cat.T("inote.summary_owed", i.Ref(), s.fmtClock(due),
		faultline.ChannelLink(s.settings.IncidentsChannel))}))
}

// summaryEffects files the follow-ups the summary decided; each owner gets
// a DM with their action (only theirs) and a button to mark it done.
func (s *Service) summaryEffects(c *Change, i faultline.Incident, in faultline.IncidentInput) error {
	c.CancelTimers = []faultline.TimerKind{faultline.TimerSummary, faultline.TimerSummaryReminder}
	c.FollowUps = in.FollowUps
	if len(in.FollowUps) == 0 {
		return nil
	}
	lines := []string{s.cat.T("inote.followups")}
	for n, f := range in.FollowUps {
		lines = append(lines, s.cat.T("inote.followup", n+1, faultline.Mention(f.Owner), faultline.Escape(f.Text), s.fmtDate(f.Due)))
		c.Out = append(c.Out, directMessage(f.Owner, Message{
			Text:    s.cat.T("inote.followup_dm", i.Ref(), faultline.Escape(f.Text), s.fmtDate(f.Due)),
			Buttons: []Button{{ID: ActionFollowUp, Label: s.cat.T("ibutton.followup_done"), Value: followUpRef(i, n+1), Style: "primary"}},
		}))
	}
	c.Out = append(c.Out, s.incidentNote(strings.Join(lines, "\n")))
	return nil
}

// followUpRef names the n-th follow-up (1-based) of an incident: I-3#2.
func followUpRef(i faultline.Incident, n int) string { return i.Ref() + "#" + strconv.Itoa(n) }

// dmRole is a DM with text to everyone holding role.
func (s *Service) dmRole(role faultline.Role, text string) []Outgoing {
	var out []Outgoing
	for _, u := range s.settings.Roles[role] {
		out = append(out, directMessage(u, Message{Text: text}))
	}
	return out
}

// externalDuty is the outside reporting duty for the incident's severity,
// or a zero duty.
func (s *Service) externalDuty(i faultline.Incident) ExternalDuty {
	if i.ClassifiedAt.IsZero() {
		return ExternalDuty{}
	}
	for _, d := range s.settings.External {
		if d.Severity == i.Severity {
			return d
		}
	}
	return ExternalDuty{}
}
