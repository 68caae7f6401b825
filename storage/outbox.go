package storage

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/faultline/faultline"
)

// The outbox is two tables. outbox holds every message, in order per key
// (a ticket's thread, a person's DMs, a channel). outbox_heads holds one
// row per key that has something left to send: its next message, the
// channel delivery paces by, when it may go, and, when the key waits behind
// a message given up on, why. Picking what to send is an index range scan
// on the heads, whatever the backlog and whether or not the tables were
// ever analyzed; moving a key on is an index lookup of its next message.

type outboxRow struct {
	ID            int64 `gorm:"primaryKey"`
	Key           string
	Kind          string
	Channel       string
	FaultID       int64
	IncidentID    int64
	Thread        bool
	UserID        string
	Payload       string
	CreatedAt     time.Time
	NextAttemptAt time.Time
	Attempts      int
	ClaimedUntil  *time.Time
	SentAt        *time.Time
	FailedAt      *time.Time
	TS            string `gorm:"column:ts"`
	Error         string
	// Read only, joined by the queries below.
	HeadChannel string `gorm:"->"`
	HeadTS      string `gorm:"->;column:head_ts"`
	Blocked     string `gorm:"->"`
	FaultNo     int64  `gorm:"->;column:fault_no"`
	IncidentNo  int64  `gorm:"->;column:incident_no"`
}

func (outboxRow) TableName() string { return "outbox" }

type headRow struct {
	Key           string `gorm:"primaryKey"`
	HeadID        int64
	Channel       string
	NextAttemptAt time.Time
	ClaimedUntil  *time.Time
	Blocked       string
}

func (headRow) TableName() string { return "outbox_heads" }

// newOutboxRow files a message under its ordering key: a ticket's or an
// incident's messages go in order, a person's DMs go in order, anything
// else in order per channel. Channel is what delivery paces by.
func newOutboxRow(o faultline.Outgoing, faultID, incidentID int64, now time.Time) (outboxRow, error) {
	if o.FaultID == 0 && o.IncidentID == 0 {
		o.FaultID, o.IncidentID = faultID, incidentID
	}
	payload, err := json.Marshal(o.Message)
	if err != nil {
		return outboxRow{}, fmt.Errorf("encode outgoing message: %w", err)
	}
	row := outboxRow{
		Kind: string(o.Kind), Channel: o.Message.Channel, FaultID: o.FaultID, IncidentID: o.IncidentID,
		Thread: o.Thread, UserID: o.User, Payload: string(payload), CreatedAt: now, NextAttemptAt: now,
	}
	switch {
	case o.Kind == faultline.OutWebhook:
		row.Key, row.Channel = "hook:"+o.Message.Channel, "hook:"+o.Message.Channel
	case o.Kind == faultline.OutDM:
		row.Key, row.Channel = "dm:"+o.User, "dm:"+o.User
	case o.Kind == faultline.OutEphemeral:
		row.Key = "user:" + o.User
	case o.IncidentID != 0:
		row.Key = "incident:" + strconv.FormatInt(o.IncidentID, 10)
	case o.FaultID != 0:
		row.Key = "fault:" + strconv.FormatInt(o.FaultID, 10)
	default:
		row.Key = "chan:" + o.Message.Channel
	}
	return row, nil
}

