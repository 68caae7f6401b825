package storage

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/faultline/faultline"
)

// Closed tickets are found by an index of the two-character pieces
// (bigrams) of their text, which works the same for Chinese, where a word
// is two characters with no spaces, for English and for IDs, and on both
// databases without an extension. A search looks up its rarest bigram's
// tickets, newest first, and checks each against the whole words.

// index is one kind of record filed for search: its table, the text it
// is found by (SQL, lower-cased), its terms and their counts, and the
// condition its filed (closed) rows meet.
type index struct {
	table, text, terms, id, counts, closed string
}

var (
	faultIndex = index{table: "faults", text: "LOWER(target || ' ' || hop || ' ' || description || ' ' || resolution || ' ' || fixed_by)",
		terms: "fault_terms", id: "fault_id", counts: "term_counts", closed: "state = 'closed'"}
	incidentIndex = index{table: "incidents", text: "LOWER(description || ' ' || systems || ' ' || cause || ' ' || measures)",
		terms: "incident_terms", id: "incident_id", counts: "incident_term_counts", closed: "state IN ('closed', 'archived')"}
)

// fileAll files every closed record under its bigrams, as file does one:
// in SQL, for the records closed before there was an index.
func (x index) fileAll() string {
	return `WITH RECURSIVE docs (id, t) AS (
	SELECT id, ` + x.text + ` FROM ` + x.table + ` WHERE ` + x.closed + `
), pieces (id, t, i) AS (
	SELECT id, t, 1 FROM docs WHERE LENGTH(t) >= 2
	UNION ALL SELECT id, t, i + 1 FROM pieces WHERE i + 1 < LENGTH(t)
)
INSERT INTO ` + x.terms + ` (term, ` + x.id + `) SELECT DISTINCT SUBSTR(t, i, 2), id FROM pieces
	WHERE NOT EXISTS (SELECT 1 FROM ` + x.terms + ` x WHERE x.` + x.id + ` = pieces.id);
DELETE FROM ` + x.counts + `;
INSERT INTO ` + x.counts + ` (term, n) SELECT term, COUNT(*) FROM ` + x.terms + ` GROUP BY term`
}

// fileClosed files the closed tickets not filed yet (migration 9).
var fileClosed = faultIndex.fileAll()

func faultText(f faultline.Fault) string {
	return strings.ToLower(strings.Join([]string{f.Target, f.Hop, f.Description, f.Resolution.Done, f.Resolution.FixedBy}, " "))
}

func incidentText(i faultline.Incident) string {
	return strings.ToLower(strings.Join([]string{i.Description, i.Systems, i.Cause, i.Measures}, " "))
}

// bigrams are the distinct two-character pieces of s.
func bigrams(s string) []string {
	r := []rune(s)
	seen := map[string]bool{}
	var out []string
	for i := 0; i+1 < len(r); i++ {
		g := string(r[i : i+2])
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out
}

// file files record id, which just closed, under the bigrams of its
// text, and counts each new bigram's records (a close is a person's step:
// these rows are no point of contention).
func (x index) file(tx *gorm.DB, id int64, text string) error {
	for _, g := range bigrams(text) {
		res := tx.Exec(`INSERT INTO `+x.terms+` (term, `+x.id+`) VALUES (?, ?) ON CONFLICT DO NOTHING`, g, id)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			continue // filed already
		}
		err := tx.Exec(`INSERT INTO `+x.counts+` (term, n) VALUES (?, 1) ON CONFLICT (term) DO UPDATE SET n = `+x.counts+`.n + 1`, g).Error
		if err != nil {
			return err
		}
	}
	return nil
}

// indexClosed files a ticket that just closed.
func indexClosed(tx *gorm.DB, f faultline.Fault) error {
	return faultIndex.file(tx, f.ID, faultText(f))
}

// SearchFaults finds closed tickets whose site, hop, description or
// resolution contain every word (ignoring case), newest ticket first.
func (db *DB) SearchFaults(ctx context.Context, words []string, limit int) ([]faultline.Fault, error) {
	var out []faultline.Fault
	err := db.search(ctx, faultIndex, words, db.gorm.WithContext(ctx).Model(&faultRow{}), func(q *gorm.DB) (int, error) {
		page, err := db.findFaults(q.Order("id DESC").Limit(limit-len(out)), "search faults")
		out = append(out, page...)
		return len(out), err
	}, limit)
	return out, err
}

