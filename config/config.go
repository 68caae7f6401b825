// Package config turns Faultline's YAML file and its environment variables
// into a validated Config. It reports every mistake at once, each with the
// line it is on, so `faultline check-config` can explain a file in one run.
// It is a leaf package: it imports only the root package, yaml and cron.
package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
	_ "time/tzdata" // time zones must load on minimal images too

	"github.com/faultline/faultline"
	"go.yaml.in/yaml/v3"
)

// Config is a validated configuration with its defaults applied. Load,
// Parse and Demo return it; nothing else should build one by hand except
// tests.
type Config struct {
	Timezone      string                      `yaml:"timezone"`
	Language      string                      `yaml:"language"`
	Channels      Channels                    `yaml:"channels"`
	Roles         map[faultline.Role][]string `yaml:"roles"`
	Sites         []faultline.Site            `yaml:"sites"`
	Devices       []faultline.Device          `yaml:"devices"`
	Lines         []faultline.Line            `yaml:"lines"`
	Backups       []Backup                    `yaml:"backups"`
	Deadlines     Deadlines                   `yaml:"deadlines"`
	Escalation    Escalation                  `yaml:"escalation"`
	Monitors      []Monitor                   `yaml:"monitors"`
	Announcements []Announcement              `yaml:"announcements"`
	Probe         Probe                       `yaml:"probe"`
	Compliance    Compliance                  `yaml:"compliance"`
	Retention     Retention                   `yaml:"retention"`
	Webhooks      []Webhook                   `yaml:"webhooks"`
	Calendar      Calendar                    `yaml:"calendar"`
	Digest        Digest                      `yaml:"digest"`
	Outbox        Outbox                      `yaml:"outbox"`
	Outages       Outages                     `yaml:"outages"`
	Maintenance   []Maintenance               `yaml:"maintenance"`

	Env      Env            `yaml:"-"` // from the environment, never from the file
	Location *time.Location `yaml:"-"` // Timezone, loaded
	Path     string         `yaml:"-"` // where the config came from
}

// Channels are the Slack channel IDs the bot posts in.
type Channels struct {
	Faults        string `yaml:"faults"`
	Incidents     string `yaml:"incidents"` // private: incidents are never posted in public
	Announcements string `yaml:"announcements"`
}

// Backup is a backup duty (督促终端用户定时对关键数据进行备份). After Load,
// Owners lists every owner: a duty written with owner: has it as the only
// element, and Owner keeps what was written.
type Backup struct {
	Name         string         `yaml:"name"`
	Owner        string         `yaml:"owner"`
	Owners       []string       `yaml:"owners"`
	Schedule     string         `yaml:"schedule"`     // 5-field cron or a descriptor, in Config.Location
	Grace        time.Duration  `yaml:"grace"`        // default Deadlines.BackupConfirm
	EscalateTo   faultline.Role `yaml:"escalate_to"`  // default it_supervisor
	Instructions string         `yaml:"instructions"` // shown in the reminder
}

// Deadlines are the procedure's time limits (风险点). All are positive after
// Load.
type Deadlines struct {
	FaultAck        time.Duration `yaml:"fault_ack"`        // default 15m
	FaultResolve    time.Duration `yaml:"fault_resolve"`    // default 4h
	FaultDevice     time.Duration `yaml:"fault_device"`     // default 2h: a device fault open this long (硬件设施故障短时间无法恢复)
	FaultLine       time.Duration `yaml:"fault_line"`       // default 4h: a line fault open this long, unless the line has its own sla
	RestartRecheck  time.Duration `yaml:"restart_recheck"`  // default 3m: after a confirmed restart, check the path again
	FaultConfirm    time.Duration `yaml:"fault_confirm"`    // default 30m: the reporter's time to answer before a technician may confirm for them
	IncidentReport  time.Duration `yaml:"incident_report"`  // default 1h
	IncidentSummary time.Duration `yaml:"incident_summary"` // default 72h
	BackupConfirm   time.Duration `yaml:"backup_confirm"`   // default 2h

	// Reminders before the incident report and the summary report are due,
	// as time left: default [30m, 10m] and [24h, 4h].
	IncidentReportReminders  []time.Duration `yaml:"incident_report_reminders"`
	IncidentSummaryReminders []time.Duration `yaml:"incident_summary_reminders"`
}

// Escalation holds the ordered chains of roles an overdue item climbs, one
// step at a time. Both are non-empty after Load.
type Escalation struct {
	Fault    []faultline.Role `yaml:"fault"`    // default maintainer, it_supervisor, dept_head, hq_netadmin
	Incident []faultline.Role `yaml:"incident"` // default dept_head, exec
}

// Monitor pings a site's path on a schedule and opens a fault ticket after
// Failures consecutive failed checks. Site is the configured site's name or
// alias as written.
type Monitor struct {
	Site       string `yaml:"site"`
	Schedule   string `yaml:"schedule"`
	Failures   int    `yaml:"failures"`    // default 3
	QuietHours string `yaml:"quiet_hours"` // optional "22:00-07:00": no tickets opened then
	// RecoverAfter good checks in a row clear an outage: default 2, 1..10.
	RecoverAfter int `yaml:"recover_after"`
	// LossAbove (a percentage, 0..99) counts a hop losing more of its
	// probes than this as failing; 0, the default, only total silence.
	LossAbove float64 `yaml:"loss_above"`
}

// Outages tune how reports fold into one ticket per outage.
type Outages struct {
	// CheckReuse: a site's path check is shared with the reports that
	// come within this long of it; default 10s, at most 5m.
	CheckReuse time.Duration `yaml:"check_reuse"`
	// EscalateAbove: when more people than this report one ticket, its
	// chain moves one level up at once; 0 (the default) never.
	EscalateAbove int `yaml:"escalate_above"`
	// MaxMaintenance is the longest window /fault maintenance may open;
	// default 24h.
	MaxMaintenance time.Duration `yaml:"max_maintenance"`
}

