package faultline

import (
	"strings"
	"time"
)

// IncidentAction is a step of the security-incident procedure.
type IncidentAction string

// The steps of 事件处理 and 事件善后.
const (
	IncTake     IncidentAction = "take"           // a handler takes the incident
	IncReport   IncidentAction = "report"         // the incident report, within the hour (may be amended)
	IncClassify IncidentAction = "classify"       // 判断紧急级别
	IncRemedy   IncidentAction = "remedy"         // a remedial action, on the timeline (采取补救措施)
	IncApprove  IncidentAction = "approve_notice" // the department head approves the company notice (通报全公司)
	IncReject   IncidentAction = "reject_notice"
	IncEdit     IncidentAction = "edit_notice"
	IncClose    IncidentAction = "close"    // with the cause and the measures taken
	IncSummary  IncidentAction = "summary"  // the summary report (事故总结报告)
	IncExternal IncidentAction = "external" // the report to the outside authority was made
)

// IncidentActions lists every step.
var IncidentActions = []IncidentAction{IncTake, IncReport, IncClassify, IncRemedy, IncApprove, IncReject,
	IncEdit, IncClose, IncSummary, IncExternal}

// incidentMachine is the procedure as a transition table. Classifying,
// remedial actions and the notice do not move the incident on; they are
// allowed while it is being handled.
var incidentMachine = map[IncidentState]map[IncidentAction]IncidentState{
	IncOpen: {IncTake: IncHandling, IncClassify: IncOpen, IncApprove: IncOpen, IncReject: IncOpen,
		IncEdit: IncOpen, IncExternal: IncOpen},
	IncHandling: {IncReport: IncReported, IncClassify: IncHandling, IncRemedy: IncHandling,
		IncApprove: IncHandling, IncReject: IncHandling, IncEdit: IncHandling, IncExternal: IncHandling},
	IncReported: {IncReport: IncReported, IncClassify: IncReported, IncRemedy: IncReported, IncClose: IncClosed,
		IncApprove: IncReported, IncReject: IncReported, IncEdit: IncReported, IncExternal: IncReported},
	IncClosed:   {IncSummary: IncArchived, IncExternal: IncClosed},
	IncArchived: {},
}

// Allowed lists the steps the state allows, in procedure order.
func (s IncidentState) Allowed() []IncidentAction {
	var out []IncidentAction
	for _, a := range IncidentActions {
		if _, ok := incidentMachine[s][a]; ok {
			out = append(out, a)
		}
	}
	return out
}

// IncidentInput is what some steps carry.
type IncidentInput struct {
	Report       IncidentReport  // IncReport: what happened and the actions taken are required
	Severity     Severity        // IncClassify
	NoticeText   string          // IncClassify (the draft for a notifiable severity), IncEdit
	Cause        string          // IncClose: required
	Measures     string          // IncClose: required
	SummaryOwner string          // IncClose: who owes the summary; the handler when empty
	Summary      IncidentSummary // IncSummary: all three required
	Remedy       string          // IncRemedy: the remedial action taken, required
	FollowUps    []FollowUp      // IncSummary: the follow-up actions it decided, if any
}

// Apply returns the incident after action by actor at now, or why not: a
// *IncidentTransitionError when the state does not allow it, a *Error
// (Code is a catalog key) when a rule of the step refuses.
func (i Incident) Apply(a IncidentAction, by string, now time.Time, in IncidentInput) (Incident, error) {
	next, ok := incidentMachine[i.State][a]
	if !ok {
		return i, &IncidentTransitionError{From: i.State, Action: a}
	}
	if err := i.check(a, in); err != nil {
		return i, err
	}
	j := i
	j.State, j.UpdatedAt = next, now
	switch a {
	case IncTake:
		j.Owner, j.TakenAt = by, now
	case IncReport:
		j.Report, j.ReportedAt = in.Report, now
	case IncClassify:
		j = j.classified(in, by, now)
	case IncApprove:
		j.Notice, j.NoticeBy = NoticePosted, by
	case IncReject:
		j.Notice, j.NoticeBy = NoticeRejected, by
	case IncEdit:
		j.NoticeText = strings.TrimSpace(in.NoticeText)
	case IncClose:
		j.Cause, j.Measures, j.ClosedAt = strings.TrimSpace(in.Cause), strings.TrimSpace(in.Measures), now
		j.SummaryOwner = firstNonEmpty(strings.TrimSpace(in.SummaryOwner), i.Owner, by)
	case IncSummary:
		j.Summary, j.SummaryAt = in.Summary, now
	case IncExternal:
		j.ExternalBy, j.ExternalAt = by, now
	}
	return j, nil
}

