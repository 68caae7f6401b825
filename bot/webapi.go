package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

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
			return "", classify("chat.postEphemeral to "+m.Channel, err)
		}
		return ts, nil
	}
	_, ts, err := w.client.PostMessageContext(ctx, m.Channel, msgOptions(m)...)
	if err != nil {
		return "", classify("chat.postMessage to "+m.Channel, err)
	}
	return ts, nil
}

// Update replaces message ts in channel.
func (w *WebAPI) Update(ctx context.Context, channel, ts string, m commands.Message) error {
	opts := msgOptions(m)
	if _, _, _, err := w.client.UpdateMessageContext(ctx, channel, ts, opts...); err != nil {
		return classify("chat.update "+channel+"/"+ts, err)
	}
	return nil
}

// OpenDM opens (or finds) the direct-message conversation with user.
func (w *WebAPI) OpenDM(ctx context.Context, user string) (string, error) {
	ch, _, _, err := w.client.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}})
	if err != nil {
		return "", classify("conversations.open with "+user, err)
	}
	return ch.ID, nil
}

// UserGone reports whether Slack says user's account is deleted.
func (w *WebAPI) UserGone(ctx context.Context, user string) (bool, error) {
	u, err := w.client.GetUserInfoContext(ctx, user)
	if err != nil {
		var se slack.SlackErrorResponse
		if errors.As(err, &se) && se.Err == "user_not_found" {
			return true, nil
		}
		return false, classify("users.info "+user, err)
	}
	return u.Deleted, nil
}

// apiError is a failed Web API call, telling the outbox whether and when
// to try again.
type apiError struct {
	op         string
	err        error
	retryAfter time.Duration
	permanent  bool
}

func (e *apiError) Error() string { return e.op + ": " + e.err.Error() }
func (e *apiError) Unwrap() error { return e.err }

// Permanent: Slack refused the message itself, and will again.
func (e *apiError) Permanent() bool { return e.permanent }

// RetryAfter is Slack's Retry-After on a 429, zero otherwise.
func (e *apiError) RetryAfter() time.Duration { return e.retryAfter }

// permanentErrors are Slack's answers that no retry changes: the message
// or its destination is wrong. Token and server errors are not here: an
// admin can fix those, and the messages should wait for it.
var permanentErrors = map[string]bool{
	"channel_not_found": true, "not_in_channel": true, "is_archived": true, "msg_too_long": true,
	"no_text": true, "invalid_blocks": true, "invalid_blocks_format": true, "too_many_attachments": true,
	"message_not_found": true, "cant_update_message": true, "edit_window_closed": true,
	"user_not_found": true, "user_disabled": true, "cannot_dm_bot": true, "restricted_action": true,
	"cannot_reply_to_message": true, "user_not_in_channel": true,
}

func classify(op string, err error) error {
	e := &apiError{op: op, err: err}
	var rl *slack.RateLimitedError
	var se slack.SlackErrorResponse
	switch {
	case errors.As(err, &rl):
		e.retryAfter = max(rl.RetryAfter, time.Second)
	case errors.As(err, &se):
		e.permanent = permanentErrors[se.Err]
	}
	return e
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
