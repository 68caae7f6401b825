package storage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// migration is one recorded schema step. Steps are append-only: a released
// step is never edited, so a database from any release upgrades by running
// the steps it has not recorded, in order, on either dialect.
type migration struct {
	version int
	name    string
	sql     string            // {{id}} and {{time}} are replaced per dialect
	only    map[string]string // further statements for one dialect
}

var migrations = []migration{
	{1, "fault tickets, their timeline, counters, seen Slack requests", `
CREATE TABLE faults (
	id          {{id}},
	number      BIGINT NOT NULL UNIQUE,
	target      TEXT NOT NULL,
	site        TEXT NOT NULL DEFAULT '',
	description TEXT NOT NULL,
	reporter    TEXT NOT NULL,
	state       TEXT NOT NULL,
	owner       TEXT NOT NULL DEFAULT '',
	channel     TEXT NOT NULL DEFAULT '',
	message_ts  TEXT NOT NULL DEFAULT '',
	created_at  {{time}} NOT NULL,
	updated_at  {{time}} NOT NULL
);
CREATE INDEX faults_state ON faults (state);
CREATE INDEX faults_message ON faults (channel, message_ts);
CREATE TABLE fault_events (
	id       {{id}},
	fault_id BIGINT NOT NULL REFERENCES faults (id),
	at       {{time}} NOT NULL,
	actor    TEXT NOT NULL,
	kind     TEXT NOT NULL,
	text     TEXT NOT NULL DEFAULT '',
	data     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX fault_events_fault ON fault_events (fault_id, id);
CREATE TABLE slack_requests (
	key         TEXT PRIMARY KEY,
	received_at {{time}} NOT NULL
);
CREATE INDEX slack_requests_received ON slack_requests (received_at);
`, map[string]string{
		// A sequence hands out numbers without holding a lock until commit,
		// so concurrent reports commit in parallel; a rolled-back report
		// leaves a gap, never a duplicate.
		"postgres": `CREATE SEQUENCE fault_numbers`,
		// SQLite has one writer at a time anyway: a counter row in the
		// same transaction gives gapless numbers.
		"sqlite": `CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
INSERT INTO counters (name, value) VALUES ('fault', 0)`,
	}},
	{2, "the fault procedure: steps, resolutions, clocks, outbox", `
ALTER TABLE faults ADD COLUMN verdict TEXT NOT NULL DEFAULT '';
ALTER TABLE faults ADD COLUMN hop TEXT NOT NULL DEFAULT '';
ALTER TABLE faults ADD COLUMN hop_ref TEXT NOT NULL DEFAULT '';
ALTER TABLE faults ADD COLUMN taken_at {{time}};
ALTER TABLE faults ADD COLUMN fixed_at {{time}};
ALTER TABLE faults ADD COLUMN closed_at {{time}};
ALTER TABLE faults ADD COLUMN restart_by TEXT NOT NULL DEFAULT '';
ALTER TABLE faults ADD COLUMN vendor_ticket TEXT NOT NULL DEFAULT '';
ALTER TABLE faults ADD COLUMN vendor_due TEXT NOT NULL DEFAULT '';
ALTER TABLE faults ADD COLUMN cause TEXT NOT NULL DEFAULT '';
ALTER TABLE faults ADD COLUMN resolution TEXT NOT NULL DEFAULT '';
ALTER TABLE faults ADD COLUMN fixed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE faults ADD COLUMN esc_level INTEGER NOT NULL DEFAULT 0;
ALTER TABLE faults ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
CREATE INDEX faults_hop ON faults (site, hop, closed_at);
CREATE TABLE timers (
	fault_id    BIGINT NOT NULL DEFAULT 0,
	incident_id BIGINT NOT NULL DEFAULT 0,
	kind        TEXT NOT NULL,
	due_at      {{time}} NOT NULL,
	PRIMARY KEY (fault_id, incident_id, kind)
);
CREATE INDEX timers_due ON timers (due_at);
CREATE TABLE outbox (
	id              {{id}},
	key             TEXT NOT NULL,
	kind            TEXT NOT NULL,
	channel         TEXT NOT NULL DEFAULT '',
	fault_id        BIGINT NOT NULL DEFAULT 0,
	incident_id     BIGINT NOT NULL DEFAULT 0,
	thread          BOOLEAN NOT NULL DEFAULT FALSE,
	user_id         TEXT NOT NULL DEFAULT '',
	payload         TEXT NOT NULL DEFAULT '',
	created_at      {{time}} NOT NULL,
	next_attempt_at {{time}} NOT NULL,
	attempts        INTEGER NOT NULL DEFAULT 0,
	claimed_until   {{time}},
	sent_at         {{time}},
	failed_at       {{time}},
	ts              TEXT NOT NULL DEFAULT '',
	error           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_pending ON outbox (key, id) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL
`, nil},
	{3, "security incidents, their timeline and follow-ups", `
CREATE TABLE incidents (
	id            {{id}},
	number        BIGINT NOT NULL UNIQUE,
	description   TEXT NOT NULL,
	systems       TEXT NOT NULL DEFAULT '',
	noticed_how   TEXT NOT NULL DEFAULT '',
	reporter      TEXT NOT NULL,
	state         TEXT NOT NULL,
	owner         TEXT NOT NULL DEFAULT '',
	severity      TEXT NOT NULL DEFAULT '',
	channel       TEXT NOT NULL DEFAULT '',
	message_ts    TEXT NOT NULL DEFAULT '',
	created_at    {{time}} NOT NULL,
	updated_at    {{time}} NOT NULL,
	classified_by TEXT NOT NULL DEFAULT '',
	classified_at {{time}},
	taken_at      {{time}},
	reported_at   {{time}},
	closed_at     {{time}},
	summary_at    {{time}},
	report        TEXT NOT NULL DEFAULT '',
	cause         TEXT NOT NULL DEFAULT '',
	measures      TEXT NOT NULL DEFAULT '',
	summary_owner TEXT NOT NULL DEFAULT '',
	summary       TEXT NOT NULL DEFAULT '',
	notice        TEXT NOT NULL DEFAULT '',
	notice_text   TEXT NOT NULL DEFAULT '',
	notice_by     TEXT NOT NULL DEFAULT '',
	external_by   TEXT NOT NULL DEFAULT '',
	external_at   {{time}},
	esc_level     INTEGER NOT NULL DEFAULT 0,
	summary_level INTEGER NOT NULL DEFAULT 0,
	version       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX incidents_state ON incidents (state);
CREATE INDEX incidents_message ON incidents (channel, message_ts);
CREATE INDEX incidents_reporter ON incidents (reporter);
CREATE TABLE incident_events (
	id          {{id}},
	incident_id BIGINT NOT NULL REFERENCES incidents (id),
	at          {{time}} NOT NULL,
	actor       TEXT NOT NULL,
	kind        TEXT NOT NULL,
	text        TEXT NOT NULL DEFAULT '',
	data        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX incident_events_incident ON incident_events (incident_id, id);
CREATE TABLE incident_followups (
	id          {{id}},
	incident_id BIGINT NOT NULL REFERENCES incidents (id),
	text        TEXT NOT NULL,
	owner       TEXT NOT NULL,
	due         {{time}} NOT NULL,
	done_at     {{time}},
	done_by     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX incident_followups_incident ON incident_followups (incident_id, id)
`, map[string]string{
		"postgres": `CREATE SEQUENCE incident_numbers`,
		"sqlite":   `INSERT INTO counters (name, value) VALUES ('incident', 0)`,
	}},
	{4, "duties and their occurrences, schedules, path monitors", `
CREATE TABLE duties (
	id            {{id}},
	name          TEXT NOT NULL UNIQUE,
	owners        TEXT NOT NULL,
	schedule      TEXT NOT NULL,
	grace_seconds BIGINT NOT NULL,
	escalate_to   TEXT NOT NULL,
	instructions  TEXT NOT NULL DEFAULT '',
	source        TEXT NOT NULL,
	paused        BOOLEAN NOT NULL DEFAULT FALSE,
	next_due_at   {{time}} NOT NULL,
	created_by    TEXT NOT NULL DEFAULT '',
	created_at    {{time}} NOT NULL,
	version       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX duties_due ON duties (next_due_at) WHERE paused = FALSE;
CREATE TABLE duty_occurrences (
	id           {{id}},
	duty_id      BIGINT NOT NULL REFERENCES duties (id),
	owner        TEXT NOT NULL,
	due_at       {{time}} NOT NULL,
	state        TEXT NOT NULL,
	remind_at    {{time}} NOT NULL,
	reminded_at  {{time}},
	escalate_at  {{time}} NOT NULL,
	escalated_at {{time}},
	done_at      {{time}},
	done_by      TEXT NOT NULL DEFAULT '',
	note         TEXT NOT NULL DEFAULT '',
	reason       TEXT NOT NULL DEFAULT '',
	snoozes      INTEGER NOT NULL DEFAULT 0,
	owner_gone   BOOLEAN NOT NULL DEFAULT FALSE,
	UNIQUE (duty_id, owner, due_at)
);
CREATE INDEX duty_occurrences_remind ON duty_occurrences (remind_at) WHERE state = 'pending';
CREATE INDEX duty_occurrences_escalate ON duty_occurrences (escalate_at) WHERE state = 'pending' AND escalated_at IS NULL;
CREATE INDEX duty_occurrences_due ON duty_occurrences (due_at);
CREATE TABLE schedules (
	name        TEXT PRIMARY KEY,
	spec        TEXT NOT NULL,
	next_due_at {{time}} NOT NULL,
	last_run_at {{time}}
);
CREATE TABLE monitor_states (
	site          TEXT PRIMARY KEY,
	failing       TEXT NOT NULL DEFAULT '',
	consecutive   INTEGER NOT NULL DEFAULT 0,
	history       TEXT NOT NULL DEFAULT '',
	fault_id      BIGINT NOT NULL DEFAULT 0,
	flapping      BOOLEAN NOT NULL DEFAULT FALSE,
	last_check_at {{time}},
	version       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX faults_created ON faults (created_at);
CREATE INDEX incidents_created ON incidents (created_at)
`, nil},
	// A missed occurrence stays pending (a late "done" is still welcome)
	// but is never reminded again; in the reminder index it made every
	// clock tick read all of them.
	{5, "the reminder index leaves missed duty occurrences out", `
DROP INDEX duty_occurrences_remind;
CREATE INDEX duty_occurrences_remind ON duty_occurrences (remind_at) WHERE state = 'pending' AND escalated_at IS NULL
`, nil},
	// Work after the answer is stored (tasks); the outbox is picked by one
	// head row per key, found by an index whatever the backlog and the
	// statistics; the pace per channel is kept in the database for every
	// process (a GCRA arrival time in microseconds); a report remembers the
	// request that made it.
	{6, "tasks, outbox heads and paces, request keys", `
CREATE TABLE tasks (
	id            {{id}},
	kind          TEXT NOT NULL,
	fault_id      BIGINT NOT NULL DEFAULT 0,
	incident_id   BIGINT NOT NULL DEFAULT 0,
	actor         TEXT NOT NULL DEFAULT '',
	due_at        {{time}} NOT NULL,
	attempts      INTEGER NOT NULL DEFAULT 0,
	claimed_until {{time}},
	error         TEXT NOT NULL DEFAULT '',
	created_at    {{time}} NOT NULL
);
CREATE INDEX tasks_due ON tasks (due_at);
CREATE TABLE outbox_heads (
	key             TEXT PRIMARY KEY,
	head_id         BIGINT NOT NULL,
	channel         TEXT NOT NULL DEFAULT '',
	next_attempt_at {{time}} NOT NULL,
	claimed_until   {{time}},
	blocked         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_heads_due ON outbox_heads (next_attempt_at) WHERE blocked = '';
CREATE INDEX outbox_heads_channel ON outbox_heads (channel) WHERE blocked <> '';
INSERT INTO outbox_heads (key, head_id, next_attempt_at)
	SELECT key, MIN(id), MIN(next_attempt_at) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL GROUP BY key;
UPDATE outbox_heads SET channel = (SELECT o.channel FROM outbox o WHERE o.id = outbox_heads.head_id),
	next_attempt_at = (SELECT o.next_attempt_at FROM outbox o WHERE o.id = outbox_heads.head_id);
DROP INDEX outbox_due;
CREATE INDEX outbox_failed ON outbox (id) WHERE failed_at IS NOT NULL;
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;
CREATE TABLE paces (
	channel TEXT PRIMARY KEY,
	tat     BIGINT NOT NULL
);
ALTER TABLE faults ADD COLUMN request_key TEXT;
CREATE UNIQUE INDEX faults_request ON faults (request_key);
ALTER TABLE incidents ADD COLUMN request_key TEXT;
CREATE UNIQUE INDEX incidents_request ON incidents (request_key)
`, nil},
	// One outage, one ticket: a ticket keeps its reporters and the identity
	// of its failing hop, open tickets are found by site and by hop through
	// partial indexes (whatever the statistics), and maintenance windows
	// are kept with who opened and ended them.
	{7, "outages: reporters, shared hops, maintenance windows", `
ALTER TABLE faults ADD COLUMN reporters TEXT NOT NULL DEFAULT '';
ALTER TABLE faults ADD COLUMN hop_key TEXT NOT NULL DEFAULT '';
ALTER TABLE faults ADD COLUMN linked_to BIGINT NOT NULL DEFAULT 0;
UPDATE faults SET reporters = reporter WHERE reporter <> 'faultline';
CREATE INDEX faults_open_site ON faults (site) WHERE state <> 'closed';
CREATE INDEX faults_open_hop ON faults (hop_key) WHERE state <> 'closed';
CREATE TABLE maintenance (
	id         {{id}},
	site       TEXT NOT NULL DEFAULT '',
	hop_key    TEXT NOT NULL DEFAULT '',
	name       TEXT NOT NULL,
	starts_at  {{time}} NOT NULL,
	ends_at    {{time}} NOT NULL,
	reason     TEXT NOT NULL DEFAULT '',
	created_by TEXT NOT NULL,
	created_at {{time}} NOT NULL,
	ended_by   TEXT NOT NULL DEFAULT '',
	ended_at   {{time}}
);
CREATE INDEX maintenance_ends ON maintenance (ends_at)
`, nil},
	// History does not slow the lists and the gauges: open tickets and
	// incidents are read through partial indexes, and closed
	// tickets are counted as they close rather than on every scrape.
	{8, "lists and gauges that do not read history", `
CREATE INDEX faults_open_number ON faults (number) WHERE state <> 'closed';
CREATE INDEX incidents_open_number ON incidents (number) WHERE state IN ('open', 'handling', 'reported');
CREATE TABLE fault_counts (
	name TEXT PRIMARY KEY,
	n    BIGINT NOT NULL
);
INSERT INTO fault_counts (name, n) SELECT 'closed', COUNT(*) FROM faults WHERE state = 'closed'
`, nil},
	// Search of closed tickets by the two-character pieces of their text
	// (Chinese words are two characters, unspaced), on both databases
	// without an extension; the closed tickets so far are filed here.
	{9, "an index of closed tickets for search", `
CREATE TABLE fault_terms (
	term     TEXT NOT NULL,
	fault_id BIGINT NOT NULL,
	PRIMARY KEY (term, fault_id)
);
CREATE TABLE term_counts (
	term TEXT PRIMARY KEY,
	n    BIGINT NOT NULL
);
` + fileClosed + `
`, nil},
	// Delivery picks each channel's next message: the channels are walked
	// one index probe each, and each channel's soonest head is the first
	// entry of its range, whatever the backlog of one channel and whatever
	// the statistics.
	{10, "the outbox is picked channel by channel", `
CREATE INDEX outbox_heads_channel_due ON outbox_heads (channel, next_attempt_at) WHERE blocked = '';
DROP INDEX outbox_heads_due
`, nil},
	// Search of incidents: closed ones by the bigrams of their text, as
	// tickets are; the incidents closed so far are filed here.
	{11, "an index of closed incidents for search", `
CREATE TABLE incident_terms (
	term        TEXT NOT NULL,
	incident_id BIGINT NOT NULL,
	PRIMARY KEY (term, incident_id)
);
CREATE TABLE incident_term_counts (
	term TEXT PRIMARY KEY,
	n    BIGINT NOT NULL
);
` + incidentIndex.fileAll() + `
`, nil},
	// The archive is tamper-evident: every timeline event gets its place in
	// one chain and a seal over the one before it; the events so far are
	// sealed by the sealer after the migration.
	{12, "a tamper-evident chain of every timeline event", `
ALTER TABLE fault_events ADD COLUMN chain_seq BIGINT;
ALTER TABLE fault_events ADD COLUMN chain_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE incident_events ADD COLUMN chain_seq BIGINT;
ALTER TABLE incident_events ADD COLUMN chain_hash TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX fault_events_chain ON fault_events (chain_seq) WHERE chain_seq IS NOT NULL;
CREATE UNIQUE INDEX incident_events_chain ON incident_events (chain_seq) WHERE chain_seq IS NOT NULL;
CREATE INDEX fault_events_unsealed ON fault_events (id) WHERE chain_seq IS NULL;
CREATE INDEX incident_events_unsealed ON incident_events (id) WHERE chain_seq IS NULL;
CREATE TABLE chain_head (
	name TEXT PRIMARY KEY,
	seq  BIGINT NOT NULL,
	hash TEXT NOT NULL
);
INSERT INTO chain_head (name, seq, hash) VALUES ('events', 0, '')
`, nil},
	// Grading on the national scale with its category, and the outside
	// report as filed (to whom, how, its receipt), with the supplement
	// (补报) it leaves owed.
	{13, "national grading and the outside report", `
ALTER TABLE incidents ADD COLUMN level TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN category TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN outside TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN supplement_due {{time}};
ALTER TABLE incidents ADD COLUMN supplements INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN external_level TEXT NOT NULL DEFAULT ''
`, nil},
	// Retention: records finished longer ago than the configured retention
	// are purged, found through partial indexes whatever the statistics;
	// each purged event leaves its place and seal in chain_pruned, so the
	// chain still verifies across the gap, with what was purged and when.
	{14, "retention: purgeable records and the seals of purged events", `
CREATE INDEX faults_finished ON faults (updated_at) WHERE state = 'closed';
CREATE INDEX incidents_finished ON incidents (updated_at) WHERE state = 'archived';
CREATE INDEX fault_terms_fault ON fault_terms (fault_id);
CREATE INDEX incident_terms_incident ON incident_terms (incident_id);
CREATE INDEX outbox_unsent_fault ON outbox (fault_id) WHERE sent_at IS NULL;
CREATE INDEX outbox_unsent_incident ON outbox (incident_id) WHERE sent_at IS NULL;
CREATE TABLE chain_pruned (
	seq         BIGINT PRIMARY KEY,
	hash        TEXT NOT NULL,
	tbl         TEXT NOT NULL,
	event_id    BIGINT NOT NULL,
	record_id   BIGINT NOT NULL,
	record_ref  TEXT NOT NULL,
	at          {{time}} NOT NULL,
	last_change {{time}} NOT NULL,
	pruned_at   {{time}} NOT NULL
)
`, nil},
}

