package slackfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Socket serves Slack's Socket Mode: apps.connections.open (with the
// app-level token in the Authorization header, as Slack requires) hands out
// a WebSocket URL on the fake, which says hello, sends WebSocket pings,
// delivers envelopes and records the acks.
type Socket struct {
	AppToken string

	mu        sync.Mutex
	envelopes chan []byte
	acks      []Ack
	seq       int
	notify    chan struct{}
}

// Ack is an acknowledgement the bot sent for an envelope.
type Ack struct {
	EnvelopeID string          `json:"envelope_id"`
	Payload    json.RawMessage `json:"payload"`
}

// EnableSocketMode makes the fake accept appToken for Socket Mode.
func (s *Slack) EnableSocketMode(appToken string) *Socket {
	sock := &Socket{AppToken: appToken, envelopes: make(chan []byte, 16), notify: make(chan struct{}, 1)}
	s.mu.Lock()
	s.socket = sock
	s.mu.Unlock()
	return sock
}

func (s *Slack) serveSocket(w http.ResponseWriter, r *http.Request, sock *Socket) {
	if r.URL.Path == "/api/apps.connections.open" {
		if bearer(r) != sock.AppToken {
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
			return
		}
		url := "ws" + strings.TrimPrefix(s.Server.URL, "http") + "/socket"
		writeJSON(w, map[string]any{"ok": true, "url": url})
		return
	}
	// slack-go sends an Origin of https://api.slack.com, which is not this
	// server's host; real Slack accepts it.
	upgrader := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	conn.WriteJSON(map[string]any{"type": "hello", "num_connections": 1,
		"connection_info": map[string]any{"app_id": "A0FAULTLINE"}})
	done := make(chan struct{})
	go sock.readAcks(conn, done)
	ping := time.NewTicker(100 * time.Millisecond)
	defer ping.Stop()
	for {
		select {
		case <-done:
			return
		case env := <-sock.envelopes:
			conn.WriteMessage(websocket.TextMessage, env)
		case <-ping.C:
			conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(time.Second))
		}
	}
}

func (sock *Socket) readAcks(conn *websocket.Conn, done chan struct{}) {
	defer close(done)
	for {
		var ack Ack
		if err := conn.ReadJSON(&ack); err != nil {
			return
		}
		sock.mu.Lock()
		sock.acks = append(sock.acks, ack)
		sock.mu.Unlock()
		select {
		case sock.notify <- struct{}{}:
		default:
		}
	}
}

// Send delivers an envelope of kind ("slash_commands", "interactive",
// "events_api") with payload and returns its envelope ID.
func (sock *Socket) Send(t testing.TB, kind string, payload any) string {
	raw, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	sock.mu.Lock()
	sock.seq++
	id := fmt.Sprintf("env-%d", sock.seq)
	sock.mu.Unlock()
	env, _ := json.Marshal(map[string]any{
		"envelope_id": id, "type": kind, "payload": json.RawMessage(raw),
		"accepts_response_payload": kind != "events_api", "retry_attempt": 0, "retry_reason": "",
	})
	sock.envelopes <- env
	return id
}

// WaitAck blocks until the envelope id is acknowledged and returns the ack.
func (sock *Socket) WaitAck(t testing.TB, id string) Ack {
	t.Helper()
	limit := time.After(15 * time.Second)
	for {
		sock.mu.Lock()
		for _, a := range sock.acks {
			if a.EnvelopeID == id {
				sock.mu.Unlock()
				return a
			}
		}
		sock.mu.Unlock()
		select {
		case <-sock.notify:
		case <-limit:
			t.Fatalf("envelope %s was never acknowledged", id)
		}
	}
}

// SlashCommand is a slash command as Socket Mode carries it: the HTTP
// form's fields as JSON.
func SlashCommand(user, channel, command, text string) map[string]any {
	return map[string]any{
		"token": "deprecated", "team_id": "T0FAKE", "team_domain": "example", "channel_id": channel,
		"channel_name": "general", "user_id": user, "user_name": user, "command": command, "text": text,
		"api_app_id": "A0FAULTLINE", "is_enterprise_install": "false",
		"response_url": "https://hooks.slack.com/commands/T0FAKE/1/x", "trigger_id": Trigger("socket" + user),
	}
}
