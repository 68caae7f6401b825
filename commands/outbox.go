package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/markup"
)

const (
	claimLease   = 30 * time.Second // a worker that dies mid-send frees its message after this
	sendTimeout  = 20 * time.Second // one send and its record, shorter than the lease
	recordBudget = 15 * time.Second // retrying the record of a send through a database hiccup
	maxBackoff   = 5 * time.Minute
	outboxBatch  = 200
)

// DeliverDue sends what the outbox holds that is due now: each channel at
// its pace (Slack allows about one message a second, with short bursts),
// kept in the database for every process, Settings.Parallel at a time,
// each ticket's and each person's messages in order.
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
	hooks     HookSender
	faults    *faultFlow
	incidents *incidentFlow

	mu    sync.Mutex
	shown map[string]uint64 // head message (channel and ts) → what it shows now, as this process last sent it
}

func (s *outbox) deliverDue(ctx context.Context) (tried int, wait time.Duration, err error) {
	now := s.now()
	var tolerance time.Duration
	if s.set.Pace > 0 {
		tolerance = time.Duration(s.burst()-1) * s.set.Pace
	}
	batch, held, err := s.store.NextOutgoing(ctx, now, tolerance)
	if err != nil {
		return 0, 0, err
	}
	if len(batch) > outboxBatch {
		batch = batch[:outboxBatch]
	}
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		sem = make(chan struct{}, s.set.Parallel)
	)
	for _, o := range batch {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			sent, paced, derr := s.deliver(ctx, o, now)
			mu.Lock()
			defer mu.Unlock()
			if sent {
				tried++
			}
			if paced > 0 && (wait == 0 || paced < wait) {
				wait = paced
			}
			err = errors.Join(err, derr)
		})
	}
	wg.Wait()
	switch {
	case tried > 0:
		wait = 0 // the channels that sent may send again at once, up to their burst
	case !held.IsZero() && (wait == 0 || held.Sub(now) < wait):
		wait = max(held.Sub(now), time.Millisecond)
	}
	return tried, wait, err
}

func pacingChannel(o faultline.Outgoing) string {
	switch o.Kind {
	case faultline.OutDM:
		return "dm:" + o.User
	case faultline.OutWebhook:
		return "hook:" + o.Message.Channel
	}
	return o.Message.Channel
}

// deliver claims o's key and sends o, if the channel's pace allows. It
// reports whether it tried (another worker may have claimed it first), or
// how long the pace holds the channel. A failure is recorded on the message
// (retried later, or given up); only a database error is returned.
func (s *outbox) deliver(ctx context.Context, o faultline.Outgoing, now time.Time) (bool, time.Duration, error) {
	claimed, err := s.store.ClaimOutgoing(ctx, o, now, claimLease)
	if err != nil || !claimed {
		return false, 0, err
	}
	ch := pacingChannel(o)
	if interval, burst := s.pace(o); interval > 0 {
		wait, err := s.store.TakePace(ctx, ch, now, interval, burst)
		if err != nil || wait > 0 {
			return false, wait, errors.Join(err, s.store.OutgoingRetry(ctx, o, now.Add(wait), o.Error, false))
		}
	}
	// Once claimed, the message is sent and its outcome recorded even if
	// the bot is shutting down meanwhile: cut off halfway, Slack may have
	// posted it with no record here, and the next start would post it
	// again after the claim lapsed.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
	defer cancel()
	channel, ts, sendErr := s.send(ctx, o)
	if sendErr == nil {
		s.rec.Delivered(true)
		// Slack has it: recording that is worth the rest of the send's
		// time, since an unrecorded message is sent again once its claim
		// lapses.
		return true, 0, persistFor(ctx, recordBudget, func(ctx context.Context) error {
			return s.store.OutgoingSent(ctx, o, channel, ts, s.now())
		})
	}
	s.rec.Delivered(false)
	return true, 0, s.failed(ctx, o, ch, sendErr)
}

// pace is how o's channel is paced: Slack's channels at Settings.Pace
// with a short burst (0: unpaced); a group robot, which takes so many a
// minute (DingTalk and WeCom 20) and silences one that sends more,
// evenly at its limit, one at a time.
func (s *outbox) pace(o faultline.Outgoing) (time.Duration, int) {
	if o.Kind == faultline.OutWebhook {
		return s.hookPace(o.Message.Channel), 1
	}
	return s.set.Pace, s.burst()
}

func (s *outbox) burst() int {
	if s.set.Burst > 0 {
		return s.set.Burst
	}
	return 3
}

