package faultline

import (
	"fmt"
	"strings"
)

// Lang is the language users read: "zh" or "en".
type Lang string

// Supported languages.
const (
	LangZH Lang = "zh"
	LangEN Lang = "en"
)

// Catalog turns message keys into sentences in one language. Every
// user-facing sentence comes from here, so the two languages stay complete
// together (a test compares their keys and their format verbs).
type Catalog struct {
	lang     Lang
	messages map[string]string
}

// NewCatalog returns the catalog for lang; anything but "en" is Chinese,
// the procedure document's language.
func NewCatalog(lang Lang) Catalog {
	if lang == LangEN {
		return Catalog{lang: LangEN, messages: catalogEN}
	}
	return Catalog{lang: LangZH, messages: catalogZH}
}

// Lang is the catalog's language.
func (c Catalog) Lang() Lang { return c.lang }

// T formats the sentence for key with args (fmt verbs). An unknown key
// comes back as itself in brackets, so a gap shows instead of panicking.
func (c Catalog) T(key string, args ...any) string {
	msg, ok := c.messages[key]
	if !ok {
		return "[" + key + "]"
	}
	if len(args) == 0 {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}

// CatalogKeys returns the keys of a language's catalog, for tests.
func CatalogKeys(lang Lang) map[string]string {
	return NewCatalog(lang).messages
}

var (
	mrkdwnEscaper   = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	mrkdwnUnescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
)

// Escape makes user text safe inside a chat message: Slack reads &, < and >
// as control characters (<!channel>, <@U123>, links), so they become
// entities and show literally.
func Escape(s string) string { return mrkdwnEscaper.Replace(s) }

// Unescape reverses Escape; Slack delivers user text escaped this way.
func Unescape(s string) string { return mrkdwnUnescaper.Replace(s) }

// Mention is the markup that notifies a user.
func Mention(userID string) string { return "<@" + userID + ">" }

// ChannelLink is the markup that links a channel.
func ChannelLink(channelID string) string { return "<#" + channelID + ">" }
