package bot_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/bot"
	"github.com/faultline/faultline/bot/slackfake"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

const (
	secret    = "test-signing-secret"
	token     = "xoxb-test-token"
	faults    = "C0FAULTS"
	incidents = "G0INCIDENTS"
	announce  = "C0ANNOUNCE"
)

func TestFaultReportEndToEnd(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		h.pinger.Down("127.0.2.1", "127.0.3.1", "127.0.9.1")

		resp := h.bot.Command(t, "U0REPORTER", "C0GENERAL", "/fault", "office-a 网络不通 &lt;!channel&gt; &amp; <@U0BOSS>")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		var ack struct {
			ResponseType string `json:"response_type"`
			Text         string `json:"text"`
		}
		if err := json.Unmarshal([]byte(body(t, resp)), &ack); err != nil {
			t.Fatal(err)
		}
		if ack.ResponseType != "ephemeral" || !strings.Contains(ack.Text, "F-1") {
			t.Fatalf("ack = %+v", ack)
		}
		calls := h.slack.WaitFor(t, "the head message to show the verdict", headShowsVerdict)

		posts := filter(calls, "chat.postMessage")
		if len(posts) != 2 {
			t.Fatalf("want the ticket and the check posted, got %d posts", len(posts))
		}
		head, check := posts[0], posts[1]
		if head.Params["channel"] != faults || head.Params["thread_ts"] != "" {
			t.Fatalf("ticket posted to %s thread %q", head.Params["channel"], head.Params["thread_ts"])
		}
		headTS := "1700000000.000001"
		if check.Params["channel"] != faults || check.Params["thread_ts"] != headTS {
			t.Fatalf("check posted to %s thread %q, want the ticket's thread %s", check.Params["channel"], check.Params["thread_ts"], headTS)
		}
		if !strings.Contains(check.Params["blocks"], "first failing hop is 3. WAN router") || !strings.Contains(check.Params["blocks"], "device fault") {
			t.Fatalf("check does not name the failing hop: %s", check.Params["blocks"])
		}
		if head := headRender(calls); head.Method == "chat.update" && head.Params["ts"] != headTS ||
			!strings.Contains(head.Params["blocks"], "Office A WAN router (WAN router) fails (device fault)") {
			t.Fatalf("the head does not show the verdict: %v", head.Params)
		}
		assertEscaped(t, calls)

		f, err := db.Fault(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if f.MessageTS != headTS || f.Channel != faults || f.Reporter != "U0REPORTER" || f.Description != "网络不通 <!channel> & <@U0BOSS>" {
			t.Fatalf("stored %+v", f)
		}
		assertKinds(t, db, f.ID, faultline.EventCreated, faultline.EventCheck)
	})
}

// User text never reaches Slack as live markup: no call carries a raw
// <!channel> or the reporter's fake mention.
func assertEscaped(t *testing.T, calls []slackfake.Call) {
	t.Helper()
	seen := false
	for _, c := range calls {
		for _, field := range []string{c.Params["text"], c.Params["blocks"]} {
			if strings.Contains(field, "<!channel>") || strings.Contains(field, "<@U0BOSS>") {
				t.Errorf("%s carries live markup from user text: %s", c.Method, field)
			}
			if strings.Contains(field, "&lt;!channel&gt;") {
				seen = true
			}
		}
	}
	if !seen {
		t.Error("the description never reached Slack (escaped)")
	}
}

// The acknowledgement never waits for the ping: with the pinger held, the
// command is answered and the ticket stored; the check follows on release.
func TestAckDoesNotWaitForPing(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		release := h.pinger.Hold()
		defer release()
		resp := h.bot.Command(t, "U0REPORTER", "C0GENERAL", "/fault", "office-a slow")
		if resp.StatusCode != http.StatusOK || !strings.Contains(body(t, resp), "F-1") {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if _, err := db.Fault(context.Background(), 1); err != nil {
			t.Fatalf("ticket not stored before the ack: %v", err)
		}
		release()
		h.slack.WaitFor(t, "the check after release", headShowsVerdict)
	})
}

