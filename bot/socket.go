package bot

import (
	"context"
	"errors"
	"log"
	"log/slog"
	"net/http"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
	"golang.org/x/sync/errgroup"
)

// Socket is the Socket Mode transport: Slack pushes commands,
// interactions and events over a WebSocket the bot opens, so no public
// URL is needed. Each envelope is acknowledged first; the flows' slow work
// follows in the shared Workers.
type Socket struct {
	client *socketmode.Client
	d      *dispatcher
	log    *slog.Logger
}

// NewSocket returns a Socket Mode transport with the app-level token
// (xapp-…), using api for the Web API.
func NewSocket(cfg ServerConfig, appToken, botToken, apiURL string) *Socket {
	api := slack.New(botToken, slack.OptionAPIURL(apiURL), slack.OptionAppLevelToken(appToken),
		slack.OptionHTTPClient(&http.Client{Timeout: callTimeout}))
	client := socketmode.New(api, socketmode.OptionLog(log.New(slogWriter{cfg.Log}, "", 0)))
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Socket{client: client, log: cfg.Log, d: &dispatcher{
		handler: cfg.Handler, api: cfg.API,
		work: cfg.Workers, now: cfg.Now, log: cfg.Log,
	}}
}

// Run connects and handles envelopes until ctx ends; then it drains the
// background work the envelopes started.
func (s *Socket) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return s.client.RunContext(ctx) })
	g.Go(func() error { return s.loop(ctx) })
	err := g.Wait()
	s.d.work.Drain(30 * time.Second)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func (s *Socket) loop(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case evt := <-s.client.Events:
			s.handle(ctx, evt)
		}
	}
}

func (s *Socket) handle(ctx context.Context, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnected:
		s.log.InfoContext(ctx, "socket mode connected")
	case socketmode.EventTypeInvalidAuth, socketmode.EventTypeConnectionError:
		s.log.ErrorContext(ctx, "socket mode connection problem", "event", string(evt.Type), "err", evt.Data)
	case socketmode.EventTypeSlashCommand:
		if cmd, ok := evt.Data.(slack.SlashCommand); ok {
			s.ack(ctx, evt, s.d.onCommand(ctx, cmd))
		}
	case socketmode.EventTypeInteractive:
		if ic, ok := evt.Data.(slack.InteractionCallback); ok {
			s.ack(ctx, evt, s.d.onInteraction(ctx, ic))
		}
	case socketmode.EventTypeEventsAPI:
		if ev, ok := evt.Data.(slackevents.EventsAPIEvent); ok {
			s.ackEvent(ctx, evt, ev)
		}
	}
}

// ack answers an envelope, with payload when there is one (a command's
// reply, a modal's field errors).
func (s *Socket) ack(ctx context.Context, evt socketmode.Event, payload any) {
	if evt.Request == nil {
		return
	}
	var err error
	if isNil(payload) {
		err = s.client.Ack(*evt.Request)
	} else {
		err = s.client.Ack(*evt.Request, payload)
	}
	if err != nil {
		s.log.WarnContext(ctx, "socket mode ack", "err", err)
	}
}

func isNil(v any) bool {
	switch p := v.(type) {
	case nil:
		return true
	case *slack.Msg:
		return p == nil
	case *slack.ViewSubmissionResponse:
		return p == nil
	}
	return false
}

// ackEvent records the event before acknowledging it, so an event that
// could not be recorded is left unacknowledged and Slack sends it again.
func (s *Socket) ackEvent(ctx context.Context, evt socketmode.Event, ev slackevents.EventsAPIEvent) {
	if err := s.d.onEvent(ctx, ev); err != nil {
		s.log.ErrorContext(ctx, "record event", "err", err)
		return
	}
	s.ack(ctx, evt, nil)
}

// slogWriter sends slack-go's log lines to slog.
type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.log.Debug(string(p), "component", "socketmode")
	return len(p), nil
}
