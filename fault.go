package faultline

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FaultState is where a ticket stands in the fault procedure.
type FaultState string

// Fault states, in the order of the procedure (网络故障处理流程).
const (
	FaultOpen           FaultState = "open"            // reported, nobody has taken it
	FaultTaken          FaultState = "taken"           // a technician owns it (故障判断)
	FaultRestartPending FaultState = "restart_pending" // restart of the access device waits for a sysadmin
	FaultWaitingVendor  FaultState = "waiting_vendor"  // the vendor or carrier is on it (原因分析)
	FaultEscalated      FaultState = "escalated"       // reported to HQ's network admin
	FaultVerifying      FaultState = "verifying"       // marked fixed; the reporter is asked (故障恢复确认)
	FaultConfirmed      FaultState = "confirmed"       // recovery confirmed; closing needs a resolution
	FaultClosed         FaultState = "closed"
)

// FaultStates lists every state, in procedure order.
var FaultStates = []FaultState{FaultOpen, FaultTaken, FaultRestartPending, FaultWaitingVendor,
	FaultEscalated, FaultVerifying, FaultConfirmed, FaultClosed}

// OpenFaultStates are the states of a ticket that is not closed.
var OpenFaultStates = FaultStates[:len(FaultStates)-1]

// Fault is a network fault ticket, F-<Number>.
type Fault struct {
	ID          int64
	Number      int64
	Target      string // the site name, or the host the reporter typed
	Site        string // the configured site's name; empty for an ad-hoc host
	Description string
	Reporter    string // Slack user ID
	State       FaultState
	Owner       string
	Channel     string // where the ticket's head message is
	MessageTS   string // the head message; its thread is the ticket's thread
	CreatedAt   time.Time
	UpdatedAt   time.Time

	// From the latest path check: what kind of fault, and which hop.
	Verdict VerdictKind
	Hop     string // the failing hop's name; empty when none fails
	HopRef  string // its device or line ID in the inventory, if any

	TakenAt      time.Time
	FixedAt      time.Time // marked fixed (the reporter is asked from then)
	ClosedAt     time.Time
	RestartBy    string // who asked for the restart a sysadmin must confirm
	VendorTicket string // the vendor's or carrier's ticket number
	VendorDue    string // what they promised, as they said it
	Resolution   Resolution
	EscLevel     int // how far up the escalation chain the ticket has gone; 0 = its first role
	Version      int // bumped by every change; a write is refused if it changed since the read
}

// Resolution is how a ticket was closed (处理后的解决办法收集总结).
type Resolution struct {
	Cause   Cause
	Done    string // what was done
	FixedBy string // who fixed it, as told (a person, the carrier…)
}

// Cause is the category of a closed fault.
type Cause string

// Causes a ticket can be closed with.
const (
	CauseDevice Cause = "device"
	CauseLine   Cause = "line"
	CausePower  Cause = "power"
	CauseConfig Cause = "configuration"
	CauseUser   Cause = "user_side"
	CauseOther  Cause = "other"
)

// Causes lists every cause, for pickers.
var Causes = []Cause{CauseDevice, CauseLine, CausePower, CauseConfig, CauseUser, CauseOther}

// Ref is the ticket's name as users see it: F-12.
func (f Fault) Ref() string { return FaultRef(f.Number) }

// FaultRef formats a ticket number.
func FaultRef(n int64) string { return "F-" + strconv.FormatInt(n, 10) }

// ParseFaultRef reads "F-12", "f-12", "#12" or "12".
func ParseFaultRef(s string) (int64, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(t, "F-"), "f-"), "#")
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a ticket number", s)
	}
	return n, nil
}

// ActorBot is the actor of timeline entries the bot makes by itself.
const ActorBot = "faultline"

// EventKind says what a timeline entry records.
type EventKind string

// Timeline entry kinds.
const (
	EventCreated    EventKind = "created"
	EventCheck      EventKind = "check"
	EventReply      EventKind = "reply"
	EventState      EventKind = "state"
	EventPosted     EventKind = "posted"
	EventVendor     EventKind = "vendor"
	EventEscalation EventKind = "escalation"
	EventRestart    EventKind = "restart"
)

// Event is one entry on a ticket's timeline: who did what, when. Data holds
// the structured detail (a PathCheck as JSON for a check).
type Event struct {
	ID      int64
	FaultID int64 // the ticket's, or 0 for an incident's timeline
	At      time.Time
	Actor   string
	Kind    EventKind
	Text    string
	Data    string
}

// TimerKind names a clock running on a ticket (the document's 风险点).
type TimerKind string

// Timer kinds. Each escalates the ticket one level when it runs out and
// starts again, until the ticket leaves the states it watches.
const (
	TimerAck     TimerKind = "ack"     // not taken within fault_ack
	TimerResolve TimerKind = "resolve" // not closed within fault_resolve
	TimerDevice  TimerKind = "device"  // a device fault open past fault_device
	TimerLine    TimerKind = "line"    // a line fault open past the line's SLA or fault_line
	TimerRecheck TimerKind = "recheck" // check the path again after a confirmed restart
)

// Timer is one pending clock on a ticket or an incident; each has at most
// one of each kind.
type Timer struct {
	FaultID    int64 // the ticket it runs on, or
	IncidentID int64 // the incident
	Kind       TimerKind
	DueAt      time.Time
}