func TestForgedRequestsChangeNothing(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		form := url.Values{"command": {"/fault"}, "text": {"office-a forged"}, "user_id": {"U0EVIL"}, "channel_id": {"C1"}}
		raw := []byte(form.Encode())
		good := bot.SignatureHeaders(secret, raw, time.Now())
		cases := map[string]http.Header{
			"wrong secret":  bot.SignatureHeaders("not-the-secret", raw, time.Now()),
			"stale":         bot.SignatureHeaders(secret, raw, time.Now().Add(-6*time.Minute)),
			"future":        bot.SignatureHeaders(secret, raw, time.Now().Add(6*time.Minute)),
			"no signature":  {},
			"tampered body": good,
		}
		for name, hdr := range cases {
			payload := raw
			if name == "tampered body" {
				payload = []byte(strings.Replace(string(raw), "forged", "altered", 1))
			}
			for _, path := range []string{"/slack/commands", "/slack/interactions", "/slack/events"} {
				resp := h.bot.PostSigned(t, path, "application/x-www-form-urlencoded", payload, hdr)
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("%s to %s: status %d, want 401", name, path, resp.StatusCode)
				}
			}
		}
		if list, err := db.Faults(context.Background(), []faultline.FaultState{faultline.FaultOpen}, 10); err != nil || len(list) != 0 {
			t.Fatalf("forged requests stored %v (%v)", list, err)
		}
		if calls := h.slack.Calls(); len(calls) != 0 {
			t.Fatalf("forged requests reached Slack: %v", calls)
		}
	})
}

func TestThreadRepliesRecordedOnce(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		h.bot.Command(t, "U0REPORTER", "C0GENERAL", "/fault", "office-a down")
		h.slack.WaitFor(t, "the ticket", headShowsVerdict)
		f, err := db.Fault(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		reply := slackfake.ThreadReply("Ev0REPLY1", "U0TECH", faults, f.MessageTS, "1700000050.000100", "on my way &amp; checking")
		for i := 0; i < 3; i++ { // Slack redelivers; the reply is recorded once
			if resp := h.bot.Event(t, reply); resp.StatusCode != http.StatusOK {
				t.Fatalf("delivery %d: status %d", i, resp.StatusCode)
			}
		}
		elsewhere := slackfake.ThreadReply("Ev0OTHER", "U0TECH", faults, "1600000000.000001", "1700000051.000100", "unrelated")
		h.bot.Event(t, elsewhere)
		h.drain(t)
		events, _ := db.Events(context.Background(), f.ID)
		if last := events[len(events)-1]; last.Kind != faultline.EventReply || last.Actor != "U0TECH" || last.Text != "on my way & checking" {
			t.Fatalf("last event %+v", last)
		}
		assertKinds(t, db, f.ID, faultline.EventCreated, faultline.EventCheck, faultline.EventReply)
	})
}

func TestURLVerification(t *testing.T) {
	h := setup(t, storagetest.Open(t, "sqlite"))
	resp := h.bot.Event(t, map[string]any{"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"})
	if got := body(t, resp); resp.StatusCode != 200 || got != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Fatalf("status %d body %q", resp.StatusCode, got)
	}
}

// What the transport refuses before any flow sees it: a body over the
// limit, a payload that is not JSON; and a malformed command still gets
// the flow's own answer through the signed endpoint, storing nothing.
func TestBadInputGetsAnswerAndStoresNothing(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		resp := h.bot.Command(t, "U0REPORTER", "C0GENERAL", "/fault", "nowhere printer broken")
		if got := body(t, resp); resp.StatusCode != 200 || !strings.Contains(got, "I don't know a site called `nowhere`") {
			t.Errorf("unknown site: status %d, reply %.200s", resp.StatusCode, got)
		}
		if list, _ := db.Faults(context.Background(), []faultline.FaultState{faultline.FaultOpen}, 10); len(list) != 0 {
			t.Fatalf("bad input stored tickets: %+v", list)
		}
		big := strings.Repeat("x", bot.MaxBody+1)
		if resp := h.bot.Post(t, "/slack/commands", "application/x-www-form-urlencoded", []byte(big)); resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("oversize body: status %d", resp.StatusCode)
		}
		if resp := h.bot.Post(t, "/slack/interactions", "application/x-www-form-urlencoded", []byte("payload=%7Bnot-json")); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("broken payload: status %d", resp.StatusCode)
		}
	})
}

