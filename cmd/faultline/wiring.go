package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/catalog"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/config"
	"github.com/faultline/faultline/jobs"
	"github.com/faultline/faultline/probe"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/webhook"
)

// configPath is FAULTLINE_CONFIG or faultline.yaml.
func (e environment) configPath() string {
	if p := e.getenv("FAULTLINE_CONFIG"); p != "" {
		return p
	}
	return "faultline.yaml"
}

// loadConfig reads the config file. With allowDemo, a missing default file
// means the built-in demo config; a missing file named by FAULTLINE_CONFIG
// is always an error.
func (e environment) loadConfig(allowDemo bool) (*config.Config, error) {
	path := e.configPath()
	cfg, err := config.Load(path, e.getenv)
	if err == nil {
		return cfg, nil
	}
	if errors.Is(err, fs.ErrNotExist) && allowDemo && e.getenv("FAULTLINE_CONFIG") == "" {
		return config.Demo(e.getenv), nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no config file at %s: copy faultline.example.yaml there and edit it, or set FAULTLINE_CONFIG", path)
	}
	return nil, err
}

// settings is the flows' view of the config. pace is the least time
// between two messages to one channel.
func settings(cfg *config.Config, pace time.Duration) commands.Settings {
	d := cfg.Deadlines
	return commands.Settings{
		Language:      catalog.Lang(cfg.Language),
		Location:      cfg.Location,
		FaultsChannel: cfg.Channels.Faults,
		Sites:         cfg.Sites,
		Devices:       cfg.Devices,
		Lines:         cfg.Lines,
		Roles:         cfg.Roles,
		Escalation:    cfg.Escalation.Fault,
		Deadlines: commands.Deadlines{
			Ack: d.FaultAck, Resolve: d.FaultResolve, Device: d.FaultDevice, Line: d.FaultLine,
			RestartRecheck: d.RestartRecheck, Confirm: d.FaultConfirm,
		},
		Pace: pace,
		Outage: commands.OutageSettings{CheckReuse: cfg.Outages.CheckReuse, EscalateAbove: cfg.Outages.EscalateAbove,
			MaxWindow: cfg.Outages.MaxMaintenance},
		Maintenance: planned(cfg),

		IncidentsChannel:     cfg.Channels.Incidents,
		AnnouncementsChannel: cfg.Channels.Announcements,
		IncidentEscalation:   cfg.Escalation.Incident,
		Incident: commands.IncidentClocks{
			Report: d.IncidentReport, Summary: d.IncidentSummary,
			ReportReminders: d.IncidentReportReminders, SummaryReminders: d.IncidentSummaryReminders,
		},
		Compliance: compliance(cfg.Compliance),
		Hooks:      hooks(cfg.Webhooks),

		Duties:        duties(cfg.Backups),
		DutyGrace:     d.BackupConfirm,
		Calendar:      cfg.WorkCalendar(),
		Announcements: announcements(cfg.Announcements),
		Monitors:      monitors(cfg),
		Digest:        commands.DigestSpec{Schedule: cfg.Digest.Schedule, To: cfg.Digest.To},
	}
}

func duties(list []config.Backup) []faultline.Duty {
	out := make([]faultline.Duty, len(list))
	for i, b := range list {
		out[i] = faultline.Duty{Name: b.Name, Owners: b.Owners, Schedule: b.Schedule, Grace: b.Grace,
			EscalateTo: b.EscalateTo, Instructions: b.Instructions}
	}
	return out
}

func announcements(list []config.Announcement) []commands.AnnouncementSpec {
	out := make([]commands.AnnouncementSpec, len(list))
	for i, a := range list {
		out[i] = commands.AnnouncementSpec{Name: a.Name, Schedule: a.Schedule, Channel: a.Channel, Text: a.Text}
	}
	return out
}

// planned are the config's maintenance windows, on sites by their
// configured names and on hops by their keys.
func planned(cfg *config.Config) []commands.PlannedWindow {
	var out []commands.PlannedWindow
	for _, m := range cfg.Maintenance {
		p := commands.PlannedWindow{Duration: m.Duration, Reason: m.Reason}
		if site, ok := cfg.Site(m.Site); ok {
			p.Site = site.Name
		} else if hop, ok := faultline.FindHop(cfg.Sites, m.Hop); ok {
			p.Hop, p.HopKey = hop.Name, faultline.HopKey(hop)
		} else {
			continue
		}
		if at, ok := m.StartTime(cfg.Location); ok {
			p.At = at
		} else {
			p.Schedule = m.Start
		}
		out = append(out, p)
	}
	return out
}

// monitors names each monitor by its site's configured name, whatever
// alias the config used.
func monitors(cfg *config.Config) []commands.MonitorSpec {
	out := make([]commands.MonitorSpec, 0, len(cfg.Monitors))
	for _, m := range cfg.Monitors {
		site, ok := cfg.Site(m.Site)
		if !ok {
			continue
		}
		from, to := m.QuietRange()
		out = append(out, commands.MonitorSpec{Site: site.Name, Schedule: m.Schedule, Failures: m.Failures, QuietFrom: from, QuietTo: to,
			RecoverAfter: m.RecoverAfter, LossAbove: m.LossAbove / 100})
	}
	return out
}

// newService builds the flows for a command: the config's settings, the
// schedules read in its time zone.
func newService(cfg *config.Config, d commands.Deps, pace time.Duration) *commands.Service {
	if d.Settings.FaultsChannel == "" {
		d.Settings = settings(cfg, pace)
	}
	d.Scheduler = jobs.Schedules{Location: cfg.Location}
	if d.Retention == 0 {
		d.Retention = cfg.Outbox.Retention
	}
	d.Keep = commands.Keep{Faults: cfg.Retention.Faults, Incidents: cfg.Retention.Incidents}
	return commands.New(d)
}

