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

type scheduleRow struct {
	Name      string `gorm:"primaryKey"`
	Spec      string
	NextDueAt time.Time
	LastRunAt *time.Time
}

func (scheduleRow) TableName() string { return "schedules" }

// SyncSchedules registers the named schedules (announcements, the digest,
// monitors): a new one, or one whose spec changed, gets next as its next
// due time; one that is unchanged keeps its own; ones no longer named are
// dropped.
func (db *DB) SyncSchedules(ctx context.Context, specs map[string]string, next func(spec string) time.Time) error {
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []scheduleRow
		if err := tx.Find(&rows).Error; err != nil {
			return err
		}
		have := map[string]scheduleRow{}
		for _, r := range rows {
			have[r.Name] = r
			if _, ok := specs[r.Name]; !ok {
				if err := tx.Delete(&scheduleRow{}, "name = ?", r.Name).Error; err != nil {
					return err
				}
			}
		}
		for name, spec := range specs {
			old, ok := have[name]
			row := scheduleRow{Name: name, Spec: spec, NextDueAt: next(spec).UTC()}
			var err error
			switch {
			case ok && old.Spec == spec:
				continue
			case ok:
				err = tx.Model(&scheduleRow{}).Where("name = ? AND spec = ?", name, old.Spec).
					Updates(map[string]any{"spec": spec, "next_due_at": row.NextDueAt}).Error
			default:
				// A process starting at the same moment may add it first;
				// overwriting its row could move a time it already fired.
				err = tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sync schedules: %w", translate(err))
	}
	return nil
}

// FireDueSchedules claims the schedules due at now, one transaction each
// (SKIP LOCKED on PostgreSQL), moves each to the next time fire says and
// commits fire's change with it: a run happens once however many processes
// there are, and a schedule missed while nobody ran fires once.
func (db *DB) FireDueSchedules(ctx context.Context, now time.Time, limit int,
	fire func(name string, due time.Time) (time.Time, commands.Change)) ([]commands.Fired, error) {
	var fired []commands.Fired
	for len(fired) < limit {
		f, ok, err := db.fireSchedule(ctx, now, fire)
		if err != nil || !ok {
			return fired, err
		}
		fired = append(fired, f)
	}
	return fired, nil
}

func (db *DB) fireSchedule(ctx context.Context, now time.Time, fire func(string, time.Time) (time.Time, commands.Change)) (commands.Fired, bool, error) {
	var f commands.Fired
	found := false
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx.Where("next_due_at <= ?", now.UTC()).Order("next_due_at").Limit(1)
		if db.dialect == "postgres" {
			q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
		}
		var row scheduleRow
		if err := q.Take(&row).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return nil
			}
			return err
		}
		found, f = true, commands.Fired{Name: row.Name, Due: row.NextDueAt.UTC()}
		next, change := fire(row.Name, f.Due)
		err := tx.Model(&scheduleRow{}).Where("name = ?", row.Name).
			Updates(map[string]any{"next_due_at": next.UTC(), "last_run_at": now.UTC()}).Error
		if err != nil {
			return err
		}
		return applyChange(tx, change, now.UTC())
	})
	if err != nil {
		return f, false, fmt.Errorf("fire schedule: %w", translate(err))
	}
	return f, found, nil
}

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
func (db *DB) SaveMonitorState(ctx context.Context, read, next faultline.MonitorState, c commands.Change) error {
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
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
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return faultline.ErrConflict
		}
		return applyChange(tx, c, next.LastCheck)
	})
	if err != nil {
		return fmt.Errorf("save monitor of %s: %w", read.Site, translate(err))
	}
	return nil
}