func TestReportModal(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		resp := h.bot.Command(t, "U0REPORTER", "C0GENERAL", "/fault", "")
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		views := filter(h.slack.Calls(), "views.open")
		if len(views) != 1 || !strings.Contains(views[0].Params["view"], `"callback_id":"fault_report"`) ||
			!strings.Contains(views[0].Params["view"], `"office-a"`) || !strings.HasSuffix(views[0].Params["trigger_id"], ".commandU0REPORTER") {
			t.Fatalf("views.open = %+v", views)
		}

		bad := h.bot.ViewSubmission("U0REPORTER", commands.CallbackReport, "C0GENERAL", map[string]string{"host": "not a host", "description": ""})
		resp = h.bot.Interaction(t, bad)
		var errs struct {
			ResponseAction string            `json:"response_action"`
			Errors         map[string]string `json:"errors"`
		}
		json.Unmarshal([]byte(body(t, resp)), &errs)
		if errs.ResponseAction != "errors" || errs.Errors["host"] == "" || errs.Errors["description"] == "" {
			t.Fatalf("bad submission answered %+v", errs)
		}

		good := h.bot.ViewSubmission("U0REPORTER", commands.CallbackReport, "C0GENERAL", map[string]string{"site": "select:office-a", "description": "打印机连不上网"})
		resp = h.bot.Interaction(t, good)
		if got := body(t, resp); resp.StatusCode != 200 || got != "" {
			t.Fatalf("good submission: status %d body %q (an empty 200 closes the modal)", resp.StatusCode, got)
		}
		calls := h.slack.WaitFor(t, "the ticket from the modal", headShowsVerdict)
		eph := filter(calls, "chat.postEphemeral")
		if len(eph) != 1 || eph[0].Params["user"] != "U0REPORTER" || eph[0].Params["channel"] != "C0GENERAL" || !strings.Contains(eph[0].Params["text"], "F-1") {
			t.Fatalf("reporter not told in the channel: %+v", eph)
		}
		if f, err := db.Fault(context.Background(), 1); err != nil || f.Description != "打印机连不上网" || f.Site != "office-a" {
			t.Fatalf("stored %+v, %v", f, err)
		}
	})
}

func TestRecheckButton(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		h.pinger.Down("127.0.9.1")
		h.bot.Command(t, "U0REPORTER", "C0GENERAL", "/fault", "office-a HQ apps down")
		h.slack.WaitFor(t, "the ticket", headShowsVerdict)
		f, _ := db.Fault(context.Background(), 1)
		h.pinger.Up("127.0.9.1")

		press := h.bot.BlockAction("U0TECH", faults, "1700000000.000002", f.MessageTS, commands.ActionRecheck, "F-1")
		if resp := h.bot.Interaction(t, press); resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		calls := h.slack.WaitFor(t, "the second check and the answer to the presser", func(c []slackfake.Call) bool {
			return slackfake.Count(c, "chat.postMessage") >= 3 && strings.Contains(headRender(c).Params["blocks"], "every hop answers") &&
				slackfake.Count(c, "response_url") >= 1
		})
		posts := filter(calls, "chat.postMessage")
		if len(posts) != 3 || posts[2].Params["thread_ts"] != f.MessageTS || !strings.Contains(posts[2].Params["blocks"], "Every hop answers") {
			t.Fatalf("recheck posts: %+v", posts)
		}
		if r := filter(calls, "response_url"); len(r) != 1 || !strings.Contains(r[0].Params["text"], "again") {
			t.Fatalf("presser not answered via response_url: %+v", r)
		}
		events, _ := db.Events(context.Background(), f.ID)
		if last := events[len(events)-1]; last.Kind != faultline.EventCheck || last.Actor != "U0TECH" {
			t.Fatalf("recheck recorded as %+v", last)
		}
	})
}