// Maintenance is a planned maintenance window on a site or a hop (by its
// name or host): from Start (a time "2006-01-02 15:04" in the config's
// zone, or a cron schedule for a recurring window) for Duration.
type Maintenance struct {
	Site     string        `yaml:"site"`
	Hop      string        `yaml:"hop"`
	Start    string        `yaml:"start"`
	Duration time.Duration `yaml:"duration"`
	Reason   string        `yaml:"reason"`
}

// Announcement is a scheduled post, such as the antivirus-definition
// bulletin (病毒库更新通报). Channel is never empty after Load.
type Announcement struct {
	Name     string `yaml:"name"` // default "announcement N"
	Schedule string `yaml:"schedule"`
	Channel  string `yaml:"channel"` // default Channels.Announcements
	Text     string `yaml:"text"`
}

// Calendar limits duty reminders and escalations to working time: working
// hours on working days, minus holidays, plus make-up working days (调休).
// Without it, duties ping at any hour. Faults and incidents ignore it.
type Calendar struct {
	WorkingHours string   `yaml:"working_hours"` // "09:00-18:00"
	WorkingDays  []string `yaml:"working_days"`  // default mon…fri
	Holidays     []string `yaml:"holidays"`      // YYYY-MM-DD
	Workdays     []string `yaml:"workdays"`      // make-up working days, YYYY-MM-DD
}

// Digest is the weekly summary for the department head.
type Digest struct {
	Schedule string         `yaml:"schedule"` // default "0 9 * * 1", Monday 09:00
	To       faultline.Role `yaml:"to"`       // default dept_head
}

// Outbox tunes the queue of messages to Slack.
type Outbox struct {
	// Retention is how long a sent message's record is kept (its text is
	// dropped when it is sent); default 168h, a week. Given-up messages
	// stay until retried.
	Retention time.Duration `yaml:"retention"`
}

// Probe tunes the ICMP checks of a path.
type Probe struct {
	Count       int           `yaml:"count"`       // echo requests per hop, 1..20, default 3
	Interval    time.Duration `yaml:"interval"`    // between requests, default 20ms
	Wait        time.Duration `yaml:"wait"`        // for the last reply, default 1s
	Concurrency int           `yaml:"concurrency"` // hosts pinged at once; default (0) the prober's: 256, or 64 on raw sockets
}

// DemoPath is the Path of the built-in demo config.
const DemoPath = "(built-in demo)"

//go:embed demo.yaml
var demoYAML []byte

// Load reads and validates the config file at path, with the environment
// read through getenv. Choosing the path (FAULTLINE_CONFIG) is the caller's
// business. A file that cannot be read is a plain error; a file with
// mistakes yields a *Problems listing all of them.
func Load(path string, getenv func(string) string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(data, path, getenv)
}

// Parse validates data, a config file called name (used in problems and as
// Config.Path), with the environment read through getenv (nil reads
// nothing). On any mistake, in the file or the environment, it returns nil
// and a *Problems listing them all in line order.
func Parse(data []byte, name string, getenv func(string) string) (*Config, error) {
	col := &collector{}
	env := readEnv(getenv, col)
	c := parseFile(data, col)
	if err := col.err(name); err != nil {
		return nil, err
	}
	c.applyDefaults()
	c.Env, c.Path = env, name
	return c, nil
}

// parseFile decodes and validates the file, recording problems in col. It
// returns nil, having recorded why, when the file is not even a YAML
// mapping.
func parseFile(data []byte, col *collector) *Config {
	root, ok := parseTree(data, col)
	if !ok {
		return nil
	}
	col.ix = buildIndex(root)
	c := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		decodeProblems(data, err, col)
	}
	validate(c, col)
	return c
}

// parseTree parses data into its top-level mapping node, or records why it
// cannot: a syntax error, an empty file, a file that is not a mapping.
func parseTree(data []byte, col *collector) (*yaml.Node, bool) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	err := dec.Decode(&doc)
	if err == nil {
		var extra yaml.Node
		if dec.Decode(&extra) == nil && len(extra.Content) > 0 && extra.Content[0].ShortTag() != "!!null" {
			col.at(extra.Line, "", "a second YAML document starts here (after ---), and Faultline reads only the first: merge the two, or remove the ---")
		}
	}
	switch {
	case errors.Is(err, io.EOF):
		col.at(1, "", "the file is empty; it needs at least a sites: section")
		return nil, false
	case err != nil:
		syntaxProblem(data, err, col)
		return nil, false
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	switch {
	case root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null":
		col.at(1, "", "the file is empty; it needs at least a sites: section")
	case root.Kind != yaml.MappingNode:
		col.at(root.Line, "", "the file must be a mapping of sections (timezone:, sites:, ...), not %s", describe(root))
	default:
		return root, true
	}
	return nil, false
}

// Demo is the built-in demo config: two sites whose hops are all loopback
// addresses (127.x.y.z), so every check answers on any machine, an
// inventory, demo users (U0DEMOTECH, ...) and channels (C0FAULTS, ...). Its
// Path is DemoPath. The environment is read through getenv with defaults
// but, as Demo cannot fail, not validated; use ReadEnv for that.
func Demo(getenv func(string) string) *Config {
	c, err := Parse(demoYAML, DemoPath, nil)
	if err != nil {
		panic("config: built-in demo is invalid: " + err.Error()) // a test guards this
	}
	c.Env = readEnv(getenv, &collector{})
	return c
}
