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
	Reporter    string // Slack user ID, or ActorBot for a monitor's ticket
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
	HopKey  string // its identity across sites (HopKey): the outage's hop

	// Reporters are the people who reported the outage, each once, the
	// first reporter first (a monitor's ticket has none at first). Each
	// report's own text, time and channel are on the timeline.
	Reporters []string
	// LinkedTo is the ticket this one was split off from (a reporter for
	// whom it still did not work once others said it did), or 0.
	LinkedTo int64

	TakenAt      time.Time
	FixedAt      time.Time // marked fixed (the reporter is asked from then)
	ClosedAt     time.Time
	RestartBy    string // who asked for the restart a sysadmin must confirm
	VendorTicket string // the vendor's or carrier's ticket number
	VendorDue    string // what they promised, as they said it
	Resolution   Resolution
	EscLevel     int // how far up the escalation chain the ticket has gone; 0 = its first role
	Version      int // bumped by every change; a write is refused if it changed since the read

	// RequestKey is what made the ticket (the Slack trigger of the report):
	// a second report with the same key is the same report, not a new one.
	RequestKey string
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

// FaultAction is a step someone takes on a ticket, usually a button.
type FaultAction string

// The steps of the fault procedure.
const (
	ActTake           FaultAction = "take"            // 故障判断: a technician owns the ticket
	ActRequestRestart FaultAction = "request_restart" // ask to restart the access device
	ActConfirmRestart FaultAction = "confirm_restart" // 经公司网管确认重启接入设备
	ActCancelRestart  FaultAction = "cancel_restart"
	ActVendor         FaultAction = "vendor"      // 联系当地供应商维修 / 专线故障联系运营商: record their ticket
	ActEscalateHQ     FaultAction = "escalate_hq" // 上报总公司网络管理员
	ActMarkFixed      FaultAction = "mark_fixed"
	ActWorks          FaultAction = "works"        // the reporter: it works again
	ActStillBroken    FaultAction = "still_broken" // the reporter: it does not; the ticket reopens
	ActOverride       FaultAction = "override"     // a technician confirms for a reporter who did not answer
	ActClose          FaultAction = "close"        // with a resolution
)

// FaultProcedure is the fault procedure as a transition table, and who may
// take each step: a restart needs the company's network admin (经公司网管
// 确认), that is a sysadmin; whether the network works again is the
// reporter's word.
var FaultProcedure = &Procedure[FaultState, FaultAction]{
	Subject: "fault",
	Steps: []FaultAction{ActTake, ActRequestRestart, ActConfirmRestart, ActCancelRestart,
		ActVendor, ActEscalateHQ, ActMarkFixed, ActWorks, ActStillBroken, ActOverride, ActClose},
	Table: map[FaultState]map[FaultAction]FaultState{
		FaultOpen: {ActTake: FaultTaken},
		FaultTaken: {
			ActRequestRestart: FaultRestartPending, ActVendor: FaultWaitingVendor,
			ActEscalateHQ: FaultEscalated, ActMarkFixed: FaultVerifying,
		},
		FaultRestartPending: {ActConfirmRestart: FaultTaken, ActCancelRestart: FaultTaken},
		FaultWaitingVendor: {
			ActRequestRestart: FaultRestartPending, ActVendor: FaultWaitingVendor,
			ActEscalateHQ: FaultEscalated, ActMarkFixed: FaultVerifying,
		},
		FaultEscalated: {
			ActRequestRestart: FaultRestartPending, ActVendor: FaultEscalated, ActMarkFixed: FaultVerifying,
		},
		FaultVerifying: {ActWorks: FaultConfirmed, ActStillBroken: FaultTaken, ActOverride: FaultConfirmed},
		// The one who confirmed may take it back; when others confirmed,
		// the flows split the reporter off instead.
		FaultConfirmed: {ActClose: FaultClosed, ActStillBroken: FaultTaken},
		FaultClosed:    {},
	},
	Roles: map[FaultAction][]Role{
		ActTake:           Technicians,
		ActRequestRestart: Technicians,
		ActConfirmRestart: {RoleSysadmin},
		ActCancelRestart:  Technicians,
		ActVendor:         Technicians,
		ActEscalateHQ:     Technicians,
		ActMarkFixed:      Technicians,
		ActWorks:          {RoleReporter},
		ActStillBroken:    {RoleReporter},
		ActOverride:       Technicians,
		ActClose:          Technicians,
	},
}

