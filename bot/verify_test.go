package bot_test

import (
	"errors"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/faultline/faultline/bot"
)

// Slack's worked example from "Verifying requests from Slack".
const (
	docSecret    = "8f742231b10e8888abcd99yyyzzz85a5"
	docTimestamp = "1531420618"
	docSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
	docBody      = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)

var docTime = time.Unix(1531420618, 0)

func docHeaders() http.Header {
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", docTimestamp)
	h.Set("X-Slack-Signature", docSignature)
	return h
}

func TestVerifySlackExample(t *testing.T) {
	tests := []struct {
		name   string
		header func() http.Header
		body   string
		secret string
		now    time.Time
		want   error
	}{
		{"published example", docHeaders, docBody, docSecret, docTime, nil},
		{"4m59s later", docHeaders, docBody, docSecret, docTime.Add(4*time.Minute + 59*time.Second), nil},
		{"stale: 5m01s later", docHeaders, docBody, docSecret, docTime.Add(5*time.Minute + time.Second), bot.ErrStaleRequest},
		{"from the future: 5m01s early", docHeaders, docBody, docSecret, docTime.Add(-5*time.Minute - time.Second), bot.ErrStaleRequest},
		{"tampered body", docHeaders, docBody + "&text=x", docSecret, docTime, bot.ErrBadSignature},
		{"wrong secret", docHeaders, docBody, "0" + docSecret[1:], docTime, bot.ErrBadSignature},
		{"no headers", func() http.Header { return http.Header{} }, docBody, docSecret, docTime, bot.ErrMissingSignature},
		{"no v0= prefix", func() http.Header {
			h := docHeaders()
			h.Set("X-Slack-Signature", docSignature[3:])
			return h
		}, docBody, docSecret, docTime, bot.ErrBadSignature},
		{"not hex", func() http.Header {
			h := docHeaders()
			h.Set("X-Slack-Signature", "v0=zz")
			return h
		}, docBody, docSecret, docTime, bot.ErrBadSignature},
		{"empty secret configured", docHeaders, docBody, "", docTime, bot.ErrMissingSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := bot.Verify(tt.header(), []byte(tt.body), tt.secret, tt.now)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

// The fixture copied from Slack's docs is byte-identical to the constant.
func TestSignMatchesFixtureBytes(t *testing.T) {
	body, err := os.ReadFile("testdata/slash_command.signing_example.form.txt")
	if err != nil {
		t.Fatal(err)
	}
	if err := bot.Verify(docHeaders(), body, docSecret, docTime); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	h := bot.SignatureHeaders(docSecret, body, docTime)
	if h.Get("X-Slack-Signature") != docSignature {
		t.Fatalf("SignatureHeaders = %s", h.Get("X-Slack-Signature"))
	}
}
