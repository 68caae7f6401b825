package commands

import (
	"context"
	"time"

	"github.com/faultline/faultline"
)

// The ports: what the flows need from the database, the network and the
// chat, declared here where they are used. storage.DB implements every
// store; a new backend proves itself against the contract suite in
// commands/storetest.

// Committer commits a flow's step atomically (faultline.Change); it is
// faultline.ErrConflict when the ticket or incident changed since it was
// read, or the clock the change answers was already answered.
type Committer interface {
	Commit(ctx context.Context, c faultline.Change) error
}

// FaultStore keeps fault tickets and their timelines. Lookups of a missing
// ticket are faultline.ErrNotFound.
type FaultStore interface {
	Committer
	// CreateFault stores a new ticket with the next number, its "created"
	// timeline entry, and with's messages, clocks and tasks, which belong
	// to it. A RequestKey already on a ticket stores nothing and returns
	// that ticket with faultline.ErrReplay.
	CreateFault(ctx context.Context, f faultline.Fault, with faultline.Change) (faultline.Fault, error)
	Fault(ctx context.Context, number int64) (faultline.Fault, error)
	FaultByID(ctx context.Context, id int64) (faultline.Fault, error)
	FaultByMessage(ctx context.Context, channel, ts string) (faultline.Fault, error)
	// Faults lists tickets in the given states, newest first.
	Faults(ctx context.Context, states []faultline.FaultState, limit int) ([]faultline.Fault, error)
	// Events is a ticket's timeline, oldest first.
	Events(ctx context.Context, faultID int64) ([]faultline.Event, error)
	// SearchFaults finds closed tickets that mention every word, newest first.
	SearchFaults(ctx context.Context, words []string, limit int) ([]faultline.Fault, error)
	// PastResolutions lists closed tickets of the same hop of the same
	// site, newest first, leaving out exclude.
	PastResolutions(ctx context.Context, site, hop string, exclude int64, limit int) ([]faultline.Fault, error)
	// OpenFaultsAt lists the open tickets of site, or whose failing hop
	// has one of hopKeys, newest first: the outages a report may join.
	OpenFaultsAt(ctx context.Context, site string, hopKeys []string) ([]faultline.Fault, error)
	// JoinFault adds user's report to open ticket faultID with c (its
	// timeline entry, messages, tasks), without a version guard so a burst
	// of reports queues rather than retries; added is false when user had
	// reported it already. A closed ticket is faultline.ErrConflict, a
	// repeated c.Request faultline.ErrReplay.
	JoinFault(ctx context.Context, faultID int64, user string, c faultline.Change) (ticket faultline.Fault, added bool, err error)
	WindowStore
}

// WindowStore keeps maintenance windows opened from chat.
type WindowStore interface {
	OpenWindow(ctx context.Context, w faultline.Window) (faultline.Window, error)
	// EndWindow ends a window early, once; one ended or past is
	// faultline.ErrNotFound.
	EndWindow(ctx context.Context, id int64, by string, at time.Time) (faultline.Window, error)
	// Windows lists the windows not over at now, soonest first.
	Windows(ctx context.Context, now time.Time) ([]faultline.Window, error)
}

// IncidentStore keeps security incidents, their timelines and follow-ups.
type IncidentStore interface {
	Committer
	// CreateIncident stores a new incident with the next number, its
	// "created" timeline entry, and with's messages, clocks and tasks; a
	// RequestKey already on one returns it with faultline.ErrReplay.
	CreateIncident(ctx context.Context, i faultline.Incident, with faultline.Change) (faultline.Incident, error)
	Incident(ctx context.Context, number int64) (faultline.Incident, error)
	IncidentByID(ctx context.Context, id int64) (faultline.Incident, error)
	IncidentByMessage(ctx context.Context, channel, ts string) (faultline.Incident, error)
	// Incidents lists by state, newest first; reporter non-empty limits it
	// to what that person reported.
	Incidents(ctx context.Context, states []faultline.IncidentState, reporter string, limit int) ([]faultline.Incident, error)
	// SearchIncidents finds incidents whose text has every word, newest
	// first; reader non-empty limits it to the ones that person reported
	// or owes the summary of.
	SearchIncidents(ctx context.Context, words []string, reader string, limit int) ([]faultline.Incident, error)
	// IncidentsBetween lists the incidents declared in [from, to), oldest first.
	IncidentsBetween(ctx context.Context, from, to time.Time) ([]faultline.Incident, error)
	IncidentEvents(ctx context.Context, incidentID int64) ([]faultline.Event, error)
	// FollowUps lists an incident's follow-ups in the order decided.
	FollowUps(ctx context.Context, incidentID int64) ([]faultline.FollowUp, error)
	FollowUp(ctx context.Context, id int64) (faultline.FollowUp, error)
}

