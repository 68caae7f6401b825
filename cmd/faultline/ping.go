package main

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/faultline/faultline/bot"
	"github.com/faultline/faultline/commands"
)

// ping checks sites' paths or hosts from this machine and prints the same
// table the bot posts in a ticket's thread.
func (e environment) ping(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError{"ping needs at least one host or site"}
	}
	cfg, err := e.loadConfig(true)
	if err != nil {
		return err
	}
	log := quietLogger(e)
	pinger := prober(cfg, log, prometheus.NewRegistry())
	defer pinger.Close()
	svc := commands.New(commands.Deps{Pinger: pinger, Settings: settings(cfg, 0), Log: log})
	var unknown []string
	for _, word := range args {
		m, ok := svc.Check(ctx, word)
		if !ok {
			unknown = append(unknown, word)
			continue
		}
		fmt.Fprintln(e.stdout, bot.PlainText(m.Text))
		fmt.Fprintln(e.stdout)
	}
	if len(unknown) > 0 {
		return fmt.Errorf("%q: not a configured site, an IP address or a host name", unknown)
	}
	return nil
}
