package commands_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/catalog"
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
	c := &chat{}
	clock := testT0
	set := testSettings(catalog.EN)
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
	svc := commands.New(commands.Deps{Store: db, Pinger: pinger, Poster: c,
		Settings: set, Now: func() time.Time { return clock }, Log: storagetest.Logger(), Scheduler: jobs.Schedules{}})
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	check := func() []sent {
		t.Helper()
		before := len(c.all())
		clock = clock.Add(time.Minute)
		if err := svc.FireDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := svc.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		return c.all()[before:]
	}
	heads := func() int {
		n := 0
		for _, m := range c.all() {
			if m.Method == "post" && m.ThreadTS == "" && strings.Contains(m.Text, "network fault") {
				n++
			}
		}
		return n
	}
	if msgs := check(); len(msgs) != 0 || heads() != 0 {
		t.Fatalf("a ticket after one failed check: %s", dump(msgs))
	}
	msgs := check()
	if heads() != 1 {
		t.Fatalf("no ticket after two failed checks: %s", dump(msgs))
	}
	mustSay(t, msgs, "post", "The path monitor saw uplink fail 2 checks in a row")
	mustSay(t, msgs, "post", "first failing hop is 3. uplink")
	mustSay(t, msgs, "post", "Faultline (path monitor)")
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
	// One good check is not a recovery (recover_after defaults to 2).
	if said(check(), "post", "The monitor sees the path of lab answer again") {
		t.Fatal("recovered after one good check")
	}
	mustSay(t, check(), "post", "The monitor sees the path of lab answer again")
	if st, _ := db.MonitorState(context.Background(), "lab"); st.FaultID != 0 || st.Failing != "" {
		t.Fatalf("monitor state after recovery: %+v", st)
	}
	if heads() != 1 {
		t.Fatal("the recovery opened a ticket")
	}
}
