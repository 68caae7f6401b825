package faultline

import (
	"strings"
	"time"
)

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

// FaultActions lists every action, in procedure order.
var FaultActions = []FaultAction{ActTake, ActRequestRestart, ActConfirmRestart, ActCancelRestart,
	ActVendor, ActEscalateHQ, ActMarkFixed, ActWorks, ActStillBroken, ActOverride, ActClose}

// faultMachine is the procedure as a transition table: what each state
// allows, and where it leads. Anything not here is refused.
var faultMachine = map[FaultState]map[FaultAction]FaultState{
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
	FaultConfirmed: {ActClose: FaultClosed},
	FaultClosed:    {},
}

// Allowed lists the actions the state allows, in procedure order.
func (s FaultState) Allowed() []FaultAction {
	var out []FaultAction
	for _, a := range FaultActions {
		if _, ok := faultMachine[s][a]; ok {
			out = append(out, a)
		}
	}
	return out
}

// StepInput is what some steps carry besides who and when.
type StepInput struct {
	Resolution    Resolution    // ActClose: required
	VendorTicket  string        // ActVendor: required
	VendorDue     string        // ActVendor: optional
	OverrideAfter time.Duration // ActOverride: how long the reporter gets to answer first
}

// Apply returns the ticket after action by actor at now, or why not: a
// *TransitionError when the state does not allow it, a *Error (its Code is
// a catalog key) when a rule of the step refuses. It changes nothing in f.
func (f Fault) Apply(a FaultAction, by string, now time.Time, in StepInput) (Fault, error) {
	next, ok := faultMachine[f.State][a]
	if !ok {
		return f, &TransitionError{From: f.State, Action: a}
	}
	if err := f.check(a, by, now, in); err != nil {
		return f, err
	}
	g := f
	g.State, g.UpdatedAt = next, now
	switch a {
	case ActTake:
		g.Owner, g.TakenAt = by, now
	case ActRequestRestart:
		g.RestartBy = by
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

// check holds the rules of a step beyond the table: four eyes on a
// restart, a resolution to close, a vendor ticket number, and a fair
// chance for the reporter before a technician confirms for them.
func (f Fault) check(a FaultAction, by string, now time.Time, in StepInput) error {
	switch {
	case a == ActConfirmRestart && by == f.RestartBy:
		return &Error{Code: "refuse.self_confirm"}
	case a == ActClose && (strings.TrimSpace(in.Resolution.Done) == "" || !validCause(in.Resolution.Cause)):
		return &Error{Code: "refuse.need_resolution"}
	case a == ActVendor && strings.TrimSpace(in.VendorTicket) == "":
		return &Error{Code: "refuse.need_vendor_ticket"}
	case a == ActOverride && now.Sub(f.FixedAt) < in.OverrideAfter:
		return &Error{Code: "refuse.override_too_soon"}
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
