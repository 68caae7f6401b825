package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/config"
	"github.com/faultline/faultline/markup"
)

// ping checks sites' paths or hosts from this machine and prints the same
// table the bot posts in a ticket's thread. It fails (exit status 1) when a
// path has a failing hop or could not be checked, so scripts can use it.
func (e environment) ping(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError{"ping needs at least one host or site"}
	}
	cfg, err := e.loadConfig(true)
	if err != nil {
		return err
	}
	if cfg.Path == config.DemoPath {
		fmt.Fprintln(e.stderr, "(no faultline.yaml here: sites come from the built-in demo config)")
	}
	log := quietLogger(e)
	pinger := prober(cfg, log, prometheus.NewRegistry())
	defer pinger.Close()
	svc := commands.New(commands.Deps{Pinger: pinger, Settings: settings(cfg, 0), Log: log})
	var unknown, unhealthy []string
	// Every argument at once: the prober sweeps all their hops together.
	for _, r := range svc.CheckAll(ctx, args) {
		switch {
		case !r.Known:
			unknown = append(unknown, r.Word)
			continue
		case r.Verdict != faultline.VerdictHealthy:
			unhealthy = append(unhealthy, r.Word)
		}
		fmt.Fprintln(e.stdout, markup.Plain(r.Message.Text))
		fmt.Fprintln(e.stdout)
	}
	var problems []error
	if len(unknown) > 0 {
		problems = append(problems, fmt.Errorf("not a configured site, an IP address or a host name: %s", strings.Join(unknown, ", ")))
	}
	if len(unhealthy) > 0 {
		problems = append(problems, fmt.Errorf("a hop fails or could not be checked on: %s", strings.Join(unhealthy, ", ")))
	}
	return errors.Join(problems...)
}
