package faultline

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Severity is an incident's urgency (判断紧急级别).
type Severity string

// Severities, least urgent first.
const (
	SevGeneral  Severity = "general"  // 一般: recorded in the archive only
	SevMajor    Severity = "major"    // 重要: the executive in charge is told; a company notice
	SevCritical Severity = "critical" // 紧急: the same, at once
)

// Severities lists every severity, least urgent first.
var Severities = []Severity{SevGeneral, SevMajor, SevCritical}

// Notifiable reports whether a severity is told to the executive in charge
// and the whole company (视情况上报公司分管领导 … 通报全公司).
func (s Severity) Notifiable() bool { return s == SevMajor || s == SevCritical }

// IncidentState is where an incident stands (事件处理 / 事件善后).
type IncidentState string

// Incident states.
const (
	IncOpen     IncidentState = "open"     // declared; nobody handles it yet
	IncHandling IncidentState = "handling" // a handler took it; the report is due
	IncReported IncidentState = "reported" // the incident report is filed (1小时内汇报至信息技术部经理)
	IncClosed   IncidentState = "closed"   // remediated; the summary report is due (事故总结报告)
	IncArchived IncidentState = "archived" // the summary is filed; the record is complete (记录事故档案)
)

// IncidentStates lists every state in order.
var IncidentStates = []IncidentState{IncOpen, IncHandling, IncReported, IncClosed, IncArchived}

// OpenIncidentStates are the states before closing.
var OpenIncidentStates = IncidentStates[:3]

// NoticeState is where the company-wide notice of an incident stands.
type NoticeState string

// Notice states: none, a draft awaiting the department head, posted, or
// turned down.
const (
	NoticeNone     NoticeState = ""
	NoticeDraft    NoticeState = "draft"
	NoticePosted   NoticeState = "posted"
	NoticeRejected NoticeState = "rejected"
)

// IncidentReport is what the handler reports to the IT department manager
// within the hour.
type IncidentReport struct {
	What    string `json:"what"`
	Actions string `json:"actions"`
	Impact  string `json:"impact"`
	Status  string `json:"status"`
	// What the outside report asks for besides (报告内容), when the
	// company reports outside: the preliminary cause, what is still being
	// investigated, and the help it asks for.
	Cause   string `json:"cause,omitempty"`
	Pending string `json:"pending,omitempty"`
	Help    string `json:"help,omitempty"`
}

// IncidentSummary is the report owed after closing (事故总结报告).
type IncidentSummary struct {
	Cause          string `json:"cause"`
	Responsibility string `json:"responsibility"` // the responsible person or department (责任人和责任部门)
	Lessons        string `json:"lessons"`
}

// Incident is a security incident, I-<Number>.
type Incident struct {
	ID          int64
	Number      int64
	Description string
	Systems     string // affected systems
	NoticedHow  string // how it was noticed (the alert)
	Reporter    string
	State       IncidentState
	Owner       string // the handler
	Severity    Severity
	Level       Level  // the national grade, when the scheme is national (or mapped from Severity)
	Category    string // the GB/T 20986-2023 category, as configured
	Channel     string
	MessageTS   string
	CreatedAt   time.Time
	UpdatedAt   time.Time

	ClassifiedBy string
	ClassifiedAt time.Time
	TakenAt      time.Time
	ReportedAt   time.Time
	ClosedAt     time.Time
	SummaryAt    time.Time
	Report       IncidentReport
	Cause        string // given at closing
	Measures     string // remedial measures taken (采取补救措施)
	SummaryOwner string // who owes the summary report
	Summary      IncidentSummary
	Notice       NoticeState
	NoticeText   string
	NoticeBy     string // who approved or turned it down
	ExternalBy   string // who recorded the report to the outside authority
	ExternalAt   time.Time
	Outside      OutsideReport // the first outside report, as recorded
	// SupplementDue is when the supplement (补报) of what the outside
	// report left pending is due; zero when nothing is pending.
	SupplementDue time.Time
	Supplements   int   // supplements made
	ExternalLevel Level // the level whose outside report's lateness was escalated (once per level)
	EscLevel      int   // report overdue: levels of escalation.incident reached
	SummaryLevel  int   // summary overdue: the same, for the summary
	Version       int
	RequestKey    string // what made it (the declaration's Slack trigger), as for Fault
}

