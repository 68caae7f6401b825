package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"

	"github.com/faultline/faultline/bot"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/config"
	"github.com/faultline/faultline/jobs"
	"github.com/faultline/faultline/metrics"
)

// serve runs the bot until ctx ends. Shutdown order: the transports stop
// taking requests and drain their background work, then the prober's
// sockets close, then the database.
func (e environment) serve(ctx context.Context, args []string) error {
	if help, err := parseFlags(newFlags("serve", e), args); help || err != nil {
		return err
	}
	cfg, err := e.loadConfig(false)
	if err != nil {
		return err
	}
	if err := requireSlack(cfg.Env); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(e.stderr, nil))
	log.InfoContext(ctx, "starting", "config", cfg.Path, "env", cfg.Env, "summary", cfg.Summary())
	db, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()

	reg := prometheus.NewRegistry()
	var svc *commands.Service // the site gauge reads it once it exists
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		metrics.Gauges{Store: db, ReportWithin: cfg.Deadlines.IncidentReport, Log: log, Sites: func(ctx context.Context) (map[string]string, error) {
			if svc == nil {
				return nil, nil
			}
			return siteStates(ctx, svc)
		}})
	pinger := prober(cfg, log, reg)
	defer pinger.Close()
	api := bot.NewWebAPI(cfg.Env.BotToken, cfg.Env.APIURL)
	api.Now = e.now
	if err := checkToken(ctx, api, log); err != nil {
		return err
	}
	svc = newService(cfg, commands.Deps{Store: db, Pinger: pinger, Poster: api, Hooks: robots(cfg), Log: log, Recorder: metrics.NewFlows(reg), Now: e.now}, e.pace)
	if err := svc.Start(ctx); err != nil {
		return err
	}
	metrics := bot.NewMetrics(reg)
	sc := bot.ServerConfig{
		Handler: svc, API: api, SigningSecret: cfg.Env.SigningSecret,
		Ready: db.Ping, Gatherer: reg, Metrics: metrics, Log: log,
		Workers: bot.NewWorkers(log, metrics.WorkFailed),
	}
	// The jobs outlive the transports: whatever the last requests wrote to
	// the outbox still gets a chance to go before the database closes.
	jobsCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	runner := jobs.New(svc, jobs.Config{Location: cfg.Location, ClockEvery: e.tick, Ran: e.ran}, log)
	jobsDone := make(chan error, 1)
	go func() { jobsDone <- runner.Run(jobsCtx) }()

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return bot.NewServer(sc).Run(gctx, cfg.Env.ListenAddr) })
	if cfg.Env.AppToken != "" {
		g.Go(func() error { return bot.NewSocket(sc, cfg.Env.AppToken, cfg.Env.BotToken, cfg.Env.APIURL).Run(gctx) })
	}
	err = g.Wait()
	stopJobs()
	err = errors.Join(err, <-jobsDone)
	log.Info("stopped", "err", err)
	return err
}

// checkToken asks Slack who the bot is. A refused token stops the bot with
// what to do; Slack being unreachable does not, since reports are still
// taken and their messages wait in the outbox.
func checkToken(ctx context.Context, api *bot.WebAPI, log *slog.Logger) error {
	user, team, err := api.AuthTest(ctx)
	switch {
	case bot.TokenRefused(err):
		return fmt.Errorf("Slack refuses SLACK_BOT_TOKEN (%w): set it to the Bot User OAuth Token (xoxb-…) of the installed app, from OAuth & Permissions; reinstall the app if it was revoked", err)
	case err != nil:
		log.WarnContext(ctx, "cannot reach Slack to check the bot token; starting anyway, messages wait in the outbox", "err", err)
	default:
		log.InfoContext(ctx, "slack token works", "bot_user", user, "team", team)
	}
	return nil
}

// requireSlack explains which Slack setting is missing: the bot token
// always, and the signing secret unless Socket Mode is used.
func requireSlack(env config.Env) error {
	var missing []error
	switch {
	case env.BotToken == "":
		missing = append(missing, errors.New("SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page"))
	case !strings.HasPrefix(env.BotToken, "xoxb-"):
		missing = append(missing, errors.New("SLACK_BOT_TOKEN is not a bot token: it starts with xoxb- (the Bot User OAuth Token, not a user or app token)"))
	}
	if env.AppToken != "" && !strings.HasPrefix(env.AppToken, "xapp-") {
		missing = append(missing, errors.New("SLACK_APP_TOKEN is not an app-level token: it starts with xapp- (Basic Information → App-Level Tokens)"))
	}
	if env.SigningSecret == "" && env.AppToken == "" {
		missing = append(missing, errors.New("SLACK_SIGNING_SECRET is not set: copy the Signing Secret from your Slack app's Basic Information page (or set SLACK_APP_TOKEN for Socket Mode)"))
	}
	return errors.Join(missing...)
}
