package faultline

import (
	"errors"
	"fmt"
)

// Sentinel errors for control flow. Storage translates its driver's errors
// into these at its boundary, so nothing above it sees gorm or SQL errors.
var (
	// ErrNotFound: the record asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the write lost a race (duplicate key, or the row was no
	// longer in the state that was read).
	ErrConflict = errors.New("conflict")
)

// Error is a failure the user may read: Code is stable and machine-readable,
// Message is already in the user's language and safe to show.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf builds a user-facing error.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// UserMessage returns the user-safe message in err, if there is one.
func UserMessage(err error) (string, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Message, true
	}
	return "", false
}

// TransitionError says a ticket's state does not allow an action: it was
// closed meanwhile, someone else took it, a button was pressed twice.
type TransitionError struct {
	From   FaultState
	Action FaultAction
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("cannot %s a ticket that is %s", e.Action, e.From)
}
