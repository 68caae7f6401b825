package bot_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline/bot/slackfake"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

// The Web API client tells the outbox what Slack's refusals mean: 429 with
// Retry-After, then 500, then an error Slack may not repeat, then success:
// every message still arrives, once, and a ticket's messages in order.
func TestOutboxRetriesKeepOrderAndSendOnce(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setupWith(t, db, false)
		h.slack.Script("chat.postMessage",
			slackfake.Scripted{Status: http.StatusTooManyRequests, RetryAfter: "1"},
			slackfake.Scripted{Status: http.StatusInternalServerError},
			slackfake.Scripted{Status: http.StatusOK, Error: "fatal_error"})
		h.bot.Command(t, "U0REPORTER", "C0GENERAL", "/fault", "office-a down")
		h.drain(t)
		ctx := context.Background()
		for i := 0; i < 20; i++ {
			if err := h.svc.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			h.advance(3 * time.Second)
		}
		h.press(t, "U0TECH", "fault_take", "F-1")
		h.press(t, "U0ADMIN", "fault_request_restart", "F-1")

		var sent []string
		for _, c := range h.slack.Calls("chat.postMessage") {
			sent = append(sent, firstLine(c.Params["text"]))
		}
		want := []string{"*F-1* · network fault · office-a", "*Path check of office-a* · hops: 5 · 0.00 s",
			"<@U0TECH> took F-1.", "🔁 <@U0ADMIN> asks to restart the access device. <@U0ADMIN> <@U0ADMIN2>, please confirm (经公司网管确认重启接入设备)."}
		if len(sent) < len(want) {
			t.Fatalf("sent %q", sent)
		}
		for i, w := range want {
			if sent[i] != w {
				t.Fatalf("message %d = %q, want %q (all: %q)", i, sent[i], w, sent)
			}
		}
		seen := map[string]int{}
		for _, s := range sent {
			seen[s]++
			if seen[s] > 1 {
				t.Fatalf("%q sent twice", s)
			}
		}
		refused := h.slack.Calls("chat.postMessage (refused)")
		if len(refused) != 3 {
			t.Fatalf("%d refused attempts, want 3", len(refused))
		}
		if f, _ := db.Fault(ctx, 1); f.MessageTS == "" {
			t.Fatal("the ticket never got its message")
		}
		if pending, failed, _ := db.OutboxDepth(ctx); pending != 0 || failed != 0 {
			t.Fatalf("outbox: %d pending, %d failed", pending, failed)
		}
	})
}

// not_in_channel is a refusal of the destination: the Web API client says
// so, the outbox gives the message up with the reason and the remedy in
// the log, the thread waits behind it, and everything goes out, in order,
// when Slack says the bot joined the channel.
func TestOutboxWaitsForTheBotToJoin(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		h := setupWith(t, db, false)
		h.slack.Script("chat.postMessage", slackfake.Scripted{Error: "not_in_channel"})
		h.bot.Command(t, "U0REPORTER", "C0GENERAL", "/fault", "office-a down")
		h.drain(t)
		if err := h.svc.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		pending, failed, err := db.OutboxDepth(ctx)
		if err != nil || pending != 2 || failed != 1 { // the head given up; the check and the head's update wait
			t.Fatalf("outbox: %d pending, %d failed (%v)", pending, failed, err)
		}
		_, given, err := db.OutboxReport(ctx, 10)
		if err != nil || len(given) != 1 || !strings.Contains(given[0].Error, "not_in_channel") {
			t.Fatalf("given up: %+v (%v)", given, err)
		}
		// Someone else joining changes nothing.
		if resp := h.bot.Event(t, slackfake.MemberJoined("Ev1", "U0TECH", faults)); resp.StatusCode != http.StatusOK {
			t.Fatalf("event: status %d", resp.StatusCode)
		}
		if _, failed, _ := db.OutboxDepth(ctx); failed != 1 {
			t.Fatalf("%d given up after someone else joined, want 1", failed)
		}
		if resp := h.bot.Event(t, slackfake.MemberJoined("Ev2", "U0FAULTLINE", faults)); resp.StatusCode != http.StatusOK {
			t.Fatalf("event: status %d", resp.StatusCode)
		}
		if err := h.svc.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if pending, failed, _ := db.OutboxDepth(ctx); pending != 0 || failed != 0 {
			t.Fatalf("after the bot joined: %d pending, %d failed", pending, failed)
		}
		posts := h.slack.Calls("chat.postMessage")
		if len(posts) != 2 || !strings.HasPrefix(posts[0].Params["text"], "*F-1*") || posts[1].Params["thread_ts"] == "" {
			t.Fatalf("posts after joining: %v", posts)
		}
	})
}

// Stopping the bot while Slack is taking a message does not cut the send
// off: the message is recorded as sent, so the next start does not post
// it again once its claim lapses.
func TestOutboxFinishesASendWhenStopped(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setupWith(t, db, false)
		h.slack.Script("chat.postMessage", slackfake.Scripted{Delay: 300 * time.Millisecond})
		h.bot.Command(t, "U0REPORTER", "C0GENERAL", "/fault", "office-a down")
		h.drain(t)
		ctx, stop := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, stop)
		tried, _, err := h.svc.DeliverDue(ctx)
		if err != nil || tried != 1 {
			t.Fatalf("delivery while stopping: tried %d, %v", tried, err)
		}
		f, err := db.Fault(context.Background(), 1)
		if err != nil || f.MessageTS == "" {
			t.Fatalf("the ticket's message, which Slack took, is not recorded: %+v %v", f, err)
		}
		if n := len(h.slack.Calls("chat.postMessage")); n != 1 {
			t.Fatalf("%d posts", n)
		}
	})
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