// Ref is the incident's name as users see it: I-3.
func (i Incident) Ref() string { return IncidentRef(i.Number) }

// IncidentRef formats an incident number.
func IncidentRef(n int64) string { return "I-" + strconv.FormatInt(n, 10) }

// ParseIncidentRef reads "I-3", "i-3", "#3" or "3".
func ParseIncidentRef(s string) (int64, error) {
	t := strings.TrimPrefix(strings.TrimSpace(s), "#")
	if rest, ok := strings.CutPrefix(strings.ToUpper(t), "I-"); ok {
		t = rest
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not an incident number", s)
	}
	return n, nil
}

// FollowUp is an action the summary report decided, with its owner and
// due date, tracked until done.
type FollowUp struct {
	ID         int64
	IncidentID int64
	Text       string
	Owner      string
	Due        time.Time
	DoneAt     time.Time
	DoneBy     string
}

// IncidentAction is a step of the security-incident procedure.
type IncidentAction string

// The steps of 事件处理 and 事件善后.
const (
	IncTake       IncidentAction = "take"           // a handler takes the incident
	IncReport     IncidentAction = "report"         // the incident report, within the hour (may be amended)
	IncClassify   IncidentAction = "classify"       // 判断紧急级别
	IncRemedy     IncidentAction = "remedy"         // a remedial action, on the timeline (采取补救措施)
	IncApprove    IncidentAction = "approve_notice" // the department head approves the company notice (通报全公司)
	IncReject     IncidentAction = "reject_notice"
	IncEdit       IncidentAction = "edit_notice"
	IncClose      IncidentAction = "close"      // with the cause and the measures taken
	IncSummary    IncidentAction = "summary"    // the summary report (事故总结报告)
	IncExternal   IncidentAction = "external"   // the report to the outside authority was made
	IncSupplement IncidentAction = "supplement" // a supplement (补报) to the outside report
)

// IncidentProcedure is the security procedure as a transition table, and
// who may take each step. Classifying, remedial actions and the notice do
// not move the incident on; they are allowed while it is being handled.
// Classifying is for the information manager and the department head; only
// the department head approves a company notice; the summary is for whoever
// owes it and the security roles.
var IncidentProcedure = &Procedure[IncidentState, IncidentAction]{
	Subject: "incident",
	Steps: []IncidentAction{IncTake, IncReport, IncClassify, IncRemedy, IncApprove, IncReject,
		IncEdit, IncClose, IncSummary, IncExternal, IncSupplement},
	Table: map[IncidentState]map[IncidentAction]IncidentState{
		IncOpen: {IncTake: IncHandling, IncClassify: IncOpen, IncApprove: IncOpen, IncReject: IncOpen,
			IncEdit: IncOpen, IncExternal: IncOpen, IncSupplement: IncOpen},
		IncHandling: {IncReport: IncReported, IncClassify: IncHandling, IncRemedy: IncHandling,
			IncApprove: IncHandling, IncReject: IncHandling, IncEdit: IncHandling, IncExternal: IncHandling, IncSupplement: IncHandling},
		IncReported: {IncReport: IncReported, IncClassify: IncReported, IncRemedy: IncReported, IncClose: IncClosed,
			IncApprove: IncReported, IncReject: IncReported, IncEdit: IncReported, IncExternal: IncReported, IncSupplement: IncReported},
		IncClosed:   {IncSummary: IncArchived, IncExternal: IncClosed, IncSupplement: IncClosed},
		IncArchived: {IncSupplement: IncArchived},
	},
	Roles: map[IncidentAction][]Role{
		IncTake:       SecurityRoles,
		IncReport:     SecurityRoles,
		IncClassify:   {RoleInfoManager, RoleDeptHead},
		IncRemedy:     SecurityRoles,
		IncApprove:    {RoleDeptHead},
		IncReject:     {RoleDeptHead},
		IncEdit:       {RoleInfoManager, RoleDeptHead},
		IncClose:      SecurityRoles,
		IncSummary:    append([]Role{RoleResponsible}, SecurityRoles...),
		IncExternal:   {RoleInfoManager, RoleDeptHead},
		IncSupplement: {RoleInfoManager, RoleDeptHead},
	},
}

