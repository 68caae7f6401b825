package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/faultline/faultline"
)

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
	// Read only, joined from the ticket by PendingOutbox.
	HeadChannel string `gorm:"->"`
	HeadTS      string `gorm:"->;column:head_ts"`
}

func (outboxRow) TableName() string { return "outbox" }

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
// ticket or incident they belong to.
func insertOutgoing(tx *gorm.DB, out []faultline.Outgoing, faultID, incidentID int64, now time.Time) error {
	for _, o := range out {
		row, err := newOutboxRow(o, faultID, incidentID, now)
		if err != nil {
			return err
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
	}
	return nil
}

// PendingOutbox returns messages ready to send at now: not sent, not
// failed, due, not claimed by a live worker, and each the oldest pending
// message of its key, so a thread's messages go out in order. Thread posts
// and updates come with their ticket's head message.
func (db *DB) PendingOutbox(ctx context.Context, now time.Time, limit int) ([]faultline.Outgoing, error) {
	var rows []outboxRow
	err := db.gorm.WithContext(ctx).Raw(`
SELECT o.*, COALESCE(f.channel, i.channel, '') AS head_channel, COALESCE(f.message_ts, i.message_ts, '') AS head_ts
FROM outbox o LEFT JOIN faults f ON f.id = o.fault_id LEFT JOIN incidents i ON i.id = o.incident_id
WHERE o.sent_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= ?
  AND (o.claimed_until IS NULL OR o.claimed_until < ?)
  AND NOT EXISTS (SELECT 1 FROM outbox p
                  WHERE p.key = o.key AND p.id < o.id AND p.sent_at IS NULL AND p.failed_at IS NULL)
ORDER BY o.id LIMIT ?`, now.UTC(), now.UTC(), limit).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("pending outbox: %w", translate(err))
	}
	out := make([]faultline.Outgoing, 0, len(rows))
	for _, r := range rows {
		o, err := r.outgoing()
		if err != nil {
			return nil, err
		}
		o.HeadChannel, o.HeadTS = r.HeadChannel, r.HeadTS
		out = append(out, o)
	}
	return out, nil
}

func (r outboxRow) outgoing() (faultline.Outgoing, error) {
	o := faultline.Outgoing{
		ID: r.ID, Key: r.Key, Kind: faultline.OutKind(r.Kind), FaultID: r.FaultID, IncidentID: r.IncidentID, Thread: r.Thread,
		User: r.UserID, Attempts: r.Attempts, CreatedAt: r.CreatedAt.UTC(),
	}
	if err := json.Unmarshal([]byte(r.Payload), &o.Message); err != nil {
		return o, fmt.Errorf("decode outbox message %d: %w", r.ID, err)
	}
	return o, nil
}

// ClaimOutgoing reserves message id for lease, so no other worker sends it
// meanwhile. False means someone else has it or it is gone.
func (db *DB) ClaimOutgoing(ctx context.Context, id int64, now time.Time, lease time.Duration) (bool, error) {
	until := now.Add(lease).UTC()
	res := db.gorm.WithContext(ctx).Model(&outboxRow{}).
		Where("id = ? AND sent_at IS NULL AND failed_at IS NULL AND (claimed_until IS NULL OR claimed_until < ?)", id, now.UTC()).
		Update("claimed_until", until)
	if res.Error != nil {
		return false, fmt.Errorf("claim outbox message %d: %w", id, translate(res.Error))
	}
	return res.RowsAffected == 1, nil
}

// OutgoingSent records that o went out as message ts. A ticket's or an
// incident's head message becomes its thread in the same transaction.
func (db *DB) OutgoingSent(ctx context.Context, o faultline.Outgoing, channel, ts string, now time.Time) error {
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Model(&outboxRow{}).Where("id = ?", o.ID).
			Updates(map[string]any{"sent_at": now.UTC(), "ts": ts, "claimed_until": nil}).Error
		if err != nil || o.Kind != faultline.OutHead {
			return err
		}
		var head any = &faultRow{}
		id := o.FaultID
		if o.IncidentID != 0 {
			head, id = &incidentRow{}, o.IncidentID
		}
		return tx.Model(head).Where("id = ? AND message_ts = ''", id).
			Updates(map[string]any{"channel": channel, "message_ts": ts}).Error
	})
	if err != nil {
		return fmt.Errorf("record outbox message %d sent: %w", o.ID, translate(err))
	}
	return nil
}

// OutgoingRetry puts message id back for another attempt at at.
func (db *DB) OutgoingRetry(ctx context.Context, id int64, at time.Time, reason string) error {
	err := db.gorm.WithContext(ctx).Model(&outboxRow{}).Where("id = ?", id).Updates(map[string]any{
		"next_attempt_at": at.UTC(), "attempts": gorm.Expr("attempts + 1"), "claimed_until": nil, "error": reason,
	}).Error
	if err != nil {
		return fmt.Errorf("reschedule outbox message %d: %w", id, translate(err))
	}
	return nil
}

// OutgoingFailed gives up on message id: Slack refused it for good (the
// channel is gone, the bot is not in it). It stays in the table with the
// reason, and the next message of its key may go.
func (db *DB) OutgoingFailed(ctx context.Context, id int64, reason string, now time.Time) error {
	err := db.gorm.WithContext(ctx).Model(&outboxRow{}).Where("id = ?", id).Updates(map[string]any{
		"failed_at": now.UTC(), "attempts": gorm.Expr("attempts + 1"), "claimed_until": nil, "error": reason,
	}).Error
	if err != nil {
		return fmt.Errorf("fail outbox message %d: %w", id, translate(err))
	}
	return nil
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
