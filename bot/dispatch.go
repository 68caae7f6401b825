package bot

import (
	"context"
	"regexp"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/markup"
)

// Handler is what the transports need from the flows; *commands.Service
// implements it.
type Handler interface {
	Command(ctx context.Context, req commands.Request) commands.Response
	Press(ctx context.Context, a commands.Action) commands.Response
	Submit(ctx context.Context, sub commands.Submission) commands.Response
	ThreadReply(ctx context.Context, r commands.ThreadReply) error
	Joined(ctx context.Context, channel string) error
	Apology(ref string) faultline.Message
}

var (
	userID    = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)
	channelID = regexp.MustCompile(`^[CDG][A-Z0-9]{2,20}$`)
)

// validUser and validChannel: what Slack sends as IDs looks like IDs; a
// signed request with anything else (markup in user_id) is refused.
func validUser(id string) bool    { return userID.MatchString(id) }
func validChannel(id string) bool { return channelID.MatchString(id) }

// dispatcher turns Slack's payloads into the flows' requests and their
// responses into what Slack expects back. The HTTP and Socket Mode
// transports share it.
type dispatcher struct {
	handler Handler
	api     *WebAPI
	work    *Workers
	now     func() time.Time
	log     interface {
		ErrorContext(ctx context.Context, msg string, args ...any)
	}
}

// onCommand handles a slash command and returns the body of the
// acknowledgement (nil for an empty one).
func (d *dispatcher) onCommand(ctx context.Context, cmd slack.SlashCommand) *slack.Msg {
	resp := d.handler.Command(ctx, commands.Request{
		Command: cmd.Command, Text: markup.Unescape(cmd.Text), User: cmd.UserID,
		Channel: cmd.ChannelID, TriggerID: cmd.TriggerID, Respond: d.api.Responder(cmd.ResponseURL),
	})
	resp = d.openModal(ctx, cmd.TriggerID, resp)
	d.work.Go("command "+cmd.Command, resp.Work)
	if resp.Reply == nil {
		return nil
	}
	return replyMsg(*resp.Reply)
}

func replyMsg(m faultline.Message) *slack.Msg {
	kind := slack.ResponseTypeEphemeral
	if !m.Ephemeral {
		kind = slack.ResponseTypeInChannel
	}
	return &slack.Msg{ResponseType: kind, Text: Fallback(m), Blocks: slack.Blocks{BlockSet: Blocks(m)}}
}

// openModal opens the response's modal now, while the trigger ID is valid
// (three seconds); if Slack refuses, the user gets an apology instead.
func (d *dispatcher) openModal(ctx context.Context, triggerID string, resp commands.Response) commands.Response {
	if resp.Modal == nil {
		return resp
	}
	// The trigger is valid for three seconds from Slack's sending it.
	ctx, cancel := context.WithTimeout(ctx, 2500*time.Millisecond)
	defer cancel()
	if err := d.api.OpenModal(ctx, triggerID, *resp.Modal); err != nil {
		ref := commands.NewRef()
		d.log.ErrorContext(ctx, "open modal", "ref", ref, "err", err)
		apology := d.handler.Apology(ref)
		resp.Reply = &apology
	}
	return resp
}

// onInteraction handles a button press or a modal submission and returns
// the body of the acknowledgement (nil for an empty one).
func (d *dispatcher) onInteraction(ctx context.Context, ic slack.InteractionCallback) *slack.ViewSubmissionResponse {
	switch ic.Type {
	case slack.InteractionTypeBlockActions:
		for _, a := range ic.ActionCallback.BlockActions {
			d.onPress(ctx, ic, a)
		}
	case slack.InteractionTypeViewSubmission:
		resp := d.handler.Submit(ctx, commands.Submission{
			CallbackID: ic.View.CallbackID, User: ic.User.ID,
			Values: submissionValues(ic.View.State), Metadata: ic.View.PrivateMetadata,
			TriggerID: ic.TriggerID, ViewID: ic.View.ID,
		})
		d.work.Go("submission "+ic.View.CallbackID, resp.Work)
		if len(resp.Errors) > 0 {
			return slack.NewErrorsViewSubmissionResponse(resp.Errors)
		}
	}
	return nil
}

func (d *dispatcher) onPress(ctx context.Context, ic slack.InteractionCallback, a *slack.BlockAction) {
	respond := d.api.Responder(ic.ResponseURL)
	resp := d.handler.Press(ctx, commands.Action{
		ID: a.ActionID, Value: a.Value, User: ic.User.ID,
		Channel: ic.Container.ChannelID, MessageTS: ic.Container.MessageTs,
		ThreadTS: ic.Container.ThreadTs, TriggerID: ic.TriggerID, Respond: respond,
	})
	resp = d.openModal(ctx, ic.TriggerID, resp)
	reply, work := resp.Reply, resp.Work
	d.work.Go("press "+a.ActionID, func(ctx context.Context) error {
		// A press is acknowledged with an empty body; the reply goes
		// through response_url, before the slow work.
		if reply != nil && respond != nil {
			if err := respond.Respond(ctx, *reply); err != nil {
				d.log.ErrorContext(ctx, "answer a button press", "action", a.ActionID, "err", err)
			}
		}
		if work != nil {
			return work(ctx)
		}
		return nil
	})
}

// onEvent handles an Events API callback: a reply in a ticket's or an
// incident's thread is recorded now, with the event's ID in the same
// transaction, so a redelivery records nothing twice and an error (nothing
// recorded) makes Slack deliver it again; the bot joining a channel sends
// what it could not post there.
func (d *dispatcher) onEvent(ctx context.Context, ev slackevents.EventsAPIEvent) error {
	cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok || ev.Type != slackevents.CallbackEvent {
		return nil
	}
	switch inner := ev.InnerEvent.Data.(type) {
	case *slackevents.MessageEvent:
		if !isThreadReply(inner) || !validUser(inner.User) {
			return nil
		}
		return d.handler.ThreadReply(ctx, commands.ThreadReply{
			Channel: inner.Channel, ThreadTS: inner.ThreadTimeStamp, TS: inner.TimeStamp,
			User: inner.User, Text: markup.Unescape(inner.Text), EventID: cb.EventID,
		})
	case *slackevents.MemberJoinedChannelEvent:
		if d.api != nil && inner.User != "" && inner.User == d.api.self(ctx) {
			return d.handler.Joined(ctx, inner.Channel)
		}
	}
	return nil
}

// isThreadReply: a person's message inside a thread. The bot's own
// messages and edits, joins and the like carry a bot_id or a subtype.
func isThreadReply(m *slackevents.MessageEvent) bool {
	if m.BotID != "" || m.User == "" {
		return false
	}
	if m.SubType != "" && m.SubType != "thread_broadcast" {
		return false
	}
	return m.ThreadTimeStamp != "" && m.ThreadTimeStamp != m.TimeStamp
}
