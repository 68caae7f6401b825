package storage

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/faultline/faultline"
)

// The archive is tamper-evident: every timeline event of tickets and
// incidents is sealed into one chain, in the order it is sealed. An
// event's seal is its place in the chain (chain_seq) and a SHA-256 over the
// previous event's seal and the event's own fields, so changing, removing
// or inserting an event anywhere breaks every seal after it; VerifyChain
// walks the chain and names the first event that does not match. Events
// are sealed shortly after they are written, by SealEvents, one sealer at
// a time (the chain's head row is its lock), so writing an event never
// waits on the chain. The chain shows that the record was altered after
// the fact; it cannot stop someone who may rewrite the whole database from
// sealing a forged chain, which is what an exported head (AuditHead) kept
// elsewhere is for.

// ChainEvent is one sealed event as the chain holds it.
type ChainEvent struct {
	Seq      int64
	Table    string // "fault" or "incident"
	ID       int64  // the event's own ID
	RecordID int64  // its ticket's or incident's ID
	At       time.Time
	Actor    string
	Kind     string
	Text     string
	Data     string
	Hash     string
	// Pruned is set for an event purged by retention: only its place,
	// seal, time, IDs and record are left, with when it was purged.
	Pruned *Pruning
}

// Pruning is what is left of an event purged by retention.
type Pruning struct {
	Ref     string    // its record's reference, F-12 or I-3
	Changed time.Time // the record's last change
	At      time.Time // when it was purged
}

// soon reports whether the record was purged less than six months after
// its last change or the event at.
func (p Pruning) soon(at time.Time) bool {
	limit := p.At.Add(-faultline.MinRetention)
	return at.After(limit) || p.Changed.After(limit)
}

// seal is e's hash after prev.
func (e ChainEvent) seal(prev string) string {
	h := sha256.New()
	for _, f := range []string{prev, e.Table, strconv.FormatInt(e.ID, 10), strconv.FormatInt(e.RecordID, 10),
		strconv.FormatInt(e.At.UnixMicro(), 10), e.Actor, e.Kind, e.Text, e.Data} {
		h.Write([]byte(strconv.Itoa(len(f)))) // length-prefixed, so no two field lists hash alike
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// chainTables are the timelines sealed, with their record column.
var chainTables = []struct{ name, table, record string }{
	{"fault", "fault_events", "fault_id"},
	{"incident", "incident_events", "incident_id"},
}

type prunedRow struct {
	Seq        int64
	Hash       string
	Tbl        string
	EventID    int64
	RecordID   int64
	RecordRef  string
	At         time.Time
	LastChange time.Time
	PrunedAt   time.Time
}

type chainRow struct {
	ID       int64
	RecordID int64
	At       time.Time
	Actor    string
	Kind     string
	Text     string
	Data     string
	ChainSeq *int64
	Hash     string `gorm:"column:chain_hash"`
}

// SealEvents seals up to limit events not sealed yet, oldest first (by
// time, then ID, within each table; a ticket's events before an
// incident's at the same instant), and returns how many it sealed.
func (db *DB) SealEvents(ctx context.Context, limit int) (int, error) {
	sealed := 0
	err := db.transaction(ctx, "seal events", func(tx *gorm.DB) error {
		var unsealed int64
		for _, t := range chainTables {
			var n []int64
			if err := tx.Raw("SELECT id FROM " + t.table + " WHERE chain_seq IS NULL LIMIT 1").Scan(&n).Error; err != nil {
				return err
			}
			unsealed += int64(len(n))
		}
		if unsealed == 0 {
			return nil // nothing to seal: the head stays unlocked
		}
		var head struct {
			Seq  int64
			Hash string
		}
		lock := ""
		if db.d.rowLocks {
			lock = " FOR UPDATE"
		}
		if err := tx.Raw("SELECT seq, hash FROM chain_head WHERE name = 'events'" + lock).Scan(&head).Error; err != nil {
			return err
		}
		var batch []ChainEvent
		for _, t := range chainTables {
			var rows []chainRow
			err := tx.Raw(`SELECT id, `+t.record+` AS record_id, at, actor, kind, text, data FROM `+t.table+
				` WHERE chain_seq IS NULL ORDER BY id LIMIT ?`, limit).Scan(&rows).Error
			if err != nil {
				return err
			}
			for _, r := range rows {
				batch = append(batch, ChainEvent{Table: t.name, ID: r.ID, RecordID: r.RecordID, At: r.At.UTC(),
					Actor: r.Actor, Kind: r.Kind, Text: r.Text, Data: r.Data})
			}
		}
		if len(batch) > limit {
			batch = batch[:limit]
		}
		prev := head.Hash
		for i := range batch {
			e := &batch[i]
			head.Seq++
			e.Seq, e.Hash = head.Seq, e.seal(prev)
			prev = e.Hash
		}
		for _, t := range chainTables {
			if err := db.writeSeals(tx, t.table, t.name, batch); err != nil {
				return err
			}
		}
		sealed = len(batch)
		return tx.Exec("UPDATE chain_head SET seq = ?, hash = ? WHERE name = 'events'", head.Seq, prev).Error
	})
	return sealed, err
}

// writeSeals stores the seals of table's events in batch: on PostgreSQL
// in one statement per thousand, on SQLite (one writer, local) one by one.
func (db *DB) writeSeals(tx *gorm.DB, table, name string, batch []ChainEvent) error {
	var mine []ChainEvent
	for _, e := range batch {
		if e.Table == name {
			mine = append(mine, e)
		}
	}
	if !db.d.rowLocks {
		for _, e := range mine {
			if err := tx.Exec("UPDATE "+table+" SET chain_seq = ?, chain_hash = ? WHERE id = ?", e.Seq, e.Hash, e.ID).Error; err != nil {
				return err
			}
		}
		return nil
	}
	for len(mine) > 0 {
		n := min(len(mine), 1000)
		var q strings.Builder
		args := make([]any, 0, 3*n)
		q.WriteString("UPDATE " + table + " e SET chain_seq = v.seq, chain_hash = v.hash FROM (VALUES ")
		for i, e := range mine[:n] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?::bigint, ?::bigint, ?::text)")
			args = append(args, e.ID, e.Seq, e.Hash)
		}
		q.WriteString(") AS v (id, seq, hash) WHERE e.id = v.id")
		if err := tx.Exec(q.String(), args...).Error; err != nil {
			return err
		}
		mine = mine[n:]
	}
	return nil
}

