package bot

import (
	"context"
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
	Apology(ref string) faultline.Message
}

// Dedup remembers which Slack deliveries were already handled.
type Dedup interface {
	FirstSeen(ctx context.Context, key string, at time.Time) (bool, error)
}

// dispatcher turns Slack's payloads into the flows' requests and their
// responses into what Slack expects back. The HTTP and Socket Mode
// transports share it.
type dispatcher struct {
	handler Handler
	api     *WebAPI
	dedup   Dedup
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

// onEvent handles an Events API callback once per event_id; a redelivery
// is acknowledged and dropped. It returns an error only when the delivery
// could not be recorded, so Slack should try again.
func (d *dispatcher) onEvent(ctx context.Context, ev slackevents.EventsAPIEvent) error {
	cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok || ev.Type != slackevents.CallbackEvent {
		return nil
	}
	first, err := d.dedup.FirstSeen(ctx, "event:"+cb.EventID, d.now())
	if err != nil || !first {
		return err
	}
	msg, ok := ev.InnerEvent.Data.(*slackevents.MessageEvent)
	if !ok || !isThreadReply(msg) {
		return nil
	}
	reply := commands.ThreadReply{
		Channel: msg.Channel, ThreadTS: msg.ThreadTimeStamp, TS: msg.TimeStamp,
		User: msg.User, Text: markup.Unescape(msg.Text),
	}
	d.work.Go("thread reply", func(ctx context.Context) error { return d.handler.ThreadReply(ctx, reply) })
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
