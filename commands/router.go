package commands

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/catalog"
	"github.com/faultline/faultline/markup"
)

// Service is the flows behind one front door: it routes each slash
// command, button press, form and thread reply to the flow of its noun
// (faults, incidents, duties), runs the clocks and the schedules, and
// delivers the outbox. Its methods are safe for concurrent use.
type Service struct {
	flow      *flow
	faults    *faultFlow
	incidents *incidentFlow
	duties    *dutyFlow
	schedules *scheduleFlow
	timers    TimerStore
	tasks     TaskStore
	requests  RequestStore
	audit     AuditStore
	outbox    *outbox
	retention time.Duration
	keep      Keep
}

// Deps are a Service's collaborators. Now defaults to time.Now; Scheduler
// is needed for duties, announcements, monitors and the digest; Store may
// be nil for a Service that only checks paths (the ping command).
type Deps struct {
	Store     Store
	Pinger    Pinger
	Poster    Poster
	Hooks     HookSender // nil when no webhook is configured
	Settings  Settings
	Now       func() time.Time
	Log       *slog.Logger
	Recorder  Recorder
	Scheduler Scheduler
	// Retention is how long a sent message is kept in the outbox (its text
	// is forgotten when it is sent); default 7 days.
	Retention time.Duration
	// Keep is how long finished records are kept; zero keeps them.
	Keep Keep
}

// Keep is how long a finished record (a closed ticket, an archived
// incident) is kept after its last change before it is purged; zero keeps
// that kind for good. The store never purges sooner than six months.
type Keep struct {
	Faults, Incidents time.Duration
}

