package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/bot"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/config"
)

// defaultConsoleUser is who you are in the console unless --as says: an
// employee, since reporting is what most people do.
const defaultConsoleUser = "U0EMPLOYEE"

// console runs the flows in the terminal on the configured database, the
// embedded SQLite file unless DATABASE_URL says otherwise.
func (e environment) console(ctx context.Context, args []string) error {
	fs := newFlags("console", e)
	as := fs.String("as", defaultConsoleUser, "the Slack user ID you type as")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	cfg, err := e.loadConfig(true)
	if err != nil {
		return err
	}
	log := quietLogger(e)
	db, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	pinger := prober(cfg, log, prometheus.NewRegistry())
	defer pinger.Close()

	c := bot.NewConsole(e.stdin, e.stdout, *as)
	c.Channels = channelNames(cfg)
	c.Follow = map[string]bool{cfg.Channels.Faults: true, cfg.Channels.Incidents: true}
	c.Describe = func(user string) string { return fmt.Sprintf("%s (%s)", user, cfg.RoleOf(user)) }
	c.People = func() []string { return configPeople(cfg) }
	c.Echo = !isTerminal(e.stdin)
	svc := newService(cfg, commands.Deps{Store: db, Pinger: pinger, Poster: c, Settings: consoleSettings(cfg), Log: log, Now: e.now}, 0)
	if err := svc.Start(ctx); err != nil {
		return err
	}
	c.Handler = svc
	e.consoleBanner(cfg, db.Dialect(), *as)
	tickCtx, stopTick := context.WithCancel(ctx)
	ticked := make(chan struct{})
	go func() {
		defer close(ticked)
		c.Tick(tickCtx, time.Second)
	}()
	err = c.Run(ctx)
	stopTick()
	<-ticked
	return err
}

func (e environment) consoleBanner(cfg *config.Config, dialect, user string) {
	where := "the embedded SQLite file " + strings.TrimPrefix(cfg.Env.DatabaseURL, "sqlite:")
	switch {
	case dialect == "postgres":
		where = "PostgreSQL (DATABASE_URL)"
	case cfg.Env.DatabaseURL == "":
		where = "the embedded SQLite file faultline.db"
	}
	source := cfg.Path
	if cfg.Path == config.DemoPath {
		source = "the built-in demo config (every hop is a loopback address; copy faultline.example.yaml to faultline.yaml for your own)"
	}
	fmt.Fprintf(e.stdout, "Faultline console · config: %s · data: %s · you are %s (%s)\n\n",
		source, where, user, cfg.RoleOf(user))
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
func configPeople(cfg *config.Config) []string {
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
				names[i] = string(x)
			}
			out = append(out, fmt.Sprintf("%s (%s)", u, strings.Join(names, ", ")))
		}
	}
	return out
}
