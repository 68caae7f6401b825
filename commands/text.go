package commands

import (
	"regexp"
	"strings"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/markup"
)

// durationText is a duration for people in a message, in their
// language: 45m, 3h05m, <1m (45 分钟, 3 小时 05 分钟, 不到 1 分钟).
func (f *flow) durationText(d time.Duration) string {
	d = d.Round(time.Minute)
	if d < time.Minute {
		return f.cat.T("dur.under_minute")
	}
	h, m := int(d.Hours()), int(d.Minutes())%60
	if h == 0 {
		return f.cat.T("dur.minutes", m)
	}
	return f.cat.T("dur.hours_minutes", h, m)
}

// plainDuration is durationText for plain text (exports, the digest).
func (f *flow) plainDuration(d time.Duration) string { return markup.Unescape(f.durationText(d)) }

// minutes is a configured duration in the largest whole unit: 30s, 15m,
// 4h, in the users' language.
func (f *flow) minutes(d time.Duration) string {
	m := d.Minutes()
	if m < 1 {
		return f.cat.T("dur.seconds", int(m*60+0.5))
	}
	if m >= 120 {
		return f.cat.T("dur.hours", int(m/60+0.5))
	}
	return f.cat.T("dur.minutes", int(m+0.5))
}

// oneLine shortens text to n runes on a single line, for lists.
func oneLine(text string, n int) string {
	text = strings.Join(strings.Fields(text), " ")
	r := []rune(text)
	if len(r) <= n {
		return text
	}
	return string(r[:n-1]) + "…"
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

// Message helpers: a post in a ticket's or incident's thread, an update of
// its head message, a direct message.

func threadPost(m faultline.Message) faultline.Outgoing {
	return faultline.Outgoing{Kind: faultline.OutPost, Thread: true, Message: m}
}

func headUpdate() faultline.Outgoing { return faultline.Outgoing{Kind: faultline.OutUpdate} }

func directMessage(user string, m faultline.Message) faultline.Outgoing {
	return faultline.Outgoing{Kind: faultline.OutDM, User: user, Message: m}
}

// formConfirmation is the note that a form opened a ticket or declared an
// incident, its text written when it is sent: to the person alone in the
// conversation the form came from, or by DM when the form's metadata does
// not name one (a forged submission).
func formConfirmation(user, channel string) faultline.Outgoing {
	if channelID.MatchString(channel) {
		return ephemeralTo(user, channel, "")
	}
	return faultline.Outgoing{Kind: faultline.OutDM, User: user}
}

var channelID = regexp.MustCompile(`^[CDG][A-Z0-9]{2,20}$`)

// ephemeralTo is a message only user sees, in channel.
func ephemeralTo(user, channel, text string) faultline.Outgoing {
	return faultline.Outgoing{Kind: faultline.OutEphemeral, User: user, Message: faultline.Message{Channel: channel, Text: text}}
}
