package config

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/faultline/faultline"
	"github.com/robfig/cron/v3"
)

var (
	reUser      = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	reChannel   = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)
	reClock     = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
	reservedSet = []string{"ping", "list", "show", "help", "search", "duty", "status", "maintenance"}
)

// validate records every semantic problem in c, which holds whatever
// decoded; zero values stand for keys that were not written.
func validate(c *Config, col *collector) {
	checkGeneral(c, col)
	checkRoles(c, col)
	checkSites(c, col)
	checkDevices(c, col)
	checkLines(c, col)
	checkBackups(c, col)
	checkDeadlines(c, col)
	checkCompliance(c, col)
	checkCalendar(c, col)
	if c.Digest.Schedule != "" {
		checkSchedule(col, "digest.schedule", "the digest", c.Digest.Schedule)
	}
	if c.Digest.To != "" {
		checkRole(col, "digest.to", c.Digest.To)
	}
	checkEscalation(c, col)
	checkMonitors(c, col)
	checkAnnouncements(c, col)
	checkProbe(c, col)
	checkPositive(col, "outbox.retention", c.Outbox.Retention)
	checkOutages(c, col)
}

func checkOutages(c *Config, col *collector) {
	o := c.Outages
	if o.CheckReuse < 0 || o.CheckReuse > 5*time.Minute || (o.CheckReuse == 0 && col.ix.has("outages.check_reuse")) {
		col.add("outages.check_reuse", "must be between 1s and 5m; a check older than that says little about now")
	}
	if o.EscalateAbove < 0 {
		col.add("outages.escalate_above", "must be 0 (never) or a number of reports")
	}
	if o.MaxMaintenance < 0 || o.MaxMaintenance > 0 && o.MaxMaintenance < time.Minute || o.MaxMaintenance > 7*24*time.Hour ||
		(o.MaxMaintenance == 0 && col.ix.has("outages.max_maintenance")) {
		col.add("outages.max_maintenance", "must be between 1m and 168h")
	}
	for i, m := range c.Maintenance {
		p := fmt.Sprintf("maintenance[%d]", i)
		switch {
		case m.Site == "" && m.Hop == "":
			col.add(p, "a window needs the site: or the hop: it is on")
		case m.Site != "" && m.Hop != "":
			col.add(p, "a window is on a site or on a hop, not both; write two windows")
		case m.Site != "":
			if _, ok := faultline.FindSite(c.Sites, m.Site); !ok {
				col.add(p+".site", "%q is not a configured site", m.Site)
			}
		default:
			if _, ok := faultline.FindHop(c.Sites, m.Hop); !ok {
				col.add(p+".hop", "%q is not a hop of any site's path (give its name or host)", m.Hop)
			}
		}
		if m.Start == "" {
			col.add(p+".start", "a window needs its start: a time like \"2026-12-05 22:00\" or a schedule like \"0 22 * * 6\"")
		} else if _, err := cron.ParseStandard(m.Start); err != nil {
			if _, err := time.Parse("2006-01-02 15:04", strings.TrimSpace(m.Start)); err != nil {
				col.add(p+".start", "%q is neither a time like \"2026-12-05 22:00\" nor a schedule like \"0 22 * * 6\"", m.Start)
			}
		}
		if m.Duration <= 0 || m.Duration > 7*24*time.Hour {
			col.add(p+".duration", "a window lasts more than zero and at most 168h")
		}
	}
}

func checkGeneral(c *Config, col *collector) {
	if c.Timezone != "" {
		if _, err := time.LoadLocation(c.Timezone); err != nil || c.Timezone == "Local" {
			col.add("timezone", "%q is not a time zone; use an IANA name like Asia/Shanghai or UTC", c.Timezone)
		}
	}
	if c.Language != "" && c.Language != "zh" && c.Language != "en" {
		col.add("language", "%q is not a supported language; use zh or en", c.Language)
	}
	if c.Channels.Faults == "" {
		col.add("channels.faults", "the faults channel is required: tickets are posted there; give its ID (like C0123ABCD) under channels: faults:")
	}
	checkChannel(col, "channels.faults", c.Channels.Faults)
	checkChannel(col, "channels.incidents", c.Channels.Incidents)
	checkChannel(col, "channels.announcements", c.Channels.Announcements)
}

