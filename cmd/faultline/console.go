package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/bot"
	"github.com/faultline/faultline/catalog"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/config"
	"github.com/faultline/faultline/probe"
	"github.com/faultline/faultline/storage"
)

// defaultConsoleUser is who you are in the console unless --as says: an
// employee, since reporting is what most people do.
const defaultConsoleUser = "U0EMPLOYEE"

// demoDuty is the built-in demo's duty of the console's default user.
const demoDuty = "desk-backup"

// console runs the flows in the terminal on the configured database, the
// embedded SQLite file unless DATABASE_URL says otherwise.
func (e environment) console(ctx context.Context, args []string) error {
	fs := newFlags("console", e)
	as := fs.String("as", defaultConsoleUser, "the Slack user ID you type as")
	lang := fs.String("language", "", "zh or en: the language the bot speaks (default the config's)")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	cfg, err := e.loadConfig(true)
	if err != nil {
		return err
	}
	switch *lang {
	case "":
	case "zh", "en":
		cfg.Language = *lang
	default:
		return usageError{fmt.Sprintf("--language is zh or en, not %q", *lang)}
	}
	log := quietLogger(e)
	db, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	// The demo's network is simulated, so it can break (every 127/8
	// address answers on Linux); a real config is pinged for real.
	var pinger commands.Pinger
	var demo *probe.Simulated
	if cfg.Path == config.DemoPath {
		demo = &probe.Simulated{}
		pinger = demo
	} else {
		p := prober(cfg, log, prometheus.NewRegistry())
		defer p.Close()
		pinger = p
	}

	c := bot.NewConsole(e.stdin, e.stdout, *as)
	c.Channels = channelNames(cfg)
	c.Follow = map[string]bool{cfg.Channels.Faults: true, cfg.Channels.Incidents: true}
	cat := catalog.New(catalog.Lang(cfg.Language))
	c.Cat = cat
	c.Describe = func(user string) string {
		return cat.T("console.who", user, commands.RoleName(cat, cfg.RoleOf(user)))
	}
	c.People = func() []string { return configPeople(cfg, cat) }
	if demo != nil {
		c.Extra = map[string]func(string) string{
			":break": func(hop string) string { return breakHop(cfg, cat, demo, hop, true) },
			":fix":   func(hop string) string { return breakHop(cfg, cat, demo, hop, false) },
		}
	}
	c.Echo = !isTerminal(e.stdin)
	c.Now = e.now
	var hooks commands.HookSender
	if len(cfg.Webhooks) > 0 {
		hooks = c // the console shows what the robots would get; it sends nothing
	}
	svc := newService(cfg, commands.Deps{Store: db, Pinger: pinger, Poster: c, Hooks: hooks, Settings: consoleSettings(cfg), Log: log, Now: e.now}, 0)
	if err := svc.Start(ctx); err != nil {
		return err
	}
	c.Handler = svc
	if demo != nil {
		// On a fresh database the demo's own duty comes due a minute from
		// now, so a newcomer sees a reminder without waiting for its
		// schedule; later runs leave it to its schedule.
		if d, err := db.Duty(ctx, demoDuty); err == nil {
			if past, err := db.DutyOccurrences(ctx, d.ID, 1); err == nil && len(past) == 0 {
				if err := db.SetDutyPaused(ctx, demoDuty, false, e.now().Add(time.Minute), e.now()); err != nil {
					log.WarnContext(ctx, "demo duty", "err", err)
				}
			}
		}
	}
	e.consoleBanner(cfg, cat, db.Dialect(), *as)
	tickCtx, stopTick := context.WithCancel(ctx)
	ticked := make(chan struct{})
	go func() {
		defer close(ticked)
		tick := time.Second
		if e.tick > 0 {
			tick = e.tick
		}
		c.Tick(tickCtx, tick)
	}()
	err = c.Run(ctx)
	stopTick()
	<-ticked
	return err
}

func (e environment) consoleBanner(cfg *config.Config, cat catalog.Catalog, dialect, user string) {
	where := cat.T("console.data_sqlite", strings.TrimPrefix(cfg.Env.DatabaseURL, "sqlite:"))
	switch {
	case dialect == "postgres":
		where = cat.T("console.data_postgres")
	case cfg.Env.DatabaseURL == "":
		where = cat.T("console.data_sqlite", storage.DefaultSQLiteFile)
	}
	source := cfg.Path
	if cfg.Path == config.DemoPath {
		source = cat.T("console.demo_source")
	}
	fmt.Fprintf(e.stdout, "%s\n\n", cat.T("console.banner", source, where, user, commands.RoleName(cat, cfg.RoleOf(user))))
}

func channelNames(cfg *config.Config) map[string]string {
	names := map[string]string{}
	for id, name := range map[string]string{
		cfg.Channels.Faults: "faults", cfg.Channels.Incidents: "incidents", cfg.Channels.Announcements: "announcements",
	} {
		if id != "" {
			names[id] = name
		}
	}
	return names
}

func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// consoleSettings sends as fast as the terminal takes it, one message at a
// time, so the conversation reads in order.
func consoleSettings(cfg *config.Config) commands.Settings {
	set := settings(cfg, 0)
	set.Parallel = 1
	return set
}

// configPeople is everyone the config names, with their roles, in role
// order.
func configPeople(cfg *config.Config, cat catalog.Catalog) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range faultline.Roles {
		for _, u := range cfg.Roles[r] {
			if seen[u] {
				continue
			}
			seen[u] = true
			roles := cfg.RolesOf(u)
			names := make([]string, len(roles))
			for i, x := range roles {
				names[i] = commands.RoleName(cat, x)
			}
			out = append(out, fmt.Sprintf("%s (%s)", u, strings.Join(names, ", ")))
		}
	}
	return out
}

// breakHop silences (or mends) a hop of the demo's simulated network, by
// its name or host, and every hop behind it on each path that passes it,
// as a dead router cuts off what lies beyond.
func breakHop(cfg *config.Config, cat catalog.Catalog, net *probe.Simulated, name string, down bool) string {
	hop, ok := faultline.FindHop(cfg.Sites, strings.TrimSpace(name))
	if !ok {
		var names []string
		for _, s := range cfg.Sites {
			for _, h := range s.Path {
				names = append(names, h.Name+" ("+h.Host+")")
			}
		}
		return cat.T("console.break_usage", strings.Join(names, ", "))
	}
	hosts := map[string]bool{}
	for _, s := range cfg.Sites {
		if at := s.HopIndex(faultline.HopKey(hop)); at >= 0 {
			for _, h := range s.Path[at:] {
				hosts[h.Host] = true
			}
		}
	}
	list := make([]string, 0, len(hosts))
	for h := range hosts {
		list = append(list, h)
	}
	slices.Sort(list)
	if down {
		net.Break(list...)
		return cat.T("console.broken", hop.Name, hop.Host, strings.Join(list, ", "))
	}
	net.Fix(list...)
	return cat.T("console.fixed", hop.Name, hop.Host)
}
