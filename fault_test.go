package faultline_test

import (
	"errors"
	"fmt"
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
	"confirmed":       {"close": "closed", "still_broken": "taken"},
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
// take it and the state allows it, and then lands in the expected state; a
// role that may not is refused with a RoleError whatever the state, so the
// refusal says nothing about the ticket.
func TestFaultProcedureEveryTriple(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	input := faultline.StepInput{
		Resolution:   faultline.Resolution{Cause: faultline.CauseLine, Done: "carrier spliced the fibre", FixedBy: "China Telecom"},
		VendorTicket: "CT-889",
	}
	for _, state := range faultline.FaultStates {
		for _, action := range faultline.FaultProcedure.Steps {
			for _, role := range everyRole {
				f := faultline.Fault{State: state, Reporter: "U0SOMEONE", RestartBy: "U0REQUESTER", FixedAt: now.Add(-time.Hour)}
				by := faultline.Actor{User: "U0ACTOR", Roles: []faultline.Role{role}}
				if role == faultline.RoleReporter {
					f.Reporter, by.Roles = by.User, nil
				}
				next, err := f.Apply(action, by, now, input)
				if !contains(wantRoles[action], role) {
					var re *faultline.RoleError
					if !errors.As(err, &re) || next.State != state {
						t.Errorf("%s as %s in %s: %s, %v; want a RoleError", action, role, state, next.State, err)
					}
					continue
				}
				want, allowedByState := wantNext[state][action]
				if !allowedByState {
					var te *faultline.TransitionError
					if !errors.As(err, &te) || next.State != state || te.Subject != "fault" || te.From != string(state) {
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
	for _, state := range faultline.FaultStates {
		var allowed []faultline.FaultAction
		for _, a := range faultline.FaultProcedure.Steps {
			if _, ok := wantNext[state][a]; ok {
				allowed = append(allowed, a)
			}
		}
		if got := faultline.FaultProcedure.Allowed(state); fmt.Sprint(got) != fmt.Sprint(allowed) {
			t.Errorf("Allowed(%s) = %v, want %v", state, got, allowed)
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
			g, err := tt.fault.Apply(tt.action, actor(tt.by, "sysadmin"), now, tt.in)
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
		if f, err = f.Apply(a, actor(by, "maintainer", "sysadmin"), t0.Add(at), in); err != nil {
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

func actor(user string, roles ...faultline.Role) faultline.Actor {
	return faultline.Actor{User: user, Roles: roles}
}

// A monitor's ticket has no reporter to wait for: a technician may
// confirm its recovery at once.
func TestOverrideOfAMonitorTicket(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	f := faultline.Fault{State: faultline.FaultVerifying, Reporter: faultline.ActorBot, FixedAt: now}
	g, err := f.Apply(faultline.ActOverride, actor("U0TECH", "maintainer"), now, faultline.StepInput{OverrideAfter: time.Hour})
	if err != nil || g.State != faultline.FaultConfirmed {
		t.Fatalf("override of a monitor's ticket: %s, %v", g.State, err)
	}
}

func TestFaultAtRisk(t *testing.T) {
	cases := []struct {
		f    faultline.Fault
		kind faultline.TimerKind
		want bool
	}{
		{faultline.Fault{State: "open"}, faultline.TimerAck, true},
		{faultline.Fault{State: "taken"}, faultline.TimerAck, false},
		{faultline.Fault{State: "taken"}, faultline.TimerResolve, true},
		{faultline.Fault{State: "closed"}, faultline.TimerResolve, false},
		{faultline.Fault{State: "taken", Verdict: "device"}, faultline.TimerDevice, true},
		{faultline.Fault{State: "taken", Verdict: "line"}, faultline.TimerDevice, false},
		{faultline.Fault{State: "escalated", Verdict: "line"}, faultline.TimerLine, true},
		{faultline.Fault{State: "open"}, faultline.TimerRecheck, false},
	}
	for _, c := range cases {
		if got := c.f.AtRisk(c.kind); got != c.want {
			t.Errorf("%s fault (%s) at risk for %s = %v", c.f.State, c.f.Verdict, c.kind, got)
		}
	}
}

func TestParseFaultRef(t *testing.T) {
	for in, want := range map[string]int64{"F-12": 12, "f-3": 3, "#7": 7, " 42 ": 42} {
		if got, err := faultline.ParseFaultRef(in); err != nil || got != want {
			t.Errorf("ParseFaultRef(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "F-", "F-0", "F--1", "abc", "F-1x"} {
		if _, err := faultline.ParseFaultRef(bad); err == nil {
			t.Errorf("ParseFaultRef(%q) accepted", bad)
		}
	}
}
