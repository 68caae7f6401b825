package commands

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/markup"
)

// durationText is a duration for people in a message: 45m, 3h05m, <1m,
// escaped for the markup.
func durationText(d time.Duration) string { return markup.Escape(plainDuration(d)) }

// plainDuration is durationText for plain text (exports, the digest).
func plainDuration(d time.Duration) string {
	d = d.Round(time.Minute)
	if d < time.Minute {
		return "<1m"
	}
	h, m := int(d.Hours()), int(d.Minutes())%60
	if h == 0 {
		return fmt.Sprintf("%dm", m)
	}
	return fmt.Sprintf("%dh%02dm", h, m)
}

// minutes is a configured duration in the largest whole unit: 30s, 15m, 4h.
func minutes(d time.Duration) string {
	m := d.Minutes()
	if m < 1 {
		return fmt.Sprintf("%.0fs", m*60)
	}
	if m >= 120 {
		return fmt.Sprintf("%.0fh", m/60)
	}
	return fmt.Sprintf("%.0fm", m)
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
