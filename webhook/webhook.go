// Package webhook posts the bot's messages to the group robots of
// DingTalk (钉钉), Feishu (飞书) and WeCom (企业微信), each signed and shaped
// as its platform documents, with plain net/http: none of the three has
// an SDK here.
//
//   - DingTalk: POST {"msgtype":"text","text":{"content":…}} to the robot's
//     address with timestamp (ms) and sign added to its query, where sign
//     is base64(HMAC-SHA256(key = secret, timestamp + "\n" + secret)),
//     URL-encoded (加签).
//   - Feishu: POST {"timestamp":…,"sign":…,"msg_type":"text",
//     "content":{"text":…}}, timestamp in seconds and sign
//     base64(HMAC-SHA256(key = timestamp + "\n" + secret, empty message))
//     (签名校验).
//   - WeCom: POST {"msgtype":"text","text":{"content":…}} to the address,
//     whose key is the credential; nothing is signed.
//
// Each answers HTTP 200 with a code in the body; the code says whether
// the robot is sending too fast, refused the signature, or took it.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Robot is one configured group robot.
type Robot struct {
	Name   string
	Kind   string // dingtalk, feishu or wecom
	URL    string
	Secret string
}

// Sender posts to the configured robots.
type Sender struct {
	robots map[string]Robot
	client *http.Client
	now    func() time.Time
}

// New returns a Sender for robots; client nil uses a client with a 10 s
// timeout, now nil uses time.Now.
func New(robots []Robot, client *http.Client, now func() time.Time) *Sender {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	if now == nil {
		now = time.Now
	}
	s := &Sender{robots: map[string]Robot{}, client: client, now: now}
	for _, r := range robots {
		s.robots[r.Name] = r
	}
	return s
}

// Limits of a message's text, in bytes: WeCom takes 2,048, DingTalk and
// Feishu far more; the bot's messages are short, and a longer one is cut.
const (
	maxWeCom = 2048
	maxOther = 18000
)

// rateLimited is how long to wait when a robot says it is sending too
// fast: the platforms count per minute.
const rateLimited = time.Minute