// StepInput is what some steps carry besides who and when.
type StepInput struct {
	Resolution    Resolution    // ActClose: required
	VendorTicket  string        // ActVendor: required
	VendorDue     string        // ActVendor: optional
	OverrideAfter time.Duration // ActOverride: how long the reporter gets to answer first
}

// RolesOf is what by may act as on f: their configured roles, reporter on
// their own ticket, and employee always.
func (f Fault) RolesOf(by Actor) []Role {
	roles := append([]Role{RoleEmployee}, by.Roles...)
	if f.IsReporter(by.User) {
		roles = append(roles, RoleReporter)
	}
	return roles
}

// Check says why by may not take action on f now, or nil: the role comes
// first (a *RoleError), then what the state allows (a *TransitionError).
// Steps that need details (a form) are checked with it before the form
// opens.
func (f Fault) Check(a FaultAction, by Actor) error {
	_, err := FaultProcedure.Check(f.State, f.RolesOf(by), a)
	return err
}

// Apply returns the ticket after action by actor at now, or why not: the
// refusals of Check, or a *Error (its Code is a catalog key) when a rule of
// the step refuses. It changes nothing in f.
func (f Fault) Apply(a FaultAction, by Actor, now time.Time, in StepInput) (Fault, error) {
	next, err := FaultProcedure.Check(f.State, f.RolesOf(by), a)
	if err != nil {
		return f, err
	}
	if err := f.rule(a, by.User, now, in); err != nil {
		return f, err
	}
	g := f
	g.State, g.UpdatedAt = next, now
	switch a {
	case ActTake:
		g.Owner, g.TakenAt = by.User, now
	case ActRequestRestart:
		g.RestartBy = by.User
	case ActConfirmRestart, ActCancelRestart:
		g.RestartBy = ""
	case ActVendor:
		g.VendorTicket, g.VendorDue = strings.TrimSpace(in.VendorTicket), strings.TrimSpace(in.VendorDue)
	case ActMarkFixed:
		g.FixedAt = now
	case ActStillBroken:
		g.FixedAt = time.Time{}
	case ActClose:
		g.Resolution, g.ClosedAt = in.Resolution, now
	}
	return g, nil
}

// rule holds the rules of a step beyond the table: four eyes on a restart,
// a resolution to close, a vendor ticket number, and a fair chance for the
// reporter before a technician confirms for them (a monitor's ticket has
// nobody to ask: its path check is the answer).
func (f Fault) rule(a FaultAction, by string, now time.Time, in StepInput) error {
	switch {
	case a == ActConfirmRestart && by == f.RestartBy:
		return &Error{Code: "refuse.self_confirm"}
	case a == ActClose && (strings.TrimSpace(in.Resolution.Done) == "" || !validCause(in.Resolution.Cause)):
		return &Error{Code: "refuse.need_resolution"}
	case a == ActVendor && strings.TrimSpace(in.VendorTicket) == "":
		return &Error{Code: "refuse.need_vendor_ticket"}
	case a == ActOverride && f.Reporter != ActorBot && now.Sub(f.FixedAt) < in.OverrideAfter:
		return &Error{Code: "refuse.override_too_soon", At: f.FixedAt.Add(in.OverrideAfter)}
	}
	return nil
}

func validCause(c Cause) bool {
	for _, known := range Causes {
		if c == known {
			return true
		}
	}
	return false
}

// AtRisk reports whether the risk a clock of kind watches is still there
// (the document's 风险点): not taken, not closed, a device or line fault
// still open. A clock whose risk has passed does nothing when it runs out.
func (f Fault) AtRisk(kind TimerKind) bool {
	switch kind {
	case TimerAck:
		return f.State == FaultOpen
	case TimerDevice:
		return f.State != FaultClosed && f.Verdict == VerdictDevice
	case TimerLine:
		return f.State != FaultClosed && f.Verdict == VerdictLine
	case TimerRecheck:
		return false
	}
	return f.State != FaultClosed
}
