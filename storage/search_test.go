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

// Incident search gives the same incidents on both databases, open and
// closed, for Chinese and English words, partial words and systems, each
// equal to a plain substring match of every word; a reader without a
// security role finds only the incidents they reported or owe the summary
// of, and nothing of the others.
func TestSearchIncidentsSameOnBothDatabases(t *testing.T) {
	incidents := []struct {
		desc, systems, cause, measures, reporter, owner string
		closed                                          bool
	}{
		{"员工点击钓鱼邮件链接", "邮箱 Exchange", "邮件网关未拦截仿冒域名", "重置密码，封禁域名", "U0WANG", "U0SEC", true},
		{"ERP 账号异常登录", "ERP", "弱口令", "启用双因素认证", "U0LI", "", true},
		{"Ransomware on a file server", "NAS-01", "unpatched SMB", "restored from backup", "U0WANG", "U0LI", true},
		{"钓鱼网站仿冒 OA 登录页", "OA", "", "", "U0ZHAO", "", false},
		{"USB 病毒", "财务 PC", "", "", "U0LI", "", false},
	}
	queries := [][]string{{"钓鱼"}, {"仿冒"}, {"erp"}, {"ERP", "口令"}, {"ransom"}, {"nas-01"}, {"SMB"}, {"病毒"},
		{"邮件", "exchange"}, {"登录"}, {"nothing"}, {"钓"}, {"backup", "ransomware"}}
	readers := []string{"", "U0WANG", "U0LI", "U0NOBODY"}
	answers := map[string][][]int64{}
	for _, d := range storagetest.Dialects(t) {
		db := storagetest.Open(t, d)
		ctx := context.Background()
		for _, in := range incidents {
			i, err := db.CreateIncident(ctx, faultline.Incident{Description: in.desc, Systems: in.systems, Reporter: in.reporter,
				State: faultline.IncOpen, Severity: faultline.SevMajor, CreatedAt: t0}, faultline.Change{})
			if err != nil {
				t.Fatal(err)
			}
			if !in.closed {
				continue
			}
			closed := i
			closed.State, closed.Cause, closed.Measures, closed.SummaryOwner, closed.ClosedAt = faultline.IncClosed, in.cause, in.measures, in.owner, t0
			if err := db.Commit(ctx, faultline.Change{IncidentID: i.ID, Incident: &closed, ReadIncident: i}); err != nil {
				t.Fatal(err)
			}
		}
		for _, reader := range readers {
			for _, q := range queries {
				got, err := db.SearchIncidents(ctx, q, reader, 20)
				if err != nil {
					t.Fatalf("%s: search %v as %q: %v", d, q, reader, err)
				}
				var numbers []int64
				for _, i := range got {
					numbers = append(numbers, i.Number)
				}
				key := reader + ": " + strings.Join(q, " ")
				answers[key] = append(answers[key], numbers)
				var want []int64
				for n := len(incidents) - 1; n >= 0; n-- {
					in := incidents[n]
					if reader != "" && reader != in.reporter && reader != in.owner {
						continue
					}
					text := strings.ToLower(in.desc + " " + in.systems + " " + in.cause + " " + in.measures)
					if !slices.ContainsFunc(q, func(w string) bool { return !strings.Contains(text, strings.ToLower(w)) }) {
						want = append(want, int64(n+1))
					}
				}
				if !slices.Equal(numbers, want) {
					t.Errorf("%s: search %v as %q = %v, want %v", d, q, reader, numbers, want)
				}
			}
		}
	}
	for q, per := range answers {
		for _, other := range per[1:] {
			if !slices.Equal(per[0], other) {
				t.Errorf("incident search %q differs between the databases: %v", q, per)
			}
		}
	}
	if len(answers) != len(readers)*len(queries) {
		t.Fatalf("%d answers", len(answers))
	}
}
