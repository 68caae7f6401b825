package commands_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/catalog"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/jobs"
	"github.com/faultline/faultline/probe/probetest"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

// process is one Faultline process's flows on a shared database and a
// shared chat, on a shared clock.
type process struct {
	svc *commands.Service
	db  *storage.DB
}

func startProcess(t *testing.T, url string, c *chat, now func() time.Time) process {
	t.Helper()
	db := storagetest.OpenURL(t, url)
	svc := commands.New(commands.Deps{
		Store: db, Pinger: &probetest.Script{}, Poster: c, Settings: testSettings(catalog.EN), Now: now,
		Log: storagetest.Logger(), Scheduler: jobs.Schedules{},
	})
	return process{svc: svc, db: db}
}

func (p process) tick(t *testing.T) {
	t.Helper()
	if err := p.svc.FireDue(context.Background()); err != nil {
		t.Error(err)
	}
	if err := p.svc.Flush(context.Background()); err != nil {
		t.Error(err)
	}
}

// escalations lists the levels reached, in order, from the DMs sent.
func escalations(msgs []sent) []string {
	var out []string
	for _, m := range msgs {
		if m.Method == "post" && strings.HasPrefix(m.Channel, "D0") {
			_, role, _ := strings.Cut(m.Text, "Escalated to ")
			role, _, _ = strings.Cut(role, " (")
			out = append(out, m.Channel+"="+role)
		}
	}
	return out
}

// A ticket nobody takes climbs the chain one level per fault_ack, each
// level once, however often and by however many processes the clocks are
// run, and across a restart; the chain's end stops it.
func TestEscalationEachLevelOnce(t *testing.T) {
	for _, dialect := range storagetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			url := storagetest.URL(t, dialect)
			c := &chat{}
			var mu sync.Mutex
			clock := testT0
			now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
			advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); clock = clock.Add(d) }
			a, b := startProcess(t, url, c, now), startProcess(t, url, c, now)
			a.svc.Command(context.Background(), commands.Request{Command: "/fault", Text: "office-a down", User: "U0REPORTER"})
			a.tick(t)

			both := func(ps ...process) {
				var wg sync.WaitGroup
				for _, p := range ps {
					wg.Go(func() { p.tick(t) })
				}
				wg.Wait()
			}
			advance(16 * time.Minute) // past fault_ack: it_supervisor
			both(a, b)
			both(a, b)
			if got := escalations(c.all()); strings.Join(got, " ") != "D0U0SUPER=an IT supervisor" {
				t.Fatalf("after one fault_ack: %v", got)
			}
			// Process a stops (a restart); a new process takes over.
			a.db.Close()
			n := startProcess(t, url, c, now)
			n.tick(t)
			advance(15 * time.Minute) // dept_head
			both(b, n)
			advance(15 * time.Minute) // hq_netadmin
			both(b, n)
			advance(10 * time.Hour) // the chain has ended; the resolve clock finds nothing above
			both(b, n)
			want := "D0U0SUPER=an IT supervisor D0U0HEAD=the IT department head D0U0HQ=HQ's network admin"
			if got := escalations(c.all()); strings.Join(got, " ") != want {
				t.Fatalf("escalations = %v\nwant %s", got, want)
			}
			f, _ := b.db.Fault(context.Background(), 1)
			if f.EscLevel != 3 {
				t.Fatalf("level %d", f.EscLevel)
			}
			if timers := timersOf(t, b.db, f.ID); len(timers) != 0 {
				t.Fatalf("clocks left at the chain's end: %v", timers)
			}
		})
	}
}

// Taking the ticket stops the "not taken" clock; the "not resolved" one
// and the device fault's keep going until it is closed.
func TestEscalationStopsWhenTaken(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		h := setup(t, db)
		h.pinger.Down("127.0.2.1", "127.0.3.1", "127.0.9.1")
		h.command("U0REPORTER", "/fault office-a down")
		h.settle()
		h.press("U0TECH", "fault_take", "F-1")
		h.advance(20 * time.Minute)
		if got := escalations(h.settle()); len(got) != 0 {
			t.Fatalf("escalated a taken ticket: %v", got)
		}
		h.advance(2 * time.Hour) // past fault_device (2h) from the report
		msgs := h.settle()
		if got := escalations(msgs); len(got) != 1 || got[0] != "D0U0SUPER=an IT supervisor" {
			t.Fatalf("device fault open past its limit: %v", got)
		}
		mustSay(t, msgs, "post", "the device fault of F-1 is still not fixed")
		if kinds := strings.Join(timersOf(t, db, h.fault(1).ID), ","); kinds != "resolve,device" {
			t.Fatalf("clocks running: %v", kinds)
		}
		assertKinds(t, db, h.fault(1).ID, faultline.EventCreated, faultline.EventCheck, faultline.EventState, faultline.EventEscalation)
	})
}
