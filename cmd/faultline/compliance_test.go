package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline/bot/slackfake"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
	"github.com/faultline/faultline/webhook/webhooktest"
)

// outsideConfig is the test config with the incidents channel, the
// security roles and the national scheme for operator, then extra. The
// internal report is due two days on, so only the outside report's clocks
// speak in these tests.
func outsideConfig(operator, extra string) string {
	config := testConfig + `deadlines:
  incident_report: 48h
compliance:
  operator: ` + operator + `
  scheme: national
` + extra
	config = strings.Replace(config, "  faults: C0FAULTS\n", "  faults: C0FAULTS\n  incidents: G0INCIDENTS\n  announcements: C0ANNOUNCE\n", 1)
	return strings.Replace(config, "  maintainer: [U0TECH]\n", "  maintainer: [U0TECH]\n  info_manager: [U0SEC]\n  dept_head: [U0HEAD]\n  exec: [U0EXEC]\n", 1)
}

// submit sends a form as Slack does and fails the test if the bot keeps
// it open with field errors.
func submit(t *testing.T, client slackfake.Bot, user, callbackID, ref string, values map[string]string) {
	t.Helper()
	resp := client.Interaction(t, client.ViewSubmission(user, callbackID, ref, values))
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || strings.Contains(string(body), `"errors"`) {
		t.Fatalf("%s of %s by %s: status %d, %s", callbackID, ref, user, resp.StatusCode, body)
	}
}

// dms counts the DMs to user whose text holds every one of words.
func dms(calls []slackfake.Call, user string, words ...string) int {
	n := 0
next:
	for _, c := range calls {
		if c.Method != "chat.postMessage" || c.Params["channel"] != "D0"+user {
			continue
		}
		for _, w := range words {
			if !strings.Contains(c.Params["text"], w) {
				continue next
			}
		}
		n++
	}
	return n
}

// lastHead is the text of ref's head message in the incidents channel as
// last posted or updated, "" if it never was.
func lastHead(calls []slackfake.Call, ref string) string {
	head := ""
	for _, c := range calls {
		if (c.Method == "chat.postMessage" || c.Method == "chat.update") && c.Params["channel"] == "G0INCIDENTS" &&
			c.Params["thread_ts"] == "" && strings.HasPrefix(c.Params["text"], "*"+ref+"* ") {
			head = c.Params["text"]
		}
	}
	return head
}

