package bot_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/bot"
	"github.com/faultline/faultline/bot/slackfake"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/probe/probetest"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

// process is one Faultline process's flows on a shared database and a
// shared fake Slack, with its own clock.
type process struct {
	svc *commands.Service
	db  *storage.DB
}

var escT0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func startProcess(t *testing.T, url string, fake *slackfake.Slack, now func() time.Time) process {
	t.Helper()
	db, err := storage.Open(context.Background(), url, storagetest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	svc := commands.New(commands.Deps{
		Store: db, Pinger: &probetest.Script{}, Poster: bot.NewWebAPI(token, fake.APIURL()),
		Settings: testSettings(faultline.LangEN), Now: now, Log: storagetest.Logger(),
	})
	return process{svc: svc, db: db}
}

func (p process) tick(t *testing.T) {
	t.Helper()
	if err := p.svc.FireDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := p.svc.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// escalations lists the levels reached, in order, from the DMs sent.
func escalations(calls []slackfake.Call) []string {
	var out []string
	for _, c := range calls {
		if c.Method == "chat.postMessage" && strings.HasPrefix(c.Params["channel"], "D0") {
			_, role, _ := strings.Cut(c.Params["text"], "Escalated to ")
			role, _, _ = strings.Cut(role, " (")
			out = append(out, c.Params["channel"]+"="+role)
		}
	}
	return out
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// A ticket nobody takes climbs the chain one level per fault_ack, each
// level once, however often and by however many processes the clocks are
// run, and across a restart; the chain's end stops it.
func TestEscalationEachLevelOnce(t *testing.T) {
	for _, dialect := range storagetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			url := storagetest.URL(t, dialect)
			fake := slackfake.New(t, token)
			clk := &clock{t: escT0}
			a, b := startProcess(t, url, fake, clk.now), startProcess(t, url, fake, clk.now)
			a.svc.Command(context.Background(), commands.Request{Command: "/fault", Text: "office-a down", User: "U0REPORTER"})
			a.tick(t)

			both := func() {
				var wg sync.WaitGroup
				for _, p := range []process{a, b} {
					wg.Add(1)
					go func() { defer wg.Done(); p.tick(t) }()
				}
				wg.Wait()
			}
			clk.advance(16 * time.Minute) // past fault_ack: it_supervisor
			both()
			both()
			if got := escalations(fake.Calls()); strings.Join(got, " ") != "D0U0SUPER=an IT supervisor" {
				t.Fatalf("after one fault_ack: %v", got)
			}

			// Process a stops (a restart); a new process takes over.
			a.db.Close()
			c := startProcess(t, url, fake, clk.now)
			c.tick(t)
			clk.advance(15 * time.Minute) // dept_head
			both2 := []process{b, c}
			for _, p := range both2 {
				p.tick(t)
			}
			clk.advance(15 * time.Minute) // hq_netadmin
			for _, p := range both2 {
				p.tick(t)
			}
			clk.advance(10 * time.Hour) // the chain has ended; the resolve clock finds nothing above
			for _, p := range both2 {
				p.tick(t)
			}
			want := "D0U0SUPER=an IT supervisor D0U0HEAD=the IT department head D0U0HQ=HQ's network admin"
			if got := escalations(fake.Calls()); strings.Join(got, " ") != want {
				t.Fatalf("escalations = %v\nwant %s", got, want)
			}
			f, _ := b.db.Fault(context.Background(), 1)
			if f.EscLevel != 3 {
				t.Fatalf("level %d", f.EscLevel)
			}
			if timers, _ := b.db.Timers(context.Background(), f.ID); len(timers) != 0 {
				t.Fatalf("clocks left at the chain's end: %+v", timers)
			}
		})
	}
}

// Taking the ticket stops the "not taken" clock; the "not resolved" one
// and the device fault's keep going until it is closed.
func TestEscalationStopsWhenTaken(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setupWith(t, db, false)
		p := &procedure{t: t, h: h, fault: faultline.Fault{Number: 1}}
		h.pinger.Down("127.0.2.1", "127.0.3.1", "127.0.9.1")
		h.bot.Command(t, "U0REPORTER", "C0GENERAL", "/fault", "office-a down")
		p.settle()
		p.fault = p.state()
		p.press("U0TECH", "fault_take")
		h.advance(20 * time.Minute)
		if got := escalations(p.settle()); len(got) != 0 {
			t.Fatalf("escalated a taken ticket: %v", got)
		}
		h.advance(2 * time.Hour) // past fault_device (2h) from the report
		calls := p.settle()
		if got := escalations(calls); len(got) != 1 || got[0] != "D0U0SUPER=an IT supervisor" {
			t.Fatalf("device fault open past its limit: %v", got)
		}
		mustSay(t, calls, "chat.postMessage", "the device fault of F-1 is still not fixed")
		if m := scrape(t, h.bot.URL); !strings.Contains(m, `faultline_fault_escalations_total{level="1",role="it_supervisor"} 1`) {
			t.Errorf("escalation not counted:\n%s", grepLines(m, "escalations"))
		}
		timers, _ := db.Timers(context.Background(), p.fault.ID)
		kinds := []string{}
		for _, tm := range timers {
			kinds = append(kinds, string(tm.Kind))
		}
		if strings.Join(kinds, ",") != "resolve,device" {
			t.Fatalf("clocks running: %v", kinds)
		}
	})
}

func grepLines(text, word string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