// classified sets the severity; a notifiable one gets a notice draft if it
// has none yet, a general one withdraws a draft nobody approved.
func (i Incident) classified(in IncidentInput, by string, now time.Time) Incident {
	i.Severity, i.ClassifiedBy, i.ClassifiedAt = in.Severity, by, now
	switch {
	case in.Severity.Notifiable() && i.Notice == NoticeNone:
		i.Notice, i.NoticeText = NoticeDraft, strings.TrimSpace(in.NoticeText)
	case !in.Severity.Notifiable() && i.Notice == NoticeDraft:
		i.Notice, i.NoticeText = NoticeNone, ""
	}
	return i
}

func (i Incident) check(a IncidentAction, in IncidentInput) error {
	switch {
	case a == IncReport && (blank(in.Report.What) || blank(in.Report.Actions)):
		return &Error{Code: "irefuse.need_report"}
	case a == IncRemedy && blank(in.Remedy):
		return &Error{Code: "irefuse.need_remedy"}
	case a == IncClassify && !validSeverity(in.Severity):
		return &Error{Code: "irefuse.need_severity"}
	case (a == IncApprove || a == IncReject || a == IncEdit) && i.Notice != NoticeDraft:
		return &Error{Code: "irefuse.no_draft"}
	case a == IncEdit && blank(in.NoticeText):
		return &Error{Code: "irefuse.need_notice_text"}
	case a == IncClose && (blank(in.Cause) || blank(in.Measures)):
		return &Error{Code: "irefuse.need_cause"}
	case a == IncSummary && (blank(in.Summary.Cause) || blank(in.Summary.Responsibility) || blank(in.Summary.Lessons)):
		return &Error{Code: "irefuse.need_summary"}
	case a == IncExternal && !i.ExternalAt.IsZero():
		return &Error{Code: "irefuse.external_done"}
	}
	return nil
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func validSeverity(s Severity) bool {
	for _, k := range Severities {
		if s == k {
			return true
		}
	}
	return false
}

// IncidentTransitionError says an incident's state does not allow a step.
type IncidentTransitionError struct {
	From   IncidentState
	Action IncidentAction
}

func (e *IncidentTransitionError) Error() string {
	return "cannot " + string(e.Action) + " an incident that is " + string(e.From)
}

// RoleResponsible is held on an incident by whoever owes its summary
// report (the responsible person, 责任人), and only there.
const RoleResponsible Role = "responsible"

// SecurityRoles handle incidents: the information manager first (负责集团
// 的信息系统安全工作), with the department head, the IT supervisor and the
// sysadmins. They may read every incident; others only what they reported.
var SecurityRoles = []Role{RoleInfoManager, RoleDeptHead, RoleITSupervisor, RoleSysadmin}

// incidentPermissions: classifying is for the information manager and the
// department head; only the department head approves a company notice.
var incidentPermissions = map[IncidentAction][]Role{
	IncTake:     SecurityRoles,
	IncReport:   SecurityRoles,
	IncClassify: {RoleInfoManager, RoleDeptHead},
	IncRemedy:   SecurityRoles,
	IncApprove:  {RoleDeptHead},
	IncReject:   {RoleDeptHead},
	IncEdit:     {RoleInfoManager, RoleDeptHead},
	IncClose:    SecurityRoles,
	IncSummary:  append([]Role{RoleResponsible}, SecurityRoles...),
	IncExternal: {RoleInfoManager, RoleDeptHead},
}

// CanDoIncident reports whether someone holding roles may take action.
func CanDoIncident(roles []Role, a IncidentAction) bool {
	for _, allowed := range incidentPermissions[a] {
		for _, r := range roles {
			if r == allowed {
				return true
			}
		}
	}
	return false
}

// IncidentRoles lists the roles that may take action, for a refusal.
func IncidentRoles(a IncidentAction) []Role { return incidentPermissions[a] }

// MayRead reports whether someone holding roles may read incidents other
// than their own.
func MayRead(roles []Role) bool {
	for _, r := range roles {
		for _, s := range append([]Role{RoleExec}, SecurityRoles...) {
			if r == s {
				return true
			}
		}
	}
	return false
}