func TestHealthReadyMetrics(t *testing.T) {
	h := setup(t, storagetest.Open(t, "sqlite"))
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready"} {
		resp, err := http.Get(h.bot.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		if got := body(t, resp); resp.StatusCode != 200 || !strings.Contains(got, want) {
			t.Fatalf("%s: %d %q", path, resp.StatusCode, got)
		}
	}
	h.bot.Command(t, "U0REPORTER", "C0GENERAL", "/fault", "help")
	resp, err := http.Get(h.bot.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	got := body(t, resp)
	for _, want := range []string{`faultline_http_requests_total{code="200",endpoint="commands"} 1`, `faultline_handling_seconds_count{kind="commands"} 1`} {
		if !strings.Contains(got, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// Slow unsigned senders do not keep out Slack's requests: 300 of them
// trickling bodies into both endpoints, a signed slash command and a
// signed 40 KB interaction still get through, and each slow sender is cut
// off once its body is late (Slack sends a body at once).
func TestSlowSendersDoNotKeepOutSlack(t *testing.T) {
	h := setup(t, storagetest.Open(t, "sqlite"))
	addr := strings.TrimPrefix(h.bot.URL, "http://")
	answers := make(chan int, 300)
	start := time.Now()
	for i := range 300 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if i%2 == 0 {
			fmt.Fprintf(c, "POST /slack/interactions HTTP/1.1\r\nHost: bot\r\nTransfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n1\r\nx\r\n")
		} else {
			fmt.Fprintf(c, "POST /slack/commands HTTP/1.1\r\nHost: bot\r\nContent-Length: 10000\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nx")
		}
		go func() {
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err == nil {
				answers <- resp.StatusCode
			} else {
				answers <- 0
			}
		}()
	}
	resp := h.bot.Command(t, "U0REPORTER", "C0GENERAL", "/fault", "office-a down")
	if got := body(t, resp); resp.StatusCode != 200 || !strings.Contains(got, "F-1") {
		t.Fatalf("a signed command among slow senders: %d %q", resp.StatusCode, got)
	}
	press := h.bot.BlockAction("U0TECH", faults, "1.2", "", "fault_take", "F-1")
	press["message"].(map[string]any)["text"] = strings.Repeat("网络故障", 3000) // as a long message's payload is
	if resp := h.bot.Interaction(t, press); resp.StatusCode != 200 {
		t.Fatalf("a signed 40 KB interaction among slow senders: %d", resp.StatusCode)
	}
	for range 300 {
		if code := <-answers; code == http.StatusOK || code == http.StatusUnauthorized {
			t.Fatalf("a slow sender's body was taken whole: %d", code)
		}
	}
	if took := time.Since(start); took > 8*time.Second {
		t.Fatalf("slow senders were held %s", took)
	}
}

// Signed requests whose IDs are not Slack IDs (markup in user_id, a
// channel that is not one) are refused before any flow sees them.
func TestSignedRequestsWithForgedIDs(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		for _, ids := range [][2]string{{"<!channel>", "C0GENERAL"}, {"U0REPORTER", "<#C0FAULTS>"}, {"", "C0GENERAL"}} {
			if resp := h.bot.Command(t, ids[0], ids[1], "/fault", "office-a down"); resp.StatusCode != http.StatusBadRequest {
				t.Errorf("command as %q in %q: status %d", ids[0], ids[1], resp.StatusCode)
			}
		}
		if resp := h.bot.Interaction(t, h.bot.BlockAction("<!here>", faults, "1.2", "", "fault_take", "F-1")); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("press as <!here>: status %d", resp.StatusCode)
		}
		if list, _ := db.Faults(context.Background(), faultline.FaultStates, 10); len(list) != 0 {
			t.Fatalf("stored %d tickets from forged IDs", len(list))
		}
	})
}