// New returns a Service.
func New(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Settings.Location == nil {
		d.Settings.Location = time.UTC
	}
	if d.Recorder == nil {
		d.Recorder = noRecorder{}
	}
	if d.Settings.Parallel <= 0 {
		d.Settings.Parallel = 8
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	base := &flow{set: d.Settings, cat: catalog.New(d.Settings.Language), now: d.Now, log: d.Log,
		rec: d.Recorder, store: d.Store, kick: make(chan struct{}, 1), tasks: make(chan struct{}, 1)}
	faults := &faultFlow{flow: base, store: d.Store, pinger: d.Pinger, sched: d.Scheduler,
		checks: &checks{reuse: cmp.Or(d.Settings.Outage.CheckReuse, 10*time.Second)}}
	incidents := &incidentFlow{flow: base, store: d.Store}
	duties := &dutyFlow{flow: base, store: d.Store, poster: d.Poster, sched: d.Scheduler}
	monitors := &monitorFlow{flow: base, store: d.Store, faults: faults}
	return &Service{
		flow: base, faults: faults, incidents: incidents, duties: duties, timers: d.Store, tasks: d.Store, requests: d.Store, audit: d.Store,
		retention: cmp.Or(d.Retention, 7*24*time.Hour), keep: d.Keep,
		schedules: &scheduleFlow{flow: base, store: d.Store, digests: d.Store, sched: d.Scheduler, monitors: monitors},
		outbox:    &outbox{flow: base, store: d.Store, poster: d.Poster, hooks: d.Hooks, faults: faults, incidents: incidents},
	}
}

type noRecorder struct{}

func (noRecorder) Taken(time.Duration)                                  {}
func (noRecorder) Closed(time.Duration)                                 {}
func (noRecorder) Escalated(int, faultline.Role)                        {}
func (noRecorder) Delivered(bool)                                       {}
func (noRecorder) IncidentStep(faultline.IncidentAction, time.Duration) {}

// ackBudget bounds what a command, a press or a submission does before
// it is answered, so the answer is within Slack's three seconds whatever
// the database does; the slow part (Response.Work) has its own.
const ackBudget = 2500 * time.Millisecond

// Command handles a slash command. Unknown commands and malformed text get
// a reply that says what to type; nothing is stored for them.
func (s *Service) Command(ctx context.Context, req Request) Response {
	ctx, cancel := context.WithTimeout(ctx, ackBudget)
	defer cancel()
	req.Text = storable(req.Text)
	switch req.Command {
	case "/fault":
		return s.faults.command(ctx, req)
	case "/incident":
		return s.incidents.command(ctx, req)
	case "/duty":
		return s.duties.command(ctx, req)
	}
	return s.flow.say(s.flow.cat.T("command.unknown", markup.Escape(req.Command)))
}

// Press handles a button press; its action ID says whose it is (fault_…,
// incident_…, duty_…).
//
// A press replayed (the same Slack trigger again) does nothing.
func (s *Service) Press(ctx context.Context, a Action) Response {
	ctx, cancel := context.WithTimeout(ctx, ackBudget)
	defer cancel()
	a.Value = storable(a.Value)
	if s.replayed(ctx, a.TriggerID) {
		return s.flow.say(s.flow.cat.T("request.replayed"))
	}
	switch prefix(a.ID) {
	case faultPrefix:
		return s.faults.press(ctx, a)
	case incidentPrefix:
		return s.incidents.press(ctx, a)
	case dutyPrefix:
		return s.duties.press(ctx, a)
	}
	return s.flow.say(s.flow.cat.T("action.unknown"))
}

// Submit handles a submitted form; its callback ID says whose it is.
// Problems keep the form open with a message under the input concerned;
// nothing is stored until all is well.
// A submission replayed (the same Slack trigger again) does nothing.
func (s *Service) Submit(ctx context.Context, sub Submission) Response {
	ctx, cancel := context.WithTimeout(ctx, ackBudget)
	defer cancel()
	for k, v := range sub.Values {
		sub.Values[k] = storable(v)
		// Slack holds every field to its form's limit, the longest of
		// which is a description's; only a forged submission is longer.
		if n := utf8.RuneCountInString(v); n > MaxDescription {
			return Response{Errors: map[string]string{k: s.flow.cat.T("form.too_long", n, MaxDescription)}}
		}
	}
	if s.replayed(ctx, sub.TriggerID) {
		return Response{}
	}
	switch prefix(sub.CallbackID) {
	case faultPrefix:
		return s.faults.submit(ctx, sub)
	case incidentPrefix:
		return s.incidents.submit(ctx, sub)
	case dutyPrefix:
		return s.duties.submit(ctx, sub)
	}
	return Response{}
}

// The prefixes of button and form IDs, one per noun.
const (
	faultPrefix    = "fault_"
	incidentPrefix = "incident_"
	dutyPrefix     = "duty_"
)

func prefix(id string) string {
	head, _, ok := strings.Cut(id, "_")
	if !ok {
		return ""
	}
	return head + "_"
}

// ThreadReply records a message written in a ticket's or an incident's
// thread on its timeline. Messages in other threads are none of the bot's
// business and are ignored.
//
// The reply is recorded in the same transaction as its event's ID, once: a
// redelivery of an event recorded already is nil, and an error means
// nothing was recorded and the event should be delivered again.
func (s *Service) ThreadReply(ctx context.Context, r ThreadReply) error {
	r.Text = storable(r.Text)
	recorded, err := s.faults.reply(ctx, r)
	if err == nil && !recorded {
		err = s.incidents.reply(ctx, r)
	}
	if errors.Is(err, faultline.ErrReplay) {
		return nil
	}
	return err
}

// replayed reports whether the Slack trigger of a press or a submission was
// handled already. Recording it first means a replay is dropped even while
// the first is still being handled; a request whose trigger cannot be
// recorded (the database is not answering) goes on, and its own write
// fails or succeeds honestly.
func (s *Service) replayed(ctx context.Context, trigger string) bool {
	if trigger == "" || s.requests == nil {
		return false
	}
	first, err := s.requests.FirstSeen(ctx, "trigger:"+trigger, s.flow.now())
	if err != nil {
		s.flow.log.WarnContext(ctx, "record request", "err", err)
		return false
	}
	return !first
}

// storable makes text storable in either database and harmless wherever
// it is shown: PostgreSQL refuses NUL bytes and invalid UTF-8 in text, and
// other control characters (an escape sequence, a bell, a lone carriage
// return) would act on the terminal of whoever prints the archive, so
// they become U+FFFD rather than lose the report; tabs and line breaks
// stay, a CRLF as one line break.
func storable(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexFunc(s, unprintable) >= 0 {
		s = strings.Map(func(r rune) rune {
			if unprintable(r) {
				return '\uFFFD'
			}
			return r
		}, strings.ReplaceAll(s, "\r\n", "\n"))
	}
	return s
}

// unprintable is a C0 or C1 control character other than a tab or a line
// break, or DEL.
func unprintable(r rune) bool {
	return r < 0x20 && r != '\t' && r != '\n' || r >= 0x7f && r < 0xa0
}

// Maintain forgets what need not be kept: messages sent longer ago than the
// retention, request keys older than a day, and the finished records
// older than theirs. The jobs run it hourly.
func (s *Service) Maintain(ctx context.Context) error {
	now := s.flow.now()
	sent, err1 := s.outbox.store.PruneOutbox(ctx, now.Add(-s.retention))
	seen, err2 := s.requests.PruneRequests(ctx, now)
	if sent+seen > 0 {
		s.flow.log.InfoContext(ctx, "pruned", "sent_messages", sent, "request_keys", seen)
	}
	return errors.Join(err1, err2, s.purge(ctx, now))
}

// purge removes the finished records past their retention, a batch at a
// time, at most ten batches an hour.
func (s *Service) purge(ctx context.Context, now time.Time) error {
	before := func(d time.Duration) time.Time {
		if d == 0 {
			return time.Time{}
		}
		return now.Add(-d)
	}
	if s.keep == (Keep{}) {
		return nil
	}
	for range 10 {
		faults, incidents, events, err := s.audit.PurgeRecords(ctx, before(s.keep.Faults), before(s.keep.Incidents), now, purgeBatch)
		if faults+incidents > 0 {
			s.flow.log.InfoContext(ctx, "purged by retention", "faults", faults, "incidents", incidents, "events", events)
		}
		if err != nil || faults < purgeBatch && incidents < purgeBatch {
			return err
		}
	}
	return nil
}

const purgeBatch = 200

// Joined is told that the bot was added to channel: the messages given up
// because it could not post there go again, with everything waiting behind
// them.
func (s *Service) Joined(ctx context.Context, channel string) error {
	n, err := s.outbox.store.RetryOutgoing(ctx, 0, channel, s.flow.now())
	if n > 0 {
		s.flow.log.InfoContext(ctx, "the bot joined a channel; sending what it could not", "channel", channel, "messages", n)
		s.flow.nudge()
	}
	return err
}

// Apology is the message for a failure outside the flows (a transport's
// own error), logged by the caller under ref.
func (s *Service) Apology(ref string) faultline.Message {
	return *s.flow.ephemeral(s.flow.cat.T("error.internal", ref))
}

// Catalog is the service's message catalog, for transports that need a
// sentence of their own.
func (s *Service) Catalog() catalog.Catalog { return s.flow.cat }

// Kicked signals that the outbox has new messages; the delivery loop waits
// on it between its polls.
func (s *Service) Kicked() <-chan struct{} { return s.flow.kick }

// FireDue is the unit of work of the clock job: it answers the ticket and
// incident clocks due now, each exactly once however many processes run
// it, then the duties (occurrences, reminders, escalations) and the
// schedules (announcements, monitors, the digest).
func (s *Service) FireDue(ctx context.Context) error {
	now := s.flow.now()
	return errors.Join(s.fireTimers(ctx, now), s.duties.run(ctx, now), s.schedules.run(ctx, now), s.seal(ctx))
}

// seal puts the events written since the last tick into the archive's
// chain, a thousand at a time, at most ten thousand a tick.
func (s *Service) seal(ctx context.Context) error {
	for range 10 {
		n, err := s.audit.SealEvents(ctx, sealBatch)
		if err != nil || n < sealBatch {
			return err
		}
	}
	return nil
}

const sealBatch = 1000

// fireTimers answers each clock due at now with its flow's change. A change
// that loses a race (another process answered the clock, or the record
// changed since it was read) is worked out again from a fresh read.
func (s *Service) fireTimers(ctx context.Context, now time.Time) error {
	due, err := s.timers.DueTimers(ctx, now, timerBatch)
	if err != nil {
		return err
	}
	var errs []error
	for _, t := range due {
		var after func(context.Context)
		for attempt := 0; attempt < 3; attempt++ {
			var c faultline.Change
			if t.IncidentID != 0 {
				c, err = s.incidents.fire(ctx, t, now)
			} else {
				c, after, err = s.faults.fire(ctx, t, now)
			}
			if err == nil {
				c.Fires = &t
				err = s.flow.commit(ctx, c)
			}
			if !errors.Is(err, faultline.ErrConflict) {
				break
			}
		}
		switch {
		case errors.Is(err, faultline.ErrConflict) || errors.Is(err, faultline.ErrNotFound):
		case err != nil:
			errs = append(errs, err)
		case after != nil:
			after(ctx)
		}
	}
	return errors.Join(errs...)
}

const timerBatch = 100

// Start brings the database in line with the config: its duties (config
// duties are added, updated, or paused when removed) and the schedules of
// announcements, monitors and the digest. serve and console call it once.
func (s *Service) Start(ctx context.Context) error {
	if s.duties.sched == nil {
		return nil
	}
	now := s.flow.now()
	if err := s.duties.sync(ctx, now); err != nil {
		return err
	}
	return s.schedules.sync(ctx, now)
}
