package faultline_test

import (
	"errors"
	"testing"
	"time"

	"github.com/faultline/faultline"
)

// The procedure as the tests read it from the seed document: for each
// state, the steps it allows and where they lead. Written out here, not
// derived from the code, so a change to the machine must change this too.
var wantNext = map[faultline.FaultState]map[faultline.FaultAction]faultline.FaultState{
	"open":            {"take": "taken"},
	"taken":           {"request_restart": "restart_pending", "vendor": "waiting_vendor", "escalate_hq": "escalated", "mark_fixed": "verifying"},
	"restart_pending": {"confirm_restart": "taken", "cancel_restart": "taken"},
	"waiting_vendor":  {"request_restart": "restart_pending", "vendor": "waiting_vendor", "escalate_hq": "escalated", "mark_fixed": "verifying"},
	"escalated":       {"request_restart": "restart_pending", "vendor": "escalated", "mark_fixed": "verifying"},
	"verifying":       {"works": "confirmed", "still_broken": "taken", "override": "confirmed"},
	"confirmed":       {"close": "closed"},
	"closed":          {},
}

// Who may do what, as the roles are described in the document.
var tech = []faultline.Role{"maintainer", "sysadmin", "it_supervisor", "info_manager"}
var wantRoles = map[faultline.FaultAction][]faultline.Role{
	"take": tech, "request_restart": tech, "confirm_restart": {"sysadmin"}, "cancel_restart": tech,
	"vendor": tech, "escalate_hq": tech, "mark_fixed": tech, "works": {"reporter"}, "still_broken": {"reporter"},
	"override": tech, "close": tech,
}

var everyRole = append([]faultline.Role{faultline.RoleEmployee, faultline.RoleReporter}, faultline.Roles...)

func contains(roles []faultline.Role, r faultline.Role) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}

// Every (state, action, role): the step happens exactly when the role may
// take it and the state allows it, and then lands in the expected state.
func TestFaultProcedureEveryTriple(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	input := faultline.StepInput{
		Resolution:   faultline.Resolution{Cause: faultline.CauseLine, Done: "carrier spliced the fibre", FixedBy: "China Telecom"},
		VendorTicket: "CT-889",
	}
	for _, state := range faultline.FaultStates {
		for _, action := range faultline.FaultActions {
			for _, role := range everyRole {
				f := faultline.Fault{State: state, RestartBy: "U0REQUESTER", FixedAt: now.Add(-time.Hour)}
				next, err := f.Apply(action, "U0ACTOR", now, input)
				allowedByRole := faultline.CanDo([]faultline.Role{role}, action)
				if allowedByRole != contains(wantRoles[action], role) {
					t.Errorf("CanDo(%s, %s) = %v", role, action, allowedByRole)
				}
				want, allowedByState := wantNext[state][action]
				if !allowedByState {
					var te *faultline.TransitionError
					if !errors.As(err, &te) || next.State != state {
						t.Errorf("%s --%s--> %s, %v; want refused", state, action, next.State, err)
					}
					continue
				}
				if err != nil || next.State != want {
					t.Errorf("%s --%s--> %s, %v; want %s", state, action, next.State, err, want)
				}
			}
		}
	}
}

func TestFaultStepRules(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		fault  faultline.Fault
		action faultline.FaultAction
		by     string
		in     faultline.StepInput
		code   string
	}{
		{"requester confirms own restart", faultline.Fault{State: "restart_pending", RestartBy: "U1"}, "confirm_restart", "U1", faultline.StepInput{}, "refuse.self_confirm"},
		{"close without what was done", faultline.Fault{State: "confirmed"}, "close", "U1", faultline.StepInput{Resolution: faultline.Resolution{Cause: "line"}}, "refuse.need_resolution"},
		{"close with an unknown cause", faultline.Fault{State: "confirmed"}, "close", "U1", faultline.StepInput{Resolution: faultline.Resolution{Cause: "gremlins", Done: "x"}}, "refuse.need_resolution"},
		{"vendor without a ticket number", faultline.Fault{State: "taken"}, "vendor", "U1", faultline.StepInput{VendorTicket: "  "}, "refuse.need_vendor_ticket"},
		{"override before the reporter had time", faultline.Fault{State: "verifying", FixedAt: now.Add(-time.Minute)}, "override", "U1", faultline.StepInput{OverrideAfter: 30 * time.Minute}, "refuse.override_too_soon"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := tt.fault.Apply(tt.action, tt.by, now, tt.in)
			var ue *faultline.Error
			if !errors.As(err, &ue) || ue.Code != tt.code || g.State != tt.fault.State {
				t.Fatalf("Apply = %s, %v; want refused with %s", g.State, err, tt.code)
			}
		})
	}
}

// A whole run of the procedure records who did what and when.
func TestFaultProcedureEffects(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	f := faultline.Fault{State: faultline.FaultOpen, Reporter: "U0REP"}
	step := func(a faultline.FaultAction, by string, at time.Duration, in faultline.StepInput) {
		t.Helper()
		var err error
		if f, err = f.Apply(a, by, t0.Add(at), in); err != nil {
			t.Fatalf("%s by %s: %v", a, by, err)
		}
	}
	step("take", "U0TECH", time.Minute, faultline.StepInput{})
	step("request_restart", "U0TECH", 2*time.Minute, faultline.StepInput{})
	if f.RestartBy != "U0TECH" {
		t.Fatalf("restart requester = %q", f.RestartBy)
	}
	step("confirm_restart", "U0ADMIN", 3*time.Minute, faultline.StepInput{})
	step("vendor", "U0TECH", 4*time.Minute, faultline.StepInput{VendorTicket: " CT-889 ", VendorDue: "by 18:00"})
	step("mark_fixed", "U0TECH", 5*time.Minute, faultline.StepInput{})
	step("still_broken", "U0REP", 6*time.Minute, faultline.StepInput{})
	if !f.FixedAt.IsZero() || f.State != faultline.FaultTaken {
		t.Fatalf("reopened ticket: %+v", f)
	}
	step("mark_fixed", "U0TECH", 7*time.Minute, faultline.StepInput{})
	step("works", "U0REP", 8*time.Minute, faultline.StepInput{})
	res := faultline.Resolution{Cause: faultline.CauseDevice, Done: "replaced the PSU", FixedBy: "vendor"}
	step("close", "U0TECH", 9*time.Minute, faultline.StepInput{Resolution: res})
	if f.Owner != "U0TECH" || !f.TakenAt.Equal(t0.Add(time.Minute)) || f.VendorTicket != "CT-889" ||
		f.RestartBy != "" || f.Resolution != res || !f.ClosedAt.Equal(t0.Add(9*time.Minute)) || f.State != faultline.FaultClosed {
		t.Fatalf("after the procedure: %+v", f)
	}
}
