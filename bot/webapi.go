package bot

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/faultline/faultline/commands"
)

// WebAPI posts through Slack's Web API. It implements commands.Poster.
type WebAPI struct {
	client *slack.Client
}

// NewWebAPI returns a poster using token against apiURL (Slack's, or a
// fake's in tests; it must end in a slash).
func NewWebAPI(token, apiURL string) *WebAPI {
	return &WebAPI{client: slack.New(token, slack.OptionAPIURL(apiURL))}
}

// Client is the underlying slack-go client, for Socket Mode.
func (w *WebAPI) Client() *slack.Client { return w.client }

func msgOptions(m commands.Message) []slack.MsgOption {
	opts := []slack.MsgOption{
		// Text is already escaped by the flows; escaping again would show
		// &amp;lt; to people.
		slack.MsgOptionText(Fallback(m), false),
		slack.MsgOptionBlocks(Blocks(m)...),
		slack.MsgOptionDisableLinkUnfurl(),
	}
	if m.ThreadTS != "" {
		opts = append(opts, slack.MsgOptionTS(m.ThreadTS))
	}
	return opts
}

// Post sends m to its channel (or as an ephemeral message to m.User) and
// returns the new message's ts.
func (w *WebAPI) Post(ctx context.Context, m commands.Message) (string, error) {
	if m.Ephemeral {
		ts, err := w.client.PostEphemeralContext(ctx, m.Channel, m.User, msgOptions(m)...)
		if err != nil {
			return "", fmt.Errorf("chat.postEphemeral to %s: %w", m.Channel, err)
		}
		return ts, nil
	}
	_, ts, err := w.client.PostMessageContext(ctx, m.Channel, msgOptions(m)...)
	if err != nil {
		return "", fmt.Errorf("chat.postMessage to %s: %w", m.Channel, err)
	}
	return ts, nil
}

// Update replaces message ts in channel.
func (w *WebAPI) Update(ctx context.Context, channel, ts string, m commands.Message) error {
	opts := msgOptions(m)
	if _, _, _, err := w.client.UpdateMessageContext(ctx, channel, ts, opts...); err != nil {
		return fmt.Errorf("chat.update %s/%s: %w", channel, ts, err)
	}
	return nil
}

// OpenModal opens md for the user whose action produced triggerID.
func (w *WebAPI) OpenModal(ctx context.Context, triggerID string, md commands.Modal) error {
	if _, err := w.client.OpenViewContext(ctx, triggerID, ModalView(md)); err != nil {
		return fmt.Errorf("views.open: %w", err)
	}
	return nil
}

// responseURL answers through the response_url Slack gave with a command
// or an action. It implements commands.Responder.
type responseURL struct {
	client *slack.Client
	url    string
}

func (r responseURL) Respond(ctx context.Context, m commands.Message) error {
	kind := slack.ResponseTypeEphemeral
	if !m.Ephemeral {
		kind = slack.ResponseTypeInChannel
	}
	opts := append(msgOptions(m), slack.MsgOptionResponseURL(r.url, kind))
	if _, _, err := r.client.PostMessageContext(ctx, "", opts...); err != nil {
		return fmt.Errorf("response_url: %w", err)
	}
	return nil
}

// Responder returns the Responder for a response_url, or nil if empty.
func (w *WebAPI) Responder(url string) commands.Responder {
	if url == "" {
		return nil
	}
	return responseURL{client: w.client, url: url}
}