// Migrate applies every migration the database has not recorded, all in
// one transaction. On PostgreSQL an advisory lock makes a second process
// that starts at the same moment wait and then find nothing to do; on
// SQLite the immediate transaction does the same.
func (db *DB) Migrate(ctx context.Context) error {
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if db.d.migrationLock != "" {
			if err := tx.Exec(db.d.migrationLock).Error; err != nil {
				return err
			}
		}
		if err := tx.Exec(db.d.types.Replace(`CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at {{time}} NOT NULL)`)).Error; err != nil {
			return err
		}
		applied, err := appliedVersions(tx)
		if err != nil {
			return err
		}
		for _, m := range migrations {
			if applied[m.version] {
				continue
			}
			if err := db.apply(tx, m); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
			}
			db.log.InfoContext(ctx, "applied migration", "version", m.version, "name", m.name)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate %s database: %w", db.d.name, err)
	}
	return nil
}

func appliedVersions(tx *gorm.DB) (map[int]bool, error) {
	var versions []int
	if err := tx.Raw("SELECT version FROM schema_migrations").Scan(&versions).Error; err != nil {
		return nil, err
	}
	applied := make(map[int]bool, len(versions))
	for _, v := range versions {
		applied[v] = true
	}
	return applied, nil
}

func (db *DB) apply(tx *gorm.DB, m migration) error {
	// The statements hold no semicolons inside strings, so splitting on
	// them is safe.
	script := m.sql + ";\n" + m.only[db.d.name]
	for _, stmt := range strings.Split(db.d.types.Replace(script), ";") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if err := tx.Exec(stmt).Error; err != nil {
			return err
		}
	}
	return tx.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
		m.version, m.name, time.Now().UTC()).Error
}

// Migrations lists the recorded schema versions, oldest first, for
// `faultline migrate` to print.
func (db *DB) Migrations(ctx context.Context) ([]Migration, error) {
	var rows []Migration
	err := db.gorm.WithContext(ctx).Raw("SELECT version, name, applied_at FROM schema_migrations ORDER BY version").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	for i := range rows {
		rows[i].AppliedAt = rows[i].AppliedAt.UTC()
	}
	return rows, nil
}

// Migration is a schema version the database has recorded.
type Migration struct {
	Version   int
	Name      string
	AppliedAt time.Time
}
