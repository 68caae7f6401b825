package storage

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/faultline/faultline"
)

type scheduleRow struct {
	Name      string `gorm:"primaryKey"`
	Spec      string
	NextDueAt time.Time
	LastRunAt *time.Time
}

func (scheduleRow) TableName() string { return "schedules" }

func (r scheduleRow) schedule() faultline.Schedule {
	return faultline.Schedule{Name: r.Name, Spec: r.Spec, Due: r.NextDueAt.UTC()}
}

// SyncSchedules registers the named schedules (announcements, the digest,
// monitors): a new one, or one whose spec changed, gets its Due as its
// next due time; one that is unchanged keeps its own; ones no longer named
// are dropped.
func (db *DB) SyncSchedules(ctx context.Context, schedules []faultline.Schedule) error {
	return db.transaction(ctx, "sync schedules", func(tx *gorm.DB) error {
		var rows []scheduleRow
		if err := tx.Find(&rows).Error; err != nil {
			return err
		}
		want := map[string]faultline.Schedule{}
		for _, s := range schedules {
			want[s.Name] = s
		}
		have := map[string]scheduleRow{}
		for _, r := range rows {
			have[r.Name] = r
			if _, ok := want[r.Name]; !ok {
				if err := tx.Delete(&scheduleRow{}, "name = ?", r.Name).Error; err != nil {
					return err
				}
			}
		}
		for _, s := range schedules {
			old, ok := have[s.Name]
			var err error
			switch {
			case ok && old.Spec == s.Spec:
				continue
			case ok:
				err = tx.Model(&scheduleRow{}).Where("name = ? AND spec = ?", s.Name, old.Spec).
					Updates(map[string]any{"spec": s.Spec, "next_due_at": s.Due.UTC()}).Error
			default:
				// A process starting at the same moment may add it first;
				// overwriting its row could move a time it already fired.
				row := scheduleRow{Name: s.Name, Spec: s.Spec, NextDueAt: s.Due.UTC()}
				err = tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// DueSchedules lists the schedules due at now, soonest first.
func (db *DB) DueSchedules(ctx context.Context, now time.Time, limit int) ([]faultline.Schedule, error) {
	var rows []scheduleRow
	err := db.gorm.WithContext(ctx).Where("next_due_at <= ?", now.UTC()).Order("next_due_at").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("due schedules: %w", translate(err))
	}
	out := make([]faultline.Schedule, len(rows))
	for i, r := range rows {
		out[i] = r.schedule()
	}
	return out, nil
}

// FireSchedule moves read to next and commits c with it, if the schedule is
// still due at read.Due: a run happens once however many processes read it
// (the others get faultline.ErrConflict), and a schedule missed while
// nobody ran fires once.
func (db *DB) FireSchedule(ctx context.Context, read faultline.Schedule, next time.Time, c faultline.Change) error {
	now := c.At.UTC()
	if c.At.IsZero() {
		now = time.Now().UTC()
	}
	return db.transaction(ctx, "fire schedule "+read.Name, func(tx *gorm.DB) error {
		err := guarded(tx.Model(&scheduleRow{}).Where("name = ? AND next_due_at = ?", read.Name, read.Due.UTC()).
			Updates(map[string]any{"next_due_at": next.UTC(), "last_run_at": now}))
		if err != nil {
			return err
		}
		return db.applyChange(tx, c, now)
	})
}
