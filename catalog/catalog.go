// Package catalog holds every sentence Faultline says, in Chinese (the
// procedure document's language) and English, under stable keys. The
// sentences say what; how a message looks in a transport is the
// transport's business. They are written in Faultline's message markup
// (package markup), and their arguments are already escaped. Keys are
// written out in full where they are used, so a search for a key finds
// its caller.
package catalog

import "fmt"

// Lang is the language users read: "zh" or "en".
type Lang string

// Supported languages.
const (
	ZH Lang = "zh"
	EN Lang = "en"
)

// Catalog turns message keys into sentences in one language. Both
// languages carry the same keys with the same arguments (a test compares
// them).
type Catalog struct {
	lang     Lang
	messages map[string]string
}

// New returns the catalog for lang; anything but "en" is Chinese.
func New(lang Lang) Catalog {
	if lang == EN {
		return Catalog{lang: EN, messages: en}
	}
	return Catalog{lang: ZH, messages: zh}
}

// Lang is the catalog's language.
func (c Catalog) Lang() Lang { return c.lang }

// T formats the sentence for key with args (fmt verbs). An unknown key
// comes back as itself in brackets, so a gap shows instead of panicking;
// a test makes sure no caller asks for one.
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

// Has reports whether key is in the catalog.
func (c Catalog) Has(key string) bool {
	_, ok := c.messages[key]
	return ok
}

// Keys returns every key of a language's catalog with its sentence.
func Keys(lang Lang) map[string]string {
	out := map[string]string{}
	for k, v := range New(lang).messages {
		out[k] = v
	}
	return out
}
