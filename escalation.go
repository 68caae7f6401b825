package faultline

// Chain is the ordered list of roles an overdue item climbs, one level at
// a time (escalation.fault, escalation.incident in the config).
type Chain []Role

// Climb is one step up a chain: the level reached (an index into the
// chain), the role told there, and whether a level remains above it, in
// which case the clock starts again for that one.
type Climb struct {
	Level int
	Role  Role
	Of    int // the chain's length, for "level 2 of 4"
	Rearm bool
}

// Climb is the step that tells level next of the chain, or false when the
// chain has no such level: every level is told exactly once, and a clock
// that runs out past the top does nothing. A fault's chain starts with the
// role on duty from the start (level 0), so its first escalation is level
// 1; an incident's first escalation is level 0.
func (c Chain) Climb(next int) (Climb, bool) {
	if next < 0 || next >= len(c) {
		return Climb{}, false
	}
	return Climb{Level: next, Role: c[next], Of: len(c), Rearm: next+1 < len(c)}, true
}

// OnDuty is the role level has reached, or fallback for an empty chain.
func (c Chain) OnDuty(level int, fallback Role) Role {
	if len(c) == 0 {
		return fallback
	}
	return c[min(max(level, 0), len(c)-1)]
}
