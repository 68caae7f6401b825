// Command faultline is the Faultline bot: `serve` runs it against Slack,
// `console` runs the same flows in the terminal, and the rest are tools
// for operators (migrate, check-config, ping).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/faultline/faultline/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var problems *config.Problems
		if errors.As(err, &problems) {
			fmt.Fprintln(os.Stderr, err) // one "file:line: path: message" per line, as editors read them
		} else {
			fmt.Fprintln(os.Stderr, "faultline:", err)
		}
		os.Exit(exitCode(err))
	}
}

const usage = `Faultline: network fault and security-incident procedures in Slack.

Usage:
  faultline serve                 run the bot (HTTP endpoints, or Socket Mode when SLACK_APP_TOKEN is set)
  faultline console [--as USER] [--language zh|en]
                                  chat with the bot in this terminal, no Slack needed
  faultline migrate               bring the database schema up to date and list its migrations
  faultline check-config [PATH]   check a config file and explain every mistake
  faultline ping HOST|SITE...     check hosts or sites' paths from here
  faultline export I-3            an incident's archive record, as Markdown
  faultline export --from 2026-11-01 [--to 2026-12-01]
                                  the incidents declared in a period, as CSV
  faultline outbox [list]         what waits to be sent to Slack and what was given up, with reasons
  faultline outbox retry ID|--all send given-up messages again
  faultline audit verify          check the archive's tamper-evident chain, name an altered event
  faultline audit export [--since YYYY-MM-DD]
                                  the chain with its seals, as JSON lines
  faultline healthcheck [ADDR]    exit 0 when the serve on LISTEN_ADDR (or ADDR) is ready
  faultline --version             the version and the commit it was built from
  faultline COMMAND --help        a command's options and environment

Environment: FAULTLINE_CONFIG (default faultline.yaml), DATABASE_URL (empty: embedded
SQLite file faultline.db), SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN,
SLACK_API_URL, LISTEN_ADDR (default :8080).
`

// usageError is a mistake in the command line; it exits with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func exitCode(err error) int {
	if _, ok := err.(usageError); ok {
		return 2
	}
	return 1
}

// run is the whole program, with its environment passed in, so tests run
// it end to end.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	env := environment{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now, pace: time.Second}
	return env.run(ctx, args)
}

// run runs the subcommand args name.
func (env environment) run(ctx context.Context, args []string) error {
	stdout, stderr := env.stdout, env.stderr
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"no command given"}
	}
	if help, ok := commandHelp[args[0]]; ok && wantsHelp(args[1:]) {
		fmt.Fprint(stdout, help)
		return nil
	}
	switch args[0] {
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, version())
		return nil
	case "serve":
		return env.serve(ctx, args[1:])
	case "console":
		return env.console(ctx, args[1:])
	case "migrate":
		return env.migrate(ctx, args[1:])
	case "check-config":
		return env.checkConfig(args[1:])
	case "ping":
		return env.ping(ctx, args[1:])
	case "export":
		return env.export(ctx, args[1:])
	case "outbox":
		return env.outbox(ctx, args[1:])
	case "healthcheck":
		return env.healthcheck(ctx, args[1:])
	case "audit":
		return env.audit(ctx, args[1:])
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError{fmt.Sprintf("unknown command %q", args[0])}
}

// environment is what the process was given: variables and streams, and
// the clock the flows read. Tests give a clock they move, a pace of zero
// and a quicker clock job, so that what takes minutes in an office takes
// milliseconds in a test, without a sleep.
type environment struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	now    func() time.Time
	pace   time.Duration // least time between two messages to one channel
	tick   time.Duration // how often the clock job runs; 0 is the jobs' default
	ran    func()        // called after each run of the clock job; may be nil
}