// insertOutgoing files the messages of a change, in order, under the
// ticket or incident they belong to, and makes sure each key has a head.
func (db *DB) insertOutgoing(tx *gorm.DB, out []faultline.Outgoing, faultID, incidentID int64, now time.Time) error {
	for _, o := range out {
		row, err := newOutboxRow(o, faultID, incidentID, now)
		if err != nil {
			return err
		}
		if o.Kind == faultline.OutUpdate {
			queued, err := db.updateQueued(tx, row.Key)
			if err != nil {
				return err
			}
			if queued {
				continue
			}
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		if err := db.upsertHead(tx, row.Key, row.ID, row.Channel, row.NextAttemptAt); err != nil {
			return err
		}
	}
	return nil
}

// updateQueued reports whether key already has an update of its head
// message waiting that no worker has claimed: that update renders the
// head from the ticket as it is when it is sent, this change included, so
// a second one would only repeat it (a burst of reports joining one
// outage would queue one update each). The head row is locked first, so
// no worker can claim the waiting update and render it before this
// change commits.
func (db *DB) updateQueued(tx *gorm.DB, key string) (bool, error) {
	if err := db.lockHead(tx, key); err != nil {
		return false, err
	}
	var ids []int64
	err := tx.Raw(`SELECT o.id FROM outbox o WHERE o.key = ? AND o.kind = ? AND o.sent_at IS NULL AND o.failed_at IS NULL
	AND NOT EXISTS (SELECT 1 FROM outbox_heads h WHERE h.key = o.key AND h.head_id = o.id AND h.claimed_until IS NOT NULL)
LIMIT 1`, key, string(faultline.OutUpdate)).Scan(&ids).Error
	return len(ids) > 0, err
}

// upsertHead makes message id its key's head unless an older one is. The
// update takes the head row's lock, so it waits for a delivery moving the
// key on; if that delivery removed the head, this inserts it again.
func (db *DB) upsertHead(tx *gorm.DB, key string, id int64, channel string, at time.Time) error {
	return tx.Exec(`INSERT INTO outbox_heads (key, head_id, channel, next_attempt_at) VALUES (?, ?, ?, ?)
ON CONFLICT (key) DO UPDATE SET head_id = `+db.d.least+`(outbox_heads.head_id, excluded.head_id)`,
		key, id, channel, at.UTC()).Error
}

// PendingOutbox lists every message ready to send at now: the next
// message of each key that is due, not claimed by a live worker and not
// waiting behind a given-up message, soonest first, whatever the pace.
// It reads every due head, for tools and tests; delivery picks with
// NextOutgoing.
func (db *DB) PendingOutbox(ctx context.Context, now time.Time, limit int) ([]faultline.Outgoing, error) {
	var ids []int64
	err := db.gorm.WithContext(ctx).Raw(`SELECT head_id FROM outbox_heads h
WHERE h.blocked = '' AND h.next_attempt_at <= ? AND (h.claimed_until IS NULL OR h.claimed_until < ?)
ORDER BY h.next_attempt_at, h.head_id LIMIT ?`, now.UTC(), now.UTC(), limit).Scan(&ids).Error
	if err != nil {
		return nil, fmt.Errorf("pending outbox: %w", translate(err))
	}
	return db.outgoingByID(ctx, ids)
}

// NextOutgoing picks what delivery sends at now, soonest first: for each
// channel whose pace lets a message go (its arrival time no later than
// now plus tolerance), the next message of its key that is due soonest,
// not claimed by a live worker and not waiting behind a given-up message.
// held is when the first channel the pace holds back may send again (zero
// when none is). The channels with something left are walked one index
// probe each, and each one's soonest head is the first entry of its index
// range, so the cost is the number of channels, whatever one channel's
// backlog and whatever the statistics.
func (db *DB) NextOutgoing(ctx context.Context, now time.Time, tolerance time.Duration) (next []faultline.Outgoing, held time.Time, err error) {
	var picked []struct {
		Channel string
		HeadID  int64
		Tat     *int64
	}
	err = db.gorm.WithContext(ctx).Raw(nextOutgoingSQL, now.UTC(), now.UTC()).Scan(&picked).Error
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("next outbox messages: %w", translate(err))
	}
	limit := now.UnixMicro() + tolerance.Microseconds()
	var ids []int64
	for _, p := range picked {
		if p.Tat == nil || *p.Tat <= limit {
			ids = append(ids, p.HeadID)
			continue
		}
		if free := time.UnixMicro(*p.Tat - tolerance.Microseconds()); held.IsZero() || free.Before(held) {
			held = free
		}
	}
	next, err = db.outgoingByID(ctx, ids)
	slices.SortFunc(next, func(a, b faultline.Outgoing) int { // soonest first, then in the order written
		return cmp.Or(a.NextTry.Compare(b.NextTry), cmp.Compare(a.ID, b.ID))
	})
	return next, held, err
}

