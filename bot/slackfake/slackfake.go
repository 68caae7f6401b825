// Package slackfake impersonates Slack at the HTTP boundary, for tests and
// benchmarks: a Web API server that checks tokens, answers like Slack
// (ts values with a 6-digit fraction, ok:false errors, 429 with
// Retry-After) and records every call; response_url endpoints; and a
// client that signs and sends slash commands, interactions and events to
// the bot exactly as Slack does.
package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Call is one request the bot made to the fake.
type Call struct {
	Method string            // "chat.postMessage", or "response_url"
	Params map[string]string // form values, or top-level JSON fields as text
	Body   string            // the raw body
	At     time.Time         // when the fake received it
}

// Scripted is a canned answer for the next call of a method.
type Scripted struct {
	Status     int    // HTTP status; 0 means 200
	RetryAfter string // Retry-After header for a 429
	Error      string // ok:false with this error code
	// Delay holds the answer this long; with no Status and no Error the
	// answer is then the usual success.
	Delay time.Duration
}

// Slack is the fake. Its zero value is not usable; call New.
type Slack struct {
	Token  string
	Server *httptest.Server

	mu       sync.Mutex
	calls    []Call
	script   map[string][]Scripted
	seq      int
	notify   chan struct{}
	response int
	socket   *Socket
	perChan  time.Duration        // rate limit of chat.postMessage per channel; 0: none
	burst    int                  // posts an idle channel takes at once
	lastPost map[string]time.Time // channel → when its bucket is next full (GCRA)
	limited  int                  // 429s answered because of perChan
	deleted  map[string]bool      // users.info says these accounts are deleted
	tiers    map[string]*tier     // per-method limits, as Slack's tiers
}

// tier is a per-method allowance: at most n calls in any window.
type tier struct {
	n      int
	window time.Duration
	calls  []time.Time // accepted, oldest first
}

// DeleteUser makes users.info say user's account is deleted (they left).
func (s *Slack) DeleteUser(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deleted == nil {
		s.deleted = map[string]bool{}
	}
	s.deleted[user] = true
}

// RateLimit makes chat.postMessage accept at most one message per channel
// per interval, answering 429 with Retry-After otherwise, as Slack does at
// about one a second.
func (s *Slack) RateLimit(interval time.Duration) { s.RateLimitBurst(interval, 1) }

// RateLimitBurst is RateLimit allowing short bursts, as Slack does: up to
// burst messages at once to an idle channel, then one per interval (a
// token bucket refilled one token per interval).
func (s *Slack) RateLimitBurst(interval time.Duration, burst int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.perChan, s.burst, s.lastPost = interval, max(burst, 1), map[string]time.Time{}
}

// LimitMethod makes method accept at most n calls in any window (Slack's
// tiers: conversations.open is Tier 3, 50 a minute; users.info Tier 4, 100
// a minute), answering 429 with Retry-After until the oldest call leaves
// the window.
func (s *Slack) LimitMethod(method string, n int, window time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tiers == nil {
		s.tiers = map[string]*tier{}
	}
	s.tiers[method] = &tier{n: n, window: window}
}

// overTier records a call of method and, if its tier is spent, returns
// how long until it may be called again.
func (s *Slack) overTier(method string) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tiers[method]
	if t == nil {
		return 0, false
	}
	now := time.Now()
	for len(t.calls) > 0 && now.Sub(t.calls[0]) >= t.window {
		t.calls = t.calls[1:]
	}
	if len(t.calls) >= t.n {
		s.limited++
		return t.window - now.Sub(t.calls[0]), true
	}
	t.calls = append(t.calls, now)
	return 0, false
}

// Limited is how many calls the rate limits refused.
func (s *Slack) Limited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limited
}

// overLimit records a post to channel and reports whether it comes too
// soon after the last accepted one.
func (s *Slack) overLimit(channel string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.perChan == 0 {
		return false
	}
	// GCRA: lastPost holds the channel's theoretical arrival time; a post
	// may come when it is no more than (burst-1) intervals ahead of now.
	now := time.Now()
	tat := s.lastPost[channel]
	if tat.Before(now) {
		tat = now
	}
	if tat.Sub(now) > time.Duration(s.burst-1)*s.perChan {
		s.limited++
		return true
	}
	s.lastPost[channel] = tat.Add(s.perChan)
	return false
}

// New starts a fake that accepts token, stopped when the test ends.
func New(t testing.TB, token string) *Slack {
	s := &Slack{Token: token, script: map[string][]Scripted{}, notify: make(chan struct{}, 1)}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Server.Close)
	return s
}

// APIURL is the Web API base URL, with the trailing slash slack-go needs.
func (s *Slack) APIURL() string { return s.Server.URL + "/api/" }

// ResponseURL returns a fresh response_url on the fake.
func (s *Slack) ResponseURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.response++
	return fmt.Sprintf("%s/response/%d", s.Server.URL, s.response)
}

// Script queues canned answers for method, used in order before the fake
// answers normally again.
func (s *Slack) Script(method string, answers ...Scripted) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script[method] = append(s.script[method], answers...)
}

