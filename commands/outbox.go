package commands

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/faultline/faultline"
)

const (
	claimLease  = 30 * time.Second // a worker that dies mid-send frees its message after this
	sendTimeout = 20 * time.Second // one send and its record, shorter than the lease
	maxBackoff  = 5 * time.Minute
	outboxBatch = 200
)

// DeliverDue sends what the outbox holds that is due now: at most one
// message per channel per pace interval (Slack allows about one a second),
// Settings.Parallel at a time, each ticket's and each person's messages in
// order.
// It returns how many it tried (sent, or failed and rescheduled or given
// up) and how long until the next is due, 0 when it does not know (the
// caller polls).
func (s *Service) DeliverDue(ctx context.Context) (tried int, wait time.Duration, err error) {
	return s.outbox.deliverDue(ctx)
}

// Flush sends everything due, ignoring the pace: the console shows the
// bot's messages as soon as they exist.
func (s *Service) Flush(ctx context.Context) error {
	for i := 0; i < 100; i++ {
		n, _, err := s.outbox.deliverDue(ctx)
		if err != nil || n == 0 {
			return err
		}
	}
	return nil
}

// outbox delivers the messages the flows committed.
type outbox struct {
	*flow
	store     OutboxStore
	poster    Poster
	faults    *faultFlow
	incidents *incidentFlow
	pacer     *pacer
}

func (s *outbox) deliverDue(ctx context.Context) (tried int, wait time.Duration, err error) {
	now := s.now()
	pending, err := s.store.PendingOutbox(ctx, now, outboxBatch)
	if err != nil {
		return 0, 0, err
	}
	batch := s.pick(pending, now)
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		sem = make(chan struct{}, s.set.Parallel)
	)
	for _, o := range batch {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			ok, derr := s.deliver(ctx, o, now)
			mu.Lock()
			defer mu.Unlock()
			if ok {
				tried++
			}
			err = errors.Join(err, derr)
		}()
	}
	wg.Wait()
	if len(pending) > len(batch) {
		wait = s.pacer.soonest(s.now())
	}
	return tried, wait, err
}

// pick chooses the messages to send now: one per channel, and none for a
// channel still paced.
func (s *outbox) pick(pending []faultline.Outgoing, now time.Time) []faultline.Outgoing {
	seen := map[string]bool{}
	var out []faultline.Outgoing
	for _, o := range pending {
		ch := pacingChannel(o)
		if seen[ch] || !s.pacer.ready(ch, now) {
			continue
		}
		seen[ch] = true
		out = append(out, o)
	}
	return out
}

func pacingChannel(o faultline.Outgoing) string {
	if o.Kind == faultline.OutDM {
		return "dm:" + o.User
	}
	return o.Message.Channel
}

// deliver claims o and sends it. It reports whether it tried (another
// worker may have claimed it first); a failure is recorded on the message
// (retry later, or given up), and only a database error is returned.
func (s *outbox) deliver(ctx context.Context, o faultline.Outgoing, now time.Time) (bool, error) {
	claimed, err := s.store.ClaimOutgoing(ctx, o.ID, now, claimLease)
	if err != nil || !claimed {
		return false, err
	}
	// Once claimed, the message is sent and its outcome recorded even if
	// the bot is shutting down meanwhile: cut off halfway, Slack may have
	// posted it with no record here, and the next start would post it
	// again after the claim lapsed.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
	defer cancel()
	channel, ts, sendErr := s.send(ctx, o)
	ch := pacingChannel(o)
	if sendErr == nil {
		// The pace counts from when Slack took the message, not from when
		// this round began, or the next one arrives a little early.
		s.pacer.hold(ch, s.now().Add(s.set.Pace))
		s.rec.Delivered(true)
		return true, s.store.OutgoingSent(ctx, o, channel, ts, s.now())
	}
	s.rec.Delivered(false)
	return true, s.failed(ctx, o, ch, sendErr)
}

