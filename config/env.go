package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Env is what Faultline takes from the environment, never from the file.
// It holds secrets: it formats (String, GoString, LogValue, MarshalJSON)
// with them redacted, so an Env, or a Config holding it, may be printed or
// logged safely.
type Env struct {
	BotToken      string // SLACK_BOT_TOKEN, xoxb-…
	SigningSecret string // SLACK_SIGNING_SECRET
	AppToken      string // SLACK_APP_TOKEN, xapp-…: when set, Socket Mode is used
	APIURL        string // SLACK_API_URL, default DefaultAPIURL, always ends in "/"
	DatabaseURL   string // DATABASE_URL, postgres://…; empty: the embedded SQLite file
	ListenAddr    string // LISTEN_ADDR, default DefaultListenAddr
}

// Environment defaults.
const (
	DefaultAPIURL     = "https://slack.com/api/"
	DefaultListenAddr = ":8080"
)

// ReadEnv reads the environment through getenv (nil reads nothing),
// applies defaults and checks the values. On a mistake it returns the Env
// as read and a *Problems whose problems have Line 0 and Path "env NAME".
func ReadEnv(getenv func(string) string) (Env, error) {
	col := &collector{}
	e := readEnv(getenv, col)
	return e, col.err("environment")
}

func readEnv(getenv func(string) string, col *collector) Env {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	e := Env{
		BotToken:      strings.TrimSpace(getenv("SLACK_BOT_TOKEN")),
		SigningSecret: strings.TrimSpace(getenv("SLACK_SIGNING_SECRET")),
		AppToken:      strings.TrimSpace(getenv("SLACK_APP_TOKEN")),
		APIURL:        strings.TrimSpace(getenv("SLACK_API_URL")),
		DatabaseURL:   strings.TrimSpace(getenv("DATABASE_URL")),
		ListenAddr:    strings.TrimSpace(getenv("LISTEN_ADDR")),
	}
	if e.APIURL == "" {
		e.APIURL = DefaultAPIURL
	}
	if !strings.HasSuffix(e.APIURL, "/") {
		e.APIURL += "/"
	}
	if e.ListenAddr == "" {
		e.ListenAddr = DefaultListenAddr
	}
	e.check(col)
	return e
}

func (e Env) check(col *collector) {
	if _, port, err := net.SplitHostPort(e.ListenAddr); err != nil || !validPort(port) {
		col.at(0, "env LISTEN_ADDR", "%q is not a listen address; write it as host:port, like :8080 or 127.0.0.1:8080", e.ListenAddr)
	}
	if !validDatabaseURL(e.DatabaseURL) {
		// The value may hold a password, so it is not repeated here.
		col.at(0, "env DATABASE_URL", "must start with postgres:// or postgresql://, or sqlite: and a file path (leave it empty for the embedded SQLite file faultline.db)")
	}
	if u, err := url.Parse(e.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		col.at(0, "env SLACK_API_URL", "%q is not an http:// or https:// URL", e.APIURL)
	}
}

func validDatabaseURL(s string) bool {
	for _, prefix := range []string{"postgres://", "postgresql://", "sqlite:"} {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return s == ""
}

func validPort(port string) bool {
	n, err := strconv.Atoi(port)
	return err == nil && n >= 0 && n <= 65535
}

// LogValue logs the Env with its secrets redacted.
func (e Env) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("bot_token", redactToken(e.BotToken)),
		slog.String("signing_secret", redactSecret(e.SigningSecret)),
		slog.String("app_token", redactToken(e.AppToken)),
		slog.String("api_url", e.APIURL),
		slog.String("database_url", redactURL(e.DatabaseURL)),
		slog.String("listen_addr", e.ListenAddr),
	)
}

// MarshalJSON encodes the Env with its secrets redacted, so a Config
// logged by a JSON handler (which does not ask nested values for LogValue)
// or dumped as JSON leaks nothing.
func (e Env) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{
		"bot_token":      redactToken(e.BotToken),
		"signing_secret": redactSecret(e.SigningSecret),
		"app_token":      redactToken(e.AppToken),
		"api_url":        e.APIURL,
		"database_url":   redactURL(e.DatabaseURL),
		"listen_addr":    e.ListenAddr,
	})
}

// String formats the Env with its secrets redacted, for %v and %+v.
func (e Env) String() string {
	return fmt.Sprintf("bot_token=%s signing_secret=%s app_token=%s api_url=%s database_url=%s listen_addr=%s",
		redactToken(e.BotToken), redactSecret(e.SigningSecret), redactToken(e.AppToken),
		e.APIURL, redactURL(e.DatabaseURL), e.ListenAddr)
}

// GoString is String, so %#v redacts too.
func (e Env) GoString() string { return "config.Env{" + e.String() + "}" }

// redactToken keeps a Slack token's type prefix ("xoxb-"), which helps tell
// a bot token from a user token, and drops the rest.
func redactToken(tok string) string {
	if tok == "" {
		return "(unset)"
	}
	for _, prefix := range []string{"xoxb-", "xoxp-", "xapp-", "xoxe-"} {
		if strings.HasPrefix(tok, prefix) {
			return prefix + "…(redacted)"
		}
	}
	return "(set, redacted)"
}

func redactSecret(s string) string {
	if s == "" {
		return "(unset)"
	}
	return "(set, redacted)"
}

// redactURL hides the password of a database URL, in the user info or in
// the query; anything but a postgres URL (a key=value DSN, say) is hidden
// whole.
func redactURL(s string) string {
	if s == "" {
		return "(unset)"
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "(set, redacted)"
	}
	q := u.Query()
	for _, k := range []string{"password", "sslpassword"} {
		if q.Has(k) {
			q.Set(k, "xxxxx")
		}
	}
	u.RawQuery = q.Encode()
	return u.Redacted()
}
