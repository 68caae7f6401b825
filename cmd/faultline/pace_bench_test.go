package main

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline/bot/slackfake"
	"github.com/faultline/faultline/storage/storagetest"
)

// BenchmarkVerdictAfterCheck is /fault on an idle channel through the
// real program on PostgreSQL at Slack's pace (the fake takes a burst of
// three posts, then one a second, per channel): how long after
// its path check finished the verdict reached the ticket's thread. It
// reports the median and the worst over b.N reports, a few seconds apart
// so each finds the channel idle.
func BenchmarkVerdictAfterCheck(b *testing.B) {
	if testing.Short() {
		b.Skip("runs the real program")
	}
	url := storagetest.URL(b, "postgres")
	fake := slackfake.New(b, "xoxb-pace")
	fake.RateLimitBurst(time.Second, 3) // Slack: about one a second, with short bursts
	srv := serveWithPace(b, url, testConfig, fake)
	client := srv.client(fake)
	took := regexp.MustCompile(`· ([0-9.]+) s`)
	var lags []time.Duration
	for i := 0; b.Loop(); i++ {
		sent := time.Now()
		client.Command(b, fmt.Sprintf("U0P%03d", i), "C0GENERAL", "/fault", "lab slow ERP").Body.Close()
		calls := fake.WaitFor(b, "the verdict", func(c []slackfake.Call) bool { return posts(c, "C0FAULTS", "Path check of lab") > i })
		var post slackfake.Call
		for _, c := range calls {
			if c.Method == "chat.postMessage" && strings.Contains(c.Params["text"], "Path check of lab") {
				post = c
			}
		}
		m := took.FindStringSubmatch(post.Params["text"])
		if m == nil {
			b.Fatalf("no check duration in %q", post.Params["text"])
		}
		secs, _ := strconv.ParseFloat(m[1], 64)
		// The check began after the ack; counting from the request is
		// an upper bound on the wait after the check.
		lags = append(lags, post.At.Sub(sent)-time.Duration(secs*float64(time.Second)))
		time.Sleep(3500 * time.Millisecond) // an idle channel (its burst back) for the next one
	}
	sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
	b.ReportMetric(float64(lags[len(lags)/2].Microseconds())/1000, "ms-median")
	b.ReportMetric(float64(lags[len(lags)-1].Microseconds())/1000, "ms-max")
}