// TimerStore finds the clocks that ran out. A clock is answered by a
// Change whose Fires names it.
type TimerStore interface {
	// DueTimers lists pending timers due at now, soonest first.
	DueTimers(ctx context.Context, now time.Time, limit int) ([]faultline.Timer, error)
}

// DutyStore keeps duties and their occurrences.
type DutyStore interface {
	// SyncDuties makes duties the config's duties: new ones added, changed
	// ones updated, ones no longer there paused and retired.
	SyncDuties(ctx context.Context, duties []faultline.Duty, now time.Time) error
	// CreateDuty adds a duty; an existing name is faultline.ErrConflict.
	CreateDuty(ctx context.Context, d faultline.Duty, now time.Time) (faultline.Duty, error)
	Duties(ctx context.Context) ([]faultline.Duty, error)
	Duty(ctx context.Context, name string) (faultline.Duty, error)
	// SetDutyPaused pauses or resumes; a paused duty's open occurrences
	// are neither reminded nor escalated; resuming sets the next due time
	// and gives the held escalations their grace again from now.
	SetDutyPaused(ctx context.Context, name string, paused bool, next, now time.Time) error
	// DueDuties lists unpaused duties due at now, soonest first.
	DueDuties(ctx context.Context, now time.Time, limit int) ([]faultline.Duty, error)
	// FireDuty creates occurrences of read and moves it to next, if it is
	// still due as read; faultline.ErrConflict otherwise.
	FireDuty(ctx context.Context, read faultline.Duty, occurrences []faultline.Occurrence, next time.Time) error
	DueReminders(ctx context.Context, now time.Time, limit int) ([]faultline.Occurrence, error)
	DueEscalations(ctx context.Context, now time.Time, limit int) ([]faultline.Occurrence, error)
	Occurrence(ctx context.Context, id int64) (faultline.Occurrence, error)
	DutyOccurrences(ctx context.Context, dutyID int64, limit int) ([]faultline.Occurrence, error)
	// UpdateOccurrence writes next if the occurrence is still as read, with
	// out, atomically; faultline.ErrConflict otherwise.
	UpdateOccurrence(ctx context.Context, read, next faultline.Occurrence, out []faultline.Outgoing, now time.Time) error
}

// ScheduleStore keeps when each named schedule (announcements, monitors,
// the digest) comes due next.
type ScheduleStore interface {
	// SyncSchedules registers the schedules: a new one or one whose spec
	// changed gets its Due; an unchanged one keeps its own; ones no longer
	// named are dropped.
	SyncSchedules(ctx context.Context, schedules []faultline.Schedule) error
	// DueSchedules lists the schedules due at now, soonest first.
	DueSchedules(ctx context.Context, now time.Time, limit int) ([]faultline.Schedule, error)
	// FireSchedule moves read to next and commits c with it, if read is
	// still due as read; faultline.ErrConflict otherwise.
	FireSchedule(ctx context.Context, read faultline.Schedule, next time.Time, c faultline.Change) error
}

// MonitorStore keeps what each path monitor remembers.
type MonitorStore interface {
	// MonitorState is the site's monitor memory; zero for a site never checked.
	MonitorState(ctx context.Context, site string) (faultline.MonitorState, error)
	// SaveMonitorState writes next if the state is still at read's version,
	// with c, atomically; faultline.ErrConflict otherwise.
	SaveMonitorState(ctx context.Context, read, next faultline.MonitorState, c faultline.Change) error
}

// AuditStore seals the timelines into the tamper-evident chain.
type AuditStore interface {
	// SealEvents seals up to limit events not sealed yet and says how
	// many it sealed.
	SealEvents(ctx context.Context, limit int) (int, error)
	// PurgeRecords removes up to limit finished tickets last changed
	// before faultsBefore and as many incidents before incidentsBefore
	// (zero: none of that kind), never one changed within six months of
	// now, leaving their events' seals in the chain.
	PurgeRecords(ctx context.Context, faultsBefore, incidentsBefore, now time.Time, limit int) (faults, incidents, events int64, err error)
}

// DigestStore gathers a week for the department head's digest.
type DigestStore interface {
	Week(ctx context.Context, from, to time.Time) (faultline.Week, error)
}

