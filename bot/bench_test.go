package bot_test

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/faultline/faultline/bot"
	"github.com/faultline/faultline/storage/storagetest"
)

// BenchmarkIntake measures signed /fault intake: verify, parse, store the
// ticket, acknowledge. Each report is a new ticket (its own person, its own
// Slack trigger, a host, which never folds into an outage): a repeated
// trigger would be a replay, and reports of one site one outage, each far
// cheaper than a report. 32 clients send at once; it reports requests per
// second and the 99th-percentile latency of the acknowledgement. The pinger
// is held, so no ack can include a ping and the background work (posts,
// checks) waits until the end instead of competing for the CPU; the
// "+work" variant lets it run alongside, as in production.
//
//	TEST_DATABASE_URL=postgres://… go test -run '^$' -bench Intake -benchtime 5000x ./bot/
func BenchmarkIntake(b *testing.B) {
	dialect := benchDialect()
	for _, withWork := range []bool{false, true} {
		name := dialect
		if withWork {
			name += "+work"
		}
		b.Run(name, func(b *testing.B) {
			h := setup(b, storagetest.Open(b, dialect))
			if !withWork {
				release := h.pinger.Hold()
				defer release()
			}
			bodies := make([][]byte, b.N)
			for i := range bodies {
				bodies[i] = []byte(url.Values{
					"command": {"/fault"}, "text": {"127.0.0.1 bench " + strconv.Itoa(i)}, "user_id": {"U0BENCH" + strconv.Itoa(i)},
					"channel_id": {"C0GENERAL"}, "trigger_id": {"1.2." + strconv.Itoa(i)}, "response_url": {h.slack.ResponseURL()},
				}.Encode())
			}
			latencies := make([]time.Duration, b.N)
			var next atomic.Int64
			var wg sync.WaitGroup
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			b.ResetTimer()
			start := time.Now()
			for w := 0; w < 32; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1)) - 1
						if i >= b.N {
							return
						}
						latencies[i] = sendSigned(b, client, h.bot.URL, bodies[i])
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
			b.ReportMetric(float64(latencies[b.N*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(latencies[b.N/2].Microseconds())/1000, "p50-ms")
		})
	}
}

func sendSigned(b *testing.B, client *http.Client, base string, body []byte) time.Duration {
	req, _ := http.NewRequest(http.MethodPost, base+"/slack/commands", bytes.NewReader(body))
	for k, v := range bot.SignatureHeaders(secret, body, time.Now()) {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	t0 := time.Now()
	resp, err := client.Do(req)
	d := time.Since(t0)
	if err != nil || resp.StatusCode != 200 {
		b.Errorf("intake failed: %v %v", resp, err)
		return d
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return d
}

// BenchmarkIntakeAt1000 offers exactly 1,000 signed /fault requests per
// second (open loop: each request leaves at its scheduled time, whatever
// the earlier ones are doing) and reports the latency percentiles,
// measured from the scheduled time so a stall is not hidden. As in
// BenchmarkIntake, the plain variant parks the work after each ack and
// "+work" runs it (posts to the fake Slack on the same two cores).
//
//	TEST_DATABASE_URL=postgres://… go test -run '^$' -bench IntakeAt1000 -benchtime 5000x ./bot/
func BenchmarkIntakeAt1000(b *testing.B) {
	dialect := benchDialect()
	for _, withWork := range []bool{false, true} {
		name := dialect
		if withWork {
			name += "+work"
		}
		b.Run(name, func(b *testing.B) { intakeAt1000(b, dialect, withWork) })
	}
}

func intakeAt1000(b *testing.B, dialect string, withWork bool) {
	h := setup(b, storagetest.Open(b, dialect))
	if !withWork {
		release := h.pinger.Hold()
		defer release()
	}
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = []byte(url.Values{
			"command": {"/fault"}, "text": {"127.0.0.1 bench " + strconv.Itoa(i)}, "user_id": {"U0BENCH" + strconv.Itoa(i)},
			"channel_id": {"C0GENERAL"}, "trigger_id": {"1.2." + strconv.Itoa(i)}, "response_url": {h.slack.ResponseURL()},
		}.Encode())
	}
	latencies := make([]time.Duration, b.N)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		at := start.Add(time.Duration(i) * time.Millisecond)
		time.Sleep(time.Until(at))
		wg.Add(1)
		go func() {
			defer wg.Done()
			sendSigned(b, client, h.bot.URL, bodies[i])
			latencies[i] = time.Since(at)
		}()
	}
	wg.Wait()
	b.StopTimer()
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	for _, p := range []int{50, 99} {
		b.ReportMetric(float64(latencies[b.N*p/100].Microseconds())/1000, "p"+strconv.Itoa(p)+"-ms")
	}
	b.ReportMetric(float64(latencies[b.N-1].Microseconds())/1000, "max-ms")
}

// benchDialect is PostgreSQL when TEST_DATABASE_URL names one, the
// production store the figures are reported for; SQLite otherwise.
func benchDialect() string {
	if os.Getenv("TEST_DATABASE_URL") != "" {
		return "postgres"
	}
	return "sqlite"
}
