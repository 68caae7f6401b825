package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/commands"
)

type timerRow struct {
	FaultID    int64  `gorm:"primaryKey"`
	IncidentID int64  `gorm:"primaryKey"`
	Kind       string `gorm:"primaryKey"`
	DueAt      time.Time
}

func (timerRow) TableName() string { return "timers" }

func (r timerRow) timer() faultline.Timer {
	return faultline.Timer{FaultID: r.FaultID, IncidentID: r.IncidentID, Kind: faultline.TimerKind(r.Kind), DueAt: r.DueAt.UTC()}
}

// FireDueTimers runs out the timers due at now, one transaction each, at
// most limit of them. For each it reads the ticket or incident and asks
// fire for the change; the timer is claimed (locked on PostgreSQL with
// SKIP LOCKED, so a second process takes the next one instead of waiting)
// and the change committed together, so each firing happens exactly once
// whatever the number of processes. A timer the change does not set again
// is removed. It returns the timers that fired.
func (db *DB) FireDueTimers(ctx context.Context, now time.Time, limit int,
	fire func(faultline.Timer, commands.Subject) commands.Change) ([]faultline.Timer, error) {
	var fired []faultline.Timer
	for tries := 0; len(fired) < limit && tries < 2*limit; tries++ {
		t, err := db.fireOne(ctx, now, fire)
		if errors.Is(err, faultline.ErrNotFound) {
			break
		}
		if errors.Is(err, faultline.ErrConflict) {
			continue // the subject changed under us; read it again
		}
		if err != nil {
			return fired, err
		}
		fired = append(fired, t)
	}
	return fired, nil
}

func (db *DB) fireOne(ctx context.Context, now time.Time, fire func(faultline.Timer, commands.Subject) commands.Change) (faultline.Timer, error) {
	var t faultline.Timer
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx.Where("due_at <= ?", now.UTC()).Order("due_at").Limit(1)
		if db.dialect == "postgres" {
			q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
		}
		var row timerRow
		if err := q.Take(&row).Error; err != nil {
			return err
		}
		t = row.timer()
		subject, err := readSubject(tx, row)
		if err != nil {
			return err
		}
		err = tx.Where("fault_id = ? AND incident_id = ? AND kind = ?", row.FaultID, row.IncidentID, row.Kind).Delete(&timerRow{}).Error
		if err != nil {
			return err
		}
		c := fire(t, subject)
		c.FaultID, c.IncidentID = row.FaultID, row.IncidentID
		return applyChange(tx, c, now.UTC())
	})
	if err != nil {
		return t, fmt.Errorf("fire timer: %w", translate(err))
	}
	return t, nil
}

func readSubject(tx *gorm.DB, t timerRow) (commands.Subject, error) {
	if t.IncidentID != 0 {
		var r incidentRow
		if err := tx.Where("id = ?", t.IncidentID).Take(&r).Error; err != nil {
			return commands.Subject{}, err
		}
		inc := r.incident()
		return commands.Subject{Incident: &inc}, nil
	}
	var r faultRow
	if err := tx.Where("id = ?", t.FaultID).Take(&r).Error; err != nil {
		return commands.Subject{}, err
	}
	f := r.fault()
	return commands.Subject{Fault: &f}, nil
}

// Timers lists a ticket's pending timers, soonest first.
func (db *DB) Timers(ctx context.Context, faultID int64) ([]faultline.Timer, error) {
	return db.timers(ctx, "fault_id = ?", faultID)
}

// IncidentTimers lists an incident's pending timers, soonest first.
func (db *DB) IncidentTimers(ctx context.Context, incidentID int64) ([]faultline.Timer, error) {
	return db.timers(ctx, "incident_id = ?", incidentID)
}

func (db *DB) timers(ctx context.Context, where string, id int64) ([]faultline.Timer, error) {
	var rows []timerRow
	if err := db.gorm.WithContext(ctx).Where(where, id).Order("due_at").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("timers: %w", translate(err))
	}
	out := make([]faultline.Timer, len(rows))
	for i, r := range rows {
		out[i] = r.timer()
	}
	return out, nil
}
