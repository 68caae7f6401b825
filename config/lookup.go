package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/faultline/faultline"
)

// Defaults for what the file leaves out.
const (
	DefaultTimezone = "Asia/Shanghai"
	DefaultLanguage = "zh"
)

// applyDefaults fills what the file left out; c has passed validation.
func (c *Config) applyDefaults() {
	if c.Timezone == "" {
		c.Timezone = DefaultTimezone
	}
	c.Location, _ = time.LoadLocation(c.Timezone) // validated
	if c.Language == "" {
		c.Language = DefaultLanguage
	}
	c.Deadlines.applyDefaults()
	if c.Digest.Schedule == "" {
		c.Digest.Schedule = "0 9 * * 1"
	}
	if c.Digest.To == "" {
		c.Digest.To = faultline.RoleDeptHead
	}
	c.Compliance.applyDefaults()
	for i := range c.Webhooks {
		c.Webhooks[i].applyDefaults()
	}
	if len(c.Escalation.Fault) == 0 {
		c.Escalation.Fault = []faultline.Role{faultline.RoleMaintainer, faultline.RoleITSupervisor, faultline.RoleDeptHead, faultline.RoleHQNetadmin}
	}
	if len(c.Escalation.Incident) == 0 {
		c.Escalation.Incident = []faultline.Role{faultline.RoleDeptHead, faultline.RoleExec}
	}
	c.applyDutyDefaults()
	c.Probe.applyDefaults()
	orDefault(&c.Outbox.Retention, 7*24*time.Hour)
	orDefault(&c.Outages.CheckReuse, 10*time.Second)
	orDefault(&c.Outages.MaxMaintenance, 24*time.Hour)
}

func (d *Deadlines) applyDefaults() {
	orDefault(&d.FaultAck, 15*time.Minute)
	orDefault(&d.FaultResolve, 4*time.Hour)
	orDefault(&d.FaultDevice, 2*time.Hour)
	orDefault(&d.FaultLine, 4*time.Hour)
	orDefault(&d.RestartRecheck, 3*time.Minute)
	orDefault(&d.FaultConfirm, 30*time.Minute)
	orDefault(&d.IncidentReport, time.Hour)
	orDefault(&d.IncidentSummary, 72*time.Hour)
	orDefault(&d.BackupConfirm, 2*time.Hour)
	if d.IncidentReportReminders == nil {
		d.IncidentReportReminders = []time.Duration{30 * time.Minute, 10 * time.Minute}
	}
	if d.IncidentSummaryReminders == nil {
		d.IncidentSummaryReminders = []time.Duration{24 * time.Hour, 4 * time.Hour}
	}
}

func (p *Probe) applyDefaults() {
	if p.Count == 0 {
		p.Count = 3
	}
	orDefault(&p.Interval, 20*time.Millisecond)
	orDefault(&p.Wait, time.Second)
	// Concurrency stays 0 unless written: the prober's own default (256
	// hosts, 64 on raw sockets) then applies.
}

func (c *Config) applyDutyDefaults() {
	for i := range c.Backups {
		b := &c.Backups[i]
		if b.Owner != "" {
			b.Owners = []string{b.Owner}
		}
		orDefault(&b.Grace, c.Deadlines.BackupConfirm)
		if b.EscalateTo == "" {
			b.EscalateTo = faultline.RoleITSupervisor
		}
	}
	for i := range c.Monitors {
		if c.Monitors[i].Failures == 0 {
			c.Monitors[i].Failures = 3
		}
		if c.Monitors[i].RecoverAfter == 0 {
			c.Monitors[i].RecoverAfter = 2
		}
	}
	for i := range c.Announcements {
		a := &c.Announcements[i]
		if a.Channel == "" {
			a.Channel = c.Channels.Announcements
		}
		if a.Name == "" {
			a.Name = fmt.Sprintf("announcement %d", i+1)
		}
	}
	for i := range c.Devices {
		if c.Devices[i].Label == "" {
			c.Devices[i].Label = c.Devices[i].ID
		}
	}
}

func orDefault(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}

