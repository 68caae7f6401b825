package storage

import (
	"context"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/faultline/faultline"
)

// Commit applies a step of a flow atomically. When the change rewrites the
// ticket or the incident, the row must still be at the state and version
// that were read; when it answers a clock, the clock must still be pending
// as read. Otherwise nothing happens and the error is faultline.ErrConflict,
// so two people pressing at once, a redelivered press, or two processes
// answering one clock change it once.
func (db *DB) Commit(ctx context.Context, c faultline.Change) error {
	at := c.At
	if at.IsZero() {
		at = time.Now()
	}
	return db.transaction(ctx, "commit change to "+subjectName(c), func(tx *gorm.DB) error {
		return applyChange(tx, c, at.UTC())
	})
}

func subjectName(c faultline.Change) string {
	if c.IncidentID != 0 {
		return "incident #" + strconv.FormatInt(c.IncidentID, 10)
	}
	return "fault #" + strconv.FormatInt(c.FaultID, 10)
}

// applyChange writes c inside tx: the guards first (the clock answered, the
// row as read), then the timeline, follow-ups, clocks and messages.
func applyChange(tx *gorm.DB, c faultline.Change, now time.Time) error {
	if c.Fires != nil {
		t := c.Fires
		res := tx.Where("fault_id = ? AND incident_id = ? AND kind = ? AND due_at = ?",
			t.FaultID, t.IncidentID, string(t.Kind), t.DueAt.UTC()).Delete(&timerRow{})
		if err := guarded(res); err != nil {
			return err
		}
	}
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
	return insertOutgoing(tx, c.Out, c.FaultID, c.IncidentID, now)
}

// guardedWrite rewrites the ticket or incident only if it is still as read.
func guardedWrite(tx *gorm.DB, c faultline.Change) error {
	switch {
	case c.Fault != nil:
		return guarded(tx.Model(&faultRow{}).
			Where("id = ? AND state = ? AND version = ?", c.FaultID, string(c.Read.State), c.Read.Version).
			Updates(faultMutable(*c.Fault)))
	case c.Incident != nil:
		return guarded(tx.Model(&incidentRow{}).
			Where("id = ? AND state = ? AND version = ?", c.IncidentID, string(c.ReadIncident.State), c.ReadIncident.Version).
			Updates(incidentMutable(*c.Incident)))
	}
	return nil
}

func insertEvents(tx *gorm.DB, c faultline.Change) error {
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
