package storage

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/faultline/faultline"
)

type taskRow struct {
	ID           int64 `gorm:"primaryKey"`
	Kind         string
	FaultID      int64
	IncidentID   int64
	Actor        string
	DueAt        time.Time
	Attempts     int
	ClaimedUntil *time.Time
	Error        string
	CreatedAt    time.Time
}

func (taskRow) TableName() string { return "tasks" }

func (r taskRow) task() faultline.Task {
	return faultline.Task{ID: r.ID, Kind: faultline.TaskKind(r.Kind), FaultID: r.FaultID, IncidentID: r.IncidentID,
		Actor: r.Actor, DueAt: r.DueAt.UTC(), Attempts: r.Attempts, Error: r.Error}
}

func insertTasks(tx *gorm.DB, tasks []faultline.Task, faultID, incidentID int64, now time.Time) error {
	for _, t := range tasks {
		if t.FaultID == 0 && t.IncidentID == 0 {
			t.FaultID, t.IncidentID = faultID, incidentID
		}
		due := t.DueAt
		if due.IsZero() {
			due = now
		}
		row := taskRow{Kind: string(t.Kind), FaultID: t.FaultID, IncidentID: t.IncidentID, Actor: t.Actor, DueAt: due.UTC(), CreatedAt: now.UTC()}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
	}
	return nil
}

// ClaimTask claims the task due soonest at now for lease, counting the
// attempt, or reports false when none is due. A worker that dies with a
// task leaves it to be claimed again when the lease runs out; on
// PostgreSQL a second worker skips a row being claimed rather than wait.
func (db *DB) ClaimTask(ctx context.Context, now time.Time, lease time.Duration) (faultline.Task, bool, error) {
	lock := ""
	if db.d.rowLocks {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var rows []taskRow
	err := db.gorm.WithContext(ctx).Raw(`UPDATE tasks SET claimed_until = ?, attempts = attempts + 1
WHERE id = (SELECT id FROM tasks WHERE due_at <= ? AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY due_at LIMIT 1`+lock+`)
RETURNING *`, now.Add(lease).UTC(), now.UTC(), now.UTC()).Scan(&rows).Error
	if err != nil {
		return faultline.Task{}, false, fmt.Errorf("claim task: %w", translate(err))
	}
	if len(rows) == 0 {
		return faultline.Task{}, false, nil
	}
	return rows[0].task(), true, nil
}

// RetryTask puts a claimed task back, due again at at, with why it failed.
func (db *DB) RetryTask(ctx context.Context, id int64, at time.Time, reason string) error {
	err := db.gorm.WithContext(ctx).Model(&taskRow{}).Where("id = ?", id).
		Updates(map[string]any{"due_at": at.UTC(), "claimed_until": nil, "error": reason}).Error
	if err != nil {
		return fmt.Errorf("retry task %d: %w", id, translate(err))
	}
	return nil
}

// DropTask removes a task there is nothing left to do for (its ticket is
// gone).
func (db *DB) DropTask(ctx context.Context, id int64) error {
	if err := db.gorm.WithContext(ctx).Where("id = ?", id).Delete(&taskRow{}).Error; err != nil {
		return fmt.Errorf("drop task %d: %w", id, translate(err))
	}
	return nil
}

// Tasks lists the tasks not done yet, soonest first, for operators.
func (db *DB) Tasks(ctx context.Context, limit int) ([]faultline.Task, error) {
	var rows []taskRow
	if err := db.gorm.WithContext(ctx).Order("due_at").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("tasks: %w", translate(err))
	}
	out := make([]faultline.Task, len(rows))
	for i, r := range rows {
		out[i] = r.task()
	}
	return out, nil
}
