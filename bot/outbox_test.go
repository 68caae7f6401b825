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
		h.work.Wait()
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

// channel_not_found is a refusal for good: the Web API client says so,
// and the outbox gives the message up with the reason (and the thread
// behind it), instead of retrying for ever.
func TestOutboxGivesUpOnPermanentErrors(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setupWith(t, db, false)
		h.slack.Script("chat.postMessage", slackfake.Scripted{Error: "channel_not_found"})
		h.bot.Command(t, "U0REPORTER", "C0GENERAL", "/fault", "office-a down")
		h.work.Wait()
		if err := h.svc.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		pending, failed, err := db.OutboxDepth(context.Background())
		if err != nil || pending != 0 || failed != 3 { // the head, the check, the head's update
			t.Fatalf("outbox: %d pending, %d failed (%v)", pending, failed, err)
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
		h.work.Wait()
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
