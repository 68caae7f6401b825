package faultline

import "time"

// TaskKind names work that follows a change after the answer was given.
type TaskKind string

// Task kinds.
const (
	// TaskCheck checks a ticket's path and records the result.
	TaskCheck TaskKind = "check"
	// TaskCheckAndAsk checks a ticket's path, then asks its reporter
	// whether the network works (after a technician marks it fixed).
	TaskCheckAndAsk TaskKind = "check_ask"
	// TaskConfirmReport checks the path of a report that joined an open
	// outage (Actor is the reporter) and moves the report to a ticket of
	// its own when the check finds another fault.
	TaskConfirmReport TaskKind = "confirm_report"
)

// Task is work stored in the same transaction as the change that asked for
// it, claimed by a worker, retried until it is done, and resumed after a
// restart: nothing accepted is lost with a process.
type Task struct {
	ID         int64
	Kind       TaskKind
	FaultID    int64 // set by the store for a new ticket's tasks
	IncidentID int64
	Actor      string // on whose behalf (the presser, or ActorBot)
	DueAt      time.Time
	Attempts   int // including the current one, once claimed
	Error      string
}
