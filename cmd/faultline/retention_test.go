package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/storage/storagetest"
)

// After a retention purge, audit verify still passes and says how many
// events were purged and up to when; audit export lists them with their
// seals, the rest as before.
func TestAuditAfterAPurge(t *testing.T) {
	for _, dialect := range storagetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			url := storagetest.URL(t, dialect)
			db := storagetest.OpenURL(t, url)
			old := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
			for i, desc := range []string{"printer down", "ERP down"} {
				at := old.Add(time.Duration(i) * 24 * time.Hour)
				f, err := db.CreateFault(ctx, faultline.Fault{Target: "lab", Description: desc, Reporter: "U1", State: faultline.FaultOpen, CreatedAt: at}, faultline.Change{})
				if err != nil {
					t.Fatal(err)
				}
				closed := f
				closed.State, closed.ClosedAt, closed.UpdatedAt = faultline.FaultClosed, at, at
				if err := db.Commit(ctx, faultline.Change{FaultID: f.ID, Fault: &closed, Read: f, At: at,
					Events: []faultline.Event{{At: at, Actor: "U0TECH", Kind: faultline.EventReply, Text: "fixed"}}}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := db.SealEvents(ctx, 100); err != nil {
				t.Fatal(err)
			}
			now := old.Add(200 * 24 * time.Hour) // both past six months; the purge asks for F-1 alone
			if f, _, n, err := db.PurgeRecords(ctx, old.Add(12*time.Hour), time.Time{}, now, 100); err != nil || f != 1 || n != 2 {
				t.Fatalf("purged %d tickets, %d events, %v; want F-1 and its two events", f, n, err)
			}
			env := envOf(map[string]string{"DATABASE_URL": url, "FAULTLINE_CONFIG": writeConfig(t, testConfig)})
			var out bytes.Buffer
			if err := run(ctx, []string{"audit", "verify"}, env, nil, &out, io.Discard); err != nil {
				t.Fatalf("after the purge: %v", err)
			}
			if want := "4 events checked"; !strings.Contains(out.String(), want) || !strings.Contains(out.String(), "2 of them were purged by retention (records last changed on or before 2025-03-01)") {
				t.Fatalf("verify: %q", out.String())
			}
			out.Reset()
			if err := run(ctx, []string{"audit", "export"}, env, nil, &out, io.Discard); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if len(lines) != 5 || !strings.Contains(lines[0], `"seq":1`) || !strings.Contains(lines[0], `"record":"F-1"`) ||
				!strings.Contains(lines[1], `"purged_at"`) || strings.Contains(lines[2], `"purged_at"`) || !strings.Contains(lines[3], `"text":"fixed"`) {
				t.Fatalf("export:\n%s", out.String())
			}
			storagetest.Exec(t, url, "DELETE FROM chain_pruned WHERE seq = 2")
			err := run(ctx, []string{"audit", "verify"}, env, nil, io.Discard, io.Discard)
			if exitCode(err) != 1 || !strings.Contains(err.Error(), "chain position 2: missing") {
				t.Fatalf("a purged seal removed: %v", err)
			}
		})
	}
}
