//go:build faultinject

package faultinject

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline/bot/slackfake"
	"github.com/faultline/faultline/storage/storagetest"
	"github.com/faultline/faultline/webhook/webhooktest"
)

// Twenty incidents whose reports go overdue at once, two replicas, a
// DingTalk robot that fails its first requests with 500, says "too fast"
// past 30 a minute (fewer than the config's 100), and one replica killed
// mid-send: every escalation reaches the robot, signed, with no incident
// text; at most one twice (the one in flight when the replica died: the
// robots have no idempotency key).
func TestRobotThroughFailures(t *testing.T) {
	if os.Getenv("TEST_DATABASE_URL") == "" {
		t.Skip("needs TEST_DATABASE_URL")
	}
	url := storagetest.URL(t, "postgres")
	fake := slackfake.New(t, token)
	robot := webhooktest.New(nil)
	defer robot.Close()
	robot.PerMinute = 30
	robot.FailNext("dingtalk", 5)
	cfg := strings.Replace(config, "dept_head: [U0HEAD]", "dept_head: [U0HEAD], exec: [U0EXEC]", 1) + `deadlines: {incident_report: 3s, incident_report_reminders: [1s]}
webhooks:
  - name: managers
    kind: dingtalk
    url: ` + robot.URL("dingtalk") + `
    secret: ` + robot.Secret + `
    send: [escalations]
    per_minute: 100
`
	a, b := serveWith(t, binary, url, fake, cfg), serveWith(t, binary, url, fake, cfg)
	const incidents = 20
	for i := range incidents {
		to := a
		if i%2 == 1 {
			to = b
		}
		if _, body, _, err := command(fake, "U0REPORTER", "/incident", fmt.Sprintf("secret-%02d phishing mail opened", i)).to(to.addr); err != nil || !strings.Contains(body, "I-") {
			t.Fatalf("incident %d: %v %.200s", i, err, body)
		}
	}
	// Both levels of every incident: the department head at 3 s, the
	// executive 3 s later.
	const want = 2 * incidents
	for len(robot.Accepted()) < 8 {
		time.Sleep(50 * time.Millisecond)
	}
	a.cmd.Process.Kill()
	killedAt := len(robot.Accepted())
	escalation := regexp.MustCompile(`^(?:【Faultline】|\[Faultline\] )(I-\d+)[ ,].*(?:escalated to the |已升级至)(.+?)[.。]$`)
	seen := map[string]int{}
	leaked := 0
	deadline := time.Now().Add(4 * time.Minute)
	for time.Now().Before(deadline) {
		seen, leaked = map[string]int{}, 0
		for _, m := range robot.Accepted() {
			if strings.Contains(m.Text, "secret-") || strings.Contains(m.Text, "phishing") {
				leaked++
			}
			if g := escalation.FindStringSubmatch(strings.TrimSpace(m.Text)); g != nil {
				seen[g[1]+" → "+g[2]]++
			}
		}
		if len(seen) >= want {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	dup := 0
	for _, n := range seen {
		dup += n - 1
	}
	refused := robot.Refused()
	rate, fivehundred, sign := 0, 0, 0
	for _, r := range refused {
		switch {
		case strings.HasSuffix(r, ": rate"):
			rate++
		case strings.HasSuffix(r, ": 500"):
			fivehundred++
		default:
			sign++
		}
	}
	report("robot through 500s, its own limit and a killed replica",
		"attempted %d escalations, held %d delivered, lost %d, duplicated %d, leaked incident text %d (500s %d, rate refusals %d, other refusals %d, most in a minute %d, killed after %d)",
		want, len(seen), want-len(seen), dup, leaked, fivehundred, rate, sign, robot.MaxInMinute("dingtalk"), killedAt)
	if len(seen) != want || dup > 1 || leaked != 0 || sign != 0 || fivehundred != 5 {
		t.Errorf("robot got %d of %d escalations, %d twice, %d with incident text, refusals %v:\n%v\n%s", len(seen), want, dup, leaked, refused, seen, tail(b.logs.String(), 40))
	}
}
