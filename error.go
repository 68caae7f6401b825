package faultline

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors for control flow. Storage translates its driver's errors
// into these at its boundary, so nothing above it sees gorm or SQL errors.
var (
	// ErrNotFound: the record asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the write lost a race (duplicate key, or the row was no
	// longer in the state that was read).
	ErrConflict = errors.New("conflict")
	// ErrUnavailable: the database did not answer (refused or dropped the
	// connection, was restarting, gave up a transaction to a concurrent
	// one); nothing was written (unless it is ErrUncertain), and trying
	// again shortly may work.
	ErrUnavailable = errors.New("the database is not answering")
	// ErrUncertain is an ErrUnavailable met after the write was sent:
	// the connection broke before the database said whether it
	// committed, so it may have. A request's key makes trying again safe.
	ErrUncertain = fmt.Errorf("%w, and the write may have happened", ErrUnavailable)
	// ErrReplay: the request this write carries was already handled (a
	// redelivered event, a replayed command); nothing was written again.
	ErrReplay = errors.New("already handled")
)

// Error is a step a rule refuses, for the user to read: Code is stable and
// machine-readable, and names the sentence in the message catalog that
// explains it ("refuse.self_confirm").
type Error struct {
	Code string
	// At is when the rule allows the step, when waiting is all it takes.
	At time.Time
}

func (e *Error) Error() string { return e.Code }

// TransitionError says a record's state does not allow a step: it was
// closed meanwhile, someone else took it, a button was pressed twice. One
// type serves every procedure.
type TransitionError struct {
	Subject string // "fault", "incident"
	From    string // the state it is in
	Action  string // the step that was refused
}

func (e *TransitionError) Error() string {
	return "cannot " + e.Action + " a " + e.Subject + " that is " + e.From
}

// RoleError says the actor holds none of the roles a step needs.
type RoleError struct {
	Action string
	Need   []Role
}

func (e *RoleError) Error() string {
	names := make([]string, len(e.Need))
	for i, r := range e.Need {
		names[i] = string(r)
	}
	return e.Action + " needs one of " + strings.Join(names, ", ")
}