// ChainProblem is the first place the chain does not hold.
type ChainProblem struct {
	Seq   int64  // where in the chain
	Table string // "fault" or "incident"; empty when the event is missing
	ID    int64  // the event's ID
	Why   string // "altered", "missing", "out of order"
}

func (p ChainProblem) String() string {
	if p.Table == "" {
		return fmt.Sprintf("chain position %d: %s", p.Seq, p.Why)
	}
	return fmt.Sprintf("chain position %d, %s event %d: %s", p.Seq, p.Table, p.ID, p.Why)
}

// AuditHead is the chain's last position and seal, to keep elsewhere: a
// chain that still ends there, verified, is the record as it was.
func (db *DB) AuditHead(ctx context.Context) (seq int64, hash string, err error) {
	var head struct {
		Seq  int64
		Hash string
	}
	err = db.gorm.WithContext(ctx).Raw("SELECT seq, hash FROM chain_head WHERE name = 'events'").Scan(&head).Error
	if err != nil {
		return 0, "", fmt.Errorf("audit head: %w", translate(err))
	}
	return head.Seq, head.Hash, nil
}

// WalkChain hands every sealed event from position after+1 on to each,
// in chain order, a page at a time along the chain's indexes.
func (db *DB) WalkChain(ctx context.Context, after int64, each func(ChainEvent) error) error {
	const page = 5000
	for {
		var events []ChainEvent
		for _, t := range chainTables {
			var rows []chainRow
			err := db.gorm.WithContext(ctx).Raw(`SELECT id, `+t.record+` AS record_id, at, actor, kind, text, data, chain_seq, chain_hash FROM `+
				t.table+` WHERE chain_seq > ? ORDER BY chain_seq LIMIT ?`, after, page).Scan(&rows).Error
			if err != nil {
				return fmt.Errorf("walk the audit chain: %w", translate(err))
			}
			for _, r := range rows {
				events = append(events, ChainEvent{Seq: *r.ChainSeq, Table: t.name, ID: r.ID, RecordID: r.RecordID, At: r.At.UTC(),
					Actor: r.Actor, Kind: r.Kind, Text: r.Text, Data: r.Data, Hash: r.Hash})
			}
		}
		var gone []prunedRow
		err := db.gorm.WithContext(ctx).Raw(`SELECT seq, hash, tbl, event_id, record_id, record_ref, at, last_change, pruned_at FROM chain_pruned
	WHERE seq > ? ORDER BY seq LIMIT ?`, after, page).Scan(&gone).Error
		if err != nil {
			return fmt.Errorf("walk the audit chain: %w", translate(err))
		}
		for _, r := range gone {
			events = append(events, ChainEvent{Seq: r.Seq, Table: r.Tbl, ID: r.EventID, RecordID: r.RecordID, At: r.At.UTC(),
				Hash: r.Hash, Pruned: &Pruning{Ref: r.RecordRef, Changed: r.LastChange.UTC(), At: r.PrunedAt.UTC()}})
		}
		if len(events) == 0 {
			return nil
		}
		sortBySeq(events)
		// Both tables' pages end somewhere; only the positions below the
		// lower of their ends are complete.
		limit := events[len(events)-1].Seq
		for _, t := range chainTables {
			if last, full := lastOf(events, func(e ChainEvent) bool { return e.Pruned == nil && e.Table == t.name }, page); full && last < limit {
				limit = last
			}
		}
		if last, full := lastOf(events, func(e ChainEvent) bool { return e.Pruned != nil }, page); full && last < limit {
			limit = last
		}
		for _, e := range events {
			if e.Seq > limit {
				break
			}
			if err := each(e); err != nil {
				return err
			}
			after = e.Seq
		}
	}
}

