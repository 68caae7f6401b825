package commands

import (
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/catalog"
)

// Settings is the part of the configuration the flows read.
type Settings struct {
	Language      catalog.Lang
	Location      *time.Location
	FaultsChannel string
	Sites         []faultline.Site
	Devices       []faultline.Device
	Lines         []faultline.Line
	Roles         map[faultline.Role][]string // role → user IDs
	Escalation    faultline.Chain             // the chain a fault climbs; [0] is on duty from the start
	Deadlines     Deadlines
	Outage        OutageSettings
	Maintenance   []PlannedWindow // from the config; Slack may open more

	Duties        []faultline.Duty   // from the config; Slack may add more
	DutyGrace     time.Duration      // for duties added from Slack without one (backup_confirm)
	Calendar      faultline.Calendar // duty reminders and escalations wait for working time
	Announcements []AnnouncementSpec
	Monitors      []MonitorSpec
	Digest        DigestSpec

	IncidentsChannel     string          // private: incidents are posted there and nowhere else
	AnnouncementsChannel string          // company notices, once approved
	IncidentEscalation   faultline.Chain // the chain an overdue report or summary climbs
	Incident             IncidentClocks
	Compliance           ComplianceSettings
	Hooks                []HookSpec // group robots that receive some messages too
	// Pace is the least time between two messages to one channel (Slack
	// allows about one a second); 0 sends as fast as possible.
	Pace time.Duration
	// Burst is how many messages one channel may get at once before the
	// pace applies; default 3.
	Burst int
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

// OutageSettings tune how reports fold into one outage.
type OutageSettings struct {
	// CheckReuse is how long a site's path check is handed to further
	// reports instead of pinging again; default 10s.
	CheckReuse time.Duration
	// EscalateAbove moves a ticket one level up its chain at once when
	// more people than this report it; 0 never does.
	EscalateAbove int
	// MaxWindow is the longest maintenance window Slack may open; default 24h.
	MaxWindow time.Duration
}

// PlannedWindow is a maintenance window from the config: on a site or a
// hop, starting at At or at each time Schedule (cron) names, for Duration.
type PlannedWindow struct {
	Site     string // the site's name, or
	Hop      string // the hop's name as written
	HopKey   string // and its key
	Schedule string
	At       time.Time
	Duration time.Duration
	Reason   string
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
	// RecoverAfter is how many good checks in a row clear an outage
	// (default 2); LossAbove counts a hop that loses more than this
	// fraction of its probes as failing (0: only total silence).
	RecoverAfter int
	LossAbove    float64
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

func (set Settings) defaultGrace() time.Duration {
	if set.DutyGrace > 0 {
		return set.DutyGrace
	}
	return 2 * time.Hour
}
