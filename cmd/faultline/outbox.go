package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/config"
	"github.com/faultline/faultline/storage"
)

const outboxUsage = `Usage:
  faultline outbox [list]           what waits to be sent to Slack, and what was given up, with reasons
  faultline outbox retry ID         send given-up message ID again (and what waits behind it)
  faultline outbox retry --all      send every given-up message again

A running bot sends what was put back within a second or two. Only
DATABASE_URL is read, so this works with a broken config too.
`

// openDatabase opens DATABASE_URL's database, reading nothing else, so
// the operator's commands work with a broken config too.
func (e environment) openDatabase(ctx context.Context) (*storage.DB, error) {
	env, err := config.ReadEnv(e.getenv)
	if err != nil {
		return nil, err
	}
	return storage.Open(ctx, env.DatabaseURL, quietLogger(e))
}

// outbox lists and retries the outbox, for an operator: what waits,
// what failed and why, and how to send it again.
func (e environment) outbox(ctx context.Context, args []string) error {
	sub := "list"
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "help", "-h", "--help":
		fmt.Fprint(e.stdout, outboxUsage)
		return nil
	case "list", "retry":
	default:
		fmt.Fprint(e.stderr, outboxUsage)
		return usageError{fmt.Sprintf("unknown outbox command %q", sub)}
	}
	var id int64
	if sub == "list" && len(args) > 0 {
		return usageError{"outbox list takes no arguments"}
	}
	if sub == "retry" {
		switch {
		case len(args) == 1 && args[0] == "--all":
		case len(args) == 1:
			n, err := strconv.ParseInt(strings.TrimPrefix(args[0], "#"), 10, 64)
			if err != nil || n <= 0 {
				return usageError{fmt.Sprintf("outbox retry takes a message ID from `faultline outbox list` or --all, not %q", args[0])}
			}
			id = n
		default:
			return usageError{"outbox retry takes a message ID from `faultline outbox list`, or --all"}
		}
	}
	db, err := e.openDatabase(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if sub == "list" {
		return listOutbox(ctx, db, e.stdout)
	}
	n, err := db.RetryOutgoing(ctx, id, "", e.now())
	switch {
	case err != nil:
		return err
	case n == 0 && id != 0:
		return fmt.Errorf("message %d is not one given up: see `faultline outbox list`", id)
	case n == 0:
		fmt.Fprintln(e.stdout, "Nothing was given up; nothing to retry.")
	default:
		fmt.Fprintf(e.stdout, "Put back %d message(s); the bot sends them (and what waited behind them) within seconds.\n", n)
	}
	return nil
}

const outboxListed = 100

func listOutbox(ctx context.Context, db *storage.DB, w io.Writer) error {
	heads, failed, err := db.OutboxReport(ctx, outboxListed)
	if err != nil {
		return err
	}
	pending, given, err := db.OutboxDepth(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Waiting to be sent: %d message(s); next of each thread or person:\n", pending)
	if len(heads) == 0 {
		fmt.Fprintln(w, "  (none)")
	}
	for _, o := range heads {
		state := "due " + when(o.NextTry)
		switch {
		case o.BlockedBy != "":
			state = "waits behind a given-up message"
		case o.Attempts > 0 || o.Error != "":
			state = fmt.Sprintf("retry %s, %d failed attempt(s); last: %s", when(o.NextTry), o.Attempts, o.Error)
		}
		fmt.Fprintf(w, "  #%-6d %-34s %s\n", o.ID, describe(o), state)
	}
	fmt.Fprintf(w, "\nGiven up: %d message(s)", given)
	if given > int64(len(failed)) {
		fmt.Fprintf(w, ", the newest %d shown", len(failed))
	}
	fmt.Fprintln(w, ":")
	if len(failed) == 0 {
		fmt.Fprintln(w, "  (none)")
	}
	for _, o := range failed {
		fmt.Fprintf(w, "  #%-6d %-34s %s: %s\n", o.ID, describe(o), when(o.FailedAt), o.Error)
	}
	if len(failed) > 0 {
		fmt.Fprintln(w, "\nOnce the cause is fixed, send one again with `faultline outbox retry ID`, or all with `faultline outbox retry --all`.")
		fmt.Fprintln(w, "Messages to a channel the bot was missing from go by themselves when it is invited there.")
	}
	return nil
}

// describe says what a message is without its text (an incident's text
// is not for an operator's terminal).
func describe(o faultline.Outgoing) string {
	what := map[faultline.OutKind]string{
		faultline.OutHead: "head message", faultline.OutUpdate: "head update", faultline.OutPost: "post",
		faultline.OutDM: "DM", faultline.OutEphemeral: "private note", faultline.OutWebhook: "group robot message",
	}[o.Kind]
	if o.Kind == faultline.OutPost && o.Thread {
		what = "thread post"
	}
	if o.Ticket != "" {
		what = o.Ticket + " " + what
	}
	switch o.Kind {
	case faultline.OutDM:
		return what + " to " + o.User
	case faultline.OutEphemeral:
		return what + " to " + o.User + " in " + o.Message.Channel
	case faultline.OutWebhook:
		return what + " to " + o.Message.Channel
	}
	if o.Message.Channel == "" {
		return what
	}
	return what + " in " + o.Message.Channel
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}