func checkChannel(col *collector, path, id string) {
	if id != "" && !reChannel.MatchString(id) {
		col.add(path, "%q is not a Slack channel ID; copy the ID (like C0123ABCD) from the channel's details", id)
	}
}

func checkUser(col *collector, path, id string) {
	if !reUser.MatchString(id) {
		col.add(path, "%q is not a Slack user ID; copy the member ID (like U0123ABCD) from the person's profile", id)
	}
}

// checkRole reports a role a config may not name.
func checkRole(col *collector, path string, r faultline.Role) {
	switch {
	case r == faultline.RoleEmployee:
		col.add(path, "%q is not a role to configure: everyone not listed under a role is an employee", r)
	case !faultline.ValidRole(r):
		col.add(path, "%q is not a role; use one of %s", r, roleNames())
	}
}

func roleNames() string {
	names := make([]string, len(faultline.Roles))
	for i, r := range faultline.Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

func checkRoles(c *Config, col *collector) {
	roles := make([]faultline.Role, 0, len(c.Roles))
	for r := range c.Roles {
		roles = append(roles, r)
	}
	sort.Slice(roles, func(i, j int) bool { return roles[i] < roles[j] })
	for _, r := range roles {
		path := "roles." + string(r)
		checkRole(col, path, r)
		for i, id := range c.Roles[r] {
			checkUser(col, fmt.Sprintf("%s[%d]", path, i), id)
		}
	}
}

// checkSchedule reports a missing or unparsable cron schedule.
func checkSchedule(col *collector, path, what, spec string) {
	if spec == "" {
		col.add(path, "%s needs a schedule, like \"0 9 * * 1\" or @daily", what)
		return
	}
	if _, err := cron.ParseStandard(spec); err != nil {
		col.add(path, "%q is not a schedule (%v); write 5 cron fields like \"0 9 * * 1-5\" or a descriptor like @daily or @every 1h", spec, err)
		return
	}
	if every, ok := strings.CutPrefix(spec, "@every "); ok {
		if d, err := time.ParseDuration(strings.TrimSpace(every)); err == nil && d < time.Second {
			col.add(path, "%q is more often than once a second; the shortest schedule is @every 1s", spec)
		}
	}
}

// checkPositive reports a duration that was written and is not above zero.
func checkPositive(col *collector, path string, d time.Duration) {
	if d < 0 || (d == 0 && col.ix.has(path)) {
		col.add(path, "must be longer than zero")
	}
}

func checkDeadlines(c *Config, col *collector) {
	d := c.Deadlines
	checkPositive(col, "deadlines.fault_ack", d.FaultAck)
	checkPositive(col, "deadlines.fault_resolve", d.FaultResolve)
	checkPositive(col, "deadlines.fault_device", d.FaultDevice)
	checkPositive(col, "deadlines.fault_line", d.FaultLine)
	checkPositive(col, "deadlines.restart_recheck", d.RestartRecheck)
	checkPositive(col, "deadlines.fault_confirm", d.FaultConfirm)
	checkPositive(col, "deadlines.incident_report", d.IncidentReport)
	checkPositive(col, "deadlines.incident_summary", d.IncidentSummary)
	checkPositive(col, "deadlines.backup_confirm", d.BackupConfirm)
	for i, r := range d.IncidentReportReminders {
		checkPositive(col, fmt.Sprintf("deadlines.incident_report_reminders[%d]", i), r)
	}
	for i, r := range d.IncidentSummaryReminders {
		checkPositive(col, fmt.Sprintf("deadlines.incident_summary_reminders[%d]", i), r)
	}
}

func checkEscalation(c *Config, col *collector) {
	checkChain(col, "escalation.fault", c.Escalation.Fault)
	checkChain(col, "escalation.incident", c.Escalation.Incident)
}

func checkChain(col *collector, path string, chain []faultline.Role) {
	seen := map[faultline.Role]bool{}
	for i, r := range chain {
		p := fmt.Sprintf("%s[%d]", path, i)
		checkRole(col, p, r)
		if seen[r] {
			col.add(p, "%q is listed twice; each role appears once in a chain", r)
		}
		seen[r] = true
	}
}

func checkMonitors(c *Config, col *collector) {
	for i, m := range c.Monitors {
		p := fmt.Sprintf("monitors[%d]", i)
		switch _, ok := faultline.FindSite(c.Sites, m.Site); {
		case m.Site == "":
			col.add(p+".site", "a monitor needs the site it checks")
		case !ok:
			col.add(p+".site", "%q is not a configured site", m.Site)
		}
		checkSchedule(col, p+".schedule", "a monitor", m.Schedule)
		if m.Failures < 0 || (m.Failures == 0 && col.ix.has(p+".failures")) {
			col.add(p+".failures", "must be at least 1")
		}
		if m.RecoverAfter < 0 || m.RecoverAfter > 10 || (m.RecoverAfter == 0 && col.ix.has(p+".recover_after")) {
			col.add(p+".recover_after", "must be between 1 and 10 good checks")
		}
		if !(m.LossAbove >= 0 && m.LossAbove < 100) { // NaN too
			col.add(p+".loss_above", "is a percentage of lost probes, from 0 to 99")
		}
		if _, _, err := parseQuietHours(m.QuietHours); err != nil {
			col.add(p+".quiet_hours", "%q is not a time range; write it like 22:00-07:00", m.QuietHours)
		}
	}
}

// parseQuietHours parses "HH:MM-HH:MM" into minutes after midnight; the
// empty string is no quiet hours, from == to.
func parseQuietHours(s string) (from, to int, err error) {
	if s == "" {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(s, "-")
	if !ok || !reClock.MatchString(a) || !reClock.MatchString(b) {
		return 0, 0, fmt.Errorf("bad quiet hours %q", s)
	}
	return clock(a), clock(b), nil
}

func clock(hhmm string) int {
	return int(hhmm[0]-'0')*600 + int(hhmm[1]-'0')*60 + int(hhmm[3]-'0')*10 + int(hhmm[4]-'0')
}

func checkAnnouncements(c *Config, col *collector) {
	for i, a := range c.Announcements {
		p := fmt.Sprintf("announcements[%d]", i)
		checkSchedule(col, p+".schedule", "an announcement", a.Schedule)
		if strings.TrimSpace(a.Text) == "" {
			col.add(p+".text", "an announcement needs text to post")
		}
		switch {
		case a.Channel != "":
			checkChannel(col, p+".channel", a.Channel)
		case c.Channels.Announcements == "":
			col.add(p+".channel", "an announcement needs a channel: give channel: here or set channels.announcements")
		}
	}
}

func checkProbe(c *Config, col *collector) {
	p := c.Probe
	if p.Count < 0 || p.Count > 20 || (p.Count == 0 && col.ix.has("probe.count")) {
		col.add("probe.count", "must be between 1 and 20")
	}
	checkPositive(col, "probe.interval", p.Interval)
	checkPositive(col, "probe.wait", p.Wait)
	if p.Concurrency < 0 || p.Concurrency > 4096 || (p.Concurrency == 0 && col.ix.has("probe.concurrency")) {
		col.add("probe.concurrency", "must be between 1 and 4096")
	}
}

// checkCalendar: working hours as HH:MM-HH:MM within one day, known day
// names, and dates as YYYY-MM-DD.
func checkCalendar(c *Config, col *collector) {
	cal := c.Calendar
	if cal.WorkingHours != "" {
		from, to, err := parseQuietHours(cal.WorkingHours)
		if err != nil || from >= to {
			col.add("calendar.working_hours", "%q is not a working day's hours; write them like 09:00-18:00", cal.WorkingHours)
		}
	}
	for i, d := range cal.WorkingDays {
		if _, ok := weekdayNames[strings.ToLower(d)]; !ok {
			col.add(fmt.Sprintf("calendar.working_days[%d]", i), "%q is not a day; use mon, tue, wed, thu, fri, sat or sun", d)
		}
	}
	for name, list := range map[string][]string{"holidays": cal.Holidays, "workdays": cal.Workdays} {
		for i, d := range list {
			if _, err := time.Parse("2006-01-02", d); err != nil {
				col.add(fmt.Sprintf("calendar.%s[%d]", name, i), "%q is not a date; write it as YYYY-MM-DD, like 2026-10-01", d)
			}
		}
	}
}
