package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/commands"
)

var outboxContracts = []contract{
	{"OutboxOrderClaimsAndOutcomes", outboxOrderClaimsAndOutcomes},
	{"OutboxBlockedKeysAndRetry", outboxBlockedKeysAndRetry},
	{"OutboxBacklogInOrder", outboxBacklogInOrder},
	{"PaceAcrossProcesses", paceAcrossProcesses},
	{"NextOutgoingOnePerChannel", nextOutgoingOnePerChannel},
	{"OutboxSentTextForgottenAndPruned", outboxSentTextForgotten},
}

// A ticket's messages leave in order, one at a time; a claimed message is
// nobody else's; the head message's ts becomes the ticket's thread; a
// message waiting to retry holds back the rest of its key; a given-up one
// lets them go.
func outboxOrderClaimsAndOutcomes(t *testing.T, open Open) {
	s, _ := open(t)
	f, err := s.CreateFault(ctx, newFault("x"), faultline.Change{Out: head("C0FAULTS")})
	if err != nil {
		t.Fatal(err)
	}
	dm := faultline.Outgoing{Kind: faultline.OutDM, User: "U0BOSS", Message: faultline.Message{Text: "dm"}}
	if err := s.Commit(ctx, faultline.Change{At: t0, FaultID: f.ID, Out: []faultline.Outgoing{post("one"), post("two"), dm}}); err != nil {
		t.Fatal(err)
	}
	p := pending(t, s, t0, 2)
	if p[0].Kind != faultline.OutHead || p[1].Kind != faultline.OutDM || p[1].Key != "dm:U0BOSS" {
		t.Fatalf("pending = %+v", p)
	}
	if ok, err := s.ClaimOutgoing(ctx, p[0], t0, 30*time.Second); !ok || err != nil {
		t.Fatalf("claim = %v, %v", ok, err)
	}
	if ok, _ := s.ClaimOutgoing(ctx, p[0], t0.Add(time.Second), 30*time.Second); ok {
		t.Fatal("a claimed message was claimed again within its lease")
	}
	pending(t, s, t0.Add(time.Second), 1) // only the DM while the head is out
	if err := s.OutgoingSent(ctx, p[0], "C0FAULTS", "1700000000.000001", t0); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Fault(ctx, f.Number); got.MessageTS != "1700000000.000001" || got.Channel != "C0FAULTS" {
		t.Fatalf("head ts not on the ticket: %+v", got)
	}
	if got, _ := s.FaultByMessage(ctx, "C0FAULTS", "1700000000.000001"); got.ID != f.ID {
		t.Fatalf("the ticket is not found by its head message: %+v", got)
	}
	next := pending(t, s, t0, 2)[0]
	if next.Message.Text != "one" || next.HeadTS != "1700000000.000001" || next.HeadChannel != "C0FAULTS" {
		t.Fatalf("next = %+v", next)
	}
	if err := s.OutgoingRetry(ctx, next, t0.Add(time.Minute), "ratelimited", true); err != nil {
		t.Fatal(err)
	}
	if p := pending(t, s, t0.Add(30*time.Second), 1); p[0].Kind != faultline.OutDM {
		t.Fatalf("a message waiting to retry let the next of its thread overtake it: %+v", p)
	}
	if m := byID(pending(t, s, t0.Add(time.Minute), 2), next.ID); m.Attempts != 1 || m.Error != "ratelimited" {
		t.Fatalf("after a retry: %+v", m)
	}
	if err := s.OutgoingFailed(ctx, next, "msg_too_long", t0, false); err != nil {
		t.Fatal(err)
	}
	if p := pending(t, s, t0.Add(time.Minute), 2); byKind(p, faultline.OutPost).Message.Text != "two" {
		t.Fatalf("after giving up on one, next = %+v", p)
	}
}

func byID(list []faultline.Outgoing, id int64) faultline.Outgoing {
	for _, o := range list {
		if o.ID == id {
			return o
		}
	}
	return faultline.Outgoing{}
}

