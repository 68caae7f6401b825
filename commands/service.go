package commands

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	"github.com/faultline/faultline"
)

// Settings is the part of the configuration the flows read.
type Settings struct {
	Language      faultline.Lang
	Location      *time.Location
	FaultsChannel string
	Sites         []faultline.Site
	Devices       []faultline.Device
	Lines         []faultline.Line
	Roles         map[faultline.Role][]string // role → user IDs
	Escalation    []faultline.Role            // the chain a fault climbs; [0] is on duty from the start
	Deadlines     Deadlines

	Duties        []faultline.Duty   // from the config; Slack may add more
	DutyGrace     time.Duration      // for duties added from Slack without one (backup_confirm)
	Calendar      faultline.Calendar // duty reminders and escalations wait for working time
	Announcements []AnnouncementSpec
	Monitors      []MonitorSpec
	Digest        DigestSpec

	IncidentsChannel     string           // private: incidents are posted there and nowhere else
	AnnouncementsChannel string           // company notices, once approved
	IncidentEscalation   []faultline.Role // the chain an overdue report or summary climbs
	Incident             IncidentClocks
	External             []ExternalDuty
	// Pace is the least time between two messages to one channel (Slack
	// allows about one a second); 0 sends as fast as possible.
	Pace time.Duration
	// Parallel is how many messages go out at once, to different
	// channels; default 8. The console uses 1, so its output has one order.
	Parallel int
}

// Deadlines are the fault procedure's clocks.
type Deadlines struct {
	Ack            time.Duration // not taken within → escalate
	Resolve        time.Duration // not closed within → escalate
	Device         time.Duration // a device fault open this long → escalate
	Line           time.Duration // a line fault open this long (unless the line has an SLA) → escalate
	RestartRecheck time.Duration // after a confirmed restart, check again
	Confirm        time.Duration // the reporter's time to answer before a technician may confirm
}

// AnnouncementSpec is a scheduled post (定期发布病毒防治的数据资料).
type AnnouncementSpec struct {
	Name     string
	Schedule string
	Channel  string
	Text     string
}

// MonitorSpec is a path monitor: its site checked on Schedule, a ticket
// after Failures consecutive failures, none opened between QuietFrom and
// QuietTo (minutes after midnight; equal means never quiet).
type MonitorSpec struct {
	Site               string
	Schedule           string
	Failures           int
	QuietFrom, QuietTo int
}

// quiet reports whether t falls in the monitor's quiet hours.
func (m MonitorSpec) quiet(t time.Time, loc *time.Location) bool {
	if m.QuietFrom == m.QuietTo {
		return false
	}
	lt := t.In(loc)
	now := lt.Hour()*60 + lt.Minute()
	if m.QuietFrom < m.QuietTo {
		return now >= m.QuietFrom && now < m.QuietTo
	}
	return now >= m.QuietFrom || now < m.QuietTo
}

// DigestSpec is when the weekly digest goes, and to whom.
type DigestSpec struct {
	Schedule string
	To       faultline.Role
}

// IncidentClocks are the security procedure's deadlines.
type IncidentClocks struct {
	Report           time.Duration   // the incident report is due this long after the declaration
	Summary          time.Duration   // the summary report is due this long after closing
	ReportReminders  []time.Duration // remind when this much time is left before the report is due
	SummaryReminders []time.Duration // the same, for the summary
}

// ExternalDuty is a duty to report incidents of a severity to an outside
// authority within a time; all of it comes from the config.
type ExternalDuty struct {
	Severity  faultline.Severity
	Within    time.Duration
	Authority string
	Role      faultline.Role
	Note      string
}

// Recorder receives the flows' measurements; the bot exports them to
// Prometheus. A nil Recorder records nothing.
type Recorder interface {
	Taken(after time.Duration)
	Closed(after time.Duration)
	Escalated(level int, role faultline.Role)
	Delivered(ok bool)
	IncidentStep(action faultline.IncidentAction, after time.Duration)
}

