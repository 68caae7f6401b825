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
	ExternalBy   string // who confirmed the report to the outside authority
	ExternalAt   time.Time
	EscLevel     int // report overdue: levels of escalation.incident reached
	SummaryLevel int // summary overdue: the same, for the summary
	Version      int
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

// Incident timer kinds.
const (
	TimerReportReminder  TimerKind = "report_reminder"  // before the report is due
	TimerReport          TimerKind = "report"           // the report is overdue: escalate
	TimerSummaryReminder TimerKind = "summary_reminder" // before the summary is due
	TimerSummary         TimerKind = "summary"          // the summary is overdue: escalate
	TimerExternal        TimerKind = "external"         // the outside report's deadline
)

// TimerFollowUp is the kind of the clock on one follow-up.
func TimerFollowUp(id int64) TimerKind { return TimerKind("followup-" + strconv.FormatInt(id, 10)) }
