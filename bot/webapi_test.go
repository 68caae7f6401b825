package bot_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/faultline/faultline/bot"
	"github.com/faultline/faultline/bot/slackfake"
)

// The Web API client asks Slack once for what does not change (a DM
// channel, a deleted account), an hour apart for what might (an account
// still active), and after a 429 from conversations.open or users.info
// waits out Retry-After without spending calls Slack would refuse.
func TestWebAPIRemembersAndWaitsOutLimits(t *testing.T) {
	fake := slackfake.New(t, token)
	fake.LimitMethod("conversations.open", 2, time.Minute)
	api := bot.NewWebAPI(token, fake.APIURL())
	clock := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	api.Now = func() time.Time { return clock }
	ctx := context.Background()

	for _, user := range []string{"U1", "U2", "U1", "U2"} {
		if ch, err := api.OpenDM(ctx, user); err != nil || ch != "D0"+user {
			t.Fatalf("open %s: %q %v", user, ch, err)
		}
	}
	if n := len(fake.Calls("conversations.open")); n != 2 {
		t.Fatalf("%d conversations.open for two people", n)
	}
	var limited interface{ RetryAfter() time.Duration }
	if _, err := api.OpenDM(ctx, "U3"); !errors.As(err, &limited) || limited.RetryAfter() < 50*time.Second {
		t.Fatalf("third open past a tier of two: %v", err)
	}
	if _, err := api.OpenDM(ctx, "U4"); !errors.As(err, &limited) || limited.RetryAfter() <= 0 {
		t.Fatalf("an open during the wait: %v", err)
	}
	if n := len(fake.Calls("conversations.open (refused)")); n != 1 {
		t.Fatalf("%d refused opens; the one 429 should hold the rest back", n)
	}
	clock = clock.Add(2 * time.Minute)
	if _, err := api.OpenDM(ctx, "U4"); err == nil || len(fake.Calls("conversations.open (refused)")) != 2 {
		// The fake's window is real time, so Slack refuses again; the
		// point is that the client asked once the wait was over.
		t.Fatalf("after the wait the client asks Slack again: %v", err)
	}

	for range 3 {
		if gone, err := api.UserGone(ctx, "U1"); err != nil || gone {
			t.Fatalf("U1: %v %v", gone, err)
		}
	}
	if n := len(fake.Calls("users.info")); n != 1 {
		t.Fatalf("%d users.info within the hour", n)
	}
	fake.DeleteUser("U1")
	clock = clock.Add(61 * time.Minute)
	if gone, err := api.UserGone(ctx, "U1"); err != nil || !gone {
		t.Fatalf("U1 after leaving: %v %v", gone, err)
	}
	clock = clock.Add(48 * time.Hour)
	if gone, _ := api.UserGone(ctx, "U1"); !gone || len(fake.Calls("users.info")) != 2 {
		t.Fatalf("a deleted account is asked about again (%d calls)", len(fake.Calls("users.info")))
	}
}
