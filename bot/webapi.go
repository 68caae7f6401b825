package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
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

	mu      sync.Mutex
	dms     map[string]string    // user → DM channel
	users   map[string]userState // user → account state, as last looked up
	held    map[string]time.Time // method → rate-limited until
	botUser string               // the bot's own user ID, from auth.test
	refused string               // Slack's error for the token, while it refuses it
	hooks   map[string]bool      // hosts a response_url may point to
}

type userState struct {
	gone  bool
	until time.Time // when a "not deleted" answer is asked again
}

// userTTL is how long a user found not deleted is believed so.
const userTTL = time.Hour

// callTimeout bounds every Web API call; a send also has the outbox's own.
const callTimeout = 10 * time.Second

// NewWebAPI returns a poster using token against apiURL (Slack's, or a
// fake's in tests; it must end in a slash).
func NewWebAPI(token, apiURL string) *WebAPI {
	hooks := map[string]bool{"hooks.slack.com": true}
	if u, err := url.Parse(apiURL); err == nil && u.Host != "" {
		hooks[u.Host] = true
	}
	return &WebAPI{
		client: slack.New(token, slack.OptionAPIURL(apiURL), slack.OptionHTTPClient(&http.Client{Timeout: callTimeout})),
		Now:    time.Now, dms: map[string]string{}, users: map[string]userState{}, held: map[string]time.Time{}, hooks: hooks,
	}
}

// AuthTest asks Slack who the token is (auth.test): the bot's user ID and
// workspace, or why the token is refused.
func (w *WebAPI) AuthTest(ctx context.Context) (user, team string, err error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	resp, err := w.client.AuthTestContext(ctx)
	if err != nil {
		err = w.classify("auth.test", err)
		return "", "", err
	}
	w.mu.Lock()
	w.botUser, w.refused = resp.UserID, ""
	w.mu.Unlock()
	return resp.UserID, resp.Team, nil
}

// BotUser is the bot's user ID, once AuthTest has run.
func (w *WebAPI) BotUser() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.botUser
}

// self is the bot's user ID, asking Slack if no AuthTest has answered yet
// (Slack was unreachable when the bot started); "" if it still cannot say.
func (w *WebAPI) self(ctx context.Context) string {
	if u := w.BotUser(); u != "" {
		return u
	}
	u, _, _ := w.AuthTest(ctx)
	return u
}

// TokenRefused reports whether err is Slack refusing the bot token
// itself, which no retry mends.
func TokenRefused(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && tokenErrors[ae.code]
}

// Health says whether Slack takes the bot's token, as the last call found.
func (w *WebAPI) Health() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.refused != "" {
		return fmt.Errorf("the bot token is refused (%s)", w.refused)
	}
	return nil
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
		w.worked(err)
		if err != nil {
			return "", w.classifyIn("chat.postEphemeral to "+m.Channel, m.Channel, err)
		}
		return ts, nil
	}
	_, ts, err := w.client.PostMessageContext(ctx, m.Channel, msgOptions(m)...)
	w.worked(err)
	if err != nil {
		return "", w.classifyIn("chat.postMessage to "+m.Channel, m.Channel, err)
	}
	return ts, nil
}

