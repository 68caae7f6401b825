//go:build unix

package probe

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faultline/faultline"
)

// benchModeEnv picks the socket mode for benchmarks ("unprivileged",
// "privileged"; empty is Auto). scripts/bench-ping.sh sets it.
const benchModeEnv = "FAULTLINE_BENCH_MODE"

func benchProber(b *testing.B, opts Options) *Prober {
	b.Helper()
	opts.Mode = Mode(os.Getenv(benchModeEnv))
	p := New(opts, slog.New(slog.DiscardHandler), nil)
	if _, err := p.socket(); err != nil {
		b.Skipf("no ICMP socket: %v", err)
	}
	b.Cleanup(p.Close)
	return p
}

var pathHops = []string{"127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"}

// BenchmarkPathHealthy times Ping on a five-hop path where every hop answers,
// with default options (target ≤ 50 ms).
func BenchmarkPathHealthy(b *testing.B) {
	benchPath(b, benchProber(b, Options{}), pathHops, -1)
}

// BenchmarkPathOneSilent times Ping on a five-hop path whose middle hop is
// silent, with default options (target ≤ Wait + 100 ms).
func BenchmarkPathOneSilent(b *testing.B) {
	hops := slices.Clone(pathHops)
	hops[2] = silentHost(b)
	p := benchProber(b, Options{})
	benchPath(b, p, hops, 2)
	b.Logf("Wait is %v; (Count-1)·Interval + Wait is %v", p.opts.Wait, p.opts.budget())
}

func benchPath(b *testing.B, p *Prober, hops []string, silent int) {
	var worst time.Duration
	for b.Loop() {
		start := time.Now()
		res := p.Ping(b.Context(), hops)
		worst = max(worst, time.Since(start))
		for i, r := range res {
			if r.Answered() == (i == silent) || r.Error != "" {
				b.Fatalf("hop %d: %+v", i, r)
			}
		}
	}
	b.ReportMetric(ms(b.Elapsed())/float64(b.N), "ms/op")
	b.ReportMetric(ms(worst), "max-ms")
}

// sweepRun is one sweep's cost: wall time until the verdicts, CPU time
// (user+system, including sockets that close after the verdict) and hosts
// that lost a reply although all answer.
type sweepRun struct {
	wall, cpu, sys time.Duration
	lost           int
}

// BenchmarkSweep pings 1,000 loopback addresses three times each with the
// prober and with fping, in one run, and reports each tool's median wall
// and CPU time, worst false losses and the prober's ratios to fping.
func BenchmarkSweep(b *testing.B) {
	hosts := sweepHosts(1000)
	tools := []struct {
		name string
		run  func(*testing.B) func() sweepRun
	}{
		{"fping", fpingSweep(hosts, "-c3", "-q")},
		{"fping-i1", fpingSweep(hosts, "-c3", "-q", "-i1")},
		{"probe", probeSweep(hosts, 0)},
		{"probe-c1000", probeSweep(hosts, 1000)},
	}
	medians := map[string]sweepRun{}
	for _, tool := range tools {
		b.Run(tool.name, func(b *testing.B) {
			sweep := tool.run(b)
			var runs []sweepRun
			for b.Loop() {
				runs = append(runs, sweep())
			}
			m := summarize(runs)
			medians[tool.name] = m
			reportSweep(b, m, medians)
		})
	}
}

func reportSweep(b *testing.B, m sweepRun, medians map[string]sweepRun) {
	b.ReportMetric(ms(m.wall), "wall-ms")
	b.ReportMetric(ms(m.cpu), "cpu-ms")
	b.ReportMetric(ms(m.sys), "sys-ms")
	b.ReportMetric(float64(m.lost), "lost")
	if !strings.HasPrefix(b.Name(), "BenchmarkSweep/probe") {
		return
	}
	for _, f := range []string{"fping", "fping-i1"} {
		if ref, ok := medians[f]; ok && ref.wall > 0 && ref.cpu > 0 {
			b.ReportMetric(float64(m.wall)/float64(ref.wall), "wall/"+f)
			b.ReportMetric(float64(m.cpu)/float64(ref.cpu), "cpu/"+f)
		}
	}
}

func probeSweep(hosts []string, concurrency int) func(*testing.B) func() sweepRun {
	return func(b *testing.B) func() sweepRun {
		p := benchProber(b, Options{Concurrency: concurrency})
		return func() sweepRun {
			cpu0, sys0 := cpuTime(b)
			start := time.Now()
			res := p.Ping(b.Context(), hosts)
			wall := time.Since(start)
			p.Close()
			cpu, sys := cpuTime(b)
			return sweepRun{wall: wall, cpu: cpu - cpu0, sys: sys - sys0, lost: losses(res)}
		}
	}
}

func fpingSweep(hosts []string, args ...string) func(*testing.B) func() sweepRun {
	return func(b *testing.B) func() sweepRun {
		if _, err := exec.LookPath("fping"); err != nil {
			needEnv(b, "fping is not installed (apt-get install fping)")
		}
		return func() sweepRun {
			var stderr bytes.Buffer
			cmd := exec.Command("fping", append(slices.Clone(args), hosts...)...)
			cmd.Stderr = &stderr
			start := time.Now()
			err := cmd.Run()
			wall := time.Since(start)
			if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() > 1 {
				b.Fatalf("fping: %v\n%s", err, stderr.String())
			}
			sys := cmd.ProcessState.SystemTime()
			cpu := cmd.ProcessState.UserTime() + sys
			return sweepRun{wall: wall, cpu: cpu, sys: sys, lost: len(hosts) - fpingComplete(stderr.String())}
		}
	}
}

// fpingComplete counts the hosts in fping's -q summary that answered every
// probe, from lines like "127.1.0.1 : xmt/rcv/%loss = 3/3/0%, ...".
func fpingComplete(summary string) int {
	n := 0
	for line := range strings.Lines(summary) {
		_, stats, ok := strings.Cut(line, "xmt/rcv/%loss = ")
		var xmt, rcv int
		if _, err := fmt.Sscanf(stats, "%d/%d", &xmt, &rcv); ok && err == nil && xmt > 0 && rcv == xmt {
			n++
		}
	}
	return n
}

func losses(res []faultline.PingResult) int {
	n := 0
	for _, r := range res {
		if r.Error != "" || r.Received < r.Sent || r.Sent == 0 {
			n++
		}
	}
	return n
}

// cpuTime returns this process's CPU time so far, user+system and system.
func cpuTime(b *testing.B) (cpu, sys time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), time.Duration(ru.Stime.Nano())
}

// summarize takes the medians of wall and CPU time and the worst losses.
func summarize(runs []sweepRun) sweepRun {
	pick := func(f func(sweepRun) int64) int64 {
		v := make([]int64, len(runs))
		for i, r := range runs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return sweepRun{
		wall: time.Duration(pick(func(r sweepRun) int64 { return int64(r.wall) })),
		cpu:  time.Duration(pick(func(r sweepRun) int64 { return int64(r.cpu) })),
		sys:  time.Duration(pick(func(r sweepRun) int64 { return int64(r.sys) })),
		lost: slices.MaxFunc(runs, func(a, b sweepRun) int { return a.lost - b.lost }).lost,
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