// quiet waits until the process's clock job ran three more times and the
// outbox holds nothing unsent: whatever it would have sent twice has
// reached the fake by now.
func quiet(t *testing.T, srv *server, db *storage.DB) {
	t.Helper()
	srv.settled(t, 3)
	limit := time.Now().Add(15 * time.Second)
	for {
		pending, _, err := db.OutboxDepth(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			return
		}
		if time.Now().After(limit) {
			t.Fatalf("%d messages still wait in the outbox", pending)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Every operator type and every national level through the real serve on
// the test clock: the head shows the outside report's deadline (cii 1h,
// state organs 2h, others 4h after the declaration; none for 一般); the
// information manager is reminded 30 and 10 minutes before it, by DM;
// once it passes unreported the department head and the executive are
// told once each; a regrade upward tells them once more, one downward
// does not; and a report filed before the deadline stops its clocks.
func TestOutsideReportClocksThroughServe(t *testing.T) {
	icmpAllowed(t)
	operators := []struct {
		name, authority string
		within          time.Duration
	}{
		{"cii", "保护工作部门、公安机关", time.Hour},
		{"state_organ", "本部门网信工作机构", 2 * time.Hour},
		{"other", "属地省级网信部门", 4 * time.Hour},
	}
	// I-1 … I-4: I-1 needs no outside report; I-4 is reported in time;
	// I-2 and I-3 are not, and are regraded up and down once overdue.
	levels := []string{"general", "significant", "serious", "extraordinary"}
	for _, dialect := range storagetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			for _, op := range operators {
				t.Run(op.name, func(t *testing.T) {
					t.Parallel()
					fake := slackfake.New(t, "xoxb-e2e")
					url := storagetest.URL(t, dialect)
					clk := newClock()
					srv := serve(t, url, outsideConfig(op.name, ""), fake, clk)
					db := storagetest.OpenURL(t, url)
					client := srv.client(fake)
					due := clk.now().Add(op.within).UTC().Format("2006-01-02 15:04") // the clock stands still until moved
					for n, level := range levels {
						ref := fmt.Sprintf("I-%d", n+1)
						if resp := client.Command(t, "U0REPORTER", "C0GENERAL", "/incident", "suspicious login, "+level); resp.StatusCode != 200 {
							t.Fatalf("/incident: status %d", resp.StatusCode)
						}
						submit(t, client, "U0HEAD", "incident_classify", ref, map[string]string{"level": "select:" + level, "category": "select:网络攻击事件"})
					}
					dueOnHead := "report to " + op.authority + " by " + due + " ("
					fake.WaitFor(t, "the heads graded, with their deadlines", func(c []slackfake.Call) bool {
						return strings.Contains(lastHead(c, "I-1"), "general (一般)") && strings.Contains(lastHead(c, "I-2"), dueOnHead) &&
							strings.Contains(lastHead(c, "I-3"), dueOnHead) && strings.Contains(lastHead(c, "I-4"), dueOnHead)
					})
					quiet(t, srv, db)
					if head := lastHead(fake.Calls(), "I-1"); strings.Contains(head, "Outside report") || strings.Contains(head, "report to") {
						t.Errorf("the general incident's head shows an outside report:\n%s", head)
					}

					reminders := func(c []slackfake.Call, ref string) int {
						return dms(c, "U0SEC", ref+" must be reported to "+op.authority+";", "(by "+due+")")
					}
					overdue := func(c []slackfake.Call, user, ref string) int {
						return dms(c, user, ref+" (", "had to be reported to "+op.authority+" by "+due)
					}
					for k, step := range []time.Duration{op.within - 30*time.Minute + time.Second, 20 * time.Minute} {
						clk.advance(step) // 30 minutes left, then 10
						fake.WaitFor(t, fmt.Sprintf("reminder %d", k+1), func(c []slackfake.Call) bool {
							return reminders(c, "I-2") > k && reminders(c, "I-3") > k && reminders(c, "I-4") > k
						})
						quiet(t, srv, db)
					}
					submit(t, client, "U0SEC", "incident_external", "I-4", map[string]string{"to": op.authority, "channel": "select:website"})
					fake.WaitFor(t, "I-4's outside report recorded", func(c []slackfake.Call) bool {
						return strings.Contains(lastHead(c, "I-4"), "reported to "+op.authority+" by website at ")
					})

					clk.advance(10 * time.Minute) // a second past the deadline
					fake.WaitFor(t, "the overdue reports escalated", func(c []slackfake.Call) bool {
						return overdue(c, "U0HEAD", "I-2") > 0 && overdue(c, "U0EXEC", "I-2") > 0 &&
							overdue(c, "U0HEAD", "I-3") > 0 && overdue(c, "U0EXEC", "I-3") > 0
					})
					quiet(t, srv, db)
					clk.advance(time.Hour)
					quiet(t, srv, db)
					calls := fake.Calls()
					for n, level := range levels {
						ref := fmt.Sprintf("I-%d", n+1)
						wantReminders, wantOverdue := 2, 1
						switch ref {
						case "I-1":
							wantReminders, wantOverdue = 0, 0
						case "I-4":
							wantOverdue = 0
						}
						if got := reminders(calls, ref); got != wantReminders {
							t.Errorf("%s (%s): %d reminders to the information manager, want %d", ref, level, got, wantReminders)
						}
						for _, user := range []string{"U0HEAD", "U0EXEC"} {
							if got := overdue(calls, user, ref); got != wantOverdue {
								t.Errorf("%s (%s): %s told %d times of the overdue report, want %d", ref, level, user, got, wantOverdue)
							}
						}
					}
					if head := lastHead(calls, "I-2"); !strings.Contains(head, "report to "+op.authority+" was due by "+due) {
						t.Errorf("I-2's head does not show the report overdue:\n%s", head)
					}

					// Regraded once overdue: I-2 up to 特别重大 is told once
					// more; I-3 down to 较大 is not.
					submit(t, client, "U0HEAD", "incident_classify", "I-2", map[string]string{"level": "select:extraordinary", "category": "select:网络攻击事件"})
					submit(t, client, "U0HEAD", "incident_classify", "I-3", map[string]string{"level": "select:significant", "category": "select:网络攻击事件"})
					fake.WaitFor(t, "I-2's escalation at its new level", func(c []slackfake.Call) bool {
						return overdue(c, "U0HEAD", "I-2") > 1 && overdue(c, "U0EXEC", "I-2") > 1 &&
							strings.Contains(lastHead(c, "I-3"), "significant (较大)")
					})
					quiet(t, srv, db)
					clk.advance(2 * time.Hour)
					quiet(t, srv, db)
					calls = fake.Calls()
					for _, user := range []string{"U0HEAD", "U0EXEC"} {
						if got := overdue(calls, user, "I-2"); got != 2 {
							t.Errorf("I-2 regraded up: %s told %d times in all, want 2", user, got)
						}
						if got := dms(calls, user, "I-2 (extraordinary (特别重大)) had to be reported"); got != 1 {
							t.Errorf("I-2 regraded up: %s told %d times at the new level, want 1", user, got)
						}
						if got := overdue(calls, user, "I-3"); got != 1 {
							t.Errorf("I-3 regraded down: %s told %d times in all, want 1", user, got)
						}
						if got := overdue(calls, user, "I-4") + overdue(calls, user, "I-1"); got != 0 {
							t.Errorf("%s told %d times of I-1 or I-4", user, got)
						}
					}
					// The thread hears a late report called late, not given a
					// time already past.
					for _, ref := range []string{"I-2", "I-3"} {
						due, late := 0, 0
						for _, c := range calls {
							if c.Method == "chat.postMessage" && c.Params["channel"] == "G0INCIDENTS" && c.Params["thread_ts"] != "" &&
								strings.Contains(c.Params["text"], ref+" ") {
								if strings.Contains(c.Params["text"], "is graded") && strings.Contains(c.Params["text"], "must be reported to") {
									due++
								}
								if strings.Contains(c.Params["text"], "is late: report now") {
									late++
								}
							}
						}
						if due != 1 || late != 1 {
							t.Errorf("%s's thread: %d notes giving a deadline (want 1, at its grading) and %d calling it late (want 1, at its regrade)", ref, due, late)
						}
					}
					if got := reminders(calls, "I-2") + reminders(calls, "I-3"); got != 4 {
						t.Errorf("%d reminders for I-2 and I-3 after their regrades, want the 4 from before", got)
					}
					if err := srv.stop(); err != nil {
						t.Fatal(err)
					}
				})
			}
		})
	}
}