func byKind(list []faultline.Outgoing, kind faultline.OutKind) faultline.Outgoing {
	for _, o := range list {
		if o.Kind == kind {
			return o
		}
	}
	return faultline.Outgoing{}
}

// A message given up for a destination that cannot be reached keeps its key
// waiting behind it; the operator's retry, by ID or by channel, sends it
// and everything behind it again.
func outboxBlockedKeysAndRetry(t *testing.T, open Open) {
	s, _ := open(t)
	f, err := s.CreateFault(ctx, newFault("x"), faultline.Change{Out: head("C0FAULTS")})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, faultline.Change{At: t0, FaultID: f.ID, Out: []faultline.Outgoing{post("one"), post("two")}}); err != nil {
		t.Fatal(err)
	}
	h := pending(t, s, t0, 1)[0]
	if err := s.OutgoingFailed(ctx, h, "not_in_channel", t0, true); err != nil {
		t.Fatal(err)
	}
	pending(t, s, t0.Add(time.Hour), 0) // the thread waits behind its head
	heads, failed, err := s.OutboxReport(ctx, 10)
	if err != nil || len(failed) != 1 || failed[0].Error != "not_in_channel" || len(heads) != 1 || heads[0].BlockedBy != "not_in_channel" {
		t.Fatalf("report: heads %+v, failed %+v, %v", heads, failed, err)
	}
	if n, err := s.RetryOutgoing(ctx, 0, "C0ELSEWHERE", t0); err != nil || n != 0 {
		t.Fatalf("retry in another channel: %d, %v", n, err)
	}
	if n, err := s.RetryOutgoing(ctx, 0, "C0FAULTS", t0.Add(time.Minute)); err != nil || n != 1 {
		t.Fatalf("retry in the channel: %d, %v", n, err)
	}
	again := pending(t, s, t0.Add(time.Minute), 1)[0]
	if again.ID != h.ID || again.Attempts != 0 || !again.FailedAt.IsZero() {
		t.Fatalf("the retried head: %+v", again)
	}
	// Given up without blocking (the message itself was refused), the key
	// moves on; a retry by ID puts it back first in line.
	if err := s.OutgoingSent(ctx, again, "C0FAULTS", "1.000001", t0); err != nil {
		t.Fatal(err)
	}
	one := pending(t, s, t0.Add(time.Minute), 1)[0]
	if err := s.OutgoingFailed(ctx, one, "msg_too_long", t0, false); err != nil {
		t.Fatal(err)
	}
	if p := pending(t, s, t0.Add(time.Minute), 1); p[0].Message.Text != "two" {
		t.Fatalf("after giving up on one: %+v", p)
	}
	if n, err := s.RetryOutgoing(ctx, one.ID, "", t0.Add(time.Minute)); err != nil || n != 1 {
		t.Fatalf("retry by ID: %d, %v", n, err)
	}
	if p := pending(t, s, t0.Add(time.Minute), 1); p[0].ID != one.ID {
		t.Fatalf("the retried message is not first again: %+v", p)
	}
}

// With a backlog of thousands over a hundred keys, the outbox hands out
// each key's messages in order, one key's next message only after its
// previous one, and every message once.
func outboxBacklogInOrder(t *testing.T, open Open) {
	s, _ := open(t)
	const keys, each = 40, 12
	for round := range each {
		var out []faultline.Outgoing
		for k := range keys {
			out = append(out, faultline.Outgoing{Kind: faultline.OutPost, Message: faultline.Message{
				Channel: fmt.Sprintf("C%03d", k), Text: fmt.Sprintf("%d", round)}})
		}
		if err := s.Commit(ctx, faultline.Change{At: t0, Out: out}); err != nil {
			t.Fatal(err)
		}
	}
	next := map[string]int{}
	sent := 0
	for sent < keys*each {
		p, err := s.PendingOutbox(ctx, t0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) != keys {
			t.Fatalf("%d keys pending after %d sent, want %d", len(p), sent, keys)
		}
		for _, o := range p {
			if o.Message.Text != fmt.Sprint(next[o.Key]) {
				t.Fatalf("%s: message %q, want %d", o.Key, o.Message.Text, next[o.Key])
			}
			if ok, err := s.ClaimOutgoing(ctx, o, t0, time.Minute); !ok || err != nil {
				t.Fatalf("claim %s: %v %v", o.Key, ok, err)
			}
			if err := s.OutgoingSent(ctx, o, o.Message.Channel, "1.1", t0); err != nil {
				t.Fatal(err)
			}
			next[o.Key]++
			sent++
		}
		if sent == keys*each {
			break
		}
	}
	pending(t, s, t0.Add(time.Hour), 0)
}