// Update replaces message ts in channel.
func (w *WebAPI) Update(ctx context.Context, channel, ts string, m faultline.Message) error {
	opts := msgOptions(m)
	if _, _, _, err := w.client.UpdateMessageContext(ctx, channel, ts, opts...); err != nil {
		return w.classifyIn("chat.update "+channel+"/"+ts, channel, err)
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
		err = w.classify(op, err)
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
		err = w.classify(op, err)
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
// to try again, and what an operator can do about it.
type apiError struct {
	op          string
	code        string // Slack's error, when it gave one
	err         error
	retryAfter  time.Duration
	permanent   bool
	destination bool
	remedy      string
}

func (e *apiError) Error() string { return e.op + ": " + e.err.Error() }
func (e *apiError) Unwrap() error { return e.err }

// Permanent: Slack refused the message itself or its destination, and will
// again until something changes.
func (e *apiError) Permanent() bool { return e.permanent }

// Destination: the channel or person cannot be reached; the messages after
// this one there would fail the same way.
func (e *apiError) Destination() bool { return e.destination }

// Remedy is what an operator can do about it, or "".
func (e *apiError) Remedy() string { return e.remedy }

// RetryAfter is Slack's Retry-After on a 429, zero otherwise.
func (e *apiError) RetryAfter() time.Duration { return e.retryAfter }

// Slack's answers that no retry changes. Token errors are not here: an
// admin can fix those, and the messages should wait for it.
var (
	contentErrors = map[string]bool{
		"msg_too_long": true, "no_text": true, "invalid_blocks": true, "invalid_blocks_format": true, "too_many_attachments": true,
		"message_not_found": true, "cant_update_message": true, "edit_window_closed": true, "restricted_action": true,
		"cannot_reply_to_message": true,
	}
	destinationErrors = map[string]string{
		"not_in_channel":      "invite the bot: /invite @Faultline in {channel}; what waits is sent when it joins",
		"channel_not_found":   "channel {channel} does not exist or the bot cannot see it: check channels in the config, and invite the bot to private channels (/invite @Faultline there); what waits is sent when it joins",
		"is_archived":         "channel {channel} is archived: unarchive it, or name another in the config and retry with `faultline outbox retry --all`",
		"user_not_found":      "the person's Slack account is gone: update roles and duties in the config",
		"user_disabled":       "the person's Slack account is deactivated: update roles and duties in the config",
		"cannot_dm_bot":       "a role or a duty names a bot user: name a person instead",
		"user_not_in_channel": "the person is not in the channel",
	}
	tokenErrors = map[string]bool{
		"invalid_auth": true, "not_authed": true, "token_revoked": true, "token_expired": true, "account_inactive": true,
	}
)

const tokenRemedy = "Slack refuses the bot token: set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…) of the installed app, reinstalling it if it was revoked; messages wait and go once it works"

// classify turns a slack-go error into an apiError, and notes a refused
// token for Health.
func (w *WebAPI) classify(op string, err error) error {
	e := &apiError{op: op, err: err}
	var rl *slack.RateLimitedError
	var se slack.SlackErrorResponse
	switch {
	case errors.As(err, &rl):
		e.retryAfter = max(rl.RetryAfter, time.Second)
	case errors.As(err, &se):
		e.code = se.Err
		switch remedy, dest := destinationErrors[se.Err]; {
		case dest:
			e.permanent, e.destination, e.remedy = true, true, remedy
		case contentErrors[se.Err]:
			e.permanent = true
		case tokenErrors[se.Err]:
			e.remedy = tokenRemedy
			w.mu.Lock()
			w.refused = se.Err
			w.mu.Unlock()
		case se.Err == "missing_scope":
			e.remedy = "the Slack app lacks a permission: reinstall it from the manifest in deploy/slack-manifest.yaml"
		}
	}
	return e
}

// classifyIn is classify for a call about channel, which the remedy names.
func (w *WebAPI) classifyIn(op, channel string, err error) error {
	e := w.classify(op, err)
	if ae, ok := e.(*apiError); ok {
		ae.remedy = strings.ReplaceAll(ae.remedy, "{channel}", channel)
	}
	return e
}

// worked notes that a call Slack answered went through: the token works.
func (w *WebAPI) worked(err error) {
	if err != nil {
		return
	}
	w.mu.Lock()
	w.refused = ""
	w.mu.Unlock()
}

// OpenModal opens md for the user whose action produced triggerID.
func (w *WebAPI) OpenModal(ctx context.Context, triggerID string, md commands.Modal) error {
	if _, err := w.client.OpenViewContext(ctx, triggerID, ModalView(md)); err != nil {
		return w.classify("views.open", err)
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

// Responder returns the Responder for a response_url, or nil if it is
// empty or not an https URL on Slack's hooks host (or, for tests, the
// Web API's own host): a signed request still does not get the bot to post
// wherever it names.
func (w *WebAPI) Responder(raw string) commands.Responder {
	u, err := url.Parse(raw)
	if raw == "" || err != nil || !w.hooks[u.Host] || (u.Scheme != "https" && !(u.Scheme == "http" && w.hooks[u.Host] && u.Host != "hooks.slack.com")) {
		return nil
	}
	return responseURL{client: w.client, url: raw}
}
