package storage_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/storage/storagetest"
)

// Search finds the same closed tickets on SQLite and PostgreSQL for
// Chinese and English words, partial words, IDs and several words at
// once, newest first; open tickets and texts that only share pieces of a
// word are not found.
func TestSearchSameOnBothDatabases(t *testing.T) {
	tickets := []struct{ desc, done, by string }{
		{"ERP 打不开，网络不通", "运营商更换了光纤跳线", "China Telecom"},
		{"打印机连不上网", "重启了 Core Switch SW-CORE-01", "张工"},
		{"邮件发不出去", "router firmware 升级", "vendor"},
		{"光纤 link down at HQ", "replaced the SFP module", "Netcom"},
		{"VPN 断开", "证书过期，已更新", "IT"},
	}
	queries := [][]string{{"光纤"}, {"网络"}, {"router"}, {"rout"}, {"ROUTER"}, {"sw-core"}, {"SW-CORE-01"}, {"光纤", "hq"},
		{"打印"}, {"tele"}, {"证书"}, {"纤光"}, {"nothing"}, {"e"}, {"断"}, {"跳线", "telecom"}}
	answers := map[string][][]int64{}
	for _, d := range storagetest.Dialects(t) {
		db := storagetest.Open(t, d)
		ctx := context.Background()
		for i, tk := range tickets {
			f, err := db.CreateFault(ctx, faultline.Fault{Target: "office-a", Site: "office-a", Description: tk.desc, Reporter: "U1",
				State: faultline.FaultOpen, CreatedAt: t0}, faultline.Change{})
			if err != nil {
				t.Fatal(err)
			}
			if i == len(tickets)-1 {
				continue // left open: search covers closed tickets
			}
			closed := f
			closed.State, closed.Resolution = faultline.FaultClosed, faultline.Resolution{Cause: faultline.CauseLine, Done: tk.done, FixedBy: tk.by}
			closed.ClosedAt = t0
			if err := db.Commit(ctx, faultline.Change{FaultID: f.ID, Fault: &closed, Read: f}); err != nil {
				t.Fatal(err)
			}
		}
		for _, q := range queries {
			got, err := db.SearchFaults(ctx, q, 20)
			if err != nil {
				t.Fatalf("%s: search %v: %v", d, q, err)
			}
			var numbers []int64
			for _, f := range got {
				numbers = append(numbers, f.Number)
			}
			answers[strings.Join(q, " ")] = append(answers[strings.Join(q, " ")], numbers)
			// What every word's plain substring match says, newest first.
			var want []int64
			for i := len(tickets) - 2; i >= 0; i-- {
				text := strings.ToLower("office-a  " + tickets[i].desc + " " + tickets[i].done + " " + tickets[i].by)
				if !slices.ContainsFunc(q, func(w string) bool { return !strings.Contains(text, strings.ToLower(w)) }) {
					want = append(want, int64(i+1))
				}
			}
			if !slices.Equal(numbers, want) {
				t.Errorf("%s: search %v = %v, want %v", d, q, numbers, want)
			}
		}
	}
	for q, per := range answers {
		for _, other := range per[1:] {
			if !slices.Equal(per[0], other) {
				t.Errorf("search %q differs between the databases: %v", q, per)
			}
		}
	}
}
