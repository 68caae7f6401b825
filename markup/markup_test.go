package markup_test

import (
	"testing"

	"github.com/faultline/faultline/markup"
)

func TestEscapeStopsMentions(t *testing.T) {
	got := markup.Escape("<!channel> & <@U123> <https://evil|ok>")
	want := "&lt;!channel&gt; &amp; &lt;@U123&gt; &lt;https://evil|ok&gt;"
	if got != want {
		t.Fatalf("Escape = %q, want %q", got, want)
	}
	if back := markup.Unescape(got); back != "<!channel> & <@U123> <https://evil|ok>" {
		t.Fatalf("Unescape = %q", back)
	}
}

func TestPlain(t *testing.T) {
	for in, want := range map[string]string{
		"*F-1* is open for <@U123> in <#C0FAULTS>":     "F-1 is open for @U123 in #C0FAULTS",
		"```\n1. gw  ok\n```":                          "1. gw  ok",
		"<!channel> see <https://x.example/|the wiki>": "@channel see the wiki (https://x.example/)",
		markup.Escape("<@U999> & co"):                  "<@U999> & co",
		markup.Quote("two\nlines"):                     "> two\n> lines",
		"schedule `0 17 * * 1-5` · *due*":              "schedule `0 17 * * 1-5` · due",
	} {
		if got := markup.Plain(in); got != want {
			t.Errorf("Plain(%q) = %q, want %q", in, got, want)
		}
	}
}
