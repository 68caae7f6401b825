package storage

import (
	"context"
	"errors"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

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
	err := db.transaction(ctx, "commit change to "+subjectName(c), func(tx *gorm.DB) error {
		return db.applyChange(tx, c, at.UTC())
	})
	if errors.Is(err, faultline.ErrReplay) {
		return faultline.ErrReplay
	}
	return err
}

func subjectName(c faultline.Change) string {
	if c.IncidentID != 0 {
		return "incident #" + strconv.FormatInt(c.IncidentID, 10)
	}
	return "fault #" + strconv.FormatInt(c.FaultID, 10)
}

// applyChange writes c inside tx: the guards first (the request not seen
// before, the task still there, the clock still pending, the row as read),
// then the timeline, follow-ups, clocks, tasks and messages.
func (db *DB) applyChange(tx *gorm.DB, c faultline.Change, now time.Time) error {
	if c.Request != "" {
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&requestRow{Key: c.Request, ReceivedAt: now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return faultline.ErrReplay
		}
	}
	if c.Completes != 0 {
		if err := guarded(tx.Where("id = ?", c.Completes).Delete(&taskRow{})); err != nil {
			return err
		}
	}
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
	if c.Leaves != "" && c.FaultID != 0 {
		// Only a reporter can leave, once: a second press is a conflict.
		err := guarded(tx.Exec(`UPDATE faults SET reporters = TRIM(REPLACE(' ' || reporters || ' ', ?, ' '))
WHERE id = ? AND (' ' || reporters || ' ') LIKE ? ESCAPE '\'`, " "+c.Leaves+" ", c.FaultID, "% "+escapeLike(c.Leaves)+" %"))
		if err != nil {
			return err
		}
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
	if err := insertTasks(tx, c.Tasks, c.FaultID, c.IncidentID, now); err != nil {
		return err
	}
	return db.insertOutgoing(tx, c.Out, c.FaultID, c.IncidentID, now)
}

// guardedWrite rewrites the ticket or incident only if it is still as read.
func guardedWrite(tx *gorm.DB, c faultline.Change) error {
	switch {
	case c.Fault != nil:
		err := guarded(tx.Model(&faultRow{}).
			Where("id = ? AND state = ? AND version = ?", c.FaultID, string(c.Read.State), c.Read.Version).
			Updates(faultMutable(*c.Fault)))
		if err == nil && c.Fault.State == faultline.FaultClosed && c.Read.State != faultline.FaultClosed {
			// Closing is rare (a person's step), so this one row is no
			// point of contention the way a count of every report would be.
			err = tx.Exec("UPDATE fault_counts SET n = n + 1 WHERE name = 'closed'").Error
			if err == nil {
				closed := *c.Fault
				closed.ID = c.FaultID
				err = indexClosed(tx, closed)
			}
		}
		return err
	case c.Incident != nil:
		err := guarded(tx.Model(&incidentRow{}).
			Where("id = ? AND state = ? AND version = ?", c.IncidentID, string(c.ReadIncident.State), c.ReadIncident.Version).
			Updates(incidentMutable(*c.Incident)))
		if err == nil && c.Incident.Closed() && !c.ReadIncident.Closed() {
			err = incidentIndex.file(tx, c.IncidentID, incidentText(*c.Incident))
		}
		return err
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
