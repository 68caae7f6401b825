package faultline

import "time"

// ActorBot is the actor of timeline entries the bot makes by itself, and
// the reporter of a ticket a path monitor opened.
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
	EventReport     EventKind = "report"      // another report of the outage: Actor, Text, Data the channel
	EventMoved      EventKind = "moved"       // a report moved to its own ticket: Data its ticket
	EventMonitor    EventKind = "monitor"     // a monitor saw the outage from a site behind it
	EventMaintained EventKind = "maintenance" // a clock waited out a maintenance window
)

// Event is one entry on a ticket's or an incident's timeline: who did
// what, when. Data holds the structured detail (a PathCheck as JSON for a
// check).
type Event struct {
	ID      int64
	FaultID int64 // the ticket's, or 0 for an incident's timeline
	At      time.Time
	Actor   string
	Kind    EventKind
	Text    string
	Data    string
}
