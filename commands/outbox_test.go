package commands_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

// retryLater is a refusal that says when to try again (Slack's 429).
type retryLater time.Duration

func (e retryLater) Error() string             { return "rate limited" }
func (e retryLater) RetryAfter() time.Duration { return time.Duration(e) }

// refusedForGood is a refusal no retry changes (channel_not_found).
type refusedForGood struct{}

func (refusedForGood) Error() string   { return "channel_not_found" }
func (refusedForGood) Permanent() bool { return true }

// A refused send is retried: after Retry-After when the chat says so,
// after a backoff otherwise; every message then arrives once, and a
// ticket's messages in order.
func TestOutboxRetriesKeepOrder(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		h.chat.failNext(retryLater(2*time.Second), errors.New("connection reset"))
		h.command("U0REPORTER", "/fault office-a down")
		h.settle()
		if got := len(h.chat.all()); got != 0 {
			t.Fatalf("%d messages went out while the chat refused", got)
		}
		for range 10 {
			h.advance(2 * time.Second)
			h.settle()
		}
		h.press("U0TECH", "fault_take", "F-1")
		msgs := h.settle()
		var heads, checks, takes int
		for _, m := range h.chat.all() {
			switch {
			case m.Method == "post" && m.ThreadTS == "" && m.Channel == faults:
				heads++
			case m.Method == "post" && m.ThreadTS != "" && m.Buttons != nil && m.Buttons[0].ID == "fault_recheck":
				checks++
			case m.Method == "post" && m.Text == "<@U0TECH> took F-1.":
				takes++
			}
		}
		if heads != 1 || checks != 1 || takes != 1 {
			t.Fatalf("heads %d, checks %d, takes %d; want one each:%s", heads, checks, takes, dump(h.chat.all()))
		}
		mustSay(t, msgs, "update", "Owner: <@U0TECH>")
		if f := h.fault(1); f.MessageTS == "" {
			t.Fatal("the ticket never got its message")
		}
	})
}

// A message the chat refuses for good is given up and kept with the
// reason; the messages behind it in the thread, which cannot be posted
// without it, are given up too instead of blocking for ever.
func TestOutboxGivesUpOnPermanentRefusals(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		h.chat.failNext(refusedForGood{})
		h.command("U0REPORTER", "/fault office-a down")
		h.settle()
		pending, failed, err := db.OutboxDepth(context.Background())
		if err != nil || pending != 0 || failed != 3 { // the head, the check, the head's update
			t.Fatalf("outbox: %d pending, %d failed (%v)", pending, failed, err)
		}
	})
}
