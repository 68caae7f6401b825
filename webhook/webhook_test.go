package webhook_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline/webhook"
	"github.com/faultline/faultline/webhook/webhooktest"
)

var kinds = []string{"dingtalk", "feishu", "wecom"}

func secretOf(f *webhooktest.Fake, kind string) string {
	if kind == "wecom" {
		return "" // WeCom's key is in the url
	}
	return f.Secret
}

// Each platform's robot takes a message signed and shaped as it documents,
// and refuses a wrong secret or key for good.
func TestEachKindSignedAsThePlatformChecks(t *testing.T) {
	fake := webhooktest.New(nil)
	defer fake.Close()
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			good := webhook.New([]webhook.Robot{{Name: "r", Kind: kind, URL: fake.URL(kind), Secret: secretOf(fake, kind)}}, nil, nil)
			if err := good.SendHook(context.Background(), "r", "【Faultline】I-1 较大事件"); err != nil {
				t.Fatalf("a correctly signed message was refused: %v (%v)", err, fake.Refused())
			}
			got := fake.Accepted()
			if last := got[len(got)-1]; last.Kind != kind || last.Text != "【Faultline】I-1 较大事件" {
				t.Fatalf("accepted %+v", last)
			}
			badURL, badSecret := fake.URL(kind), "SECwrong"
			if kind == "wecom" {
				badURL, badSecret = strings.Replace(badURL, fake.Token, "other", 1), ""
			}
			bad := webhook.New([]webhook.Robot{{Name: "r", Kind: kind, URL: badURL, Secret: badSecret}}, nil, nil)
			err := bad.SendHook(context.Background(), "r", "x")
			var we *webhook.Error
			if !errors.As(err, &we) || !we.Permanent() || !we.Destination() || we.Remedy() == "" {
				t.Fatalf("a wrong credential should be refused for good, with a remedy: %v", err)
			}
			// An old timestamp is refused too: both signing platforms allow an hour.
			if kind != "wecom" {
				old := webhook.New([]webhook.Robot{{Name: "r", Kind: kind, URL: fake.URL(kind), Secret: fake.Secret}}, nil,
					func() time.Time { return time.Now().Add(-2 * time.Hour) })
				if err := old.SendHook(context.Background(), "r", "x"); !errors.As(err, &we) || !we.Permanent() {
					t.Fatalf("a signature two hours old was taken: %v", err)
				}
			}
		})
	}
}

// A failure of the platform is tried again; a robot sending too fast is
// told to wait a minute; neither is given up.
func TestFailuresAndTheLimit(t *testing.T) {
	clock := time.Now()
	fake := webhooktest.New(func() time.Time { return clock })
	defer fake.Close()
	fake.PerMinute = 3
	for _, kind := range kinds {
		s := webhook.New([]webhook.Robot{{Name: "r", Kind: kind, URL: fake.URL(kind), Secret: secretOf(fake, kind)}}, nil,
			func() time.Time { return clock })
		fake.FailNext(kind, 1)
		err := s.SendHook(context.Background(), "r", "one")
		var we *webhook.Error
		if !errors.As(err, &we) || we.Permanent() || we.RetryAfter() != 0 {
			t.Fatalf("%s: a 500 should be a plain retry: %v", kind, err)
		}
		for i := range 3 {
			if err := s.SendHook(context.Background(), "r", "ok"); err != nil {
				t.Fatalf("%s: message %d: %v", kind, i, err)
			}
		}
		err = s.SendHook(context.Background(), "r", "fourth")
		if !errors.As(err, &we) || we.RetryAfter() != time.Minute || we.Permanent() {
			t.Fatalf("%s: over the limit should wait a minute: %v", kind, err)
		}
	}
}

// WeCom takes 2,048 bytes of text: a longer one is cut on a character.
func TestWeComTextIsCut(t *testing.T) {
	fake := webhooktest.New(nil)
	defer fake.Close()
	s := webhook.New([]webhook.Robot{{Name: "r", Kind: "wecom", URL: fake.URL("wecom")}}, nil, nil)
	if err := s.SendHook(context.Background(), "r", strings.Repeat("事", 1000)); err != nil {
		t.Fatal(err)
	}
	if got := fake.Accepted()[0].Text; len(got) > 2048 || !strings.HasSuffix(got, "…") {
		t.Fatalf("%d bytes", len(got))
	}
}

// A reporter's <at user_id="all"> reaches a Feishu group as text, not as
// a mention of everyone.
func TestFeishuTextMentionsNobody(t *testing.T) {
	fake := webhooktest.New(nil)
	defer fake.Close()
	s := webhook.New([]webhook.Robot{{Name: "r", Kind: "feishu", URL: fake.URL("feishu"), Secret: fake.Secret}}, nil, nil)
	if err := s.SendHook(context.Background(), "r", `I-1: <at user_id="all">所有人</at> 服务器被入侵`); err != nil {
		t.Fatal(err)
	}
	if got := fake.Accepted()[0].Text; strings.Contains(got, "<at") || !strings.Contains(got, "所有人") {
		t.Fatalf("sent %q", got)
	}
}
