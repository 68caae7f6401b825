package faultline

import (
	"strconv"
	"strings"
	"time"
)

// TimerKind names a clock running on a ticket or an incident (the
// document's 风险点 and deadlines).
type TimerKind string

// Fault timer kinds. Each escalates the ticket one level when it runs out
// and starts again, until the ticket leaves the states it watches.
const (
	TimerAck     TimerKind = "ack"     // not taken within fault_ack
	TimerResolve TimerKind = "resolve" // not closed within fault_resolve
	TimerDevice  TimerKind = "device"  // a device fault open past fault_device
	TimerLine    TimerKind = "line"    // a line fault open past the line's SLA or fault_line
	TimerRecheck TimerKind = "recheck" // check the path again after a confirmed restart
)

// Incident timer kinds.
const (
	TimerReportReminder   TimerKind = "report_reminder"   // before the report is due
	TimerReport           TimerKind = "report"            // the report is overdue: escalate
	TimerSummaryReminder  TimerKind = "summary_reminder"  // before the summary is due
	TimerSummary          TimerKind = "summary"           // the summary is overdue: escalate
	TimerExternal         TimerKind = "external"          // the outside report's deadline
	TimerExternalReminder TimerKind = "external_reminder" // before the outside report is due
	TimerSupplement       TimerKind = "supplement"        // the supplement (补报) of what the outside report left pending
)

// FaultTimers are the clocks of a ticket, in the order they are listed.
var FaultTimers = []TimerKind{TimerAck, TimerResolve, TimerDevice, TimerLine, TimerRecheck}

// Timer is one pending clock on a ticket or an incident; each has at most
// one of each kind.
type Timer struct {
	FaultID    int64 // the ticket it runs on, or
	IncidentID int64 // the incident
	Kind       TimerKind
	DueAt      time.Time
}

const followUpTimer = "followup-"

// TimerFollowUp is the kind of the clock on one follow-up.
func TimerFollowUp(id int64) TimerKind { return TimerKind(followUpTimer + strconv.FormatInt(id, 10)) }

// FollowUpOf returns the follow-up a clock of kind is on, if it is one.
func FollowUpOf(kind TimerKind) (int64, bool) {
	text, ok := strings.CutPrefix(string(kind), followUpTimer)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(text, 10, 64)
	return id, err == nil
}
