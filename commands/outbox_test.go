package commands_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/faultline/faultline/commands"
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

// notInChannel is a refusal of the destination (not_in_channel): what
// follows there would fail the same way.
type notInChannel struct{}

func (notInChannel) Error() string     { return "not_in_channel" }
func (notInChannel) Permanent() bool   { return true }
func (notInChannel) Destination() bool { return true }

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
// reason. A ticket's head message was refused, so its thread cannot be
// posted: the messages behind it wait (not given up, not sent) until an
// operator retries it, and then all of them go, in order.
func TestOutboxGivesUpOnPermanentRefusals(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		h := setup(t, db)
		h.chat.failNext(refusedForGood{})
		h.command("U0REPORTER", "/fault office-a down")
		h.settle()
		h.advance(time.Hour)
		h.settle()
		pending, failed, err := db.OutboxDepth(ctx)
		if err != nil || pending < 2 || failed != 1 { // the head given up; the check, the head's update and reminders behind it
			t.Fatalf("outbox: %d pending, %d failed (%v)", pending, failed, err)
		}
		for _, m := range h.chat.all() {
			if m.Channel == faults {
				t.Fatalf("a message went out behind a head that was refused:%s", dump(h.chat.all()))
			}
		}
		heads, given, err := db.OutboxReport(ctx, 10)
		if err != nil || len(heads) != 1 || heads[0].BlockedBy != "channel_not_found" || len(given) != 1 || given[0].Error != "channel_not_found" {
			t.Fatalf("report: heads %+v, given up %+v (%v)", heads, given, err)
		}
		if n, err := db.RetryOutgoing(ctx, given[0].ID, "", h.now()); n != 1 || err != nil {
			t.Fatalf("retry: %d, %v", n, err)
		}
		msgs := h.settle()
		mustSay(t, msgs, "post", "*F-1*")
		if pending, failed, err := db.OutboxDepth(ctx); pending != 0 || failed != 0 || err != nil {
			t.Fatalf("after the retry: %d pending, %d failed (%v)", pending, failed, err)
		}
	})
}

// A message whose channel the bot is not in waits, and goes when the bot
// is added to the channel.
func TestOutboxResendsWhenTheBotJoins(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		h := setup(t, db)
		h.chat.failNext(notInChannel{})
		h.command("U0REPORTER", "/fault office-a down")
		h.settle()
		if n := len(h.chat.all()); n != 0 {
			t.Fatalf("%d messages went out to a channel the bot is not in", n)
		}
		if err := h.svc.Joined(ctx, "C0ELSEWHERE"); err != nil {
			t.Fatal(err)
		}
		if n := len(h.settle()); n != 0 {
			t.Fatalf("joining another channel sent %d messages", n)
		}
		if err := h.svc.Joined(ctx, faults); err != nil {
			t.Fatal(err)
		}
		msgs := h.settle()
		mustSay(t, msgs, "post", "*F-1*")
		mustSay(t, msgs, "post", "Path check")
	})
}

// Slack's 429 says "later", not "failed": the message waits for its
// Retry-After without its attempt count (and so its backoff) growing; a
// real failure counts.
func TestRateLimitIsNotAFailedAttempt(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		h := setup(t, db)
		h.chat.failNext(retryLater(30 * time.Second))
		h.command("U0REPORTER", "/fault office-a down")
		h.settle()
		heads, _, err := db.OutboxReport(ctx, 10)
		if err != nil || len(heads) == 0 {
			t.Fatalf("report: %v %v", heads, err)
		}
		head := heads[0]
		if head.Attempts != 0 || !head.NextTry.Equal(h.now().Add(30*time.Second)) {
			t.Fatalf("after a 429: %d attempts, next try %s (want 0, %s)", head.Attempts, head.NextTry, h.now().Add(30*time.Second))
		}
		h.advance(30 * time.Second)
		h.chat.failNext(errors.New("500 Internal Server Error"))
		h.settle()
		heads, _, _ = db.OutboxReport(ctx, 10)
		if heads[0].ID != head.ID || heads[0].Attempts != 1 {
			t.Fatalf("after a 500: %+v", heads[0])
		}
	})
}

// Two processes on one database keep one channel at Slack's pace between
// them: never more than one post a second, however many each has to send.
func TestTwoProcessesKeepOnePace(t *testing.T) {
	for _, d := range storagetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			url := storagetest.URL(t, d)
			paced := func(set *commands.Settings) { set.Pace, set.Burst = time.Second, 1 }
			a := setupAt(t, storagetest.OpenURL(t, url), testT0, paced)
			b := setupAt(t, storagetest.OpenURL(t, url), testT0, paced)
			for range 4 {
				a.command("U0REPORTER", "/fault office-a down")
			}
			posts := func() int {
				n := 0
				for _, m := range append(a.chat.all(), b.chat.all()...) {
					if m.Method == "post" && m.Channel == faults {
						n++
					}
				}
				return n
			}
			const step = 250 * time.Millisecond
			var perRound []int
			seen := 0
			for range 48 {
				var wg sync.WaitGroup
				for _, h := range []*harness{a, b} {
					wg.Go(func() {
						if _, _, err := h.svc.DeliverDue(context.Background()); err != nil {
							t.Error(err)
						}
					})
				}
				wg.Wait()
				n := posts()
				perRound = append(perRound, n-seen)
				seen = n
				a.advance(step)
				b.advance(step)
			}
			for i := range perRound {
				sum := 0
				for j := i; j < min(i+4, len(perRound)); j++ {
					sum += perRound[j]
				}
				if sum > 1 {
					t.Fatalf("%d posts to one channel within a second (rounds of 250 ms: %v)", sum, perRound)
				}
			}
			if seen < 8 { // four heads and their checks
				t.Fatalf("only %d posts in 12 s: the pace holds back more than it should (%v)", seen, perRound)
			}
		})
	}
}