// VerifyChain recomputes every seal from the first and returns the first
// problem (nil when the chain holds) and how many events it checked: an
// event whose fields or seal changed is altered; a position no event holds
// is missing (deleted); the head must be where the chain ends.
func (db *DB) VerifyChain(ctx context.Context) (*ChainProblem, int64, error) {
	var (
		prev    string
		want    int64 = 1
		problem *ChainProblem
	)
	stop := errors.New("stop")
	err := db.WalkChain(ctx, 0, func(e ChainEvent) error {
		switch {
		case e.Seq > want:
			problem = &ChainProblem{Seq: want, Why: "missing (an event was removed)"}
		case e.Seq < want:
			problem = &ChainProblem{Seq: e.Seq, Table: e.Table, ID: e.ID, Why: "sealed twice at one position"}
		case e.Pruned != nil && e.Pruned.soon(e.At):
			problem = &ChainProblem{Seq: e.Seq, Table: e.Table, ID: e.ID, Why: fmt.Sprintf("purged on %s though %s changed within six months before",
				e.Pruned.At.Format(time.DateOnly), e.Pruned.Ref)}
		case e.Pruned != nil:
			// Its fields are gone: its seal carries the chain on.
		case e.seal(prev) != e.Hash:
			problem = &ChainProblem{Seq: e.Seq, Table: e.Table, ID: e.ID, Why: "altered (its fields or seal do not match the chain)"}
		}
		if problem != nil {
			return stop
		}
		prev, want = e.Hash, want+1
		return nil
	})
	if err != nil && !errors.Is(err, stop) {
		return nil, 0, err
	}
	// Retention purges a record whole: an event purged from a record
	// still there was removed some other way.
	for _, t := range chainTables {
		var left []struct{ Seq, EventID int64 }
		err := db.gorm.WithContext(ctx).Raw(`SELECT p.seq, p.event_id FROM chain_pruned p WHERE p.tbl = ?
	AND EXISTS (SELECT 1 FROM `+purgeTable(t.name)+` r WHERE r.id = p.record_id) ORDER BY p.seq LIMIT 1`, t.name).Scan(&left).Error
		if err != nil {
			return nil, 0, fmt.Errorf("verify the audit chain: %w", translate(err))
		}
		if len(left) > 0 && (problem == nil || left[0].Seq < problem.Seq) {
			problem = &ChainProblem{Seq: left[0].Seq, Table: t.name, ID: left[0].EventID,
				Why: "marked purged by retention, but its record is still there: the event was removed"}
			want = left[0].Seq
		}
	}
	if problem != nil {
		return problem, want - 1, nil
	}
	seq, hash, err := db.AuditHead(ctx)
	if err != nil {
		return nil, 0, err
	}
	if seq != want-1 || hash != prev {
		return &ChainProblem{Seq: seq, Why: fmt.Sprintf("the chain ends at %d but its head says %d: events at its end were removed", want-1, seq)}, want - 1, nil
	}
	return nil, want - 1, nil
}

// UnsealedEvents counts the events not sealed yet.
func (db *DB) UnsealedEvents(ctx context.Context) (int64, error) {
	var total int64
	for _, t := range chainTables {
		var n int64
		if err := db.gorm.WithContext(ctx).Raw("SELECT COUNT(*) FROM " + t.table + " WHERE chain_seq IS NULL").Scan(&n).Error; err != nil {
			return 0, fmt.Errorf("unsealed events: %w", translate(err))
		}
		total += n
	}
	return total, nil
}

func sortBySeq(events []ChainEvent) {
	slices.SortFunc(events, func(a, b ChainEvent) int { return cmp.Compare(a.Seq, b.Seq) })
}

// lastOf is the last position of one source's events in events (those
// from says are its), and whether its page was full (more may follow).
func lastOf(events []ChainEvent, from func(ChainEvent) bool, page int) (int64, bool) {
	var last int64
	n := 0
	for _, e := range events {
		if from(e) {
			last, n = e.Seq, n+1
		}
	}
	return last, n == page
}