// Calls returns every call so far, optionally only those of methods.
func (s *Slack) Calls(methods ...string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if len(methods) == 0 || contains(methods, c.Method) {
			out = append(out, c)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s *Slack) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if strings.HasPrefix(r.URL.Path, "/response/") {
		s.record(Call{Method: "response_url", Params: jsonParams(body), Body: string(body)})
		writeJSON(w, map[string]any{"ok": true})
		return
	}
	s.mu.Lock()
	sock := s.socket
	s.mu.Unlock()
	if sock != nil && (r.URL.Path == "/socket" || r.URL.Path == "/api/apps.connections.open") {
		s.serveSocket(w, r, sock)
		return
	}
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	params := params(r, body)
	if tok := bearer(r); tok != s.Token && params["token"] != s.Token {
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	if sc, ok := s.next(method); ok {
		time.Sleep(sc.Delay)
		if sc.Status == 0 && sc.Error == "" {
			s.answer(w, method, params, body)
			return
		}
		s.answerScripted(w, method, params, body, sc)
		return
	}
	if wait, over := s.overTier(method); over {
		secs := int((wait + time.Second - 1) / time.Second)
		s.answerScripted(w, method, params, body, Scripted{Status: http.StatusTooManyRequests, RetryAfter: strconv.Itoa(secs)})
		return
	}
	if method == "chat.postMessage" && s.overLimit(params["channel"]) {
		s.answerScripted(w, method, params, body, Scripted{Status: http.StatusTooManyRequests, RetryAfter: "1"})
		return
	}
	s.answer(w, method, params, body)
}

func bearer(r *http.Request) string {
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
}

func params(r *http.Request, body []byte) map[string]string {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return jsonParams(body)
	}
	out := map[string]string{}
	v, _ := url.ParseQuery(string(body))
	for k := range v {
		out[k] = v.Get(k)
	}
	return out
}

func jsonParams(body []byte) map[string]string {
	var raw map[string]json.RawMessage
	out := map[string]string{}
	if json.Unmarshal(body, &raw) != nil {
		return out
	}
	for k, v := range raw {
		var s string
		if json.Unmarshal(v, &s) == nil {
			out[k] = s
		} else {
			out[k] = string(v)
		}
	}
	return out
}

func (s *Slack) next(method string) (Scripted, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.script[method]
	if len(q) == 0 {
		return Scripted{}, false
	}
	s.script[method] = q[1:]
	return q[0], true
}

func (s *Slack) answerScripted(w http.ResponseWriter, method string, p map[string]string, body []byte, sc Scripted) {
	s.record(Call{Method: method + " (refused)", Params: p, Body: string(body)})
	if sc.RetryAfter != "" {
		w.Header().Set("Retry-After", sc.RetryAfter)
	}
	if sc.Status != 0 && sc.Status != http.StatusOK {
		w.WriteHeader(sc.Status)
		if sc.Status == http.StatusTooManyRequests {
			io.WriteString(w, `{"ok":false,"error":"ratelimited"}`)
		}
		return
	}
	writeJSON(w, map[string]any{"ok": false, "error": sc.Error})
}

func (s *Slack) answer(w http.ResponseWriter, method string, p map[string]string, body []byte) {
	s.record(Call{Method: method, Params: p, Body: string(body)})
	switch method {
	case "chat.postMessage":
		writeJSON(w, map[string]any{"ok": true, "channel": p["channel"], "ts": s.nextTS(),
			"message": map[string]any{"type": "message", "subtype": "bot_message", "text": p["text"]}})
	case "chat.update":
		writeJSON(w, map[string]any{"ok": true, "channel": p["channel"], "ts": p["ts"], "text": p["text"]})
	case "chat.postEphemeral":
		writeJSON(w, map[string]any{"ok": true, "message_ts": s.nextTS()})
	case "views.open":
		writeJSON(w, map[string]any{"ok": true, "view": map[string]any{"id": "V0FAKE"}})
	case "conversations.open":
		writeJSON(w, map[string]any{"ok": true, "channel": map[string]any{"id": "D0" + strings.ToUpper(p["users"])}})
	case "users.info":
		s.mu.Lock()
		deleted := s.deleted[p["user"]]
		s.mu.Unlock()
		writeJSON(w, map[string]any{"ok": true, "user": map[string]any{"id": p["user"], "name": strings.ToLower(p["user"]), "deleted": deleted}})
	case "auth.test":
		writeJSON(w, map[string]any{"ok": true, "user_id": "U0FAULTLINE", "bot_id": "B0FAULTLINE", "team_id": "T0FAKE"})
	default:
		writeJSON(w, map[string]any{"ok": false, "error": "unknown_method"})
	}
}

func (s *Slack) nextTS() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return fmt.Sprintf("1700000000.%06d", s.seq)
}

func (s *Slack) record(c Call) {
	c.At = time.Now()
	s.mu.Lock()
	s.calls = append(s.calls, c)
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// WaitFor blocks until cond holds for the calls recorded so far, and
// returns them. It is a signal, not a timer: the generous limit only turns
// a hang into a failure that lists what did arrive.
func (s *Slack) WaitFor(t testing.TB, what string, cond func(calls []Call) bool) []Call {
	t.Helper()
	limit := time.After(15 * time.Second)
	for {
		calls := s.Calls()
		if cond(calls) {
			return calls
		}
		select {
		case <-s.notify:
		case <-limit:
			t.Fatalf("gave up waiting for %s; the fake received %d calls: %s", what, len(calls), summary(calls))
		}
	}
}

// Count returns how many calls of method were recorded.
func Count(calls []Call, method string) int {
	n := 0
	for _, c := range calls {
		if c.Method == method {
			n++
		}
	}
	return n
}

func summary(calls []Call) string {
	var b strings.Builder
	for _, c := range calls {
		fmt.Fprintf(&b, "\n  %s channel=%s thread_ts=%s text=%.80q", c.Method, c.Params["channel"], c.Params["thread_ts"], c.Params["text"])
	}
	return b.String()
}
