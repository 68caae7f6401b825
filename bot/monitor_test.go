package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/bot"
	"github.com/faultline/faultline/bot/slackfake"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/jobs"
	"github.com/faultline/faultline/probe"
	"github.com/faultline/faultline/probe/probetest"
	"github.com/faultline/faultline/storage/storagetest"
)

// A path monitor with real pings on loopback: the third hop and the two
// behind it stop answering (nftables drop rules on 127.77.x.y addresses
// made for the test). After two failed checks there is one ticket, opened
// by the bot and naming the third hop; none for the hops behind it, and no
// second one while the outage lasts. When the rules go, the recovery is
// posted in that ticket.
func TestMonitorOpensOneTicketAndPostsRecovery(t *testing.T) {
	uplink, up1 := probetest.SilentHost(t)
	behind, up2 := probetest.SilentHost(t)
	hq, up3 := probetest.SilentHost(t)
	db := storagetest.Open(t, "sqlite")
	fake := slackfake.New(t, token)
	clk := &clock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	set := testSettings(faultline.LangEN)
	set.Sites = []faultline.Site{{Name: "lab", Path: []faultline.Hop{
		{Name: "gateway", Host: "127.0.0.1", Kind: faultline.KindDevice},
		{Name: "switch", Host: "127.0.0.2", Kind: faultline.KindDevice},
		{Name: "uplink", Host: uplink, Kind: faultline.KindLine},
		{Name: "core", Host: behind, Kind: faultline.KindDevice},
		{Name: "HQ", Host: hq, Kind: faultline.KindHQ},
	}}}
	set.Monitors = []commands.MonitorSpec{{Site: "lab", Schedule: "@every 1m", Failures: 2}}
	pinger := probe.New(probe.Options{Wait: 300 * time.Millisecond}, storagetest.Logger(), nil)
	t.Cleanup(pinger.Close)
	svc := commands.New(commands.Deps{Store: db, Pinger: pinger, Poster: bot.NewWebAPI(token, fake.APIURL()),
		Settings: set, Now: clk.now, Log: storagetest.Logger(), Scheduler: jobs.Schedules{}})
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	check := func() []slackfake.Call {
		t.Helper()
		before := len(fake.Calls())
		clk.advance(time.Minute)
		if err := svc.FireDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := svc.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		return fake.Calls()[before:]
	}
	heads := func() int {
		n := 0
		for _, c := range fake.Calls("chat.postMessage") {
			if c.Params["thread_ts"] == "" && strings.Contains(c.Params["text"], "network fault") {
				n++
			}
		}
		return n
	}

	if calls := check(); len(calls) != 0 || heads() != 0 {
		t.Fatalf("a ticket after one failed check: %s", dump(calls))
	}
	calls := check()
	if heads() != 1 {
		t.Fatalf("no ticket after two failed checks: %s", dump(calls))
	}
	mustSay(t, calls, "chat.postMessage", "The path monitor saw uplink fail 2 checks in a row")
	mustSay(t, calls, "chat.postMessage", "first failing hop is 3. uplink")
	mustSay(t, calls, "chat.postMessage", "Faultline (path monitor)")
	check()
	if heads() != 1 {
		t.Fatal("a second ticket for the same outage")
	}
	open, _ := db.Faults(context.Background(), faultline.OpenFaultStates, 10)
	if len(open) != 1 || open[0].Hop != "uplink" || open[0].Reporter != faultline.ActorBot {
		t.Fatalf("tickets: %+v", open)
	}

	up1()
	up2()
	up3()
	calls = check()
	mustSay(t, calls, "chat.postMessage", "The monitor sees the path of lab answer again")
	if st, _ := db.MonitorState(context.Background(), "lab"); st.FaultID != 0 || st.Failing != "" {
		t.Fatalf("monitor state after recovery: %+v", st)
	}
	if heads() != 1 {
		t.Fatal("the recovery opened a ticket")
	}
}
