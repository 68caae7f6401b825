package bot_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/bot"
	"github.com/faultline/faultline/catalog"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/probe/probetest"
	"github.com/faultline/faultline/storage/storagetest"
)

var consoleClock = time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)

// The whole fault procedure in the console, as a transcript: a report
// whose carrier line is down, a thread reply, a refused press, take,
// restart asked and confirmed by a sysadmin (after a refusal to the wrong
// role), the re-check when its clock runs out, the carrier's ticket,
// escalation to HQ with everything tried, fixed / still broken / fixed /
// works, close with a resolution, search, a new ticket on the same hop
// that shows how it was fixed, its escalation when nobody takes it, and
// the mistakes people make. Lines starting with "::" change the world
// (the line comes back, time passes) and never reach the console.
func TestConsoleTranscript(t *testing.T) {
	transcripts(t, "console")
}

// The security-incident procedure in the console: declared by an
// employee, read by nobody else outside the security roles, handled,
// reminded, reported, classified critical (the executive told, the notice
// drafted, edited, approved and posted, the outside report's clock),
// remediated, closed, summarised with a follow-up that its owner marks
// done, exported; and a second incident whose report nobody files,
// escalated to the department head and then the executive.
func TestConsoleIncidentTranscript(t *testing.T) {
	transcripts(t, "console-incident")
}

// transcripts runs testdata/<name>-script.txt in both languages and
// compares the output with testdata/<name>-<lang>.txt.
func transcripts(t *testing.T, name string) {
	script, err := os.ReadFile("testdata/" + name + "-script.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []catalog.Lang{catalog.ZH, catalog.EN} {
		t.Run(string(lang), func(t *testing.T) {
			pinger := &probetest.Script{}
			line := []string{"127.0.3.1", "127.0.9.1"}
			pinger.Down(line...)
			clock := consoleClock
			hooks := map[string]func(arg string){
				"::line-up":   func(string) { pinger.Up(line...) },
				"::line-down": func(string) { pinger.Down(line...) },
				"::later": func(arg string) {
					d, err := time.ParseDuration(arg)
					if err != nil {
						t.Fatalf("::later %s: %v", arg, err)
					}
					clock = clock.Add(d)
				},
			}
			var out bytes.Buffer
			c := bot.NewConsole(&scripted{lines: strings.Split(string(script), "\n"), hooks: hooks}, &out, "U0EMPLOYEE")
			c.Echo = true
			c.Cat = catalog.New(lang)
			c.Now = func() time.Time { return clock }
			c.Channels = map[string]string{faults: "faults", incidents: "incidents", announce: "announcements"}
			c.Follow = map[string]bool{faults: true, incidents: true}
			c.Describe = func(u string) string { return u }
			c.Handler = commands.New(commands.Deps{
				Store: storagetest.Open(t, "sqlite"), Pinger: pinger, Poster: c, Hooks: c, Log: storagetest.Logger(),
				Now: func() time.Time { return clock }, Settings: consoleSettings(lang),
			})
			if err := c.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			golden(t, name+"-"+string(lang)+".txt", out.Bytes())
		})
	}
}

// scripted feeds the console one line per Read; a line naming a hook runs
// it instead of reaching the console.
type scripted struct {
	lines []string
	hooks map[string]func(arg string)
}

func (s *scripted) Read(p []byte) (int, error) {
	for len(s.lines) > 0 {
		line := s.lines[0]
		s.lines = s.lines[1:]
		name, arg, _ := strings.Cut(line, " ")
		if hook, ok := s.hooks[name]; ok {
			hook(arg)
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue // a comment in the script
		}
		return copy(p, line+"\n"), nil
	}
	return 0, io.EOF
}

func consoleSettings(lang catalog.Lang) commands.Settings {
	set := testSettings(lang)
	set.Location = time.FixedZone("CST", 8*3600)
	set.Parallel = 1
	set.Compliance.National = true
	set.Hooks = []commands.HookSpec{{Name: "it-managers", Topics: []string{commands.HookEscalations, commands.HookOverdue, commands.HookNotices},
		Language: catalog.ZH, PerMinute: 20}}
	return set
}

