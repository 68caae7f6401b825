package storage

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/faultline/faultline"
)

// Closed tickets are found by an index of the two-character pieces
// (bigrams) of their text, which works the same for Chinese, where a word
// is two characters with no spaces, for English and for IDs, and on both
// databases without an extension. A search looks up its rarest bigram's
// tickets, newest first, and checks each against the whole words.

// fileClosed files every closed ticket under its bigrams, as indexClosed
// does one: in SQL, for the tickets closed before there was an index.
const fileClosed = `WITH RECURSIVE docs (id, t) AS (
	SELECT id, LOWER(target || ' ' || hop || ' ' || description || ' ' || resolution || ' ' || fixed_by) FROM faults WHERE state = 'closed'
), pieces (id, t, i) AS (
	SELECT id, t, 1 FROM docs WHERE LENGTH(t) >= 2
	UNION ALL SELECT id, t, i + 1 FROM pieces WHERE i + 1 < LENGTH(t)
)
INSERT INTO fault_terms (term, fault_id) SELECT DISTINCT SUBSTR(t, i, 2), id FROM pieces
	WHERE NOT EXISTS (SELECT 1 FROM fault_terms x WHERE x.fault_id = pieces.id);
DELETE FROM term_counts;
INSERT INTO term_counts (term, n) SELECT term, COUNT(*) FROM fault_terms GROUP BY term`

// searchText is what a closed ticket is found by.
const searchText = "LOWER(target || ' ' || hop || ' ' || description || ' ' || resolution || ' ' || fixed_by)"

func textOf(f faultline.Fault) string {
	return strings.ToLower(strings.Join([]string{f.Target, f.Hop, f.Description, f.Resolution.Done, f.Resolution.FixedBy}, " "))
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

type termRow struct {
	Term    string `gorm:"primaryKey"`
	FaultID int64  `gorm:"primaryKey"`
}

func (termRow) TableName() string { return "fault_terms" }

// indexClosed files a ticket that just closed under its bigrams, and
// counts each bigram's tickets (a close is a person's step: these rows
// are no point of contention).
func indexClosed(tx *gorm.DB, f faultline.Fault) error {
	grams := bigrams(textOf(f))
	if len(grams) == 0 {
		return nil
	}
	rows := make([]termRow, len(grams))
	for i, g := range grams {
		rows[i] = termRow{Term: g, FaultID: f.ID}
	}
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, 200)
	if res.Error != nil || res.RowsAffected == 0 {
		return res.Error
	}
	for _, g := range grams {
		if err := tx.Exec(`INSERT INTO term_counts (term, n) VALUES (?, 1) ON CONFLICT (term) DO UPDATE SET n = term_counts.n + 1`, g).Error; err != nil {
			return err
		}
	}
	return nil
}

// SearchFaults finds closed tickets whose site, hop, description or
// resolution contain every word (ignoring case), newest ticket first.
func (db *DB) SearchFaults(ctx context.Context, words []string, limit int) ([]faultline.Fault, error) {
	matches := db.gorm.WithContext(ctx).Model(&faultRow{})
	var grams []string
	short := false
	for _, w := range words {
		w = strings.ToLower(w)
		if utf8.RuneCountInString(w) < 2 {
			short = true
		}
		grams = append(grams, bigrams(w)...)
		matches = matches.Where(searchText+" LIKE ? ESCAPE '\\'", "%"+escapeLike(w)+"%")
	}
	q := matches.Session(&gorm.Session{}).Where("state = ?", string(faultline.FaultClosed))
	if short || len(grams) == 0 {
		// A one-character word has no bigram: the words alone decide,
		// over every closed ticket.
		return db.findFaults(q.Order("id DESC").Limit(limit), "search faults")
	}
	slices.Sort(grams)
	grams = slices.Compact(grams)
	var counts []struct {
		Term string
		N    int64
	}
	if err := db.gorm.WithContext(ctx).Raw("SELECT term, n FROM term_counts WHERE term IN ?", grams).Scan(&counts).Error; err != nil {
		return nil, fmt.Errorf("search faults: %w", translate(err))
	}
	if len(counts) < len(grams) {
		return nil, nil // a piece no closed ticket has
	}
	rarest := slices.MinFunc(counts, func(a, b struct {
		Term string
		N    int64
	}) int {
		return int(a.N - b.N)
	})
	// The rarest piece's tickets, walked newest first along its index a
	// page at a time, each page checked against the words, until limit
	// are found: a word most tickets have stops on the first page, a rare
	// one has few to check. Each step is an index range, whatever the
	// statistics say.
	var out []faultline.Fault
	last := int64(1) << 62
	for len(out) < limit {
		var ids []int64
		err := db.gorm.WithContext(ctx).Raw(`SELECT fault_id FROM fault_terms WHERE term = ? AND fault_id < ? ORDER BY fault_id DESC LIMIT ?`,
			rarest.Term, last, searchPage).Scan(&ids).Error
		if err != nil {
			return nil, fmt.Errorf("search faults: %w", translate(err))
		}
		if len(ids) == 0 {
			break
		}
		last = ids[len(ids)-1]
		// Only closed tickets are filed (a closed ticket stays closed), so
		// the page needs no state condition to tempt the planner away from
		// the primary key.
		page, err := db.findFaults(matches.Session(&gorm.Session{}).Where("id IN ?", ids).Order("id DESC").Limit(limit-len(out)), "search faults")
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(ids) < searchPage {
			break
		}
	}
	return out, nil
}

// searchPage is how many of a piece's tickets one step of a search checks.
const searchPage = 200