func compliance(c config.Compliance) commands.ComplianceSettings {
	return commands.ComplianceSettings{
		Operator: c.Operator, Unit: c.Unit, National: c.Scheme == "national", Levels: c.Levels, Categories: c.Categories,
		Deadlines: c.Deadlines, Authority: c.Authority, Role: c.Role, Reminders: c.Reminders, Supplement: c.Supplement, Note: c.Note,
	}
}

func hooks(list []config.Webhook) []commands.HookSpec {
	out := make([]commands.HookSpec, len(list))
	for i, w := range list {
		out[i] = commands.HookSpec{Name: w.Name, Topics: w.Send, Full: w.Detail == "full", Language: catalog.Lang(w.Language), PerMinute: w.PerMinute}
	}
	return out
}

// robots sends to the config's group robots, or is nil without any.
func robots(cfg *config.Config) commands.HookSender {
	if len(cfg.Webhooks) == 0 {
		return nil
	}
	list := make([]webhook.Robot, len(cfg.Webhooks))
	for i, w := range cfg.Webhooks {
		list[i] = webhook.Robot{Name: w.Name, Kind: w.Kind, URL: w.URL, Secret: w.Secret}
	}
	return webhook.New(list, nil, nil)
}

func prober(cfg *config.Config, log *slog.Logger, reg prometheus.Registerer) *probe.Prober {
	return probe.New(probe.Options{
		Count: cfg.Probe.Count, Interval: cfg.Probe.Interval,
		Wait: cfg.Probe.Wait, Concurrency: cfg.Probe.Concurrency,
	}, log, reg)
}

func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (*storage.DB, error) {
	return storage.Open(ctx, cfg.Env.DatabaseURL, log)
}

func (e environment) migrate(ctx context.Context, args []string) error {
	if help, err := parseFlags(newFlags("migrate", e), args); help || err != nil {
		return err
	}
	env, err := config.ReadEnv(e.getenv)
	if err != nil {
		return err
	}
	loc := time.UTC // times in the configured zone, when there is a config
	if cfg, err := config.Load(e.configPath(), e.getenv); err == nil {
		loc = cfg.Location
	}
	// The store logs each migration it applies; those are the ones now.
	seen := &appliedNow{Handler: quietLogger(e).Handler(), versions: map[int64]bool{}}
	db, err := storage.Open(ctx, env.DatabaseURL, slog.New(seen))
	if err != nil {
		return err
	}
	defer db.Close()
	list, err := db.Migrations(ctx)
	if err != nil {
		return err
	}
	if n := len(seen.versions); n > 0 {
		fmt.Fprintf(e.stdout, "%s database: applied %d migration(s) now; it is up to date:\n", db.Dialect(), n)
	} else {
		fmt.Fprintf(e.stdout, "%s database was up to date; nothing applied:\n", db.Dialect())
	}
	for _, m := range list {
		now := ""
		if seen.versions[int64(m.Version)] {
			now = ", now"
		}
		fmt.Fprintf(e.stdout, "  %d  %s  (applied %s%s)\n", m.Version, m.Name, m.AppliedAt.In(loc).Format("2006-01-02 15:04:05 MST"), now)
	}
	return nil
}

// appliedNow notes the versions of the "applied migration" log records
// that pass through it, and passes every record on.
type appliedNow struct {
	slog.Handler
	mu       sync.Mutex
	versions map[int64]bool
}

func (h *appliedNow) Enabled(context.Context, slog.Level) bool { return true }

func (h *appliedNow) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "applied migration" {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "version" {
				h.mu.Lock()
				h.versions[a.Value.Int64()] = true
				h.mu.Unlock()
			}
			return true
		})
	}
	if !h.Handler.Enabled(ctx, r.Level) {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (e environment) checkConfig(args []string) error {
	if len(args) > 1 {
		return usageError{"check-config takes at most one path"}
	}
	path := e.configPath()
	if len(args) == 1 {
		path = args[0]
	}
	cfg, err := config.Load(path, e.getenv)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no config file at %s: copy faultline.example.yaml there and edit it", path)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %s\n", path, cfg.Summary())
	// Valid, but a procedure nobody can work: say so, without failing.
	if !slices.ContainsFunc(faultline.Technicians, func(r faultline.Role) bool { return len(cfg.Roles[r]) > 0 }) {
		fmt.Fprintf(e.stdout, "%s: warning: no one holds a technician role (%s under roles:), so nobody can take a ticket\n",
			path, joinRoles(faultline.Technicians))
	}
	return nil
}

func joinRoles(roles []faultline.Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// parseFlags parses a subcommand's flags; -h prints its usage and is not
// an error, and arguments after the flags are refused.
func parseFlags(fs *flag.FlagSet, args []string) (help bool, err error) {
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return true, nil
	} else if err != nil {
		return false, usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return false, usageError{fmt.Sprintf("%s takes no arguments, got %q", fs.Name(), fs.Args())}
	}
	return false, nil
}

func newFlags(name string, e environment) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// quietLogger logs warnings and errors only, as text: for commands whose
// stdout is for people.
func quietLogger(e environment) *slog.Logger {
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// siteStates is each site's state for the site gauge.
func siteStates(ctx context.Context, svc *commands.Service) (map[string]string, error) {
	states, err := svc.Status(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(states))
	for _, st := range states {
		out[st.Site] = string(st.State)
	}
	return out, nil
}

// parseInterspersed parses fs's flags wherever they stand among the
// arguments (export I-3 --form external as well as export --form external
// I-3) and returns the arguments that are not flags, in order.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional, args = append(positional, fs.Arg(0)), fs.Args()[1:]
	}
}
