package faultline

// Procedure is one of the document's procedures as data: its steps in
// order, a transition table (what each state allows and where it leads),
// and who may take each step. Fault tickets and security incidents are
// each one; their Apply methods add the rules a table cannot say.
type Procedure[S ~string, A ~string] struct {
	Subject string        // "fault" or "incident", for errors
	Steps   []A           // every step, in procedure order
	Table   map[S]map[A]S // state → step → next state; anything missing is refused
	Roles   map[A][]Role  // step → the roles that may take it
}

// Allowed lists the steps state s allows, in procedure order.
func (p *Procedure[S, A]) Allowed(s S) []A {
	var out []A
	for _, a := range p.Steps {
		if _, ok := p.Table[s][a]; ok {
			out = append(out, a)
		}
	}
	return out
}

// Step finds the step called name, for a button or a form naming it.
func (p *Procedure[S, A]) Step(name string) (A, bool) {
	for _, a := range p.Steps {
		if string(a) == name {
			return a, true
		}
	}
	var zero A
	return zero, false
}

// Needs lists the roles that may take step a.
func (p *Procedure[S, A]) Needs(a A) []Role { return p.Roles[a] }

// Check says why someone holding roles may not take step a in state s: a
// *RoleError when none of their roles may (asked first, so nobody learns
// the state of what they may not touch), a *TransitionError when the state
// does not allow it. It returns the next state when both allow it.
func (p *Procedure[S, A]) Check(s S, roles []Role, a A) (S, error) {
	if !HasAny(roles, p.Roles[a]) {
		return s, &RoleError{Action: string(a), Need: p.Roles[a]}
	}
	next, ok := p.Table[s][a]
	if !ok {
		return s, &TransitionError{Subject: p.Subject, From: string(s), Action: string(a)}
	}
	return next, nil
}
