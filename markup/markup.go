// Package markup is the text of Faultline's messages. The flows and the
// catalog write it; every transport renders it from here: Slack takes it as
// mrkdwn unchanged (it is that subset on purpose), the console and the
// command line print Plain(text), a group-robot webhook converts it to its
// own format.
//
// The markup has *bold*, `code`, fenced ``` blocks, "> " quotes, user
// mentions <@U123>, channel links <#C123>, links <url|label>, and nothing
// else. &, < and > are escaped as &amp;, &lt; and &gt;, so text a person
// typed, once passed through Escape, shows literally and can never become a
// mention, a broadcast (<!channel>) or a link.
package markup

import (
	"regexp"
	"strings"
)

var (
	escaper   = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	unescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
)

// Escape makes user text safe inside a message.
func Escape(s string) string { return escaper.Replace(s) }

// Unescape reverses Escape; Slack delivers user text escaped this way.
func Unescape(s string) string { return unescaper.Replace(s) }

// Mention is the markup that notifies a user.
func Mention(userID string) string { return "<@" + userID + ">" }

// ChannelLink is the markup that links a channel.
func ChannelLink(channelID string) string { return "<#" + channelID + ">" }

// Quote renders text as a block quote, line by line.
func Quote(text string) string { return "> " + strings.ReplaceAll(text, "\n", "\n> ") }

var (
	tags      = regexp.MustCompile(`<([@#!])([^>|]+)(?:\|([^>]*))?>|<([^>|]+)\|([^>]*)>|<([^>|]+)>`)
	codeFence = regexp.MustCompile("(?m)^```\n?|\n?```$")
	// bold is *text* as Slack reads it: no space just inside the stars,
	// so a cron schedule's "* * 1-5" stays as it is.
	bold = regexp.MustCompile(`\*([^*\s]|[^*\s][^*\n]*[^*\s])\*`)
)

// Plain turns markup into plain text for a terminal or a plain-text
// channel: mentions and channel links become @U123 and #C123, links
// "label (url)", code fences and bold asterisks go, and the escaped &, <
// and > show as themselves.
func Plain(s string) string {
	s = codeFence.ReplaceAllString(s, "")
	s = bold.ReplaceAllString(s, "$1")
	s = tags.ReplaceAllStringFunc(s, func(m string) string {
		p := tags.FindStringSubmatch(m)
		switch {
		case p[1] == "@" || p[1] == "#":
			return p[1] + p[2]
		case p[1] == "!":
			return "@" + p[2]
		case p[4] != "":
			return p[5] + " (" + p[4] + ")"
		}
		return p[6]
	})
	return Unescape(s)
}

// FormText is markup made readable where only plain text shows (a form's
// field errors in Slack): mentions become @U123 and entities characters,
// and nothing else changes.
func FormText(s string) string {
	s = strings.NewReplacer("<@", "@", "<#", "#", ">", "").Replace(s)
	return Unescape(s)
}