// SearchIncidents finds the incidents whose description, systems, cause
// or measures contain every word (ignoring case), newest first: every
// incident, or with reader set only the ones that person may read without
// a security role (reported, or owing the summary of). Open incidents are
// few and read through their partial index; closed ones through the
// search index.
func (db *DB) SearchIncidents(ctx context.Context, words []string, reader string, limit int) ([]faultline.Incident, error) {
	base := func() *gorm.DB {
		q := db.gorm.WithContext(ctx).Model(&incidentRow{})
		if reader != "" {
			q = q.Where("(reporter = ? OR summary_owner = ?)", reader, reader)
		}
		for _, w := range words {
			q = q.Where(incidentIndex.text+" LIKE ? ESCAPE '\\'", "%"+escapeLike(strings.ToLower(w))+"%")
		}
		return q
	}
	open, err := db.listIncidents(base().Where("state IN ('open', 'handling', 'reported')").Order("number DESC").Limit(limit))
	if err != nil {
		return nil, err
	}
	var closed []faultline.Incident
	err = db.search(ctx, incidentIndex, words, base(), func(q *gorm.DB) (int, error) {
		page, err := db.listIncidents(q.Order("id DESC").Limit(limit - len(closed)))
		closed = append(closed, page...)
		return len(closed), err
	}, limit)
	if err != nil {
		return nil, err
	}
	out := append(open, closed...)
	slices.SortFunc(out, func(a, b faultline.Incident) int { return int(b.Number - a.Number) })
	return out[:min(len(out), limit)], nil
}

// search finds x's closed records that match every word, newest first,
// handing them to found a page at a time (matches holds the words' and
// any other condition); found returns how many it has so far. A search
// looks up its rarest bigram's records, newest first along its index,
// and checks each page against the whole words, until limit are found:
// a word most records have stops on the first page, a rare one has few
// to check. Each step is an index range, whatever the statistics say.
func (db *DB) search(ctx context.Context, x index, words []string, matches *gorm.DB, found func(*gorm.DB) (int, error), limit int) error {
	var grams []string
	short := false
	for _, w := range words {
		w = strings.ToLower(w)
		if utf8.RuneCountInString(w) < 2 {
			short = true
		}
		grams = append(grams, bigrams(w)...)
		matches = matches.Where(x.text+" LIKE ? ESCAPE '\\'", "%"+escapeLike(w)+"%")
	}
	if short || len(grams) == 0 {
		// A one-character word has no bigram: the words alone decide,
		// over every closed record.
		_, err := found(matches.Where(x.closed))
		return err
	}
	slices.Sort(grams)
	grams = slices.Compact(grams)
	var counts []struct {
		Term string
		N    int64
	}
	if err := db.gorm.WithContext(ctx).Raw("SELECT term, n FROM "+x.counts+" WHERE term IN ?", grams).Scan(&counts).Error; err != nil {
		return fmt.Errorf("search %s: %w", x.table, translate(err))
	}
	if len(counts) < len(grams) {
		return nil // a piece no closed record has
	}
	rarest := slices.MinFunc(counts, func(a, b struct {
		Term string
		N    int64
	}) int {
		return int(a.N - b.N)
	})
	last := int64(1) << 62
	for n := 0; n < limit; {
		var ids []int64
		err := db.gorm.WithContext(ctx).Raw(`SELECT `+x.id+` FROM `+x.terms+` WHERE term = ? AND `+x.id+` < ? ORDER BY `+x.id+` DESC LIMIT ?`,
			rarest.Term, last, searchPage).Scan(&ids).Error
		if err != nil {
			return fmt.Errorf("search %s: %w", x.table, translate(err))
		}
		if len(ids) == 0 {
			return nil
		}
		last = ids[len(ids)-1]
		// Only closed records are filed (they stay closed), so the page
		// needs no state condition to tempt the planner away from the
		// primary key.
		if n, err = found(matches.Session(&gorm.Session{}).Where("id IN ?", ids)); err != nil {
			return err
		}
		if len(ids) < searchPage {
			return nil
		}
	}
	return nil
}

// searchPage is how many of a piece's records one step of a search checks.
const searchPage = 200