// Service handles commands, presses, submissions, thread replies, timers
// and the outbox. Its methods are safe for concurrent use.
type Service struct {
	store    Store
	pinger   Pinger
	poster   Poster
	settings Settings
	cat      faultline.Catalog
	now      func() time.Time
	log      *slog.Logger
	rec      Recorder
	sched    Scheduler
	kick     chan struct{}
	pacer    pacer
}

// Deps are a Service's collaborators. Now defaults to time.Now.
type Deps struct {
	Store     Store
	Pinger    Pinger
	Poster    Poster
	Settings  Settings
	Now       func() time.Time
	Log       *slog.Logger
	Recorder  Recorder
	Scheduler Scheduler // required for duties, announcements, monitors and the digest
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
	return &Service{
		store: d.Store, pinger: d.Pinger, poster: d.Poster, settings: d.Settings,
		cat: faultline.NewCatalog(d.Settings.Language), now: d.Now, log: d.Log, rec: d.Recorder, sched: d.Scheduler,
		kick: make(chan struct{}, 1), pacer: pacer{next: map[string]time.Time{}},
	}
}

type noRecorder struct{}

func (noRecorder) Taken(time.Duration)                                  {}
func (noRecorder) Closed(time.Duration)                                 {}
func (noRecorder) Escalated(int, faultline.Role)                        {}
func (noRecorder) Delivered(bool)                                       {}
func (noRecorder) IncidentStep(faultline.IncidentAction, time.Duration) {}

// Kicked signals that the outbox has new messages; the delivery loop waits
// on it between its polls.
func (s *Service) Kicked() <-chan struct{} { return s.kick }

func (s *Service) nudge() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Catalog is the service's message catalog, for transports that need a
// sentence of their own (the console's help, an apology).
func (s *Service) Catalog() faultline.Catalog { return s.cat }

// internal logs an unexpected error under a short reference and returns
// the apology the user sees, which carries the same reference.
func (s *Service) internal(ctx context.Context, op string, err error) Response {
	ref := newRef()
	s.log.ErrorContext(ctx, op, "ref", ref, "err", err)
	return Response{Reply: s.ephemeral(s.cat.T("error.internal", ref))}
}

// Apology is the message for a failure outside the service (a transport's
// own error), logged by the caller under ref.
func (s *Service) Apology(ref string) Message { return *s.ephemeral(s.cat.T("error.internal", ref)) }

// NewRef returns a short random reference for an error log line.
func NewRef() string { return newRef() }

func newRef() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Service) ephemeral(text string) *Message {
	return &Message{Ephemeral: true, Text: text}
}

func (s *Service) fmtTime(t time.Time) string {
	return t.In(s.settings.Location).Format("2006-01-02 15:04")
}

// rolesOf is what user may act as on f: their configured roles, reporter
// on their own ticket, and employee always.
func (s *Service) rolesOf(user string, f faultline.Fault) []faultline.Role {
	roles := []faultline.Role{faultline.RoleEmployee}
	if user == f.Reporter {
		roles = append(roles, faultline.RoleReporter)
	}
	for _, r := range faultline.Roles {
		for _, u := range s.settings.Roles[r] {
			if u == user {
				roles = append(roles, r)
			}
		}
	}
	return roles
}

// pacer remembers, per channel, when the next message may go.
type pacer struct {
	mu   sync.Mutex
	next map[string]time.Time
}

func (p *pacer) ready(ch string, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !now.Before(p.next[ch])
}

func (p *pacer) hold(ch string, until time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if until.After(p.next[ch]) {
		p.next[ch] = until
	}
}

func (p *pacer) soonest(now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	best := time.Duration(0)
	for _, t := range p.next {
		if d := t.Sub(now); d > 0 && (best == 0 || d < best) {
			best = d
		}
	}
	return best
}