func (s *outbox) failed(ctx context.Context, o faultline.Outgoing, ch string, sendErr error) error {
	var ra interface{ RetryAfter() time.Duration }
	var perm interface{ Permanent() bool }
	now := s.now()
	switch {
	case errors.As(sendErr, &ra) && ra.RetryAfter() > 0:
		at := now.Add(ra.RetryAfter())
		s.pacer.hold(ch, at)
		return s.store.OutgoingRetry(ctx, o.ID, at, sendErr.Error())
	case errors.As(sendErr, &perm) && perm.Permanent():
		s.log.ErrorContext(ctx, "message given up", "outbox_id", o.ID, "kind", string(o.Kind), "channel", ch, "err", sendErr)
		return s.store.OutgoingFailed(ctx, o.ID, sendErr.Error(), now)
	}
	return s.store.OutgoingRetry(ctx, o.ID, now.Add(backoff(o.Attempts)), sendErr.Error())
}

// backoff doubles from a second up to five minutes, with jitter so that
// many messages failing together do not retry together.
func backoff(attempts int) time.Duration {
	d := time.Second << min(attempts, 9)
	if d > maxBackoff {
		d = maxBackoff
	}
	return d/2 + rand.N(d/2+1)
}

// errGone is a message that can no longer be sent: its ticket's head
// message was given up on, so it has no thread to go to.
type errGone struct{ why string }

func (e errGone) Error() string   { return e.why }
func (e errGone) Permanent() bool { return true }

// send delivers o by its kind and returns where it went.
func (s *outbox) send(ctx context.Context, o faultline.Outgoing) (channel, ts string, err error) {
	switch o.Kind {
	case faultline.OutHead, faultline.OutUpdate:
		return s.sendHead(ctx, o)
	case faultline.OutDM:
		ch, err := s.poster.OpenDM(ctx, o.User)
		if err != nil {
			return "", "", err
		}
		o.Message.Channel = ch
	case faultline.OutEphemeral:
		o.Message.Ephemeral, o.Message.User = true, o.User
	case faultline.OutPost:
		if o.Thread {
			if o.HeadTS == "" {
				return "", "", errGone{fmt.Sprintf("%s has no message to reply under", o.Key)}
			}
			o.Message.Channel, o.Message.ThreadTS = o.HeadChannel, o.HeadTS
		}
	}
	ts, err = s.poster.Post(ctx, o.Message)
	return o.Message.Channel, ts, err
}

// sendHead posts or updates a ticket's head message, rendered from the
// ticket as it is now.
func (s *outbox) sendHead(ctx context.Context, o faultline.Outgoing) (channel, ts string, err error) {
	ref, m, postedIn, postedTS, err := s.head(ctx, o)
	if err != nil {
		return "", "", err
	}
	if o.Kind == faultline.OutHead {
		if postedTS != "" { // posted already, by an earlier attempt
			return postedIn, postedTS, nil
		}
		ts, err := s.poster.Post(ctx, m)
		return m.Channel, ts, err
	}
	if postedTS == "" {
		return "", "", errGone{fmt.Sprintf("%s has no message to update", ref)}
	}
	return postedIn, postedTS, s.poster.Update(ctx, postedIn, postedTS, m)
}

// head renders the head message of o's ticket or incident as it is now,
// and says where it was posted, if it was.
func (s *outbox) head(ctx context.Context, o faultline.Outgoing) (ref string, m faultline.Message, channel, ts string, err error) {
	if o.IncidentID != 0 {
		i, err := s.incidents.store.IncidentByID(ctx, o.IncidentID)
		if err != nil {
			return "", m, "", "", err
		}
		return i.Ref(), s.incidents.head(i), i.Channel, i.MessageTS, nil
	}
	t, err := s.faults.store.FaultByID(ctx, o.FaultID)
	if err != nil {
		return "", m, "", "", err
	}
	return t.Ref(), s.faults.head(t), t.Channel, t.MessageTS, nil
}

// pacer remembers, per channel, when the next message may go.
type pacer struct {
	mu   sync.Mutex
	next map[string]time.Time
}

func newPacer() *pacer { return &pacer{next: map[string]time.Time{}} }

func (p *pacer) ready(ch string, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !now.Before(p.next[ch])
}

func (p *pacer) hold(ch string, until time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if until.After(p.next[ch]) {
		p.next[ch] = until
	}
}

func (p *pacer) soonest(now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	best := time.Duration(0)
	for _, t := range p.next {
		if d := t.Sub(now); d > 0 && (best == 0 || d < best) {
			best = d
		}
	}
	return best
}
