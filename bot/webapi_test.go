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

// A response_url is answered only on Slack's hooks host (or the fake's,
// the host of SLACK_API_URL): a signed request cannot send the bot's
// answer, with its incident text, anywhere it names.
func TestResponderOnlyOnSlackHosts(t *testing.T) {
	fake := slackfake.New(t, token)
	api := bot.NewWebAPI(token, fake.APIURL())
	for raw, ok := range map[string]bool{
		"https://hooks.slack.com/commands/T0/1/x":     true,
		fake.ResponseURL():                            true,
		"https://evil.example/hooks":                  false,
		"http://hooks.slack.com/commands/T0/1/x":      false,
		"https://hooks.slack.com.evil.example/x":      false,
		"https://user@evil.example@hooks.slack.com/x": true, // the host is hooks.slack.com
		"":              false,
		"not a url %zz": false,
	} {
		if got := api.Responder(raw) != nil; got != ok {
			t.Errorf("Responder(%q) usable = %v, want %v", raw, got, ok)
		}
	}
}

// auth.test says whether Slack takes the token; a refusal is told apart
// from Slack being unreachable, and /readyz's Health reports it until a
// call goes through again.
func TestTokenRefusal(t *testing.T) {
	fake := slackfake.New(t, token)
	bad := bot.NewWebAPI("xoxb-revoked", fake.APIURL())
	if _, _, err := bad.AuthTest(context.Background()); !bot.TokenRefused(err) {
		t.Fatalf("auth.test with a bad token: %v", err)
	}
	if err := bad.Health(); err == nil {
		t.Fatal("Health says a refused token is fine")
	}
	good := bot.NewWebAPI(token, fake.APIURL())
	if user, _, err := good.AuthTest(context.Background()); err != nil || user != "U0FAULTLINE" || good.Health() != nil {
		t.Fatalf("auth.test: %q %v %v", user, err, good.Health())
	}
	gone := bot.NewWebAPI(token, "http://127.0.0.1:1/api/")
	if _, _, err := gone.AuthTest(context.Background()); err == nil || bot.TokenRefused(err) {
		t.Fatalf("Slack unreachable is not a refused token: %v", err)
	}
}