// nextOutgoingSQL walks the channels that have a head (each step the
// next channel in the index), and takes each one's soonest due head and
// its pace; its two arguments are now.
const nextOutgoingSQL = `WITH RECURSIVE chans(channel) AS (
	SELECT MIN(channel) FROM outbox_heads WHERE blocked = ''
	UNION ALL
	SELECT (SELECT MIN(h.channel) FROM outbox_heads h WHERE h.blocked = '' AND h.channel > chans.channel)
	FROM chans WHERE chans.channel IS NOT NULL
), heads AS (
	SELECT c.channel,
		(SELECT h.head_id FROM outbox_heads h WHERE h.channel = c.channel AND h.blocked = '' AND h.next_attempt_at <= ?
			AND (h.claimed_until IS NULL OR h.claimed_until < ?) ORDER BY h.next_attempt_at LIMIT 1) AS head_id,
		(SELECT p.tat FROM paces p WHERE p.channel = c.channel) AS tat
	FROM chans c WHERE c.channel IS NOT NULL
)
SELECT channel, head_id, tat FROM heads WHERE head_id IS NOT NULL`

// outgoingByID reads messages with their ticket's or incident's head
// message, in the order of ids.
func (db *DB) outgoingByID(ctx context.Context, ids []int64) ([]faultline.Outgoing, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []outboxRow
	err := db.gorm.WithContext(ctx).Raw(`
SELECT o.*, COALESCE(f.channel, i.channel, '') AS head_channel, COALESCE(f.message_ts, i.message_ts, '') AS head_ts
FROM outbox o LEFT JOIN faults f ON f.id = o.fault_id LEFT JOIN incidents i ON i.id = o.incident_id
WHERE o.id IN ?`, ids).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("outbox messages: %w", translate(err))
	}
	at := make(map[int64]int, len(ids))
	for i, id := range ids {
		at[id] = i
	}
	slices.SortFunc(rows, func(a, b outboxRow) int { return at[a.ID] - at[b.ID] })
	return outgoings(rows)
}

