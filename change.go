package faultline

import "time"

// Change is one step of a flow that the store commits atomically: the
// ticket's or incident's new row (written only if the row is still at the
// state and version that were read), its timeline entries, the messages
// that report it, and the clocks it starts, stops or answers. Either all of
// it happens or none.
//
// A change is about one fault ticket (FaultID) or one incident
// (IncidentID), or neither (a message to a channel or a person); its
// events, messages and timers belong to that one.
type Change struct {
	At           time.Time // when it happened; its messages are due from then
	FaultID      int64
	Fault        *Fault // the row after the step; nil leaves the row alone
	Read         Fault  // the row as read: its State and Version guard the write
	IncidentID   int64
	Incident     *Incident // as Fault, for an incident
	ReadIncident Incident
	Events       []Event
	Out          []Outgoing
	// Fires is the due clock this change answers: it is removed with the
	// change, and the change commits only if it is still pending as read,
	// so a clock fires once however many processes read it.
	Fires        *Timer
	SetTimers    []Timer     // replace the pending timer of each kind
	CancelTimers []TimerKind // drop the pending timers of these kinds
	FollowUps    []FollowUp  // new follow-ups of the incident; each gets its clock at Due
	Done         []FollowUp  // follow-ups done (ID, DoneBy, DoneAt); their clocks stop
	// Tasks is work that must follow the change (a path check), stored
	// with it, so it happens even if the process dies before doing it.
	Tasks []Task
	// Completes is the task this change is the result of: it is removed
	// with the change, and the change commits only if it is still there,
	// so a task's result is committed once.
	Completes int64
	// Leaves is a reporter who leaves the ticket's reporters (their report
	// moved to a ticket of its own). Reporters are changed only this way
	// and by joining, never by rewriting the row, so a step committed
	// while reports join loses none of them.
	Leaves string
	// Request is the key of the delivery this change answers (a Slack
	// event's ID): recorded with the change, and a second change with the
	// same key is ErrReplay and writes nothing.
	Request string
}

// OutKind says how an outgoing message is delivered.
type OutKind string

// Outgoing kinds. Head and Update carry no text: the head message is
// rendered from the ticket or incident as it is when it is sent, so a late
// delivery shows the current state rather than a stale one.
const (
	OutPost      OutKind = "post"      // Message to Message.Channel, in the head message's thread if Thread
	OutHead      OutKind = "head"      // the ticket's (incident's) head message in its channel
	OutUpdate    OutKind = "update"    // replace that head message
	OutDM        OutKind = "dm"        // Message as a direct message to User
	OutEphemeral OutKind = "ephemeral" // Message only User sees, in Message.Channel
	OutWebhook   OutKind = "webhook"   // Message.Text to the group robot named Message.Channel (DingTalk, Feishu, WeCom)
)

// Outgoing is a message in the outbox: written in the same transaction as
// the change it reports, sent later by the delivery worker, in order per
// Key (a ticket's thread, a person's DMs), at most once.
type Outgoing struct {
	ID         int64
	Key        string // set by the store: "fault:<id>", "incident:<id>", "dm:<user>", "user:<user>", "hook:<name>" or "chan:<channel>"
	Kind       OutKind
	FaultID    int64 // the ticket it belongs to; set by the store for a new ticket's messages
	IncidentID int64 // or the incident
	Thread     bool  // OutPost: in the thread of the ticket's or incident's head message
	User       string
	Message    Message

	Attempts  int
	CreatedAt time.Time
	// Filled in when read for sending: the head message of the ticket or
	// incident, for thread posts and updates.
	HeadChannel string
	HeadTS      string

	// What the outbox knows of its delivery, for operators.
	Error     string    // the last refusal or failure
	NextTry   time.Time // when it goes (again)
	FailedAt  time.Time // given up; set again by a retry
	SentAt    time.Time
	BlockedBy string // the key waits behind a given-up message: its reason
	Ticket    string // the ticket's or incident's reference (F-3, I-2), when listed for operators
}
