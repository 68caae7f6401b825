package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/faultline/faultline"
)

type monitorRow struct {
	Site        string `gorm:"primaryKey"`
	Failing     string
	Consecutive int
	History     string
	FaultID     int64
	Flapping    bool
	LastCheckAt *time.Time
	Version     int
}

func (monitorRow) TableName() string { return "monitor_states" }

// MonitorState returns what the site's monitor remembers; a site never
// checked has a zero state.
func (db *DB) MonitorState(ctx context.Context, site string) (faultline.MonitorState, error) {
	var r monitorRow
	err := db.gorm.WithContext(ctx).Where("site = ?", site).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return faultline.MonitorState{Site: site}, nil
	}
	if err != nil {
		return faultline.MonitorState{}, fmt.Errorf("monitor of %s: %w", site, translate(err))
	}
	return faultline.MonitorState{Site: r.Site, Failing: r.Failing, Consecutive: r.Consecutive, History: r.History,
		FaultID: r.FaultID, Flapping: r.Flapping, LastCheck: fromNull(r.LastCheckAt), Version: r.Version}, nil
}

// SaveMonitorState writes next if the state is still at read's version,
// with c (the notes a check posts), atomically; else faultline.ErrConflict.
func (db *DB) SaveMonitorState(ctx context.Context, read, next faultline.MonitorState, c faultline.Change) error {
	return db.transaction(ctx, "save monitor of "+read.Site, func(tx *gorm.DB) error {
		row := monitorRow{Site: next.Site, Failing: next.Failing, Consecutive: next.Consecutive, History: next.History,
			FaultID: next.FaultID, Flapping: next.Flapping, LastCheckAt: toNull(next.LastCheck), Version: read.Version + 1}
		var res *gorm.DB
		if read.Version == 0 && read.LastCheck.IsZero() {
			res = tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		} else {
			res = tx.Model(&monitorRow{}).Where("site = ? AND version = ?", read.Site, read.Version).Updates(map[string]any{
				"failing": row.Failing, "consecutive": row.Consecutive, "history": row.History, "fault_id": row.FaultID,
				"flapping": row.Flapping, "last_check_at": row.LastCheckAt, "version": row.Version})
		}
		if err := guarded(res); err != nil {
			return err
		}
		return db.applyChange(tx, c, next.LastCheck)
	})
}
