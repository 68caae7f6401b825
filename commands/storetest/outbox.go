package storetest

import (
	"testing"
	"time"

	"github.com/faultline/faultline"
)

var outboxContracts = []contract{
	{"OutboxOrderClaimsAndOutcomes", outboxOrderClaimsAndOutcomes},
}

// A ticket's messages leave in order, one at a time; a claimed message is
// nobody else's; the head message's ts becomes the ticket's thread; a
// message waiting to retry holds back the rest of its key; a given-up one
// lets them go.
func outboxOrderClaimsAndOutcomes(t *testing.T, open Open) {
	s, _ := open(t)
	f, err := s.CreateFault(ctx, newFault("x"), head("C0FAULTS"), nil)
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
	if ok, err := s.ClaimOutgoing(ctx, p[0].ID, t0, 30*time.Second); !ok || err != nil {
		t.Fatalf("claim = %v, %v", ok, err)
	}
	if ok, _ := s.ClaimOutgoing(ctx, p[0].ID, t0.Add(time.Second), 30*time.Second); ok {
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
	if err := s.OutgoingRetry(ctx, next.ID, t0.Add(time.Minute), "ratelimited"); err != nil {
		t.Fatal(err)
	}
	if p := pending(t, s, t0.Add(30*time.Second), 1); p[0].Kind != faultline.OutDM {
		t.Fatalf("a message waiting to retry let the next of its thread overtake it: %+v", p)
	}
	if p := pending(t, s, t0.Add(time.Minute), 2); p[0].Attempts != 1 {
		t.Fatalf("attempts = %d", p[0].Attempts)
	}
	if err := s.OutgoingFailed(ctx, next.ID, "channel_not_found", t0); err != nil {
		t.Fatal(err)
	}
	if p := pending(t, s, t0.Add(time.Minute), 2); p[0].Message.Text != "two" {
		t.Fatalf("after giving up on one, next = %+v", p[0])
	}
}
