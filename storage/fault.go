package storage

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/faultline/faultline"
)

type faultRow struct {
	ID           int64 `gorm:"primaryKey"`
	Number       int64
	Target       string
	Site         string
	Description  string
	Reporter     string
	State        string
	Owner        string
	Channel      string
	MessageTS    string `gorm:"column:message_ts"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Verdict      string
	Hop          string
	HopRef       string
	TakenAt      *time.Time
	FixedAt      *time.Time
	ClosedAt     *time.Time
	RestartBy    string
	VendorTicket string
	VendorDue    string
	Cause        string
	Resolution   string
	FixedBy      string
	EscLevel     int
	Version      int
	RequestKey   *string
	Reporters    string // space-separated user IDs
	HopKey       string
	LinkedTo     int64
}

func (faultRow) TableName() string { return "faults" }

func (r faultRow) fault() faultline.Fault {
	return faultline.Fault{
		ID: r.ID, Number: r.Number, Target: r.Target, Site: r.Site,
		Description: r.Description, Reporter: r.Reporter,
		State: faultline.FaultState(r.State), Owner: r.Owner,
		Channel: r.Channel, MessageTS: r.MessageTS,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		Verdict: faultline.VerdictKind(r.Verdict), Hop: r.Hop, HopRef: r.HopRef,
		TakenAt: fromNull(r.TakenAt), FixedAt: fromNull(r.FixedAt), ClosedAt: fromNull(r.ClosedAt),
		RestartBy: r.RestartBy, VendorTicket: r.VendorTicket, VendorDue: r.VendorDue,
		Resolution: faultline.Resolution{Cause: faultline.Cause(r.Cause), Done: r.Resolution, FixedBy: r.FixedBy},
		EscLevel:   r.EscLevel, Version: r.Version, RequestKey: deref(r.RequestKey),
		Reporters: strings.Fields(r.Reporters), HopKey: r.HopKey, LinkedTo: r.LinkedTo,
	}
}

// faultMutable is every column a step may change, zero values included, for a
// guarded update.
func faultMutable(f faultline.Fault) map[string]any {
	return map[string]any{
		"state": string(f.State), "owner": f.Owner, "updated_at": f.UpdatedAt.UTC(),
		"verdict": string(f.Verdict), "hop": f.Hop, "hop_ref": f.HopRef,
		"taken_at": toNull(f.TakenAt), "fixed_at": toNull(f.FixedAt), "closed_at": toNull(f.ClosedAt),
		"restart_by": f.RestartBy, "vendor_ticket": f.VendorTicket, "vendor_due": f.VendorDue,
		"cause": string(f.Resolution.Cause), "resolution": f.Resolution.Done, "fixed_by": f.Resolution.FixedBy,
		"esc_level": f.EscLevel, "version": gorm.Expr("version + 1"),
		"hop_key": f.HopKey,
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func toNull(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func fromNull(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

type eventRow struct {
	ID      int64 `gorm:"primaryKey"`
	FaultID int64
	At      time.Time
	Actor   string
	Kind    string
	Text    string
	Data    string
}

func (eventRow) TableName() string { return "fault_events" }

func (r eventRow) event() faultline.Event {
	return faultline.Event{
		ID: r.ID, FaultID: r.FaultID, At: r.At.UTC(), Actor: r.Actor,
		Kind: faultline.EventKind(r.Kind), Text: r.Text, Data: r.Data,
	}
}

// CreateFault stores a new ticket with the next F-number, its "created"
// timeline entry, and with's messages, clocks and tasks, which belong to
// it, atomically. Two processes on one database never hand out the same
// number: PostgreSQL takes it from a sequence, SQLite from a counter row in
// the same transaction. A ticket whose RequestKey is already on a ticket is
// not stored again: the earlier one comes back with faultline.ErrReplay.
func (db *DB) CreateFault(ctx context.Context, f faultline.Fault, with faultline.Change) (faultline.Fault, error) {
	row := faultRow{
		Target: f.Target, Site: f.Site, Description: f.Description,
		Reporter: f.Reporter, State: string(f.State), Owner: f.Owner,
		Channel: f.Channel, MessageTS: f.MessageTS,
		CreatedAt: f.CreatedAt.UTC(), UpdatedAt: f.CreatedAt.UTC(), RequestKey: nullString(f.RequestKey),
		Reporters: strings.Join(f.People(), " "), LinkedTo: f.LinkedTo,
	}
	var err error
	switch {
	case db.intake != nil && row.RequestKey != nil:
		err = db.intake.create(ctx, &row, with)
	case db.d.oneStatementReport:
		err = db.createFaultInOneStatement(ctx, &row, with)
	default:
		err = db.createFaultTx(ctx, &row, with)
	}
	if f.RequestKey != "" && (errors.Is(err, faultline.ErrReplay) || errors.Is(err, sql.ErrNoRows)) {
		var earlier faultRow
		if lookup := db.gorm.WithContext(ctx).Where("request_key = ?", f.RequestKey).Take(&earlier).Error; lookup != nil {
			return faultline.Fault{}, fmt.Errorf("create fault: earlier report of %s: %w", f.RequestKey, translate(lookup))
		}
		return earlier.fault(), faultline.ErrReplay
	}
	if err != nil {
		return faultline.Fault{}, fmt.Errorf("create fault: %w", translate(err))
	}
	return row.fault(), nil
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// createFaultInOneStatement does the whole report in one statement, one
// round trip: intake is the hot path, and a statement is its own
// transaction. The number comes from the fault_numbers sequence; a repeated
// request key inserts nothing, and the statement returns no row.
func (db *DB) createFaultInOneStatement(ctx context.Context, row *faultRow, with faultline.Change) error {
	var q strings.Builder
	q.WriteString(`WITH f AS (
	INSERT INTO faults (number, target, site, description, reporter, state, owner, channel, message_ts, created_at, updated_at, request_key, reporters, linked_to)
	VALUES (nextval('fault_numbers'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (request_key) DO NOTHING RETURNING id, number),
e AS (INSERT INTO fault_events (fault_id, at, actor, kind, text) SELECT id, ?, ?, ?, ? FROM f)`)
	args := []any{row.Target, row.Site, row.Description, row.Reporter, row.State, row.Owner, row.Channel,
		row.MessageTS, row.CreatedAt, row.UpdatedAt, row.RequestKey, row.Reporters, row.LinkedTo, row.CreatedAt, row.Reporter, string(faultline.EventCreated), row.Description}
	const placeholder = -1 // the new ticket's ID, known only inside the statement
	headed := map[string]bool{}
	for i, o := range with.Out {
		r, err := newOutboxRow(o, placeholder, 0, row.CreatedAt)
		if err != nil {
			return err
		}
		key, keyArgs := "?", []any{r.Key}
		if r.Key == "fault:"+strconv.Itoa(placeholder) {
			key, keyArgs = "'fault:' || id", nil
		}
		fmt.Fprintf(&q, `,
o%d AS (INSERT INTO outbox (key, kind, channel, fault_id, thread, user_id, payload, created_at, next_attempt_at)
	SELECT %s, ?, ?, id, ?, ?, ?, ?, ? FROM f RETURNING id, key, channel, next_attempt_at)`, i, key)
		args = append(append(args, keyArgs...), r.Kind, r.Channel, r.Thread, r.UserID, r.Payload, r.CreatedAt, r.NextAttemptAt)
		if !headed[r.Key] { // one head per key, the key's first message
			headed[r.Key] = true
			fmt.Fprintf(&q, `,
h%d AS (INSERT INTO outbox_heads (key, head_id, channel, next_attempt_at) SELECT key, id, channel, next_attempt_at FROM o%d
	ON CONFLICT (key) DO UPDATE SET head_id = LEAST(outbox_heads.head_id, excluded.head_id))`, i, i)
		}
	}
	for i, t := range with.SetTimers {
		fmt.Fprintf(&q, `,
t%d AS (INSERT INTO timers (fault_id, kind, due_at) SELECT id, ?, ? FROM f)`, i)
		args = append(args, string(t.Kind), t.DueAt.UTC())
	}
	for i, t := range with.Tasks {
		fmt.Fprintf(&q, `,
k%d AS (INSERT INTO tasks (kind, fault_id, actor, due_at, created_at) SELECT ?, id, ?, ?, ? FROM f)`, i)
		args = append(args, string(t.Kind), t.Actor, row.CreatedAt, row.CreatedAt)
	}
	q.WriteString("\nSELECT id, number FROM f")
	return db.gorm.WithContext(ctx).Raw(q.String(), args...).Row().Scan(&row.ID, &row.Number)
}

func (db *DB) createFaultTx(ctx context.Context, row *faultRow, with faultline.Change) error {
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		n, err := db.nextNumber(tx, "fault")
		if err != nil {
			return err
		}
		row.Number = n
		res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "request_key"}}, DoNothing: true}).Create(row)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return faultline.ErrReplay
		}
		created := faultline.Event{At: row.CreatedAt, Actor: row.Reporter, Kind: faultline.EventCreated, Text: row.Description}
		return db.applyChange(tx, faultline.Change{
			FaultID: row.ID, Events: []faultline.Event{created}, Out: with.Out, SetTimers: with.SetTimers, Tasks: with.Tasks,
		}, row.CreatedAt)
	})
}

// nextNumber hands out the next number of a kind ("fault", "incident").
func (db *DB) nextNumber(tx *gorm.DB, kind string) (int64, error) {
	n, err := db.d.nextNumber(tx, kind)
	if err == nil && n == 0 {
		err = fmt.Errorf("no number source for %q", kind)
	}
	return n, err
}

// Fault returns ticket F-number, or faultline.ErrNotFound.
func (db *DB) Fault(ctx context.Context, number int64) (faultline.Fault, error) {
	var row faultRow
	err := db.gorm.WithContext(ctx).Where("number = ?", number).Take(&row).Error
	if err != nil {
		return faultline.Fault{}, fmt.Errorf("fault %d: %w", number, translate(err))
	}
	return row.fault(), nil
}

// FaultByMessage returns the ticket whose head message is ts in channel,
// or faultline.ErrNotFound: thread replies find their ticket this way.
func (db *DB) FaultByMessage(ctx context.Context, channel, ts string) (faultline.Fault, error) {
	var row faultRow
	err := db.gorm.WithContext(ctx).
		Where("channel = ? AND message_ts = ?", channel, ts).Take(&row).Error
	if err != nil {
		return faultline.Fault{}, fmt.Errorf("fault of message %s/%s: %w", channel, ts, translate(err))
	}
	return row.fault(), nil
}

// Faults lists tickets in the given states, newest first, at most limit.
// Every open state at once, the common case, is a literal predicate that
// matches the partial index of open tickets in every plan, so the list
// does not walk closed history by number.
func (db *DB) Faults(ctx context.Context, states []faultline.FaultState, limit int) ([]faultline.Fault, error) {
	q := db.gorm.WithContext(ctx)
	if slices.Equal(states, faultline.OpenFaultStates) {
		q = q.Where("state <> 'closed'")
	} else {
		q = q.Where("state IN ?", states)
	}
	return db.findFaults(q.Order("number DESC").Limit(limit), "list faults")
}

func (db *DB) findFaults(q *gorm.DB, op string) ([]faultline.Fault, error) {
	var rows []faultRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("%s: %w", op, translate(err))
	}
	out := make([]faultline.Fault, len(rows))
	for i, r := range rows {
		out[i] = r.fault()
	}
	return out, nil
}

// Events returns a ticket's timeline, oldest first.
func (db *DB) Events(ctx context.Context, faultID int64) ([]faultline.Event, error) {
	var rows []eventRow
	err := db.gorm.WithContext(ctx).Where("fault_id = ?", faultID).Order("id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("timeline of fault %d: %w", faultID, translate(err))
	}
	out := make([]faultline.Event, len(rows))
	for i, r := range rows {
		out[i] = r.event()
	}
	return out, nil
}

// FaultByID returns the ticket with database ID id, or faultline.ErrNotFound.
func (db *DB) FaultByID(ctx context.Context, id int64) (faultline.Fault, error) {
	var row faultRow
	if err := db.gorm.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return faultline.Fault{}, fmt.Errorf("fault #%d: %w", id, translate(err))
	}
	return row.fault(), nil
}

// PastResolutions returns closed tickets whose failing hop was the same
// hop of the same site, newest first, leaving out ticket exclude.
func (db *DB) PastResolutions(ctx context.Context, site, hop string, exclude int64, limit int) ([]faultline.Fault, error) {
	q := db.gorm.WithContext(ctx).
		Where("state = ? AND site = ? AND hop = ? AND id <> ?", string(faultline.FaultClosed), site, hop, exclude).
		Order("closed_at DESC").Limit(limit)
	return db.findFaults(q, "past resolutions")
}

// OpenFaultsAt lists the open tickets of site, or whose failing hop is one
// of hopKeys, newest first: the outages a report of the site may join.
// Each half is its own lookup in a partial index of the open tickets,
// unordered (ordering by number would tempt the planner, on a table never
// analyzed, into walking every ticket by number); the few found are
// sorted here.
func (db *DB) OpenFaultsAt(ctx context.Context, site string, hopKeys []string) ([]faultline.Fault, error) {
	// The state is written out, not a parameter, so the planner can match
	// the partial indexes' predicate in every plan.
	open := func() *gorm.DB { return db.gorm.WithContext(ctx).Where("state <> 'closed'").Limit(maxOpenAt) }
	out, err := db.findFaults(open().Where("site = ?", site), "open faults at "+site)
	if err != nil || len(hopKeys) == 0 {
		return out, err
	}
	behind, err := db.findFaults(open().Where("hop_key IN ?", hopKeys), "open faults on the path of "+site)
	if err != nil {
		return nil, err
	}
	for _, f := range behind {
		if !slices.ContainsFunc(out, func(g faultline.Fault) bool { return g.ID == f.ID }) {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b faultline.Fault) int { return cmp.Compare(b.Number, a.Number) })
	return out, nil
}

// maxOpenAt bounds the open tickets one report weighs.
const maxOpenAt = 100

// CountFaults counts tickets by state: the open ones through the state
// index, the closed ones from the count kept as they close (a scrape does
// not count history).
func (db *DB) CountFaults(ctx context.Context) (map[faultline.FaultState]int64, error) {
	var rows []struct {
		State string
		N     int64
	}
	open := make([]string, len(faultline.OpenFaultStates))
	for i, s := range faultline.OpenFaultStates {
		open[i] = string(s)
	}
	if err := db.gorm.WithContext(ctx).Model(&faultRow{}).Select("state, COUNT(*) AS n").Where("state IN ?", open).
		Group("state").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("count faults: %w", translate(err))
	}
	var closed []int64
	if err := db.gorm.WithContext(ctx).Raw("SELECT n FROM fault_counts WHERE name = 'closed'").Scan(&closed).Error; err != nil {
		return nil, fmt.Errorf("count closed faults: %w", translate(err))
	}
	out := map[faultline.FaultState]int64{}
	for _, r := range rows {
		out[faultline.FaultState(r.State)] = r.N
	}
	if len(closed) == 1 {
		out[faultline.FaultClosed] = closed[0]
	}
	return out, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
