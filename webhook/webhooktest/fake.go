// Package webhooktest is a local stand-in for the group robots of
// DingTalk, Feishu and WeCom: it checks each request's credential and
// signature exactly as the platform describes, counts its per-minute
// limit, answers in the platform's shape, and keeps what it accepted.
package webhooktest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Message is one message a robot accepted.
type Message struct {
	Kind string
	Text string
	At   time.Time
}

// Fake is the three platforms' robots on one local server, each with one
// robot: its token (DingTalk's access_token, Feishu's hook ID, WeCom's
// key) and its secret.
type Fake struct {
	*httptest.Server
	Token, Secret string
	// PerMinute is each robot's limit (DingTalk's and WeCom's 20).
	PerMinute int

	mu       sync.Mutex
	now      func() time.Time
	accepted []Message
	refused  []string
	sent     map[string][]time.Time // kind → accepted times, for the limit
	failNext map[string]int         // kind → HTTP 500s still to give
}

// New starts a fake; now nil is time.Now.
func New(now func() time.Time) *Fake {
	if now == nil {
		now = time.Now
	}
	f := &Fake{Token: "tok3n", Secret: "SECfake0secret", PerMinute: 20, now: now,
		sent: map[string][]time.Time{}, failNext: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /robot/send", f.dingtalk)
	mux.HandleFunc("POST /open-apis/bot/v2/hook/{token}", f.feishu)
	mux.HandleFunc("POST /cgi-bin/webhook/send", f.wecom)
	f.Server = httptest.NewServer(mux)
	return f
}

// URL is the robot address of kind, as its platform gives it.
func (f *Fake) URL(kind string) string {
	switch kind {
	case "dingtalk":
		return f.Server.URL + "/robot/send?access_token=" + f.Token
	case "feishu":
		return f.Server.URL + "/open-apis/bot/v2/hook/" + f.Token
	}
	return f.Server.URL + "/cgi-bin/webhook/send?key=" + f.Token
}

// FailNext makes kind's next n requests fail with HTTP 500.
func (f *Fake) FailNext(kind string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failNext[kind] = n
}

// Accepted is what the robots took, in order.
func (f *Fake) Accepted() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Message(nil), f.accepted...)
}

// Refused lists why requests were refused: "dingtalk: sign", "wecom: rate".
func (f *Fake) Refused() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.refused...)
}

// MaxInMinute is the most messages kind accepted within any 60 seconds.
func (f *Fake) MaxInMinute(kind string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	times, best := f.sent[kind], 0
	for i := range times {
		n := 0
		for j := i; j < len(times) && times[j].Sub(times[i]) < time.Minute; j++ {
			n++
		}
		best = max(best, n)
	}
	return best
}

func (f *Fake) dingtalk(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var body struct {
		MsgType string `json:"msgtype"`
		Text    struct {
			Content string `json:"content"`
		} `json:"text"`
	}
	switch {
	case f.fail("dingtalk", w):
	case q.Get("access_token") != f.Token:
		f.code(w, "dingtalk: token", map[string]any{"errcode": 300001, "errmsg": "token is not exist"})
	case !f.fresh(q.Get("timestamp"), time.Millisecond):
		f.code(w, "dingtalk: timestamp", map[string]any{"errcode": 310000, "errmsg": "sign not match, more: [timestamp is not in range]"})
	case !hmac.Equal([]byte(q.Get("sign")), []byte(dingTalkSign(q.Get("timestamp"), f.Secret))):
		f.code(w, "dingtalk: sign", map[string]any{"errcode": 310000, "errmsg": "sign not match"})
	case !decode(r, &body) || body.MsgType != "text" || body.Text.Content == "":
		f.code(w, "dingtalk: body", map[string]any{"errcode": 40035, "errmsg": "缺少参数 json"})
	case !f.take("dingtalk", body.Text.Content):
		f.code(w, "dingtalk: rate", map[string]any{"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"})
	default:
		writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok"})
	}
}

