package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline/storage/storagetest"
)

var update = flag.Bool("update", false, "rewrite testdata/ with what the code produces now")

// The built-in demo on its simulated network, as a newcomer runs it, in
// both languages: :break the WAN router, report, the failing hop named
// with its inventory when a technician takes it, a restart asked for and
// confirmed by the sysadmin, :fix, the re-check after the restart finds
// every hop answering, marked fixed, the reporter confirms, closed with a
// resolution. Nothing is pinged. "::later D" moves the clock and is the
// Enter a newcomer presses to see what came due.
func TestConsoleDemoBreaksAHop(t *testing.T) {
	script := []string{
		":break WAN router",
		"/fault office-a 网络不通，ERP 打不开",
		":as U0DEMOTECH",
		"1",
		"4",
		":as U0DEMOADMIN",
		"9",
		":fix WAN router",
		"::later 30s",
		":as U0DEMOTECH",
		"21",
		":as U0EMPLOYEE",
		"26",
		":as U0DEMOTECH",
		"28",
		"1",
		"更换了 WAN 路由器的电源模块",
		"",
		"Demo Systems Co.",
		"/fault show F-1",
		"::later 1m", // the demo duty of the console's user comes due
	}
	for lang, wants := range map[string][]string{
		"zh": {"第一个故障节点是 3. WAN router", "Cisco ISR 4331", "确认重启", "所有节点均有响应", "F-1 已关闭", "desk-backup"},
		"en": {"The first failing hop is 3. WAN router", "Cisco ISR 4331", "confirmed the restart", "Every hop answers", "F-1 is closed", "desk-backup"},
	} {
		t.Run(lang, func(t *testing.T) {
			clk := &testClock{t: time.Date(2026, 11, 27, 1, 30, 0, 0, time.UTC)}
			var out bytes.Buffer
			env := testEnv(map[string]string{"DATABASE_URL": storagetest.URL(t, "sqlite")}, clk, &out, &bytes.Buffer{})
			env.tick = time.Hour // nothing shows up between two lines but what they make due
			env.stdin = &clockedLines{lines: script, clk: clk}
			if err := env.run(context.Background(), []string{"console", "--language", lang}); err != nil {
				t.Fatal(err)
			}
			_, got, _ := strings.Cut(out.String(), "\n") // the banner names a temporary file
			for _, want := range wants {
				if !strings.Contains(got, want) {
					t.Errorf("the demo lacks %q", want)
				}
			}
			path := "testdata/console-demo-" + lang + ".txt"
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Fatalf("%s differs from what the demo prints now (go test -run TestConsoleDemo -update rewrites it):\n%s", path, got)
			}
		})
	}
}

// clockedLines reads lines as a terminal would get them; "::later D"
// moves clk on by D and reads as an empty line.
type clockedLines struct {
	lines []string
	clk   *testClock
	rest  []byte
}

func (r *clockedLines) Read(p []byte) (int, error) {
	for len(r.rest) == 0 {
		if len(r.lines) == 0 {
			return 0, io.EOF
		}
		line := r.lines[0]
		r.lines = r.lines[1:]
		if d, ok := strings.CutPrefix(line, "::later "); ok {
			wait, err := time.ParseDuration(d)
			if err != nil {
				return 0, err
			}
			r.clk.advance(wait)
			line = ""
		}
		r.rest = []byte(line + "\n")
	}
	n := copy(p, r.rest)
	r.rest = r.rest[n:]
	return n, nil
}