// SendHook posts text to the robot named name.
func (s *Sender) SendHook(ctx context.Context, name, text string) error {
	r, ok := s.robots[name]
	if !ok {
		return &Error{Robot: name, Msg: "no such webhook is configured", permanent: true,
			remedy: "add webhook " + strconv.Quote(name) + " back to the config, or leave this message given up"}
	}
	req, err := s.request(ctx, r, text)
	if err != nil {
		return &Error{Robot: name, Kind: r.Kind, Msg: err.Error(), permanent: true, remedy: "check the webhook's url in the config"}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", name, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return answer(r, resp, body)
}

func (s *Sender) request(ctx context.Context, r Robot, text string) (*http.Request, error) {
	u, err := url.Parse(r.URL)
	if err != nil {
		return nil, err
	}
	var payload any
	switch r.Kind {
	case "dingtalk":
		if r.Secret != "" {
			ts := strconv.FormatInt(s.now().UnixMilli(), 10)
			q := u.Query()
			q.Set("timestamp", ts)
			q.Set("sign", DingTalkSign(ts, r.Secret))
			u.RawQuery = q.Encode()
		}
		payload = map[string]any{"msgtype": "text", "text": map[string]string{"content": cut(text, maxOther)}}
	case "feishu":
		// Feishu reads <at user_id="all"></at> in a text message as a
		// mention of everyone: a reporter's words must not ping the group.
		text = strings.ReplaceAll(text, "<", "＜")
		m := map[string]any{"msg_type": "text", "content": map[string]string{"text": cut(text, maxOther)}}
		if r.Secret != "" {
			ts := strconv.FormatInt(s.now().Unix(), 10)
			m["timestamp"], m["sign"] = ts, FeishuSign(ts, r.Secret)
		}
		payload = m
	case "wecom":
		payload = map[string]any{"msgtype": "text", "text": map[string]string{"content": cut(text, maxWeCom)}}
	default:
		return nil, fmt.Errorf("unknown webhook kind %q", r.Kind)
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	return req, nil
}

// DingTalkSign is DingTalk's signature of a millisecond timestamp:
// base64 of HMAC-SHA256 over timestamp + "\n" + secret keyed by secret.
// (It goes into the query, where url.Values encodes it.)
func DingTalkSign(timestamp, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// FeishuSign is Feishu's signature of a timestamp in seconds: base64 of
// HMAC-SHA256 keyed by timestamp + "\n" + secret, over nothing.
func FeishuSign(timestamp, secret string) string {
	mac := hmac.New(sha256.New, []byte(timestamp+"\n"+secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// answer reads what the robot said.
func answer(r Robot, resp *http.Response, body []byte) error {
	e := &Error{Robot: r.Name, Kind: r.Kind, Status: resp.StatusCode}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		e.Msg, e.retry = "too many requests", rateLimited
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			e.retry = time.Duration(s) * time.Second
		}
		return e
	case resp.StatusCode >= 500:
		e.Msg = "the platform failed: " + resp.Status
		return e
	case resp.StatusCode >= 400:
		e.Msg, e.permanent, e.remedy = "refused: "+resp.Status, true, "check the webhook's url in the config"
		return e
	}
	var res struct {
		ErrCode    *int   `json:"errcode"` // DingTalk, WeCom
		ErrMsg     string `json:"errmsg"`
		Code       *int   `json:"code"` // Feishu
		Msg        string `json:"msg"`
		StatusCode *int   `json:"StatusCode"` // Feishu, older answers
	}
	if err := json.Unmarshal(body, &res); err != nil {
		e.Msg = "the answer is not JSON: " + strings.TrimSpace(string(body[:min(len(body), 200)]))
		return e
	}
	code, msg := 0, res.ErrMsg
	switch {
	case res.ErrCode != nil:
		code = *res.ErrCode
	case res.Code != nil:
		code, msg = *res.Code, res.Msg
	case res.StatusCode != nil:
		code = *res.StatusCode
	}
	if code == 0 {
		return nil
	}
	e.Code, e.Msg = code, msg
	switch {
	case rateCodes[r.Kind][code]:
		e.retry = rateLimited
	case signCodes[r.Kind][code]:
		e.permanent, e.remedy = true, signRemedy[r.Kind]
	}
	return e
}

// The platforms' codes for sending too fast and for a refused credential.
var (
	rateCodes = map[string]map[int]bool{
		"dingtalk": {130101: true}, // send too fast, exceed 20 times per minute
		"feishu":   {9499: true, 11232: true},
		"wecom":    {45009: true}, // api freq out of limit
	}
	signCodes = map[string]map[int]bool{
		"dingtalk": {310000: true, 300001: true, 400101: true}, // sign / keyword / ip not allowed; token missing; robot gone
		"feishu":   {19021: true, 19022: true, 19024: true},    // sign match fail; ip; keyword
		"wecom":    {93000: true, 40008: true},                 // invalid webhook url; invalid message type
	}
	signRemedy = map[string]string{
		"dingtalk": "check the robot's access_token and its 加签 secret (SEC…), and that the server's clock is right",
		"feishu":   "check the robot's address and its 签名校验 secret, and that the server's clock is right",
		"wecom":    "check the robot's key in its url",
	}
)

// Error is a robot's refusal.
type Error struct {
	Robot, Kind string
	Status      int // HTTP status, if it answered
	Code        int // the platform's code, if it gave one
	Msg         string
	retry       time.Duration
	permanent   bool
	remedy      string
}

func (e *Error) Error() string {
	s := "webhook " + e.Robot
	if e.Kind != "" {
		s += " (" + e.Kind + ")"
	}
	if e.Code != 0 {
		s += ": code " + strconv.Itoa(e.Code)
	}
	return s + ": " + e.Msg
}

// RetryAfter is how long to wait before sending to this robot again.
func (e *Error) RetryAfter() time.Duration { return e.retry }

// Permanent reports whether sending again cannot help.
func (e *Error) Permanent() bool { return e.permanent }

// Destination reports whether the robot itself is unreachable as
// configured, so the robot's later messages wait behind this one.
func (e *Error) Destination() bool { return e.permanent }

// Remedy says what an operator can do.
func (e *Error) Remedy() string { return e.remedy }

// cut shortens s to at most n bytes on a character boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n-len("…")]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
