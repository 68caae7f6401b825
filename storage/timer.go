package storage

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/faultline/faultline"
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

// DueTimers lists the pending timers due at now, soonest first, at most
// limit. A timer is answered by a committed Change whose Fires names it.
func (db *DB) DueTimers(ctx context.Context, now time.Time, limit int) ([]faultline.Timer, error) {
	return db.timers(ctx, db.gorm.WithContext(ctx).Where("due_at <= ?", now.UTC()).Limit(limit))
}

// Timers lists a ticket's pending timers, soonest first.
func (db *DB) Timers(ctx context.Context, faultID int64) ([]faultline.Timer, error) {
	return db.timers(ctx, db.gorm.WithContext(ctx).Where("fault_id = ? AND incident_id = 0", faultID))
}

// IncidentTimers lists an incident's pending timers, soonest first.
func (db *DB) IncidentTimers(ctx context.Context, incidentID int64) ([]faultline.Timer, error) {
	return db.timers(ctx, db.gorm.WithContext(ctx).Where("incident_id = ?", incidentID))
}

func (db *DB) timers(_ context.Context, q *gorm.DB) ([]faultline.Timer, error) {
	var rows []timerRow
	if err := q.Order("due_at").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("timers: %w", translate(err))
	}
	out := make([]faultline.Timer, len(rows))
	for i, r := range rows {
		out[i] = r.timer()
	}
	return out, nil
}

func applyTimers(tx *gorm.DB, c faultline.Change) error {
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