func (f *Fake) feishu(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Timestamp string `json:"timestamp"`
		Sign      string `json:"sign"`
		MsgType   string `json:"msg_type"`
		Content   struct {
			Text string `json:"text"`
		} `json:"content"`
	}
	ok := decode(r, &body)
	switch {
	case f.fail("feishu", w):
	case r.PathValue("token") != f.Token:
		f.code(w, "feishu: token", map[string]any{"code": 19001, "msg": "param invalid: incoming webhook access token invalid"})
	case !ok || body.MsgType != "text" || body.Content.Text == "":
		f.code(w, "feishu: body", map[string]any{"code": 9499, "msg": "Bad Request"})
	case !f.fresh(body.Timestamp, time.Second) ||
		!hmac.Equal([]byte(body.Sign), []byte(feishuSign(body.Timestamp, f.Secret))):
		f.code(w, "feishu: sign", map[string]any{"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"})
	case !f.take("feishu", body.Content.Text):
		f.code(w, "feishu: rate", map[string]any{"code": 11232, "msg": "frequency limited"})
	default:
		writeJSON(w, map[string]any{"code": 0, "msg": "success", "data": map[string]any{}})
	}
}

func (f *Fake) wecom(w http.ResponseWriter, r *http.Request) {
	var body struct {
		MsgType string `json:"msgtype"`
		Text    struct {
			Content string `json:"content"`
		} `json:"text"`
	}
	switch {
	case f.fail("wecom", w):
	case r.URL.Query().Get("key") != f.Token:
		f.code(w, "wecom: key", map[string]any{"errcode": 93000, "errmsg": "invalid webhook url"})
	case !decode(r, &body) || body.MsgType != "text" || body.Text.Content == "" || len(body.Text.Content) > 2048:
		f.code(w, "wecom: body", map[string]any{"errcode": 40008, "errmsg": "invalid message type"})
	case !f.take("wecom", body.Text.Content):
		f.code(w, "wecom: rate", map[string]any{"errcode": 45009, "errmsg": "api freq out of limit"})
	default:
		writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok"})
	}
}

func (f *Fake) fail(kind string, w http.ResponseWriter) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failNext[kind] == 0 {
		return false
	}
	f.failNext[kind]--
	f.refused = append(f.refused, kind+": 500")
	http.Error(w, "internal error", http.StatusInternalServerError)
	return true
}

// fresh reports whether ts (in unit) is within an hour of now, as both
// signing platforms require.
func (f *Fake) fresh(ts string, unit time.Duration) bool {
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	d := f.now().Sub(time.Unix(0, n*int64(unit)))
	return d < time.Hour && d > -time.Hour
}

// take accepts a message unless the robot took PerMinute in the last minute.
func (f *Fake) take(kind, text string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	recent := 0
	for _, t := range f.sent[kind] {
		if now.Sub(t) < time.Minute {
			recent++
		}
	}
	if recent >= f.PerMinute {
		return false
	}
	f.sent[kind] = append(f.sent[kind], now)
	f.accepted = append(f.accepted, Message{Kind: kind, Text: text, At: now})
	return true
}

func (f *Fake) code(w http.ResponseWriter, why string, body map[string]any) {
	f.mu.Lock()
	f.refused = append(f.refused, why)
	f.mu.Unlock()
	writeJSON(w, body) // the platforms refuse with HTTP 200 and a code
}

func decode(r *http.Request, v any) bool {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return false
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	return err == nil && json.Unmarshal(raw, v) == nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// dingTalkSign is DingTalk's documented check, written here on its own so
// the sender's code is not checked against itself: string_to_sign =
// timestamp + "\n" + secret, HMAC-SHA256 keyed with the secret, base64.
// (The query arrives URL-decoded.)
func dingTalkSign(timestamp, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte("\n"))
	mac.Write([]byte(secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// feishuSign is Feishu's: the key is timestamp + "\n" + secret and the
// message is empty; base64.
func feishuSign(timestamp, secret string) string {
	key := []byte(timestamp + "\n" + secret)
	mac := hmac.New(sha256.New, key)
	mac.Write(nil)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