// OutboxStore is the queue of messages to send, one key (a thread, a
// person's DMs, a channel) at a time and in order within a key.
type OutboxStore interface {
	// PendingOutbox lists the next message of each key that is due at now,
	// not claimed and not waiting behind a given-up message, with its head
	// message filled in, soonest first, whatever the pace.
	PendingOutbox(ctx context.Context, now time.Time, limit int) ([]faultline.Outgoing, error)
	// NextOutgoing picks one such message for each channel whose pace
	// (its arrival time no later than now plus tolerance) lets it send,
	// the one due soonest, and says when the first channel the pace holds
	// back may send (zero when none is held).
	NextOutgoing(ctx context.Context, now time.Time, tolerance time.Duration) ([]faultline.Outgoing, time.Time, error)
	// ClaimOutgoing reserves o's key for lease; false when another worker
	// has it or it moved on.
	ClaimOutgoing(ctx context.Context, o faultline.Outgoing, now time.Time, lease time.Duration) (bool, error)
	// OutgoingSent records o sent as message ts in channel and moves its
	// key on; a head message becomes its ticket's or incident's thread.
	OutgoingSent(ctx context.Context, o faultline.Outgoing, channel, ts string, now time.Time) error
	// OutgoingRetry puts o back for at; attempt false does not count it as
	// a failed attempt (a rate limit).
	OutgoingRetry(ctx context.Context, o faultline.Outgoing, at time.Time, reason string, attempt bool) error
	// OutgoingFailed gives o up, kept with its reason; block keeps its key
	// waiting behind it, otherwise the key moves on.
	OutgoingFailed(ctx context.Context, o faultline.Outgoing, reason string, now time.Time, block bool) error
	// TakePace takes a turn to send to channel at a pace of one message per
	// interval with bursts of burst, the same for every process: 0 when
	// the message may go, otherwise how long until it may.
	TakePace(ctx context.Context, channel string, now time.Time, interval time.Duration, burst int) (time.Duration, error)
	// HoldPace sends nothing to channel before until, in any process.
	HoldPace(ctx context.Context, channel string, until time.Time, interval time.Duration, burst int) error
	// RetryOutgoing sends given-up messages again: message id, or with id
	// 0 all of them (of channel, when not empty). It returns how many.
	RetryOutgoing(ctx context.Context, id int64, channel string, now time.Time) (int, error)
	// OutboxReport lists each key's next message and the given-up ones.
	OutboxReport(ctx context.Context, limit int) (heads, failed []faultline.Outgoing, err error)
	// PruneOutbox removes messages sent before before.
	PruneOutbox(ctx context.Context, before time.Time) (int64, error)
}

// TaskStore keeps the work that follows a change (faultline.Task).
type TaskStore interface {
	// ClaimTask claims the task due soonest at now for lease; false when
	// none is due. Its result is committed with Change.Completes.
	ClaimTask(ctx context.Context, now time.Time, lease time.Duration) (faultline.Task, bool, error)
	RetryTask(ctx context.Context, id int64, at time.Time, reason string) error
	DropTask(ctx context.Context, id int64) error
}

// RequestStore remembers which requests were handled, so a replay changes
// nothing.
type RequestStore interface {
	// FirstSeen records key and reports whether it is new.
	FirstSeen(ctx context.Context, key string, at time.Time) (bool, error)
	// PruneRequests forgets keys received a day before now.
	PruneRequests(ctx context.Context, now time.Time) (int64, error)
}

// Store is every store the flows use; storage.DB is one.
type Store interface {
	AuditStore
	FaultStore
	IncidentStore
	TimerStore
	DutyStore
	ScheduleStore
	MonitorStore
	DigestStore
	OutboxStore
	TaskStore
	RequestStore
}

// Scheduler reads schedules: the next time a 5-field cron or a descriptor
// (@daily, @every 5s) comes due after a time, in the configured zone.
type Scheduler interface {
	Next(spec string, after time.Time) (time.Time, error)
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
	// Post sends m and returns its timestamp (Slack's message ID).
	Post(ctx context.Context, m faultline.Message) (ts string, err error)
	// Update replaces the message ts in channel with m.
	Update(ctx context.Context, channel, ts string, m faultline.Message) error
	// OpenDM returns the direct-message channel with user.
	OpenDM(ctx context.Context, user string) (channel string, err error)
	// UserGone reports whether user's account was deleted (the person left).
	UserGone(ctx context.Context, user string) (bool, error)
}

// HookSender posts text to a group robot (DingTalk, Feishu, WeCom) by its
// configured name. Its errors say, as the Poster's do, whether to wait
// (RetryAfter), give up (Permanent, with a Remedy) or try again.
type HookSender interface {
	SendHook(ctx context.Context, name, text string) error
}

// Responder answers the person who issued a command or pressed a button,
// after the immediate reply (Slack's response_url; the console's screen).
type Responder interface {
	Respond(ctx context.Context, m faultline.Message) error
}

// Recorder receives the flows' measurements (package metrics exports them
// to Prometheus). A nil Recorder records nothing.
type Recorder interface {
	Taken(after time.Duration)
	Closed(after time.Duration)
	Escalated(level int, role faultline.Role)
	Delivered(ok bool)
	IncidentStep(action faultline.IncidentAction, after time.Duration)
}
