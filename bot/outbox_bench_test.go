package bot_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/bot"
	"github.com/faultline/faultline/bot/slackfake"
	"github.com/faultline/faultline/catalog"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/jobs"
	"github.com/faultline/faultline/probe/probetest"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

// BenchmarkOutboxDrain queues a backlog of messages across channels and
// times the real delivery loop (as serve runs it, one message per channel
// per second after a burst of three) until the outbox is empty, against a
// fake Slack that allows the same and answers 429 beyond it. It reports the drain
// time, messages per second overall and per channel, and the 429s Slack
// had to send.
//
//	TEST_DATABASE_URL=postgres://… go test -run '^$' -bench OutboxDrain -benchtime 1x ./bot/
func BenchmarkOutboxDrain(b *testing.B) {
	for _, shape := range []struct{ messages, channels int }{{1000, 100}, {10000, 100}, {30, 1}} {
		b.Run(fmt.Sprintf("%dmsgs-%dchannels", shape.messages, shape.channels), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				drain(b, shape.messages, shape.channels)
			}
		})
	}
}

func drain(b *testing.B, messages, channels int) {
	b.StopTimer()
	dialect := benchDialect()
	db := storagetest.Open(b, dialect)
	fake := slackfake.New(b, token)
	fake.RateLimitBurst(time.Second, 3) // Slack: about one a second per channel, with short bursts
	set := testSettings(catalog.EN)
	set.Pace = time.Second
	svc := commands.New(commands.Deps{Store: db, Pinger: &probetest.Script{}, Poster: bot.NewWebAPI(token, fake.APIURL()),
		Settings: set, Log: storagetest.Logger()})
	enqueue(b, db, messages, channels)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	b.StartTimer()
	start := time.Now()
	go func() {
		defer close(done)
		jobs.New(svc, jobs.Config{ClockSchedule: "@every 1h", Poll: 50 * time.Millisecond}, storagetest.Logger()).Run(ctx)
	}()
	for {
		pending, _, err := db.OutboxDepth(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if pending == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(start)
	b.StopTimer()
	stop()
	<-done
	if sent := len(fake.Calls("chat.postMessage")); sent != messages {
		b.Fatalf("Slack accepted %d messages, want %d", sent, messages)
	}
	b.ReportMetric(took.Seconds(), "drain-s")
	b.ReportMetric(float64(messages)/took.Seconds(), "msgs/s")
	b.ReportMetric(float64(messages)/took.Seconds()/float64(channels), "msgs/s/channel")
	b.ReportMetric(float64(fake.Limited()), "429s")
}

func enqueue(b *testing.B, db *storage.DB, messages, channels int) {
	var out []faultline.Outgoing
	for i := 0; i < messages; i++ {
		ch := fmt.Sprintf("C%04d", i%channels)
		out = append(out, faultline.Outgoing{Kind: faultline.OutPost, Message: faultline.Message{Channel: ch, Text: fmt.Sprintf("message %d", i)}})
	}
	if err := db.Commit(context.Background(), faultline.Change{Out: out}); err != nil {
		b.Fatal(err)
	}
}
