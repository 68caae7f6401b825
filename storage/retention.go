package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/faultline/faultline"
)

// Retention: a record finished (a ticket closed, an incident archived with
// no supplement owed) and unchanged for longer than its retention is
// purged with its timeline, follow-ups, clocks and search terms. A record
// whose events are not all sealed yet, or with a message still to send or
// given up, waits for the next purge. Each purged event leaves its place
// and seal in chain_pruned, so the chain verifies across the gap and says
// what was purged; a purge never reaches a record changed less than six
// months before (faultline.MinRetention), whatever the caller asks.

type purgeKind struct {
	name     string // the chain's name of its events' table
	table    string
	events   string
	record   string // the events' column naming the record
	prefix   string // of its reference, F- or I-
	finished string // the condition of a finished record
	index    index
	owned    string // the condition on timers and tasks naming the record
	also     func(tx *gorm.DB, ids []int64) error
}

var purgeKinds = []purgeKind{
	{name: "fault", table: "faults", events: "fault_events", record: "fault_id", prefix: "F-", finished: "state = 'closed'",
		index: faultIndex, owned: "fault_id IN ?", also: func(tx *gorm.DB, ids []int64) error {
			// The closed tickets' gauge counts them no more, and a monitor
			// forgets an outage ticket that is gone.
			return errors.Join(tx.Exec("UPDATE fault_counts SET n = n - ? WHERE name = 'closed'", len(ids)).Error,
				tx.Exec("UPDATE monitor_states SET fault_id = 0, version = version + 1 WHERE fault_id IN ?", ids).Error)
		}},
	{name: "incident", table: "incidents", events: "incident_events", record: "incident_id", prefix: "I-",
		finished: "state = 'archived' AND supplement_due IS NULL", index: incidentIndex, owned: "fault_id = 0 AND incident_id IN ?",
		also: func(tx *gorm.DB, ids []int64) error {
			return tx.Exec("DELETE FROM incident_followups WHERE incident_id IN ?", ids).Error
		}},
}

// PurgeRecords removes the finished records last changed before
// faultsBefore (tickets) and incidentsBefore (incidents), zero for none of
// that kind, at most limit of each, each kind in one transaction; it says
// how many of each it removed, and their events.
func (db *DB) PurgeRecords(ctx context.Context, faultsBefore, incidentsBefore, now time.Time, limit int) (faults, incidents, events int64, err error) {
	floor := now.Add(-faultline.MinRetention)
	for i, k := range purgeKinds {
		before := []time.Time{faultsBefore, incidentsBefore}[i]
		if before.IsZero() {
			continue
		}
		if before.After(floor) {
			before = floor
		}
		records, n, err := db.purge(ctx, k, before, now, limit)
		if err != nil {
			return faults, incidents, events, err
		}
		events += n
		if k.name == "fault" {
			faults = records
		} else {
			incidents = records
		}
	}
	return faults, incidents, events, nil
}

func (db *DB) purge(ctx context.Context, k purgeKind, before, now time.Time, limit int) (records, events int64, err error) {
	err = db.transaction(ctx, "purge "+k.table, func(tx *gorm.DB) error {
		lock := ""
		if db.d.rowLocks {
			lock = " FOR UPDATE OF r"
		}
		// Along the partial index of finished records, oldest change
		// first; one with an event since or not sealed yet, or a message
		// not delivered, is left for later. The checks are scalar
		// subqueries, so each is a probe of its record's index per
		// candidate whatever the planner guesses of the tables' sizes.
		var ids []int64
		err := tx.Raw(`SELECT r.id FROM `+k.table+` r WHERE r.`+k.finished+` AND r.updated_at < ?
	AND (SELECT 1 FROM `+k.events+` e WHERE e.`+k.record+` = r.id AND (e.chain_seq IS NULL OR e.at >= ?) LIMIT 1) IS NULL
	AND (SELECT 1 FROM outbox o WHERE o.`+k.record+` = r.id AND o.sent_at IS NULL LIMIT 1) IS NULL
	ORDER BY r.updated_at, r.id LIMIT ?`+lock, before, before, limit).Scan(&ids).Error
		if err != nil || len(ids) == 0 {
			return err
		}
		res := tx.Exec(`INSERT INTO chain_pruned (seq, hash, tbl, event_id, record_id, record_ref, at, last_change, pruned_at)
	SELECT e.chain_seq, e.chain_hash, ?, e.id, e.`+k.record+`, ? || CAST(r.number AS TEXT), e.at, r.updated_at, ?
	FROM `+k.events+` e JOIN `+k.table+` r ON r.id = e.`+k.record+` WHERE r.id IN ?`, k.name, k.prefix, now.UTC(), ids)
		if res.Error != nil {
			return res.Error
		}
		events = res.RowsAffected
		x := k.index
		for _, q := range []string{
			// The search terms' counts lose the purged records, and a
			// term no record has left goes.
			`UPDATE ` + x.counts + ` SET n = ` + x.counts + `.n - d.k FROM (SELECT term, COUNT(*) AS k FROM ` + x.terms +
				` WHERE ` + x.id + ` IN ? GROUP BY term) d WHERE ` + x.counts + `.term = d.term`,
			`DELETE FROM ` + x.counts + ` WHERE n <= 0 AND term IN (SELECT term FROM ` + x.terms + ` WHERE ` + x.id + ` IN ?)`,
			`DELETE FROM ` + x.terms + ` WHERE ` + x.id + ` IN ?`,
			`DELETE FROM ` + k.events + ` WHERE ` + k.record + ` IN ?`,
			`DELETE FROM timers WHERE ` + k.owned,
			`DELETE FROM tasks WHERE ` + k.owned,
		} {
			if err := tx.Exec(q, ids).Error; err != nil {
				return err
			}
		}
		if err := k.also(tx, ids); err != nil {
			return err
		}
		res = tx.Exec("DELETE FROM "+k.table+" WHERE id IN ?", ids)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != int64(len(ids)) {
			return fmt.Errorf("purged %d of %d %s", res.RowsAffected, len(ids), k.table)
		}
		records = res.RowsAffected
		return nil
	})
	return records, events, err
}

// PrunedEvents is how many events of the chain were purged by retention,
// and the latest last change of a record purged.
func (db *DB) PrunedEvents(ctx context.Context) (n int64, latest time.Time, err error) {
	q := db.gorm.WithContext(ctx)
	if err := q.Raw("SELECT COUNT(*) FROM chain_pruned").Scan(&n).Error; err != nil || n == 0 {
		return n, latest, translate(err)
	}
	var last []time.Time
	if err := q.Raw("SELECT last_change FROM chain_pruned ORDER BY last_change DESC LIMIT 1").Scan(&last).Error; err != nil {
		return 0, latest, fmt.Errorf("pruned events: %w", translate(err))
	}
	if len(last) > 0 {
		latest = last[0].UTC()
	}
	return n, latest, nil
}

// purgeTable is the records' table of the chain's name of their events.
func purgeTable(name string) string {
	for _, k := range purgeKinds {
		if k.name == name {
			return k.table
		}
	}
	panic("no records named " + name)
}