// IncidentInput is what some steps carry.
type IncidentInput struct {
	Report       IncidentReport  // IncReport: what happened and the actions taken are required
	Severity     Severity        // IncClassify
	Level        Level           // IncClassify, under the national scheme (Severity is then its mapping)
	Category     string          // IncClassify, under the national scheme
	Outside      OutsideReport   // IncExternal, IncSupplement: the report made
	Supplement   time.Duration   // IncExternal, IncSupplement: when what is pending must be supplemented, from the report
	NoticeText   string          // IncClassify (the draft for a notifiable severity), IncEdit
	Cause        string          // IncClose: required
	Measures     string          // IncClose: required
	SummaryOwner string          // IncClose: who owes the summary; the handler when empty
	Summary      IncidentSummary // IncSummary: all three required
	Remedy       string          // IncRemedy: the remedial action taken, required
	FollowUps    []FollowUp      // IncSummary: the follow-up actions it decided, if any
}

// RolesOf is what by may act as on i: their configured roles, reporter of
// their own incident, and responsible for the summary they owe.
func (i Incident) RolesOf(by Actor) []Role {
	roles := append([]Role{RoleEmployee}, by.Roles...)
	if by.User == i.Reporter {
		roles = append(roles, RoleReporter)
	}
	if i.SummaryOwner != "" && by.User == i.SummaryOwner {
		roles = append(roles, RoleResponsible)
	}
	return roles
}

// ReadableBy reports whether by may read i: the security roles and the
// executive read every incident; anyone else only one they reported or
// whose summary they owe. Whoever may not read an incident is told it does
// not exist: that an incident exists is itself confidential.
func (i Incident) ReadableBy(by Actor) bool {
	return MayReadIncidents(by.Roles) || by.User == i.Reporter || (i.SummaryOwner != "" && by.User == i.SummaryOwner)
}

// MayReadIncidents reports whether someone holding roles may read every
// incident, not only their own.
func MayReadIncidents(roles []Role) bool {
	return HasAny(roles, append([]Role{RoleExec}, SecurityRoles...))
}

// Check says why by may not take action on i now, or nil: a *RoleError,
// then a *TransitionError.
func (i Incident) Check(a IncidentAction, by Actor) error {
	_, err := IncidentProcedure.Check(i.State, i.RolesOf(by), a)
	return err
}

// Apply returns the incident after action by actor at now, or why not: the
// refusals of Check, or a *Error (Code is a catalog key) when a rule of the
// step refuses.
func (i Incident) Apply(a IncidentAction, by Actor, now time.Time, in IncidentInput) (Incident, error) {
	next, err := IncidentProcedure.Check(i.State, i.RolesOf(by), a)
	if err != nil {
		return i, err
	}
	if err := i.rule(a, in); err != nil {
		return i, err
	}
	j := i
	j.State, j.UpdatedAt = next, now
	switch a {
	case IncTake:
		j.Owner, j.TakenAt = by.User, now
	case IncReport:
		j.Report, j.ReportedAt = in.Report, now
	case IncClassify:
		j = j.classified(in, by.User, now)
	case IncApprove:
		j.Notice, j.NoticeBy = NoticePosted, by.User
	case IncReject:
		j.Notice, j.NoticeBy = NoticeRejected, by.User
	case IncEdit:
		j.NoticeText = strings.TrimSpace(in.NoticeText)
	case IncClose:
		j.Cause, j.Measures, j.ClosedAt = strings.TrimSpace(in.Cause), strings.TrimSpace(in.Measures), now
		j.SummaryOwner = firstNonEmpty(strings.TrimSpace(in.SummaryOwner), i.Owner, by.User)
	case IncSummary:
		j.Summary, j.SummaryAt = in.Summary, now
	case IncExternal:
		j.ExternalBy, j.ExternalAt, j.Outside = by.User, now, in.Outside
		j.SupplementDue = pendingDue(in)
	case IncSupplement:
		j.Supplements++
		j.Outside.Pending = in.Outside.Pending // what is still unknown now
		j.SupplementDue = pendingDue(in)
	}
	return j, nil
}

