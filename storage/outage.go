package storage

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/faultline/faultline"
)

// JoinFault adds a report to the open ticket faultID: user joins its
// reporters unless they are one already, and c (the report's timeline
// entry, messages and tasks) commits with it. Reports of one outage come
// in bursts, so the ticket row is updated in place rather than guarded by
// its version, and its version stays: concurrent reports queue on the row
// instead of retrying, and a step of the procedure committed meanwhile
// (which never writes the reporters) does not conflict with them.
// The ticket row is taken first, as every writer of a ticket does. A
// closed ticket is faultline.ErrConflict; a repeated c.Request is
// faultline.ErrReplay. The ticket comes back as it is after the join, and
// added says whether user is a new reporter.
func (db *DB) JoinFault(ctx context.Context, faultID int64, user string, c faultline.Change) (ticket faultline.Fault, added bool, err error) {
	at := c.At
	if at.IsZero() {
		at = time.Now()
	}
	err = db.transaction(ctx, fmt.Sprintf("join fault #%d", faultID), func(tx *gorm.DB) error {
		var before faultRow
		if err := tx.Where("id = ?", faultID).Take(&before).Error; err != nil {
			return err
		}
		pattern := "% " + escapeLike(user) + " %"
		res := tx.Exec(`UPDATE faults SET
	reporters = CASE WHEN (' ' || reporters || ' ') LIKE ? ESCAPE '\' THEN reporters
		WHEN reporters = '' THEN ? ELSE reporters || ' ' || ? END,
	updated_at = ?
WHERE id = ? AND state <> 'closed'`, pattern, user, user, at.UTC(), faultID)
		if err := guarded(res); err != nil {
			return err
		}
		var row faultRow
		if err := tx.Where("id = ?", faultID).Take(&row).Error; err != nil {
			return err
		}
		ticket = row.fault()
		added = row.Reporters != before.Reporters
		c.FaultID = faultID
		return db.applyChange(tx, c, at.UTC())
	})
	if err != nil {
		return faultline.Fault{}, false, err
	}
	return ticket, added, nil
}

type windowRow struct {
	ID        int64 `gorm:"primaryKey"`
	Site      string
	HopKey    string
	Name      string
	StartsAt  time.Time
	EndsAt    time.Time
	Reason    string
	CreatedBy string
	CreatedAt time.Time
	EndedBy   string
	EndedAt   *time.Time
}

func (windowRow) TableName() string { return "maintenance" }

func (r windowRow) window() faultline.Window {
	return faultline.Window{ID: r.ID, Site: r.Site, HopKey: r.HopKey, Name: r.Name, Start: r.StartsAt.UTC(), End: r.EndsAt.UTC(),
		Reason: r.Reason, By: r.CreatedBy, At: r.CreatedAt.UTC(), EndedBy: r.EndedBy, EndedAt: fromNull(r.EndedAt)}
}

// OpenWindow records a maintenance window opened by w.By at w.At.
func (db *DB) OpenWindow(ctx context.Context, w faultline.Window) (faultline.Window, error) {
	row := windowRow{Site: w.Site, HopKey: w.HopKey, Name: w.Name, StartsAt: w.Start.UTC(), EndsAt: w.End.UTC(),
		Reason: w.Reason, CreatedBy: w.By, CreatedAt: w.At.UTC()}
	if err := db.gorm.WithContext(ctx).Create(&row).Error; err != nil {
		return faultline.Window{}, fmt.Errorf("open maintenance window on %s: %w", w.Name, translate(err))
	}
	return row.window(), nil
}

// EndWindow ends window id early, by by at at, once: a window that has
// ended already (or never existed) is faultline.ErrNotFound.
func (db *DB) EndWindow(ctx context.Context, id int64, by string, at time.Time) (faultline.Window, error) {
	var row windowRow
	err := db.transaction(ctx, fmt.Sprintf("end maintenance window %d", id), func(tx *gorm.DB) error {
		res := tx.Model(&windowRow{}).Where("id = ? AND ended_at IS NULL AND ends_at > ?", id, at.UTC()).
			Updates(map[string]any{"ended_by": by, "ended_at": at.UTC()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return faultline.ErrNotFound
		}
		return tx.Where("id = ?", id).Take(&row).Error
	})
	if err != nil {
		return faultline.Window{}, err
	}
	return row.window(), nil
}

// Windows lists the windows that have not ended by now (on now, or to
// come), soonest first: an index range on their end.
func (db *DB) Windows(ctx context.Context, now time.Time) ([]faultline.Window, error) {
	var rows []windowRow
	err := db.gorm.WithContext(ctx).Where("ends_at > ? AND (ended_at IS NULL OR ended_at > ?)", now.UTC(), now.UTC()).
		Order("starts_at, id").Limit(100).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("maintenance windows: %w", translate(err))
	}
	out := make([]faultline.Window, len(rows))
	for i, r := range rows {
		out[i] = r.window()
	}
	return out, nil
}
