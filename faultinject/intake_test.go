//go:build faultinject

package faultinject

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/faultline/faultline/bot/slackfake"
	"github.com/faultline/faultline/storage/storagetest"
)

// TestIntakeAgainstABareHandler sends signed /fault reports from 16
// clients for 10 s to the real binary on PostgreSQL, and the same load to
// a bare net/http + slack-go handler that verifies and parses each one and
// answers, in this process: throughput, p99, and CPU per request (serve's
// process alone, read from /proc; the bare handler's from this process,
// which also runs the clients, so its figure is an upper bound). Each
// report is its own ticket (a host, its own person and trigger), with all
// the work a report starts. Each round's serve is a new process on a new
// database, stopped before the next round, so the checks and posts one
// round leaves behind do not slow the bare handler of the next.
func TestIntakeAgainstABareHandler(t *testing.T) {
	const clients, span = 16, 10 * time.Second
	bare := bareHandler(t)
	for round := range 3 { // alternating, so a drift of the machine hits both
		fake := slackfake.New(t, token)
		cpu0 := cpuSeconds(t, os.Getpid())
		n, p99 := load(t, fake, bare, clients, span, fmt.Sprintf("%d0", round))
		cpu := cpuSeconds(t, os.Getpid()) - cpu0
		report("intake", "round %d, bare handler: %.0f req/s, p99 %s, %.3f ms CPU per request (%d requests, %d clients)",
			round+1, float64(n)/span.Seconds(), p99.Round(100*time.Microsecond), 1000*cpu/float64(n), n, clients)

		r := serve(t, storagetest.URL(t, "postgres"), fake)
		cpu0 = cpuSeconds(t, r.cmd.Process.Pid)
		n, p99 = load(t, fake, r.addr, clients, span, fmt.Sprintf("%d1", round))
		cpu = cpuSeconds(t, r.cmd.Process.Pid) - cpu0
		r.stop(t)
		report("intake", "round %d, serve: %.0f req/s, p99 %s, %.3f ms CPU per request (%d requests, %d clients)",
			round+1, float64(n)/span.Seconds(), p99.Round(100*time.Microsecond), 1000*cpu/float64(n), n, clients)
	}
}

// bareHandler is the limit: verify the signature, parse the command,
// answer.
func bareHandler(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := slack.NewSecretsVerifier(r.Header, secret)
		if err != nil {
			http.Error(w, "unsigned", http.StatusUnauthorized)
			return
		}
		body, _ := io.ReadAll(io.TeeReader(r.Body, &v))
		if v.Ensure() != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		cmd, err := slack.SlashCommandParse(r)
		if err != nil {
			http.Error(w, "bad command", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"response_type":"ephemeral","text":"got %s"}`, strings.ReplaceAll(cmd.Text, `"`, ""))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// load sends signed reports from clients for span and returns how many
// were answered 200 and the 99th percentile of their answers.
func load(t *testing.T, fake *slackfake.Slack, addr string, clients int, span time.Duration, tag string) (int, time.Duration) {
	var (
		mu       sync.Mutex
		waits    []time.Duration
		firstBad string
		seq      atomic.Int64
		wg       sync.WaitGroup
	)
	end := time.Now().Add(span)
	for range clients {
		wg.Go(func() {
			for time.Now().Before(end) {
				i := seq.Add(1)
				status, _, took, err := command(fake, "U0L"+tag+"X"+strconv.FormatInt(i, 10), "/fault",
					fmt.Sprintf("127.0.0.1 load %s-%d", tag, i)).to(addr)
				if err != nil || status != 200 {
					mu.Lock()
					if firstBad == "" {
						firstBad = fmt.Sprintf("status %d, %v", status, err)
					}
					mu.Unlock()
					continue
				}
				mu.Lock()
				waits = append(waits, took)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(waits) == 0 {
		t.Fatalf("%s: nothing answered; the first refusal: %s", addr, firstBad)
	}
	slices.Sort(waits)
	return len(waits), waits[len(waits)*99/100]
}

// cpuSeconds is a process's user and system CPU time so far.
func cpuSeconds(t *testing.T, pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+2:]))
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / 100 // clock ticks; USER_HZ is 100 on Linux
}