// classified sets the severity; a notifiable one gets a notice draft if it
// has none yet, a general one withdraws a draft nobody approved.
func (i Incident) classified(in IncidentInput, by string, now time.Time) Incident {
	i.Severity, i.ClassifiedBy, i.ClassifiedAt = in.Severity, by, now
	i.Level, i.Category = in.Level, strings.TrimSpace(in.Category)
	switch {
	case in.Severity.Notifiable() && i.Notice == NoticeNone:
		i.Notice, i.NoticeText = NoticeDraft, strings.TrimSpace(in.NoticeText)
	case !in.Severity.Notifiable() && i.Notice == NoticeDraft:
		i.Notice, i.NoticeText = NoticeNone, ""
	}
	return i
}

func (i Incident) rule(a IncidentAction, in IncidentInput) error {
	switch {
	case a == IncReport && (blank(in.Report.What) || blank(in.Report.Actions)):
		return &Error{Code: "irefuse.need_report"}
	case a == IncRemedy && blank(in.Remedy):
		return &Error{Code: "irefuse.need_remedy"}
	case a == IncClassify && !in.Severity.Known():
		return &Error{Code: "irefuse.need_severity"}
	case (a == IncApprove || a == IncReject || a == IncEdit) && i.Notice != NoticeDraft:
		return &Error{Code: "irefuse.no_draft"}
	case a == IncEdit && blank(in.NoticeText):
		return &Error{Code: "irefuse.need_notice_text"}
	case a == IncClose && (blank(in.Cause) || blank(in.Measures)):
		return &Error{Code: "irefuse.need_cause"}
	case a == IncSummary && (blank(in.Summary.Cause) || blank(in.Summary.Responsibility) || blank(in.Summary.Lessons)):
		return &Error{Code: "irefuse.need_summary"}
	case a == IncClassify && in.Level != "" && !in.Level.Known():
		return &Error{Code: "irefuse.need_level"}
	case a == IncExternal && !i.ExternalAt.IsZero():
		return &Error{Code: "irefuse.external_done"}
	case (a == IncExternal || a == IncSupplement) && (blank(in.Outside.To) || blank(in.Outside.Channel) || in.Outside.At.IsZero()):
		return &Error{Code: "irefuse.need_outside"}
	case (a == IncExternal || a == IncSupplement) && in.Outside.At.Before(i.CreatedAt.Truncate(time.Minute)):
		// A report dated before the incident was declared would read as
		// made in time whenever it was made.
		return &Error{Code: "irefuse.outside_early", At: i.CreatedAt}
	case a == IncSupplement && i.ExternalAt.IsZero():
		return &Error{Code: "irefuse.no_outside"}
	case a == IncSupplement && in.Outside.At.Before(i.Outside.At):
		return &Error{Code: "irefuse.supplement_early", At: i.Outside.At}
	case a == IncSupplement && blank(in.Outside.Text):
		return &Error{Code: "irefuse.need_supplement"}
	}
	return nil
}

// pendingDue is when what a report left pending must be supplemented:
// its time plus the supplement's allowance, or zero with nothing pending.
func pendingDue(in IncidentInput) time.Time {
	if blank(in.Outside.Pending) || in.Supplement <= 0 {
		return time.Time{}
	}
	return in.Outside.At.Add(in.Supplement)
}

// ReportOwed reports whether the incident report is still owed: the
// incident is declared or being handled, and nothing is filed.
func (i Incident) ReportOwed() bool { return i.State == IncOpen || i.State == IncHandling }

// SummaryOwed reports whether the summary report is owed: closed, not yet
// archived.
func (i Incident) SummaryOwed() bool { return i.State == IncClosed }

// Closed reports whether i was closed (remediated), summary filed or not.
func (i Incident) Closed() bool { return i.State == IncClosed || i.State == IncArchived }

func blank(s string) bool { return strings.TrimSpace(s) == "" }

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// Known reports whether s is one of Severities.
func (s Severity) Known() bool {
	for _, k := range Severities {
		if s == k {
			return true
		}
	}
	return false
}
