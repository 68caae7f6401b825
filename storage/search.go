package storage

import (
	"context"
	"fmt"
	"strings"

	"github.com/faultline/faultline"
)

// SearchFaults finds closed tickets whose site, hop, description or
// resolution contain every word (ignoring case), newest first.
func (db *DB) SearchFaults(ctx context.Context, words []string, limit int) ([]faultline.Fault, error) {
	q := db.gorm.WithContext(ctx).Where("state = ?", string(faultline.FaultClosed))
	for _, w := range words {
		q = q.Where("LOWER(target || ' ' || hop || ' ' || description || ' ' || resolution || ' ' || fixed_by) LIKE ? ESCAPE '\\'",
			"%"+escapeLike(strings.ToLower(w))+"%")
	}
	return db.findFaults(q.Order("closed_at DESC").Limit(limit), "search faults")
}

// PastResolutions returns closed tickets whose failing hop was the same
// hop of the same site, newest first, leaving out ticket exclude.
func (db *DB) PastResolutions(ctx context.Context, site, hop string, exclude int64, limit int) ([]faultline.Fault, error) {
	q := db.gorm.WithContext(ctx).
		Where("state = ? AND site = ? AND hop = ? AND id <> ?", string(faultline.FaultClosed), site, hop, exclude).
		Order("closed_at DESC").Limit(limit)
	return db.findFaults(q, "past resolutions")
}

// CountFaults counts tickets by state.
func (db *DB) CountFaults(ctx context.Context) (map[faultline.FaultState]int64, error) {
	var rows []struct {
		State string
		N     int64
	}
	if err := db.gorm.WithContext(ctx).Model(&faultRow{}).Select("state, COUNT(*) AS n").Group("state").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("count faults: %w", translate(err))
	}
	out := map[faultline.FaultState]int64{}
	for _, r := range rows {
		out[faultline.FaultState(r.State)] = r.N
	}
	return out, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
