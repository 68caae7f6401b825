package slackfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/faultline/faultline/bot"
)

// Bot sends signed requests to a Faultline HTTP endpoint as Slack does.
type Bot struct {
	URL    string // the bot's base URL
	Secret string // the signing secret
	Slack  *Slack // where response_url points
	Now    func() time.Time
}

// triggers numbers the trigger IDs handed out.
var triggers atomic.Int64

// Trigger is a new trigger ID, as Slack gives every command, press and
// submission; what says what it was for, for reading failures.
func Trigger(what string) string {
	return fmt.Sprintf("1337.%d.%s", triggers.Add(1), what)
}

// ViewID is the modal's ID for a submission: the same for the same person
// submitting the same form again (after its field errors, as Slack keeps
// the view), different for another form.
func ViewID(user, callbackID, metadata string) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s\x00%s", user, callbackID, metadata)
	return fmt.Sprintf("V%X", h.Sum64())
}

// Command posts a slash command as user in channel and returns the
// response. The form carries every field Slack sends.
func (b Bot) Command(t testing.TB, user, channel, command, text string) *http.Response {
	form := url.Values{
		"token": {"deprecated-verification-token"}, "team_id": {"T0FAKE"}, "team_domain": {"example"},
		"channel_id": {channel}, "channel_name": {"general"}, "user_id": {user}, "user_name": {user},
		"command": {command}, "text": {text}, "api_app_id": {"A0FAULTLINE"},
		"response_url": {b.Slack.ResponseURL()}, "trigger_id": {Trigger("command" + user)},
	}
	return b.Post(t, "/slack/commands", "application/x-www-form-urlencoded", []byte(form.Encode()))
}

// Interaction posts an interaction payload (block_actions or
// view_submission) form-encoded as Slack does.
func (b Bot) Interaction(t testing.TB, payload any) *http.Response {
	raw, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"payload": {string(raw)}}
	return b.Post(t, "/slack/interactions", "application/x-www-form-urlencoded", []byte(form.Encode()))
}

// Event posts an Events API envelope.
func (b Bot) Event(t testing.TB, envelope any) *http.Response {
	raw, err := json.Marshal(envelope)
	if err != nil {
		t.Fatal(err)
	}
	return b.Post(t, "/slack/events", "application/json", raw)
}

// Post sends body to path, signed with the current time.
func (b Bot) Post(t testing.TB, path, contentType string, body []byte) *http.Response {
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	return b.PostSigned(t, path, contentType, body, bot.SignatureHeaders(b.Secret, body, now()))
}

// PostSigned sends body with the given headers (for forged or stale
// requests).
func (b Bot) PostSigned(t testing.TB, path, contentType string, body []byte, h http.Header) *http.Response {
	req, err := http.NewRequest(http.MethodPost, b.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// BlockAction builds a block_actions payload for a button on message ts
// (in thread threadTS, which may be empty) in channel.
func (b Bot) BlockAction(user, channel, ts, threadTS, actionID, value string) map[string]any {
	return map[string]any{
		"type": "block_actions", "user": map[string]any{"id": user, "username": user, "team_id": "T0FAKE"},
		"team": map[string]any{"id": "T0FAKE", "domain": "example"}, "api_app_id": "A0FAULTLINE",
		"trigger_id": Trigger("press" + user), "response_url": b.Slack.ResponseURL(),
		"container": map[string]any{"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": false, "thread_ts": threadTS},
		"channel":   map[string]any{"id": channel, "name": "faults"},
		"message":   map[string]any{"type": "message", "ts": ts, "thread_ts": threadTS, "bot_id": "B0FAULTLINE", "text": "…"},
		"actions": []any{map[string]any{
			"type": "button", "action_id": actionID, "block_id": "actions", "value": value,
			"text": map[string]any{"type": "plain_text", "text": actionID}, "action_ts": "1700000001.000001",
		}},
	}
}

// ViewSubmission builds a view_submission payload with the given input
// values (block ID = action ID = input ID); selects are given as
// "select:" + value.
func (b Bot) ViewSubmission(user, callbackID, metadata string, values map[string]string) map[string]any {
	state := map[string]any{}
	for id, v := range values {
		var action map[string]any
		if len(v) > 7 && v[:7] == "select:" {
			action = map[string]any{"type": "static_select", "selected_option": map[string]any{"value": v[7:], "text": map[string]any{"type": "plain_text", "text": v[7:]}}}
		} else {
			action = map[string]any{"type": "plain_text_input", "value": v}
		}
		state[id] = map[string]any{id: action}
	}
	return map[string]any{
		"type": "view_submission", "user": map[string]any{"id": user, "team_id": "T0FAKE"},
		"team": map[string]any{"id": "T0FAKE"}, "api_app_id": "A0FAULTLINE", "trigger_id": Trigger("submit" + user),
		"view": map[string]any{"id": ViewID(user, callbackID, metadata), "type": "modal", "callback_id": callbackID,
			"private_metadata": metadata, "state": map[string]any{"values": state}, "hash": "1.abc"},
	}
}

// ThreadReply builds an event_callback envelope for a message user wrote
// in the thread of threadTS.
func ThreadReply(eventID, user, channel, threadTS, ts, text string) map[string]any {
	return map[string]any{
		"token": "XXYYZZ", "team_id": "T0FAKE", "api_app_id": "A0FAULTLINE", "type": "event_callback",
		"event_id": eventID, "event_time": 1700000100,
		"authorizations": []any{map[string]any{"team_id": "T0FAKE", "user_id": "U0FAULTLINE", "is_bot": true, "is_enterprise_install": false}},
		"event": map[string]any{
			"type": "message", "channel": channel, "user": user, "text": text, "ts": ts,
			"thread_ts": threadTS, "parent_user_id": "U0FAULTLINE", "event_ts": ts, "channel_type": "channel",
		},
	}
}

// MemberJoined builds an event_callback envelope for user joining channel
// (member_joined_channel, as Slack sends it when the bot is invited).
func MemberJoined(eventID, user, channel string) map[string]any {
	return map[string]any{
		"token": "XXYYZZ", "team_id": "T0FAKE", "api_app_id": "A0FAULTLINE", "type": "event_callback",
		"event_id": eventID, "event_time": 1700000200,
		"authorizations": []any{map[string]any{"team_id": "T0FAKE", "user_id": "U0FAULTLINE", "is_bot": true, "is_enterprise_install": false}},
		"event": map[string]any{
			"type": "member_joined_channel", "user": user, "channel": channel, "channel_type": "C",
			"team": "T0FAKE", "inviter": "U0ADMIN", "event_ts": "1700000200.000100",
		},
	}
}
