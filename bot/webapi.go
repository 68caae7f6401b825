package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/commands"
)

// WebAPI posts through Slack's Web API. It implements commands.Poster.
//
// It remembers what does not change, so a burst of reminders does not
// spend Slack's per-minute allowance (conversations.open is Tier 3, 50+
// a minute; users.info Tier 4): the DM channel of each user, and that a
// user's account is deleted (for good) or was not (for an hour). After a
// 429 from one of those two methods it asks again only after Retry-After,
// answering meanwhile with the same wait instead of another refused call.
type WebAPI struct {
	client *slack.Client
	// Now is the clock for how long answers are remembered and calls held
	// back; time.Now unless a test sets it.
	Now func() time.Time

	mu    sync.Mutex
	dms   map[string]string    // user → DM channel
	users map[string]userState // user → account state, as last looked up
	held  map[string]time.Time // method → rate-limited until
}

type userState struct {
	gone  bool
	until time.Time // when a "not deleted" answer is asked again
}

// userTTL is how long a user found not deleted is believed so.
const userTTL = time.Hour

// NewWebAPI returns a poster using token against apiURL (Slack's, or a
// fake's in tests; it must end in a slash).
func NewWebAPI(token, apiURL string) *WebAPI {
	return &WebAPI{
		client: slack.New(token, slack.OptionAPIURL(apiURL)), Now: time.Now,
		dms: map[string]string{}, users: map[string]userState{}, held: map[string]time.Time{},
	}
}

// wait says how long method is still rate-limited, as an error to hand
// back instead of calling; nil when it may be called.
func (w *WebAPI) wait(method, op string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if left := w.held[method].Sub(w.Now()); left > 0 {
		return &apiError{op: op, err: errors.New("rate limited, waiting for Retry-After"), retryAfter: left}
	}
	return nil
}

// note records a 429 from method: no more calls until its Retry-After.
func (w *WebAPI) note(method string, err error) {
	var ae *apiError
	if errors.As(err, &ae) && ae.retryAfter > 0 {
		w.mu.Lock()
		w.held[method] = w.Now().Add(ae.retryAfter)
		w.mu.Unlock()
	}
}

// Client is the underlying slack-go client, for Socket Mode.
func (w *WebAPI) Client() *slack.Client { return w.client }

func msgOptions(m faultline.Message) []slack.MsgOption {
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
func (w *WebAPI) Post(ctx context.Context, m faultline.Message) (string, error) {
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
func (w *WebAPI) Update(ctx context.Context, channel, ts string, m faultline.Message) error {
	opts := msgOptions(m)
	if _, _, _, err := w.client.UpdateMessageContext(ctx, channel, ts, opts...); err != nil {
		return classify("chat.update "+channel+"/"+ts, err)
	}
	return nil
}

// OpenDM opens (or finds) the direct-message conversation with user.
func (w *WebAPI) OpenDM(ctx context.Context, user string) (string, error) {
	w.mu.Lock()
	ch, ok := w.dms[user]
	w.mu.Unlock()
	if ok {
		return ch, nil
	}
	op := "conversations.open with " + user
	if err := w.wait("conversations.open", op); err != nil {
		return "", err
	}
	c, _, _, err := w.client.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}})
	if err != nil {
		err = classify(op, err)
		w.note("conversations.open", err)
		return "", err
	}
	w.mu.Lock()
	w.dms[user] = c.ID
	w.mu.Unlock()
	return c.ID, nil
}

// UserGone reports whether Slack says user's account is deleted.
func (w *WebAPI) UserGone(ctx context.Context, user string) (bool, error) {
	w.mu.Lock()
	st, ok := w.users[user]
	w.mu.Unlock()
	if ok && (st.gone || w.Now().Before(st.until)) {
		return st.gone, nil
	}
	op := "users.info " + user
	if err := w.wait("users.info", op); err != nil {
		return false, err
	}
	gone := false
	u, err := w.client.GetUserInfoContext(ctx, user)
	var se slack.SlackErrorResponse
	switch {
	case errors.As(err, &se) && se.Err == "user_not_found":
		gone = true
	case err != nil:
		err = classify(op, err)
		w.note("users.info", err)
		return false, err
	default:
		gone = u.Deleted
	}
	w.mu.Lock()
	w.users[user] = userState{gone: gone, until: w.Now().Add(userTTL)}
	w.mu.Unlock()
	return gone, nil
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

func (r responseURL) Respond(ctx context.Context, m faultline.Message) error {
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
