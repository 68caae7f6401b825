package main

import (
	"fmt"
	"runtime/debug"
	"slices"
)

// commandHelp is each subcommand's --help: what it does, its arguments
// and options, and the environment it reads.
var commandHelp = map[string]string{
	"serve": `Usage: faultline serve

Runs the bot: the Slack HTTP endpoints (/slack/commands, /slack/interactions,
/slack/events) and /healthz, /readyz, /metrics on LISTEN_ADDR, or Socket Mode
when SLACK_APP_TOKEN is set; the clocks, duties, monitors and the outbox.
Put TLS in front of HTTP mode (Slack calls https only), or use Socket Mode.

Environment:
  SLACK_BOT_TOKEN       bot token, xoxb-… (checked with auth.test at start)
  SLACK_SIGNING_SECRET  verifies every HTTP request from Slack
  SLACK_APP_TOKEN       app-level token, xapp-…: Socket Mode instead of HTTP
  SLACK_API_URL         Web API base URL (default https://slack.com/api/)
  DATABASE_URL          postgres://… ; empty: the embedded SQLite file faultline.db
  FAULTLINE_CONFIG      config path (default faultline.yaml)
  LISTEN_ADDR           HTTP listen address (default :8080)
`,
	"console": `Usage: faultline console [--as USER] [--language zh|en]

Chats with the bot in this terminal, no Slack needed: type /fault, /incident
or /duty as in Slack; a number presses that button; :help lists the rest.
Without a faultline.yaml it runs the built-in demo.

Options:
  --as USER          the Slack user ID you type as (default the demo employee)
  --language zh|en   the language the bot speaks (default the config's)

Environment: FAULTLINE_CONFIG, DATABASE_URL (as for serve).
`,
	"migrate": `Usage: faultline migrate

Brings the database schema up to date and lists its migrations, saying which
it applied now. serve does the same at start.

Environment: DATABASE_URL (empty: the embedded SQLite file faultline.db).
`,
	"check-config": `Usage: faultline check-config [PATH]

Checks a config file (default FAULTLINE_CONFIG, or faultline.yaml) and
explains every mistake, one "file:line: key: message" per line. Exit status 1
when there is one.
`,
	"ping": `Usage: faultline ping HOST|SITE...

Checks hosts and sites' paths from this machine, all at once, and prints
the table the bot posts in a ticket's thread, in the order given. Exit status
1 when a path has a failing hop or could not be checked.

Environment: FAULTLINE_CONFIG (the sites and the probe settings).
`,
	"export": `Usage: faultline export I-3
       faultline export --from YYYY-MM-DD [--to YYYY-MM-DD]

An incident's archive record as Markdown, or the incidents declared in a
period as CSV.

Options:
  --from DAY  first day of the period (CSV)
  --to DAY    the day after the period (default tomorrow)

Environment: DATABASE_URL, FAULTLINE_CONFIG.
`,
	"healthcheck": `Usage: faultline healthcheck [HOST:PORT]

Asks the serve listening on LISTEN_ADDR (or HOST:PORT; an empty or wildcard
host means this machine) whether it is ready, by its /readyz: exit 0 when it
answers 200, 1 otherwise. The container image's HEALTHCHECK runs it.

Environment: LISTEN_ADDR (default :8080).
`,
	"audit": `Usage: faultline audit verify
       faultline audit export [--since YYYY-MM-DD]

The archive is tamper-evident: every timeline event of tickets and
incidents is sealed into one chain (SHA-256 over the previous seal and the
event), shortly after it is written.

verify  checks the whole chain and names the first event that was changed,
        removed or inserted behind the bot's back; exit status 1 if one was.
        It prints the chain's head: keep it elsewhere (a ticket, a mail to
        the auditor), since a later verify through the same head shows that
        nothing before it changed.
export  writes the chain as JSON lines, each event with its place and seal,
        then the head; --since leaves out events before that day (UTC).

Environment: DATABASE_URL (empty: the embedded SQLite file faultline.db).
`,
	"outbox": `Usage: faultline outbox [list]
       faultline outbox retry ID|--all

What waits to be sent to Slack and what Slack refused for good, with the
reason and its remedy; retry sends given-up messages again.

Environment: DATABASE_URL.
`,
}

// wantsHelp reports whether a subcommand's arguments ask for its help.
func wantsHelp(args []string) bool {
	return slices.ContainsFunc(args, func(a string) bool { return a == "-h" || a == "--help" || a == "-help" })
}

// version is the module's version and the commit it was built from.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "faultline (no build information)"
	}
	v := "faultline " + info.Main.Version
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v += " commit " + s.Value
		case "vcs.modified":
			if s.Value == "true" {
				v += " (modified)"
			}
		}
	}
	return fmt.Sprintf("%s, %s", v, info.GoVersion)
}