// failed records what a refusal means for o: Slack's rate limit is a wait
// (for every process, and not a failed attempt); a refusal for good gives
// the message up, logged with what to do about it, and keeps its key
// waiting behind it when the destination cannot be reached or the message
// was a thread's head; anything else is tried again after a backoff.
func (s *outbox) failed(ctx context.Context, o faultline.Outgoing, ch string, sendErr error) error {
	var ra interface{ RetryAfter() time.Duration }
	var perm interface{ Permanent() bool }
	var dest interface{ Destination() bool }
	var remedy interface{ Remedy() string }
	now := s.now()
	switch {
	case errors.As(sendErr, &ra) && ra.RetryAfter() > 0:
		at := now.Add(ra.RetryAfter())
		if interval, burst := s.pace(o); interval > 0 {
			if err := s.store.HoldPace(ctx, ch, at, interval, burst); err != nil {
				return err
			}
		}
		return s.store.OutgoingRetry(ctx, o, at, sendErr.Error(), false)
	case errors.As(sendErr, &perm) && perm.Permanent():
		// A person's private notes go to whatever conversation they were
		// in: one refused does not hold back the next, elsewhere.
		block := o.Kind == faultline.OutHead || o.Kind != faultline.OutEphemeral && errors.As(sendErr, &dest) && dest.Destination()
		what := "an operator may send it again with `faultline outbox retry " + strconv.FormatInt(o.ID, 10) + "`"
		reason := sendErr.Error()
		if errors.As(sendErr, &remedy) && remedy.Remedy() != "" {
			what = remedy.Remedy() + "; or " + what
			reason += " (" + remedy.Remedy() + ")"
		}
		s.log.ErrorContext(ctx, "message given up", "outbox_id", o.ID, "kind", string(o.Kind), "channel", ch,
			"held_back", block, "err", sendErr, "remedy", what)
		return s.store.OutgoingFailed(ctx, o, reason, now, block)
	}
	if errors.As(sendErr, &remedy) && remedy.Remedy() != "" {
		s.log.ErrorContext(ctx, "message not sent; it is tried again", "outbox_id", o.ID, "channel", ch,
			"attempts", o.Attempts+1, "err", sendErr, "remedy", remedy.Remedy())
	}
	return s.store.OutgoingRetry(ctx, o, now.Add(backoff(o.Attempts)), sendErr.Error(), true)
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
	case faultline.OutWebhook:
		if s.hooks == nil {
			return "", "", errGone{"no webhook sender is configured for " + o.Message.Channel}
		}
		return pacingChannel(o), "", s.hooks.SendHook(ctx, o.Message.Channel, o.Message.Text)
	case faultline.OutDM:
		ch, err := s.poster.OpenDM(ctx, o.User)
		if err != nil {
			return "", "", err
		}
		o.Message.Channel = ch
		if o.Message.Text == "" { // a form's confirmation, naming what it opened
			if o.Message.Text, err = s.confirmation(ctx, o); err != nil {
				return "", "", err
			}
		}
	case faultline.OutEphemeral:
		o.Message.Ephemeral, o.Message.User = true, o.User
		if o.Message.Text == "" { // a form's confirmation, naming what it opened
			text, err := s.confirmation(ctx, o)
			if err != nil {
				return "", "", err
			}
			o.Message.Text = text
		}
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

// confirmation is the answer to a form that opened a ticket or declared an
// incident, written when it is sent because only then is its number known.
func (s *outbox) confirmation(ctx context.Context, o faultline.Outgoing) (string, error) {
	if o.IncidentID != 0 {
		i, err := s.incidents.store.IncidentByID(ctx, o.IncidentID)
		return s.cat.T("inc.declared_reply", i.Ref()), err
	}
	t, err := s.faults.store.FaultByID(ctx, o.FaultID)
	if err == nil && o.User != t.Reporter && t.IsReporter(o.User) { // a report that joined an outage
		return s.faults.knownOutage(t, t.Target, o.User, true), nil
	}
	return s.cat.T("fault.opened", t.Ref(), markup.Escape(t.Target), markup.ChannelLink(s.set.FaultsChannel)), err
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
		if err == nil {
			s.remember(m.Channel, ts, m)
		}
		return m.Channel, ts, err
	}
	if postedTS == "" {
		return "", "", errGone{fmt.Sprintf("%s has no message to update", ref)}
	}
	// The head renders the ticket as it is when sent, so a change made
	// before the head went out often leaves its update nothing to show.
	if s.showing(postedIn, postedTS, m) {
		return postedIn, postedTS, nil
	}
	if err := s.poster.Update(ctx, postedIn, postedTS, m); err != nil {
		return "", "", err
	}
	s.remember(postedIn, postedTS, m)
	return postedIn, postedTS, nil
}

// remember notes what head message ts in channel shows now.
func (s *outbox) remember(channel, ts string, m faultline.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shown == nil || len(s.shown) > 10000 {
		s.shown = map[string]uint64{} // a forgotten head is only updated once more than needed
	}
	s.shown[channel+"/"+ts] = digest(m)
}

// showing reports whether head message ts in channel shows m already, as
// far as this process knows (another replica's update is not known here,
// so the update is sent).
func (s *outbox) showing(channel, ts string, m faultline.Message) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.shown[channel+"/"+ts]
	return ok && d == digest(m)
}

func digest(m faultline.Message) uint64 {
	raw, _ := json.Marshal(m)
	h := fnv.New64a()
	h.Write(raw)
	return h.Sum64()
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
