package commands

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/catalog"
	"github.com/faultline/faultline/markup"
)

// flow is what every noun's flow shares: the settings and the catalog, the
// clock, the log, the recorder, the committer and the outbox's wake-up.
type flow struct {
	set   Settings
	cat   catalog.Catalog
	now   func() time.Time
	log   *slog.Logger
	rec   Recorder
	store Committer
	kick  chan struct{} // the outbox has something new
	tasks chan struct{} // a task was stored
}

// commit applies c, as of now, and wakes the outbox and the workers;
// while the database does not answer it tries again, for writeBudget.
func (f *flow) commit(ctx context.Context, c faultline.Change) error {
	if c.At.IsZero() {
		c.At = f.now()
	}
	if err := f.persist(ctx, func(ctx context.Context) error { return f.store.Commit(ctx, c) }); err != nil {
		return err
	}
	f.nudge()
	return nil
}

// writeBudget is how long a request's write keeps trying while the
// database does not answer (a restart takes seconds): long enough to ride
// out a blip, short enough to answer within Slack's three seconds.
const writeBudget = 2 * time.Second

// persist runs write, and again, with a growing pause, while it fails with
// faultline.ErrUnavailable, for at most writeBudget in all (each attempt's
// context ends with the budget); then it returns the last error.
func (f *flow) persist(ctx context.Context, write func(ctx context.Context) error) error {
	return persistFor(ctx, writeBudget, write)
}

// persistFor is persist with its own budget. If any attempt may have
// written (faultline.ErrUncertain) and none said so, the error says it
// may have, whatever the last attempt met.
func persistFor(ctx context.Context, within time.Duration, write func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	pause := 50 * time.Millisecond
	unsure := false
	for {
		err := write(ctx)
		if !errors.Is(err, faultline.ErrUnavailable) {
			return err
		}
		unsure = unsure || errors.Is(err, faultline.ErrUncertain)
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			if unsure && !errors.Is(err, faultline.ErrUncertain) {
				err = fmt.Errorf("%w; an earlier attempt: %w", err, faultline.ErrUncertain)
			}
			return err
		}
		pause = min(2*pause, 500*time.Millisecond)
	}
}

// nudge wakes the outbox's delivery and the task workers.
func (f *flow) nudge() {
	for _, k := range []chan struct{}{f.kick, f.tasks} {
		select {
		case k <- struct{}{}:
		default:
		}
	}
}

// say is a reply only the person who asked sees.
func (f *flow) say(text string) Response { return Response{Reply: f.ephemeral(text)} }

func (f *flow) ephemeral(text string) *faultline.Message {
	return &faultline.Message{Ephemeral: true, Text: text}
}

// internal logs an unexpected error under a short reference and returns
// the apology the user sees, which carries the same reference. When the
// database did not answer, the apology says that what they did may not
// have been saved and to try again.
func (f *flow) internal(ctx context.Context, op string, err error) Response {
	ref := NewRef()
	f.log.ErrorContext(ctx, op, "ref", ref, "err", err)
	if errors.Is(err, faultline.ErrUnavailable) {
		return f.say(f.cat.T("error.unavailable", ref))
	}
	return f.say(f.cat.T("error.internal", ref))
}

// NewRef returns a short random reference for an error log line.
func NewRef() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (f *flow) fmtTime(t time.Time) string {
	return t.In(f.set.Location).Format("2006-01-02 15:04")
}

func (f *flow) fmtDate(t time.Time) string {
	return t.In(f.set.Location).Format("2006-01-02")
}

// actor is user with the roles the config gives them.
func (f *flow) actor(user string) faultline.Actor {
	a := faultline.Actor{User: user}
	for _, r := range faultline.Roles {
		for _, u := range f.set.Roles[r] {
			if u == user {
				a.Roles = append(a.Roles, r)
			}
		}
	}
	return a
}

// refusal explains a refused step in words: a role the actor lacks, a
// state that does not allow it, or a rule of the step (whose code is a
// catalog key). names gives the step's and the state's sentence.
func (f *flow) refusal(ref string, err error, step func(string) string, state func(string) string) string {
	var re *faultline.RoleError
	var te *faultline.TransitionError
	var ue *faultline.Error
	switch {
	case errors.As(err, &re):
		return f.cat.T("refuse.role", step(re.Action), f.roleNames(re.Need))
	case errors.As(err, &te):
		return f.cat.T("refuse.state", ref, state(te.From), step(te.Action))
	case errors.As(err, &ue) && !ue.At.IsZero():
		return f.cat.T(ue.Code, ref, f.fmtTime(ue.At))
	case errors.As(err, &ue):
		return f.cat.T(ue.Code, ref)
	}
	return err.Error()
}

// busy is the answer when a record changed under every attempt to step it.
func (f *flow) busy(ref string) Response { return f.say(f.cat.T("refuse.busy", ref)) }

// formProblem keeps a refusal in the form, under field: a submitted form
// has nowhere else to show it.
func formProblem(field string, resp Response) Response {
	if resp.Reply == nil {
		return resp
	}
	return Response{Errors: map[string]string{field: markup.FormText(resp.Reply.Text)}}
}

// cut splits a command's text into its first word and the rest.
func cut(text string) (word, rest string) {
	word, rest, _ = strings.Cut(strings.TrimSpace(text), " ")
	return word, strings.TrimSpace(rest)
}

// subcommands maps a command's first word to its handler.
type subcommands map[string]func(ctx context.Context, req Request, rest string) Response

// run runs the subcommand the text's first word names (in any case), or
// otherwise with the whole text.
func (t subcommands) run(ctx context.Context, req Request, otherwise func(ctx context.Context, req Request) Response) Response {
	word, rest := cut(req.Text)
	if h, ok := t[strings.ToLower(word)]; ok {
		return h(ctx, req, rest)
	}
	return otherwise(ctx, req)
}
