package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/faultline/faultline/storage"
)

// audit checks and exports the archive's tamper-evident chain of every
// timeline event, for an auditor.
func (e environment) audit(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError{"audit takes verify or export: see faultline audit --help"}
	}
	sub, args := args[0], args[1:]
	var since time.Time
	switch sub {
	case "verify":
		if len(args) > 0 {
			return usageError{"audit verify takes no arguments"}
		}
	case "export":
		fs := newFlags("audit export", e)
		from := fs.String("since", "", "only events from this day on (YYYY-MM-DD, UTC)")
		if help, err := parseFlags(fs, args); help || err != nil {
			return err
		}
		if *from != "" {
			t, err := time.Parse(time.DateOnly, *from)
			if err != nil {
				return usageError{fmt.Sprintf("--since is a day, YYYY-MM-DD, not %q", *from)}
			}
			since = t
		}
	default:
		return usageError{fmt.Sprintf("unknown audit command %q: verify or export", sub)}
	}
	db, err := e.openDatabase(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	// What was written since the bot last sealed is sealed now, so the
	// check covers everything there is.
	for {
		n, err := db.SealEvents(ctx, 5000)
		if err != nil {
			return err
		}
		if n < 5000 {
			break
		}
	}
	if sub == "export" {
		return exportChain(ctx, db, since, e)
	}
	start := time.Now()
	problem, checked, err := db.VerifyChain(ctx)
	if err != nil {
		return err
	}
	if problem != nil {
		return fmt.Errorf("the archive was altered: %s (%d events before it check out)", problem, checked)
	}
	seq, hash, err := db.AuditHead(ctx)
	if err != nil {
		return err
	}
	took := time.Since(start).Round(time.Millisecond)
	pruned, latest, err := db.PrunedEvents(ctx)
	if err != nil {
		return err
	}
	if pruned == 0 {
		fmt.Fprintf(e.stdout, "The archive holds: %d events checked in %s, every seal matches.\n", checked, took)
	} else {
		fmt.Fprintf(e.stdout, "The archive holds: %d events checked in %s, every seal matches; %d of them were purged by retention "+
			"(records last changed on or before %s), and their seals carry the chain across.\n",
			checked, took, pruned, latest.Format(time.DateOnly))
	}
	fmt.Fprintf(e.stdout, "Head: %d %s (keep it elsewhere: a later verify that still passes through it shows nothing before it changed)\n", seq, hash)
	return nil
}

// exportChain writes the chain from since on as JSON lines, one event
// each with its place and seal, then the head.
func exportChain(ctx context.Context, db *storage.DB, since time.Time, e environment) error {
	w := bufio.NewWriter(e.stdout)
	enc := json.NewEncoder(w)
	type line struct {
		Seq      int64     `json:"seq"`
		Table    string    `json:"table"`
		ID       int64     `json:"id"`
		RecordID int64     `json:"record_id"`
		At       time.Time `json:"at"`
		Actor    string    `json:"actor"`
		Kind     string    `json:"kind"`
		Text     string    `json:"text"`
		Data     string    `json:"data,omitempty"`
		Hash     string    `json:"hash"`
	}
	type purged struct {
		Seq      int64     `json:"seq"`
		Table    string    `json:"table"`
		ID       int64     `json:"id"`
		RecordID int64     `json:"record_id"`
		At       time.Time `json:"at"`
		Record   string    `json:"record"`
		Changed  time.Time `json:"last_change"`
		PrunedAt time.Time `json:"purged_at"`
		Hash     string    `json:"hash"`
	}
	err := db.WalkChain(ctx, 0, func(ev storage.ChainEvent) error {
		if ev.At.Before(since) {
			return nil
		}
		if p := ev.Pruned; p != nil {
			return enc.Encode(purged{ev.Seq, ev.Table, ev.ID, ev.RecordID, ev.At, p.Ref, p.Changed, p.At, ev.Hash})
		}
		return enc.Encode(line{ev.Seq, ev.Table, ev.ID, ev.RecordID, ev.At, ev.Actor, ev.Kind, ev.Text, ev.Data, ev.Hash})
	})
	if err != nil {
		return err
	}
	seq, hash, err := db.AuditHead(ctx)
	if err != nil {
		return err
	}
	if err := enc.Encode(map[string]any{"head": map[string]any{"seq": seq, "hash": hash}}); err != nil {
		return err
	}
	return w.Flush()
}
