package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/commands"
)

// Commit applies a step of a flow atomically. When the change rewrites the
// ticket or the incident, the row must still be at the state and version
// that were read; otherwise nothing happens and the error is
// faultline.ErrConflict, so two people pressing at once, or a redelivered
// press, change it once.
func (db *DB) Commit(ctx context.Context, c commands.Change) error {
	at := c.At
	if at.IsZero() {
		at = time.Now()
	}
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return applyChange(tx, c, at.UTC())
	})
	if err != nil {
		return fmt.Errorf("commit change to %s: %w", subjectName(c), translate(err))
	}
	return nil
}

func subjectName(c commands.Change) string {
	if c.IncidentID != 0 {
		return faultline.IncidentRef(c.IncidentID) + " (id)"
	}
	return "fault #" + strconv.FormatInt(c.FaultID, 10)
}

func applyChange(tx *gorm.DB, c commands.Change, now time.Time) error {
	if err := guardedWrite(tx, c); err != nil {
		return err
	}
	if err := insertEvents(tx, c); err != nil {
		return err
	}
	if err := applyFollowUps(tx, c); err != nil {
		return err
	}
	if err := applyTimers(tx, c); err != nil {
		return err
	}
	for _, o := range c.Out {
		row, err := newOutboxRow(o, c.FaultID, c.IncidentID, now)
		if err != nil {
			return err
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
	}
	return nil
}

// guardedWrite rewrites the ticket or incident only if it is still as read.
func guardedWrite(tx *gorm.DB, c commands.Change) error {
	var res *gorm.DB
	switch {
	case c.Fault != nil:
		res = tx.Model(&faultRow{}).
			Where("id = ? AND state = ? AND version = ?", c.FaultID, string(c.Read.State), c.Read.Version).
			Updates(mutable(*c.Fault))
	case c.Incident != nil:
		res = tx.Model(&incidentRow{}).
			Where("id = ? AND state = ? AND version = ?", c.IncidentID, string(c.ReadIncident.State), c.ReadIncident.Version).
			Updates(incidentMutable(*c.Incident))
	default:
		return nil
	}
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return faultline.ErrConflict
	}
	return nil
}

func insertEvents(tx *gorm.DB, c commands.Change) error {
	for _, ev := range c.Events {
		var row any
		if c.IncidentID != 0 {
			row = &incidentEventRow{IncidentID: c.IncidentID, At: ev.At.UTC(), Actor: ev.Actor, Kind: string(ev.Kind), Text: ev.Text, Data: ev.Data}
		} else {
			if ev.FaultID == 0 {
				ev.FaultID = c.FaultID
			}
			row = &eventRow{FaultID: ev.FaultID, At: ev.At.UTC(), Actor: ev.Actor, Kind: string(ev.Kind), Text: ev.Text, Data: ev.Data}
		}
		if err := tx.Create(row).Error; err != nil {
			return err
		}
	}
	return nil
}

func applyTimers(tx *gorm.DB, c commands.Change) error {
	if len(c.CancelTimers) > 0 {
		kinds := make([]string, len(c.CancelTimers))
		for i, k := range c.CancelTimers {
			kinds[i] = string(k)
		}
		err := tx.Where("fault_id = ? AND incident_id = ? AND kind IN ?", c.FaultID, c.IncidentID, kinds).Delete(&timerRow{}).Error
		if err != nil {
			return err
		}
	}
	for _, t := range c.SetTimers {
		if err := setTimer(tx, c.FaultID, c.IncidentID, t.Kind, t.DueAt); err != nil {
			return err
		}
	}
	return nil
}

func setTimer(tx *gorm.DB, faultID, incidentID int64, kind faultline.TimerKind, due time.Time) error {
	row := timerRow{FaultID: faultID, IncidentID: incidentID, Kind: string(kind), DueAt: due.UTC()}
	return tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "fault_id"}, {Name: "incident_id"}, {Name: "kind"}},
		DoUpdates: clause.AssignmentColumns([]string{"due_at"}),
	}).Create(&row).Error
}

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
func newOutboxRow(o commands.Outgoing, faultID, incidentID int64, now time.Time) (outboxRow, error) {
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
	case o.Kind == commands.OutDM:
		row.Key, row.Channel = "dm:"+o.User, "dm:"+o.User
	case o.Kind == commands.OutEphemeral:
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