// Two processes sending to one channel share its pace: bursts of burst,
// then one per interval; a hold from Slack's Retry-After stops both.
func paceAcrossProcesses(t *testing.T, open Open) {
	a, another := open(t)
	b := another()
	taken := 0
	for i := range 6 {
		s := []commands.Store{a, b}[i%2]
		wait, err := s.TakePace(ctx, "C0FAULTS", t0, time.Second, 3)
		if err != nil {
			t.Fatal(err)
		}
		if wait == 0 {
			taken++
		} else if wait > time.Second {
			t.Errorf("turn %d: wait %v, more than the interval", i, wait)
		}
	}
	if taken != 3 {
		t.Fatalf("%d turns at one instant with a burst of 3", taken)
	}
	if wait, _ := b.TakePace(ctx, "C0FAULTS", t0.Add(time.Second), time.Second, 3); wait != 0 {
		t.Fatalf("a second later: wait %v, want a turn", wait)
	}
	if wait, _ := a.TakePace(ctx, "C0OTHER", t0, time.Second, 3); wait != 0 {
		t.Fatal("another channel waits for this one")
	}
	if err := a.HoldPace(ctx, "C0OTHER", t0.Add(30*time.Second), time.Second, 3); err != nil {
		t.Fatal(err)
	}
	if wait, _ := b.TakePace(ctx, "C0OTHER", t0.Add(10*time.Second), time.Second, 3); wait < 19*time.Second {
		t.Fatalf("during a hold: wait %v, want about 20s", wait)
	}
	if wait, _ := b.TakePace(ctx, "C0OTHER", t0.Add(30*time.Second), time.Second, 3); wait != 0 {
		t.Fatalf("after the hold: wait %v", wait)
	}
}

