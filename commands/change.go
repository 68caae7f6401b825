package commands

import (
	"time"

	"github.com/faultline/faultline"
)

// Change is one step of a flow that the store commits atomically: the
// ticket's new row (written only if the row is still at the state and
// version that were read), its timeline entries, the messages that report
// it, and the clocks it starts or stops. Either all of it happens or none.
//
// A change is about one fault ticket (FaultID) or one incident
// (IncidentID); its events, messages and timers belong to that one.
type Change struct {
	At           time.Time // when it happened; its messages are due from then
	FaultID      int64
	Fault        *faultline.Fault // the row after the step; nil leaves the row alone
	Read         faultline.Fault  // the row as read: its State and Version guard the write
	IncidentID   int64
	Incident     *faultline.Incident // as Fault, for an incident
	ReadIncident faultline.Incident
	Events       []faultline.Event
	Out          []Outgoing
	SetTimers    []faultline.Timer     // replace the pending timer of each kind
	CancelTimers []faultline.TimerKind // drop the pending timers of these kinds
	FollowUps    []faultline.FollowUp  // new follow-ups of the incident; each gets its clock at Due
	Done         []faultline.FollowUp  // follow-ups done (ID, DoneBy, DoneAt); their clocks stop
}

// Subject is what a timer runs on, read when it fires: a ticket or an
// incident.
type Subject struct {
	Fault    *faultline.Fault
	Incident *faultline.Incident
}

// OutKind says how an outgoing message is delivered.
type OutKind string

// Outgoing kinds. Head and Update carry no text: the ticket's head message
// is rendered from the ticket as it is when it is sent, so a late delivery
// shows the current state rather than a stale one.
const (
	OutPost      OutKind = "post"      // Message to Message.Channel, in the ticket's thread if Thread
	OutHead      OutKind = "head"      // the ticket's (incident's) head message in its channel
	OutUpdate    OutKind = "update"    // replace that head message
	OutDM        OutKind = "dm"        // Message as a direct message to User
	OutEphemeral OutKind = "ephemeral" // Message only User sees, in Message.Channel
)

// Outgoing is a message in the outbox: written in the same transaction as
// the change it reports, sent later by the delivery worker, in order per
// Key (a ticket's thread, a person's DMs), at most once.
type Outgoing struct {
	ID         int64
	Key        string // set by the store: "fault:<id>", "dm:<user>" or "chan:<channel>"
	Kind       OutKind
	FaultID    int64 // the ticket it belongs to; set by the store for a new ticket's messages
	IncidentID int64 // or the incident
	Thread     bool  // OutPost: in the thread of the ticket's or incident's head message
	User       string
	Message    Message

	Attempts  int
	CreatedAt time.Time
	// Filled in when claimed: the ticket's head message, for thread posts
	// and updates.
	HeadChannel string
	HeadTS      string
}

func threadPost(m Message) Outgoing { return Outgoing{Kind: OutPost, Thread: true, Message: m} }

func headUpdate() Outgoing { return Outgoing{Kind: OutUpdate} }

func directMessage(user string, m Message) Outgoing {
	return Outgoing{Kind: OutDM, User: user, Message: m}
}

// Fired is a schedule's run that was claimed: its name and when it was due.
type Fired struct {
	Name string
	Due  time.Time
}
