package storage

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// seenFor is how long a Slack request key is remembered. Slack retries an
// event for about six minutes; a day leaves a wide margin.
const seenFor = 24 * time.Hour

type requestRow struct {
	Key        string `gorm:"primaryKey"`
	ReceivedAt time.Time
}

func (requestRow) TableName() string { return "slack_requests" }

// FirstSeen records key (a Slack event_id or similar) and reports whether
// this is the first time it arrived. A redelivery returns false, so the
// caller skips the side effects. Keys older than a day are forgotten.
func (db *DB) FirstSeen(ctx context.Context, key string, at time.Time) (bool, error) {
	var inserted int64
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("received_at < ?", at.Add(-seenFor).UTC()).Delete(&requestRow{}).Error; err != nil {
			return err
		}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&requestRow{Key: key, ReceivedAt: at.UTC()})
		inserted = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return false, fmt.Errorf("record request %s: %w", key, translate(err))
	}
	return inserted == 1, nil
}