// A sent message's text is not kept (an incident's report or a DM to the
// executive should not outlive its delivery); sent messages are pruned
// after the retention, given-up ones are not.
func outboxSentTextForgotten(t *testing.T, open Open) {
	s, _ := open(t)
	secret := faultline.Outgoing{Kind: faultline.OutDM, User: "U0EXEC", Message: faultline.Message{Text: "I-1 is critical: the ERP password leaked"}}
	keep := faultline.Outgoing{Kind: faultline.OutDM, User: "U0GONE", Message: faultline.Message{Text: "reminder"}}
	if err := s.Commit(ctx, faultline.Change{At: t0, Out: []faultline.Outgoing{secret, keep}}); err != nil {
		t.Fatal(err)
	}
	for _, o := range pending(t, s, t0, 2) {
		switch o.User {
		case "U0EXEC":
			if err := s.OutgoingSent(ctx, o, "D0U0EXEC", "1.2", t0); err != nil {
				t.Fatal(err)
			}
		default:
			if err := s.OutgoingFailed(ctx, o, "user_not_found", t0, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n, err := s.PruneOutbox(ctx, t0.Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("pruned %d before the retention, %v", n, err)
	}
	if n, err := s.PruneOutbox(ctx, t0.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("pruned %d after the retention, %v", n, err)
	}
	if _, failed, _ := s.OutboxReport(ctx, 10); len(failed) != 1 || failed[0].Message.Text != "reminder" {
		t.Fatalf("the given-up message is not kept whole: %+v", failed)
	}
}

// Delivery takes one message per channel, the one due soonest among its
// keys, skipping claimed keys, keys behind a given-up message and channels
// the pace holds, and says when the first held channel is free; a busy
// channel's backlog does not hide a quiet channel's message, however much
// older the backlog is.
func nextOutgoingOnePerChannel(t *testing.T, open Open) {
	s, _ := open(t)
	var busy []faultline.Outgoing
	for i := range 50 {
		busy = append(busy, faultline.Outgoing{Kind: faultline.OutDM, User: fmt.Sprintf("U0BUSY%02d", i%5),
			Message: faultline.Message{Text: fmt.Sprint(i)}})
		busy = append(busy, faultline.Outgoing{Kind: faultline.OutPost, Message: faultline.Message{Channel: "C0BUSY", Text: fmt.Sprint(i)}})
	}
	if err := s.Commit(ctx, faultline.Change{At: t0, Out: busy}); err != nil {
		t.Fatal(err)
	}
	quiet := faultline.Outgoing{Kind: faultline.OutPost, Message: faultline.Message{Channel: "C0QUIET", Text: "quiet"}}
	if err := s.Commit(ctx, faultline.Change{At: t0.Add(time.Minute), Out: []faultline.Outgoing{quiet}}); err != nil {
		t.Fatal(err)
	}
	byChannel := func(now time.Time, tolerance time.Duration) (map[string]faultline.Outgoing, time.Time) {
		t.Helper()
		next, held, err := s.NextOutgoing(ctx, now, tolerance)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]faultline.Outgoing{}
		for _, o := range next {
			ch := o.Message.Channel
			if o.Kind == faultline.OutDM {
				ch = "dm:" + o.User
			}
			if _, twice := out[ch]; twice {
				t.Fatalf("two messages for %s", ch)
			}
			out[ch] = o
		}
		return out, held
	}
	got, held := byChannel(t0, 0)
	if len(got) != 6 || got["C0BUSY"].Message.Text != "0" || got["dm:U0BUSY03"].Message.Text != "3" || !held.IsZero() {
		t.Fatalf("at t0: %d channels (%+v), held until %v; want C0BUSY's first post and five DMs", len(got), got, held)
	}
	if got, _ = byChannel(t0.Add(time.Minute), 0); len(got) != 7 || got["C0QUIET"].Message.Text != "quiet" {
		t.Fatalf("a minute later the quiet channel's post is not picked: %+v", got)
	}
	// The pace: C0BUSY sent three at once with a burst of 3.
	at := t0.Add(time.Minute)
	for range 3 {
		if wait, err := s.TakePace(ctx, "C0BUSY", at, time.Second, 3); err != nil || wait != 0 {
			t.Fatalf("take the pace: %v %v", wait, err)
		}
	}
	got, held = byChannel(at, 2*time.Second)
	if _, ok := got["C0BUSY"]; ok || len(got) != 6 || !held.Equal(at.Add(time.Second)) {
		t.Fatalf("with C0BUSY's burst spent: %d channels, C0BUSY picked %v, held until %v; want it free at %v",
			len(got), ok, held, at.Add(time.Second))
	}
	if got, _ = byChannel(at.Add(time.Second), 2*time.Second); got["C0BUSY"].Message.Text != "0" {
		t.Fatalf("a second later C0BUSY may send one: %+v", got)
	}
	// A claimed key gives way to the channel's next key; a given-up head
	// holds its key back.
	if ok, err := s.ClaimOutgoing(ctx, got["dm:U0BUSY01"], at, time.Minute); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if err := s.OutgoingFailed(ctx, got["C0QUIET"], "not_in_channel", at, true); err != nil {
		t.Fatal(err)
	}
	got, _ = byChannel(at.Add(time.Second), 2*time.Second)
	if _, ok := got["dm:U0BUSY01"]; ok {
		t.Fatal("a claimed key's message was picked")
	}
	if _, ok := got["C0QUIET"]; ok || len(got) != 5 {
		t.Fatalf("after a claim and a give-up: %+v", got)
	}
}