func outgoings(rows []outboxRow) ([]faultline.Outgoing, error) {
	out := make([]faultline.Outgoing, 0, len(rows))
	for _, r := range rows {
		o, err := r.outgoing()
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

func (r outboxRow) outgoing() (faultline.Outgoing, error) {
	o := faultline.Outgoing{
		ID: r.ID, Key: r.Key, Kind: faultline.OutKind(r.Kind), FaultID: r.FaultID, IncidentID: r.IncidentID, Thread: r.Thread,
		User: r.UserID, Attempts: r.Attempts, CreatedAt: r.CreatedAt.UTC(), HeadChannel: r.HeadChannel, HeadTS: r.HeadTS,
		Error: r.Error, NextTry: r.NextAttemptAt.UTC(), FailedAt: fromNull(r.FailedAt), SentAt: fromNull(r.SentAt), BlockedBy: r.Blocked,
	}
	switch {
	case r.IncidentNo != 0:
		o.Ticket = faultline.IncidentRef(r.IncidentNo)
	case r.FaultNo != 0:
		o.Ticket = faultline.FaultRef(r.FaultNo)
	}
	if r.Payload == "" {
		return o, nil // sent: its text is not kept
	}
	if err := json.Unmarshal([]byte(r.Payload), &o.Message); err != nil {
		return o, fmt.Errorf("decode outbox message %d: %w", r.ID, err)
	}
	return o, nil
}

// ClaimOutgoing reserves o's key for lease, so no other worker sends its
// next message meanwhile. False means someone else has it, it moved on, or
// it waits behind a given-up message.
func (db *DB) ClaimOutgoing(ctx context.Context, o faultline.Outgoing, now time.Time, lease time.Duration) (bool, error) {
	res := db.gorm.WithContext(ctx).Model(&headRow{}).
		Where("key = ? AND head_id = ? AND blocked = '' AND (claimed_until IS NULL OR claimed_until < ?)", o.Key, o.ID, now.UTC()).
		Update("claimed_until", now.Add(lease).UTC())
	if res.Error != nil {
		return false, fmt.Errorf("claim outbox message %d: %w", o.ID, translate(res.Error))
	}
	return res.RowsAffected == 1, nil
}

// OutgoingSent records that o went out as message ts in channel, forgets
// its text, and moves its key on to its next message. A ticket's or an
// incident's head message becomes its thread in the same transaction.
func (db *DB) OutgoingSent(ctx context.Context, o faultline.Outgoing, channel, ts string, now time.Time) error {
	return db.transaction(ctx, fmt.Sprintf("record outbox message %d sent", o.ID), func(tx *gorm.DB) error {
		// The ticket's row before the head's, in the order a change
		// takes them (the ticket, then its messages), so the two never
		// wait on each other.
		if o.Kind == faultline.OutHead {
			var head any = &faultRow{}
			id := o.FaultID
			if o.IncidentID != 0 {
				head, id = &incidentRow{}, o.IncidentID
			}
			// Where the head is is no change of the record: its
			// updated_at (when a step last changed it, which retention
			// counts from) stays.
			err := tx.Model(head).Where("id = ? AND message_ts = ''", id).
				UpdateColumns(map[string]any{"channel": channel, "message_ts": ts}).Error
			if err != nil {
				return err
			}
		}
		if err := db.lockHead(tx, o.Key); err != nil {
			return err
		}
		err := tx.Model(&outboxRow{}).Where("id = ?", o.ID).
			Updates(map[string]any{"sent_at": now.UTC(), "ts": ts, "claimed_until": nil, "payload": "", "error": ""}).Error
		if err != nil {
			return err
		}
		return db.advance(tx, o.Key)
	})
}

// lockHead locks key's head row for the rest of the transaction (SQLite's
// immediate transactions already hold the database).
func (db *DB) lockHead(tx *gorm.DB, key string) error {
	if !db.d.rowLocks {
		return nil
	}
	var keys []string
	return tx.Raw("SELECT key FROM outbox_heads WHERE key = ? FOR UPDATE", key).Scan(&keys).Error
}

// advance makes key's oldest message still to send its head, or removes
// the head when there is none.
func (db *DB) advance(tx *gorm.DB, key string) error {
	var next []outboxRow
	err := tx.Raw(`SELECT id, channel, next_attempt_at FROM outbox WHERE key = ? AND sent_at IS NULL AND failed_at IS NULL
ORDER BY id LIMIT 1`, key).Scan(&next).Error
	if err != nil {
		return err
	}
	if len(next) == 0 {
		return tx.Where("key = ?", key).Delete(&headRow{}).Error
	}
	return tx.Model(&headRow{}).Where("key = ?", key).Updates(map[string]any{
		"head_id": next[0].ID, "channel": next[0].Channel, "next_attempt_at": next[0].NextAttemptAt.UTC(),
		"claimed_until": nil, "blocked": "",
	}).Error
}

// OutgoingRetry puts o back for another attempt at at, with the reason.
// A refusal that only says "later" (Slack's rate limit) is not a failed
// attempt: attempt false leaves the count, and so the backoff, alone.
func (db *DB) OutgoingRetry(ctx context.Context, o faultline.Outgoing, at time.Time, reason string, attempt bool) error {
	n := 0
	if attempt {
		n = 1
	}
	return db.transaction(ctx, fmt.Sprintf("reschedule outbox message %d", o.ID), func(tx *gorm.DB) error {
		err := tx.Model(&outboxRow{}).Where("id = ?", o.ID).Updates(map[string]any{
			"next_attempt_at": at.UTC(), "attempts": gorm.Expr("attempts + ?", n), "claimed_until": nil, "error": reason,
		}).Error
		if err != nil {
			return err
		}
		return tx.Model(&headRow{}).Where("key = ? AND head_id = ?", o.Key, o.ID).
			Updates(map[string]any{"next_attempt_at": at.UTC(), "claimed_until": nil}).Error
	})
}

// OutgoingFailed gives up on o: Slack refused it for good. It stays in the
// table with the reason until an operator (or the bot, when the cause
// goes away) retries it. With block, its key waits behind it (the channel
// or the person cannot be reached, or it was a ticket's head message,
// without which its thread cannot be posted); otherwise the key moves on.
func (db *DB) OutgoingFailed(ctx context.Context, o faultline.Outgoing, reason string, now time.Time, block bool) error {
	return db.transaction(ctx, fmt.Sprintf("fail outbox message %d", o.ID), func(tx *gorm.DB) error {
		if err := db.lockHead(tx, o.Key); err != nil {
			return err
		}
		err := tx.Model(&outboxRow{}).Where("id = ?", o.ID).Updates(map[string]any{
			"failed_at": now.UTC(), "attempts": gorm.Expr("attempts + 1"), "claimed_until": nil, "error": reason,
		}).Error
		if err != nil {
			return err
		}
		if block {
			return tx.Model(&headRow{}).Where("key = ?", o.Key).
				Updates(map[string]any{"blocked": reason, "claimed_until": nil}).Error
		}
		return db.advance(tx, o.Key)
	})
}

// RetryOutgoing sends given-up messages again from now: the one with ID
// id, or with id 0 every one (in channel, when channel is not empty; a
// channel's pacing name, such as "dm:U123" for a person's DMs). Their keys
// wait no more. It returns how many it put back.
func (db *DB) RetryOutgoing(ctx context.Context, id int64, channel string, now time.Time) (int, error) {
	n := 0
	err := db.transaction(ctx, "retry given-up messages", func(tx *gorm.DB) error {
		q := tx.Model(&outboxRow{}).Where("failed_at IS NOT NULL")
		switch {
		case id != 0:
			q = q.Where("id = ?", id)
		case channel != "":
			q = q.Where("channel = ?", channel)
		}
		var rows []outboxRow
		if err := q.Order("id").Find(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			err := tx.Model(&outboxRow{}).Where("id = ?", r.ID).
				Updates(map[string]any{"failed_at": nil, "attempts": 0, "next_attempt_at": now.UTC(), "error": ""}).Error
			if err != nil {
				return err
			}
			if err := db.upsertHead(tx, r.Key, r.ID, r.Channel, now); err != nil {
				return err
			}
			err = tx.Model(&headRow{}).Where("key = ?", r.Key).
				Updates(map[string]any{"blocked": "", "next_attempt_at": now.UTC(), "claimed_until": nil}).Error
			if err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// OutboxReport lists what the outbox holds for operators: each key's next
// message (due, waiting to retry, or waiting behind a given-up message),
// soonest first, and the messages given up on, newest first; at most limit
// of each.
func (db *DB) OutboxReport(ctx context.Context, limit int) (heads, failed []faultline.Outgoing, err error) {
	const refs = `COALESCE(f.number, 0) AS fault_no, COALESCE(i.number, 0) AS incident_no
FROM %s LEFT JOIN faults f ON f.id = o.fault_id LEFT JOIN incidents i ON i.id = o.incident_id`
	var hr, fr []outboxRow
	g := db.gorm.WithContext(ctx)
	if err = g.Raw(`SELECT o.*, h.blocked, `+fmt.Sprintf(refs, "outbox_heads h JOIN outbox o ON o.id = h.head_id")+`
ORDER BY h.next_attempt_at LIMIT ?`, limit).Scan(&hr).Error; err != nil {
		return nil, nil, fmt.Errorf("outbox report: %w", translate(err))
	}
	if err = g.Raw(`SELECT o.*, `+fmt.Sprintf(refs, "outbox o")+`
WHERE o.failed_at IS NOT NULL ORDER BY o.id DESC LIMIT ?`, limit).Scan(&fr).Error; err != nil {
		return nil, nil, fmt.Errorf("outbox report: %w", translate(err))
	}
	if heads, err = outgoings(hr); err == nil {
		failed, err = outgoings(fr)
	}
	return heads, failed, err
}

// OutboxDepth counts messages waiting to be sent and messages given up on.
func (db *DB) OutboxDepth(ctx context.Context) (pending, failed int64, err error) {
	g := db.gorm.WithContext(ctx).Model(&outboxRow{})
	if err = g.Where("sent_at IS NULL AND failed_at IS NULL").Count(&pending).Error; err != nil {
		return 0, 0, fmt.Errorf("outbox depth: %w", translate(err))
	}
	g = db.gorm.WithContext(ctx).Model(&outboxRow{})
	if err = g.Where("failed_at IS NOT NULL").Count(&failed).Error; err != nil {
		return 0, 0, fmt.Errorf("outbox failures: %w", translate(err))
	}
	return pending, failed, nil
}

// TakePace asks to send one message to channel at now, under a pace of one
// message per interval with bursts of up to burst (the generic cell rate
// algorithm, its arrival time kept in the database so every process keeps
// the one pace). It returns 0 when the message may go, and took its turn;
// otherwise how long until it may.
func (db *DB) TakePace(ctx context.Context, channel string, now time.Time, interval time.Duration, burst int) (time.Duration, error) {
	n, step := now.UnixMicro(), interval.Microseconds()
	tolerance := int64(max(burst-1, 0)) * step
	var took []int64
	err := db.gorm.WithContext(ctx).Raw(`INSERT INTO paces (channel, tat) VALUES (?, ?)
ON CONFLICT (channel) DO UPDATE SET tat = `+db.d.greatest+`(paces.tat, ?) + ? WHERE paces.tat <= ?
RETURNING tat`, channel, n+step, n, step, n+tolerance).Scan(&took).Error
	if err != nil {
		return 0, fmt.Errorf("pace %s: %w", channel, translate(err))
	}
	if len(took) == 1 {
		return 0, nil
	}
	var tat int64
	if err := db.gorm.WithContext(ctx).Raw("SELECT tat FROM paces WHERE channel = ?", channel).Scan(&tat).Error; err != nil {
		return 0, fmt.Errorf("pace %s: %w", channel, translate(err))
	}
	return max(time.Duration(tat-tolerance-n)*time.Microsecond, time.Millisecond), nil
}

// HoldPace makes channel send nothing before until, whatever its pace
// allows (Slack asked to wait, with Retry-After), in every process.
func (db *DB) HoldPace(ctx context.Context, channel string, until time.Time, interval time.Duration, burst int) error {
	tat := until.UnixMicro() + int64(max(burst-1, 0))*interval.Microseconds()
	err := db.gorm.WithContext(ctx).Exec(`INSERT INTO paces (channel, tat) VALUES (?, ?)
ON CONFLICT (channel) DO UPDATE SET tat = `+db.d.greatest+`(paces.tat, excluded.tat)`, channel, tat).Error
	if err != nil {
		return fmt.Errorf("hold pace of %s: %w", channel, translate(err))
	}
	return nil
}

// PruneOutbox removes the messages sent before before; given-up ones stay
// until retried. It returns how many it removed.
func (db *DB) PruneOutbox(ctx context.Context, before time.Time) (int64, error) {
	res := db.gorm.WithContext(ctx).Where("sent_at < ?", before.UTC()).Delete(&outboxRow{})
	if res.Error != nil {
		return 0, fmt.Errorf("prune outbox: %w", translate(res.Error))
	}
	return res.RowsAffected, nil
}
