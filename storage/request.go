package storage

import (
	"context"
	"fmt"
	"time"

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

// FirstSeen records key (a Slack trigger ID or similar) and reports whether
// this is the first time it arrived. A replay returns false, so the caller
// skips the side effects. PruneRequests forgets keys after a day.
func (db *DB) FirstSeen(ctx context.Context, key string, at time.Time) (bool, error) {
	res := db.gorm.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&requestRow{Key: key, ReceivedAt: at.UTC()})
	if res.Error != nil {
		return false, fmt.Errorf("record request %s: %w", key, translate(res.Error))
	}
	return res.RowsAffected == 1, nil
}

// PruneRequests forgets the request keys received a day or more before
// now: Slack retries an event for minutes, and a signed request older than
// five minutes is refused anyway.
func (db *DB) PruneRequests(ctx context.Context, now time.Time) (int64, error) {
	res := db.gorm.WithContext(ctx).Where("received_at < ?", now.Add(-seenFor).UTC()).Delete(&requestRow{})
	if res.Error != nil {
		return 0, fmt.Errorf("prune requests: %w", translate(res.Error))
	}
	return res.RowsAffected, nil
}