// A DingTalk robot subscribed to overdue reports, through the real serve:
// an outside report gone overdue reaches it once, signed as DingTalk
// checks, with the number, level and deadline only, never the
// description.
func TestOutsideOverdueReachesTheRobot(t *testing.T) {
	icmpAllowed(t)
	for _, dialect := range storagetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			robot := webhooktest.New(nil) // the sender signs with the real time, and the fake checks it against the same
			t.Cleanup(robot.Close)
			hook := fmt.Sprintf(`webhooks:
  - name: managers
    kind: dingtalk
    url: %s
    secret: %s
    send: [overdue]
    detail: minimal
`, robot.URL("dingtalk"), robot.Secret)
			fake := slackfake.New(t, "xoxb-e2e")
			url := storagetest.URL(t, dialect)
			clk := newClock()
			srv := serve(t, url, outsideConfig("cii", hook), fake, clk)
			db := storagetest.OpenURL(t, url)
			client := srv.client(fake)
			due := clk.now().Add(time.Hour).UTC().Format("2006-01-02 15:04")
			const secret = "payroll-db-7731"
			client.Command(t, "U0REPORTER", "C0GENERAL", "/incident", secret+" copied to an unknown host")
			submit(t, client, "U0HEAD", "incident_classify", "I-1", map[string]string{"level": "select:significant", "category": "select:数据安全事件"})
			quiet(t, srv, db)
			if got := robot.Accepted(); len(got) != 0 {
				t.Fatalf("the robot heard before the deadline: %v", got)
			}
			clk.advance(time.Hour + time.Second)
			fake.WaitFor(t, "the executive told of the overdue report", func(c []slackfake.Call) bool {
				return dms(c, "U0EXEC", "I-1 (", "had to be reported") > 0
			})
			for range 5 { // a second message to the robot would wait its pace, 3 seconds at 20 a minute
				clk.advance(5 * time.Second)
				srv.settled(t, 3)
			}
			clk.advance(2 * time.Hour)
			quiet(t, srv, db)
			got := robot.Accepted()
			if len(got) != 1 || got[0].Kind != "dingtalk" {
				t.Fatalf("the robot took %v (refused %v), want one DingTalk message", got, robot.Refused())
			}
			text := got[0].Text
			for _, want := range []string{"I-1", "较大", due, "对外报告"} {
				if !strings.Contains(text, want) {
					t.Errorf("the robot's message lacks %q: %q", want, text)
				}
			}
			for _, leak := range []string{secret, "unknown host"} {
				if strings.Contains(text, leak) {
					t.Errorf("a minimal robot read the description (%q): %q", leak, text)
				}
			}
			if r := robot.Refused(); len(r) != 0 {
				t.Errorf("the robot refused %v", r)
			}
			if err := srv.stop(); err != nil {
				t.Fatal(err)
			}
			// The report a handler files, from the command line, with the
			// flags after the incident as the README writes it.
			env := envOf(map[string]string{"DATABASE_URL": url, "FAULTLINE_CONFIG": writeConfig(t, outsideConfig("cii", hook))})
			for _, args := range [][]string{{"export", "I-1", "--form", "external", "--plain"}, {"export", "--form", "external", "--plain", "I-1"}} {
				var out strings.Builder
				if err := run(context.Background(), args, env, nil, &out, io.Discard); err != nil {
					t.Fatalf("%v: %v", args, err)
				}
				if !strings.Contains(out.String(), "数据安全事件") || strings.Contains(out.String(), "# ") {
					t.Errorf("%v: want the plain text with the category:\n%s", args, out.String())
				}
			}
		})
	}
}