// One outage reported by three people in turn: the later ones are told
// it is known and by whom it is handled, one ticket counts them, status
// shows the site, a maintenance window is opened and listed, and at
// recovery all three are asked: one says it works, one still has no
// network and is split off, the third confirms too.
func TestConsoleOutageTranscript(t *testing.T) {
	transcripts(t, "console-outage")
}

// Ctrl-C (the context ending) leaves the console at once while it waits
// for a line, and answers nothing more.
func TestConsoleLeavesOnInterrupt(t *testing.T) {
	in, _ := io.Pipe() // a terminal nobody types in
	var out bytes.Buffer
	c := bot.NewConsole(in, &out, "U0EMPLOYEE")
	c.Handler = commands.New(commands.Deps{Store: storagetest.Open(t, "sqlite"), Pinger: &probetest.Script{}, Poster: c,
		Log: storagetest.Logger(), Settings: consoleSettings(catalog.EN)})
	ctx, interrupt := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	time.Sleep(50 * time.Millisecond) // at the prompt
	interrupt()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the console still waits for a line after Ctrl-C")
	}
	if strings.Contains(out.String(), "went wrong") || strings.Contains(out.String(), "context canceled") {
		t.Fatalf("an interrupt answered as an error:\n%s", out.String())
	}
}

// A message that arrives while the console waits for a line (a reminder,
// an escalation) is held until Enter, then shown before the next prompt:
// nothing lands in the line being typed.
func TestConsoleAsyncMessageGoesBelowThePrompt(t *testing.T) {
	in, typing := io.Pipe()
	defer typing.Close()
	out := &syncBuffer{}
	c := bot.NewConsole(in, out, "U0EMPLOYEE")
	c.Handler = commands.New(commands.Deps{Store: storagetest.Open(t, "sqlite"), Pinger: &probetest.Script{}, Poster: c,
		Log: storagetest.Logger(), Settings: consoleSettings(catalog.EN)})
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() { stop(); <-done }()
	waitFor := func(what string, ok func(string) bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !ok(out.String()); {
			if time.Now().After(deadline) {
				t.Fatalf("no %s:\n%s", what, out.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor("prompt", func(s string) bool { return strings.HasSuffix(s, "U0EMPLOYEE> ") })
	if _, err := c.Post(ctx, faultline.Message{Channel: "C0ELSEWHERE", Text: "⏰ finance-backup is due"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if s := out.String(); !strings.HasSuffix(s, "U0EMPLOYEE> ") {
		t.Fatalf("a message printed into the line being typed:\n%s", s)
	}
	if _, err := typing.Write([]byte("\n")); err != nil { // Enter
		t.Fatal(err)
	}
	want := "U0EMPLOYEE> ── #C0ELSEWHERE · Faultline posted message 1 ──\n  ⏰ finance-backup is due\nU0EMPLOYEE> "
	waitFor("message after Enter", func(s string) bool { return strings.HasSuffix(s, want) })
}

// syncBuffer is a bytes.Buffer for one writer and one reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// :quit inside a form closes the form and leaves the console; :as takes
// one word and reads it as Slack writes IDs, upper case.
func TestConsoleQuitInAFormAndAsOneWord(t *testing.T) {
	var out bytes.Buffer
	in := strings.NewReader(":as u0tech and more\n/fault\n:quit\n/fault list\n")
	c := bot.NewConsole(in, &out, "U0EMPLOYEE")
	c.Handler = commands.New(commands.Deps{Store: storagetest.Open(t, "sqlite"), Pinger: &probetest.Script{}, Poster: c,
		Log: storagetest.Logger(), Settings: consoleSettings(catalog.EN)})
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if !strings.Contains(got, "You are now U0TECH.") {
		t.Errorf(":as u0tech and more:\n%s", got)
	}
	if !strings.Contains(got, "Form closed; nothing was sent.") || strings.Contains(got, "No open tickets") || strings.Contains(got, "Open tickets") {
		t.Errorf(":quit in a form did not leave the console:\n%s", got)
	}
}
