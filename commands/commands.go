// Package commands runs Faultline's flows: the /fault command, button
// presses, modal submissions and thread replies, and the slow work they
// start (path checks, posts). It speaks in transport-neutral Requests and
// Messages; the bot package renders them as Block Kit or console text. It
// imports no Slack, database, ICMP or cron library: it declares the small
// interfaces it needs and is handed implementations.
package commands

import (
	"context"
	"time"

	"github.com/faultline/faultline"
)

// Store is the database as the flows use it.
type Store interface {
	// CreateFault stores a new ticket with its number, its "created"
	// timeline entry, and out and timers, which belong to it.
	CreateFault(ctx context.Context, f faultline.Fault, out []Outgoing, timers []faultline.Timer) (faultline.Fault, error)
	Fault(ctx context.Context, number int64) (faultline.Fault, error)
	FaultByID(ctx context.Context, id int64) (faultline.Fault, error)
	FaultByMessage(ctx context.Context, channel, ts string) (faultline.Fault, error)
	Faults(ctx context.Context, states []faultline.FaultState, limit int) ([]faultline.Fault, error)
	Events(ctx context.Context, faultID int64) ([]faultline.Event, error)
	// Commit applies c atomically; faultline.ErrConflict when the ticket
	// changed since it was read.
	Commit(ctx context.Context, c Change) error
	SearchFaults(ctx context.Context, words []string, limit int) ([]faultline.Fault, error)
	PastResolutions(ctx context.Context, site, hop string, exclude int64, limit int) ([]faultline.Fault, error)
	// FireDueTimers commits fire's change for each timer due at now,
	// exactly once each, and returns the timers that fired.
	FireDueTimers(ctx context.Context, now time.Time, limit int, fire func(faultline.Timer, Subject) Change) ([]faultline.Timer, error)
	Incidents
	Duties
	Outbox
}

// Duties is the store's duties, schedules and monitors.
type Duties interface {
	SyncDuties(ctx context.Context, duties []faultline.Duty, now time.Time) error
	CreateDuty(ctx context.Context, d faultline.Duty, now time.Time) (faultline.Duty, error)
	Duties(ctx context.Context) ([]faultline.Duty, error)
	Duty(ctx context.Context, name string) (faultline.Duty, error)
	SetDutyPaused(ctx context.Context, name string, paused bool, next time.Time) error
	// FireDueDuties creates the occurrences fire says for each duty due at
	// now, once each, and moves the duty to the next time fire says.
	FireDueDuties(ctx context.Context, now time.Time, limit int, fire func(faultline.Duty) ([]faultline.Occurrence, time.Time)) (int, error)
	DueReminders(ctx context.Context, now time.Time, limit int) ([]faultline.Occurrence, error)
	DueEscalations(ctx context.Context, now time.Time, limit int) ([]faultline.Occurrence, error)
	Occurrence(ctx context.Context, id int64) (faultline.Occurrence, error)
	DutyOccurrences(ctx context.Context, dutyID int64, limit int) ([]faultline.Occurrence, error)
	// UpdateOccurrence writes next if the occurrence is still as read, with
	// out, atomically; faultline.ErrConflict otherwise.
	UpdateOccurrence(ctx context.Context, read, next faultline.Occurrence, out []Outgoing, now time.Time) error
	SyncSchedules(ctx context.Context, specs map[string]string, next func(spec string) time.Time) error
	FireDueSchedules(ctx context.Context, now time.Time, limit int, fire func(name string, due time.Time) (time.Time, Change)) ([]Fired, error)
	MonitorState(ctx context.Context, site string) (faultline.MonitorState, error)
	SaveMonitorState(ctx context.Context, read, next faultline.MonitorState, c Change) error
	Week(ctx context.Context, from, to time.Time) (faultline.Week, error)
}

// Scheduler reads schedules: the next time a 5-field cron or a descriptor
// (@daily, @every 5s) comes due after a time, in the configured zone.
type Scheduler interface {
	Next(spec string, after time.Time) (time.Time, error)
}

// Incidents is the store's archive of security incidents.
type Incidents interface {
	// CreateIncident stores a new incident with its number, its "created"
	// timeline entry, and out and timers, which belong to it.
	CreateIncident(ctx context.Context, i faultline.Incident, out []Outgoing, timers []faultline.Timer) (faultline.Incident, error)
	Incident(ctx context.Context, number int64) (faultline.Incident, error)
	IncidentByID(ctx context.Context, id int64) (faultline.Incident, error)
	IncidentByMessage(ctx context.Context, channel, ts string) (faultline.Incident, error)
	// Incidents lists by state, newest first; reporter non-empty limits it
	// to what that person reported.
	Incidents(ctx context.Context, states []faultline.IncidentState, reporter string, limit int) ([]faultline.Incident, error)
	IncidentsBetween(ctx context.Context, from, to time.Time) ([]faultline.Incident, error)
	IncidentEvents(ctx context.Context, incidentID int64) ([]faultline.Event, error)
	FollowUps(ctx context.Context, incidentID int64) ([]faultline.FollowUp, error)
	FollowUp(ctx context.Context, id int64) (faultline.FollowUp, error)
}