// Summary is a one-line account of a valid config for check-config, like
// "ok: 2 sites, 9 hops, 4 roles (7 people), 3 devices, 2 lines, 1 backup
// duty, timezone Asia/Shanghai, language zh". Roles count the roles with at
// least one member; people count distinct user IDs.
func (c *Config) Summary() string {
	hops, roles := 0, 0
	people := map[string]bool{}
	for _, s := range c.Sites {
		hops += len(s.Path)
	}
	for _, ids := range c.Roles {
		if len(ids) > 0 {
			roles++
		}
		for _, id := range ids {
			people[id] = true
		}
	}
	return fmt.Sprintf("ok: %s, %s, %s (%s), %s, %s, %s, timezone %s, language %s",
		count(len(c.Sites), "site", "sites"), count(hops, "hop", "hops"),
		count(roles, "role", "roles"), count(len(people), "person", "people"),
		count(len(c.Devices), "device", "devices"), count(len(c.Lines), "line", "lines"),
		count(len(c.Backups), "backup duty", "backup duties"), c.Timezone, c.Language)
}

func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// RoleOf is the first role, in faultline.Roles order, whose members include
// user; RoleEmployee when none does.
func (c *Config) RoleOf(user string) faultline.Role {
	if roles := c.RolesOf(user); len(roles) > 0 {
		return roles[0]
	}
	return faultline.RoleEmployee
}

// RolesOf lists every role whose members include user, in faultline.Roles
// order; empty for an employee.
func (c *Config) RolesOf(user string) []faultline.Role {
	var roles []faultline.Role
	for _, r := range faultline.Roles {
		for _, id := range c.Roles[r] {
			if id == user {
				roles = append(roles, r)
				break
			}
		}
	}
	return roles
}

// Members lists the user IDs configured for role, as written; nil for
// RoleEmployee or a role nobody holds. The slice is a copy.
func (c *Config) Members(role faultline.Role) []string {
	if len(c.Roles[role]) == 0 {
		return nil
	}
	return append([]string(nil), c.Roles[role]...)
}

// Site finds a site by name or alias, ignoring case; false when none has it.
func (c *Config) Site(name string) (faultline.Site, bool) {
	return faultline.FindSite(c.Sites, name)
}

// Device finds an inventory device by id, ignoring case; false when absent.
func (c *Config) Device(id string) (faultline.Device, bool) {
	for _, d := range c.Devices {
		if strings.EqualFold(d.ID, id) {
			return d, true
		}
	}
	return faultline.Device{}, false
}

// Line finds an inventory line by id, ignoring case; false when absent.
func (c *Config) Line(id string) (faultline.Line, bool) {
	for _, l := range c.Lines {
		if strings.EqualFold(l.ID, id) {
			return l, true
		}
	}
	return faultline.Line{}, false
}

// Quiet reports whether t, taken in loc, falls in the monitor's quiet hours
// ("22:00-07:00" spans midnight). Without quiet hours it is never quiet.
func (m Monitor) Quiet(t time.Time, loc *time.Location) bool {
	from, to, err := parseQuietHours(m.QuietHours)
	if err != nil || from == to {
		return false
	}
	t = t.In(loc)
	now := t.Hour()*60 + t.Minute()
	if from < to {
		return now >= from && now < to
	}
	return now >= from || now < to
}

// weekdayNames are the names working_days accepts.
var weekdayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// WorkCalendar is the calendar as the rules read it; disabled when the
// config has no working_hours.
func (c *Config) WorkCalendar() faultline.Calendar {
	cal := c.Calendar
	from, to, err := parseQuietHours(cal.WorkingHours)
	if cal.WorkingHours == "" || err != nil {
		return faultline.Calendar{}
	}
	out := faultline.Calendar{Enabled: true, Start: from, End: to, Location: c.Location,
		Holidays: dateSet(cal.Holidays), Workdays: dateSet(cal.Workdays)}
	days := cal.WorkingDays
	if len(days) == 0 {
		days = []string{"mon", "tue", "wed", "thu", "fri"}
	}
	for _, d := range days {
		out.Weekdays[weekdayNames[strings.ToLower(d)]] = true
	}
	return out
}

func dateSet(days []string) map[string]bool {
	set := map[string]bool{}
	for _, d := range days {
		set[d] = true
	}
	return set
}

// QuietRange is the monitor's quiet hours as minutes after midnight; equal
// values mean never quiet.
// StartTime is a one-time window's start in loc, or false for a
// recurring one (Start is a cron schedule).
func (m Maintenance) StartTime(loc *time.Location) (time.Time, bool) {
	t, err := time.ParseInLocation("2006-01-02 15:04", strings.TrimSpace(m.Start), loc)
	return t, err == nil
}

func (m Monitor) QuietRange() (from, to int) {
	from, to, err := parseQuietHours(m.QuietHours)
	if err != nil {
		return 0, 0
	}
	return from, to
}
