package bot_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/faultline/faultline/bot"
	"github.com/faultline/faultline/bot/slackfake"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

// Socket Mode: the bot opens the connection with the app-level token,
// acknowledges each envelope (a command's ack carries its reply), then does
// the work; a redelivered event is handled once.
func TestSocketMode(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		sock := h.slack.EnableSocketMode("xapp-test")
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- bot.NewSocket(h.config, "xapp-test", token, h.slack.APIURL()).Run(ctx) }()

		id := sock.Send(t, "slash_commands", slackfake.SlashCommand("U0REPORTER", "C0GENERAL", "/fault", "office-a 网络不通"))
		ack := sock.WaitAck(t, id)
		var reply struct {
			ResponseType string `json:"response_type"`
			Text         string `json:"text"`
		}
		if err := json.Unmarshal(ack.Payload, &reply); err != nil || !strings.Contains(reply.Text, "F-1") || reply.ResponseType != "ephemeral" {
			t.Fatalf("ack payload %s (%v)", ack.Payload, err)
		}
		h.slack.WaitFor(t, "the ticket's verdict", headShowsVerdict)
		f, err := db.Fault(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}

		event := slackfake.ThreadReply("Ev0SOCKET", "U0TECH", faults, f.MessageTS, "1700000060.000100", "restarted the switch")
		for i := 0; i < 2; i++ {
			sock.WaitAck(t, sock.Send(t, "events_api", event))
		}
		h.drain(t)
		events, _ := db.Events(context.Background(), f.ID)
		replies := 0
		for _, e := range events {
			if e.Text == "restarted the switch" {
				replies++
			}
		}
		if replies != 1 {
			t.Fatalf("thread reply recorded %d times, want once", replies)
		}

		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run after cancel: %v", err)
		}
	})
}
