package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/bot"
	"github.com/faultline/faultline/bot/slackfake"
	"github.com/faultline/faultline/catalog"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/jobs"
	"github.com/faultline/faultline/probe/probetest"
	"github.com/faultline/faultline/storage/storagetest"
)

// BenchmarkReminders times backup reminders from the moment their duties
// come due until Slack has accepted every DM, through the real clock job
// and delivery loop (as serve runs them), against a fake Slack enforcing
// Slack's limits: one post a second per channel, conversations.open 50 and
// users.info 100 a minute (Tiers 3 and 4).
//
// cold: nobody's DM channel is known yet, so the opens' tier sets the pace.
// warm: the bot has reminded these owners before (their DM channels and
// account states are remembered), as on every day after the first.
//
//	TEST_DATABASE_URL=postgres://… go test -run '^$' -bench Reminders -benchtime 1x ./bot/
func BenchmarkReminders(b *testing.B) {
	for _, c := range []struct {
		name   string
		owners int
		warm   bool
	}{{"cold-100owners", 100, false}, {"warm-1000owners", 1000, true}} {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				remind(b, c.owners, c.warm)
			}
		})
	}
}

func remind(b *testing.B, owners int, warm bool) {
	b.StopTimer()
	dialect := benchDialect()
	db := storagetest.Open(b, dialect)
	fake := slackfake.New(b, token)
	api := bot.NewWebAPI(token, fake.APIURL())
	ctx := context.Background()
	if warm {
		for i := range owners {
			user := fmt.Sprintf("U%05d", i)
			if _, err := api.OpenDM(ctx, user); err != nil {
				b.Fatal(err)
			}
			if _, err := api.UserGone(ctx, user); err != nil {
				b.Fatal(err)
			}
		}
	}
	fake.RateLimit(time.Second)
	fake.LimitMethod("conversations.open", 50, time.Minute)
	fake.LimitMethod("users.info", 100, time.Minute)
	set := testSettings(catalog.EN)
	set.Pace = time.Second
	set.Location = time.UTC
	svc := commands.New(commands.Deps{Store: db, Pinger: &probetest.Script{}, Poster: api, Settings: set,
		Log: storagetest.Logger(), Scheduler: jobs.Schedules{Location: time.UTC}})
	now := time.Now()
	for i := range owners {
		d := faultline.Duty{Name: fmt.Sprintf("backup-%05d", i), Owners: []string{fmt.Sprintf("U%05d", i)}, Schedule: "@daily",
			Grace: 2 * time.Hour, EscalateTo: faultline.RoleITSupervisor, Source: faultline.SourceSlack, NextDue: now}
		if _, err := db.CreateDuty(ctx, d, now); err != nil {
			b.Fatal(err)
		}
	}
	before := len(fake.Calls())
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	b.StartTimer()
	start := time.Now()
	go func() {
		defer close(done)
		jobs.New(svc, jobs.Config{ClockSchedule: "@every 1s", Poll: 50 * time.Millisecond}, storagetest.Logger()).Run(runCtx)
	}()
	for delivered(fake) < owners {
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(start)
	b.StopTimer()
	stop()
	<-done
	if n := delivered(fake); n != owners {
		b.Fatalf("%d reminders for %d owners", n, owners)
	}
	calls := fake.Calls()[before:]
	b.ReportMetric(took.Seconds(), "s")
	b.ReportMetric(float64(owners)/took.Seconds(), "reminders/s")
	b.ReportMetric(float64(slackfake.Count(calls, "conversations.open")), "opens")
	b.ReportMetric(float64(fake.Limited()), "429s")
	pending, _, err := db.OutboxDepth(ctx)
	if err != nil || pending != 0 {
		b.Fatalf("outbox: %d pending, %v", pending, err)
	}
}

// delivered counts the reminder DMs Slack accepted.
func delivered(fake *slackfake.Slack) int {
	n := 0
	for _, c := range fake.Calls("chat.postMessage") {
		if strings.HasPrefix(c.Params["channel"], "D0") && strings.Contains(c.Params["text"], "is due") {
			n++
		}
	}
	return n
}