// Outbox is the store's queue of messages to send.
type Outbox interface {
	PendingOutbox(ctx context.Context, now time.Time, limit int) ([]Outgoing, error)
	ClaimOutgoing(ctx context.Context, id int64, now time.Time, lease time.Duration) (bool, error)
	OutgoingSent(ctx context.Context, o Outgoing, channel, ts string, now time.Time) error
	OutgoingRetry(ctx context.Context, id int64, at time.Time, reason string) error
	OutgoingFailed(ctx context.Context, id int64, reason string, now time.Time) error
}

// Pinger probes hosts and returns one result per host, in order. It must
// return within its own configured wait, whatever the hosts do.
type Pinger interface {
	Ping(ctx context.Context, hosts []string) []faultline.PingResult
}

// Poster sends messages to Slack (or the console). Errors may say when to
// retry (RetryAfter() time.Duration) or that retrying is pointless
// (Permanent() bool); the outbox reads both.
type Poster interface {
	// Post sends m and returns its channel and timestamp (Slack's message ID).
	Post(ctx context.Context, m Message) (ts string, err error)
	// Update replaces the message ts in channel with m.
	Update(ctx context.Context, channel, ts string, m Message) error
	// OpenDM returns the direct-message channel with user.
	OpenDM(ctx context.Context, user string) (channel string, err error)
	// UserGone reports whether user's account was deleted (the person left).
	UserGone(ctx context.Context, user string) (bool, error)
}

// Responder answers the person who issued a command or pressed a button,
// after the immediate reply (Slack's response_url; the console's screen).
type Responder interface {
	Respond(ctx context.Context, m Message) error
}

// Request is a slash command as typed.
type Request struct {
	Command   string // "/fault"
	Text      string // everything after the command, unescaped
	User      string
	Channel   string
	TriggerID string
	Respond   Responder // may be nil
}

// Action is a button press.
type Action struct {
	ID        string // the button's action ID
	Value     string
	User      string
	Channel   string
	MessageTS string
	ThreadTS  string
	TriggerID string
	Respond   Responder // may be nil
}

// Submission is a submitted modal.
type Submission struct {
	CallbackID string
	User       string
	Values     map[string]string // input ID → value (or chosen option value)
	Metadata   string
}

// ThreadReply is a message someone wrote in a thread.
type ThreadReply struct {
	Channel  string
	ThreadTS string
	TS       string
	User     string
	Text     string // unescaped
}

// Response is what a handler decided. Reply, Modal and Errors are sent
// within the platform's acknowledgement deadline; Work is the slow part
// (pings, posts) that the transport runs afterwards and waits for at
// shutdown.
type Response struct {
	Reply  *Message
	Modal  *Modal
	Errors map[string]string // modal input ID → problem; the modal stays open
	Work   func(ctx context.Context) error
}

// Message is a chat message in a transport-neutral shape. Text, field
// values and Context are mrkdwn: user-supplied text in them has been
// through faultline.Escape, so renderers pass them through unchanged.
type Message struct {
	Channel   string
	ThreadTS  string
	User      string // recipient of an ephemeral message
	Ephemeral bool
	Text      string
	Fields    []Field
	Context   string
	Buttons   []Button
}

// Field is a labelled value shown in a grid.
type Field struct {
	Label string
	Value string
}

// Button is a button on a message; pressing it produces an Action with
// its ID and Value.
type Button struct {
	ID    string
	Label string
	Value string
	Style string // "", "primary" or "danger"
}

// Modal is a form to open for the user.
type Modal struct {
	CallbackID string
	Title      string
	Submit     string
	Metadata   string
	Intro      string // mrkdwn shown above the inputs
	Inputs     []Input
}

// Input is one field of a modal. With Options it is a picker.
type Input struct {
	ID        string
	Label     string
	Hint      string
	Value     string // filled in already (a draft to edit, a report to amend)
	Optional  bool
	Multiline bool
	MaxLength int
	Options   []Option
}

// Option is a choice in a picker.
type Option struct {
	Value string
	Label string
}
