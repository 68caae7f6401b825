package faultline_test

import (
	"errors"
	"testing"
	"time"

	"github.com/faultline/faultline"
)

// The security procedure as read from the seed's last table, written out
// rather than derived from the code.
var wantIncidentNext = map[faultline.IncidentState]map[faultline.IncidentAction]faultline.IncidentState{
	"open": {"take": "handling", "classify": "open", "approve_notice": "open", "reject_notice": "open",
		"edit_notice": "open", "external": "open", "supplement": "open"},
	"handling": {"report": "reported", "classify": "handling", "remedy": "handling", "approve_notice": "handling",
		"reject_notice": "handling", "edit_notice": "handling", "external": "handling", "supplement": "handling"},
	"reported": {"report": "reported", "classify": "reported", "remedy": "reported", "close": "closed",
		"approve_notice": "reported", "reject_notice": "reported", "edit_notice": "reported", "external": "reported", "supplement": "reported"},
	"closed":   {"summary": "archived", "external": "closed", "supplement": "closed"},
	"archived": {"supplement": "archived"},
}

var sec = []faultline.Role{"info_manager", "dept_head", "it_supervisor", "sysadmin"}

var wantIncidentRoles = map[faultline.IncidentAction][]faultline.Role{
	"take": sec, "report": sec, "classify": {"info_manager", "dept_head"}, "remedy": sec,
	"approve_notice": {"dept_head"}, "reject_notice": {"dept_head"}, "edit_notice": {"info_manager", "dept_head"},
	"close": sec, "summary": append([]faultline.Role{"responsible"}, sec...), "external": {"info_manager", "dept_head"},
	"supplement": {"info_manager", "dept_head"},
}

func TestIncidentProcedureEveryTriple(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	in := faultline.IncidentInput{
		Report:   faultline.IncidentReport{What: "phishing mail", Actions: "blocked sender"},
		Severity: faultline.SevMajor, NoticeText: "notice", Cause: "weak filter", Measures: "new rule",
		Summary: faultline.IncidentSummary{Cause: "c", Responsibility: "r", Lessons: "l"}, Remedy: "isolated the PC",
		Outside: faultline.OutsideReport{To: "网信办", Channel: "hotline", At: now, Text: "the sender is known now"},
	}
	roles := append([]faultline.Role{faultline.RoleEmployee, faultline.RoleReporter, faultline.RoleResponsible}, faultline.Roles...)
	for _, st := range faultline.IncidentStates {
		for _, a := range faultline.IncidentProcedure.Steps {
			for _, r := range roles {
				i := faultline.Incident{State: st, Notice: faultline.NoticeDraft, Reporter: "U0REP"}
				if a == faultline.IncSupplement {
					i.ExternalAt = now // a supplement follows a report made outside
				}
				by := actor("U1", r)
				if r == faultline.RoleResponsible {
					i.SummaryOwner, by.Roles = "U1", nil
				}
				_, err := i.Apply(a, by, now, in)
				var re *faultline.RoleError
				if refused := errors.As(err, &re); refused == contains(wantIncidentRoles[a], r) {
					t.Errorf("%s as %s in %s: %v", a, r, st, err)
				}
			}
			i := faultline.Incident{State: st, Notice: faultline.NoticeDraft}
			if a == faultline.IncSupplement {
				i.ExternalAt = now
			}
			next, err := i.Apply(a, actor("U1", faultline.SecurityRoles...), now, in)
			want, ok := wantIncidentNext[st][a]
			if !ok {
				var te *faultline.TransitionError
				if !errors.As(err, &te) || next.State != st {
					t.Errorf("%s --%s--> %s, %v; want refused", st, a, next.State, err)
				}
				continue
			}
			if err != nil || next.State != want {
				t.Errorf("%s --%s--> %s, %v; want %s", st, a, next.State, err, want)
			}
		}
	}
}

func TestIncidentStepRules(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		inc  faultline.Incident
		a    faultline.IncidentAction
		in   faultline.IncidentInput
		code string
	}{
		{"report without actions", faultline.Incident{State: "handling"}, "report", faultline.IncidentInput{Report: faultline.IncidentReport{What: "x"}}, "irefuse.need_report"},
		{"remedy without saying what", faultline.Incident{State: "handling"}, "remedy", faultline.IncidentInput{}, "irefuse.need_remedy"},
		{"unknown severity", faultline.Incident{State: "handling"}, "classify", faultline.IncidentInput{Severity: "apocalyptic"}, "irefuse.need_severity"},
		{"approve with no draft", faultline.Incident{State: "handling"}, "approve_notice", faultline.IncidentInput{}, "irefuse.no_draft"},
		{"approve twice", faultline.Incident{State: "handling", Notice: faultline.NoticePosted}, "approve_notice", faultline.IncidentInput{}, "irefuse.no_draft"},
		{"empty notice", faultline.Incident{State: "handling", Notice: faultline.NoticeDraft}, "edit_notice", faultline.IncidentInput{NoticeText: " "}, "irefuse.need_notice_text"},
		{"close without measures", faultline.Incident{State: "reported"}, "close", faultline.IncidentInput{Cause: "x"}, "irefuse.need_cause"},
		{"summary without lessons", faultline.Incident{State: "closed"}, "summary", faultline.IncidentInput{Summary: faultline.IncidentSummary{Cause: "c", Responsibility: "r"}}, "irefuse.need_summary"},
		{"external twice", faultline.Incident{State: "handling", ExternalAt: now}, "external", faultline.IncidentInput{}, "irefuse.external_done"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.inc.Apply(tt.a, actor("U1", "dept_head", "info_manager"), now, tt.in)
			var ue *faultline.Error
			if !errors.As(err, &ue) || ue.Code != tt.code {
				t.Fatalf("Apply = %v, want %s", err, tt.code)
			}
		})
	}
}

// Classifying drafts a notice for a notifiable severity, keeps a posted
// one, and withdraws an unapproved draft when downgraded.
func TestClassifyDraftsAndWithdrawsNotice(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	i := faultline.Incident{State: faultline.IncHandling, Owner: "U0SEC"}
	i, _ = i.Apply(faultline.IncClassify, actor("U0HEAD", "dept_head", "info_manager"), now, faultline.IncidentInput{Severity: faultline.SevCritical, NoticeText: "draft"})
	if i.Notice != faultline.NoticeDraft || i.NoticeText != "draft" || i.ClassifiedBy != "U0HEAD" {
		t.Fatalf("critical: %+v", i)
	}
	i, _ = i.Apply(faultline.IncClassify, actor("U0HEAD", "dept_head", "info_manager"), now, faultline.IncidentInput{Severity: faultline.SevGeneral})
	if i.Notice != faultline.NoticeNone || i.NoticeText != "" || i.Severity != faultline.SevGeneral {
		t.Fatalf("downgraded: %+v", i)
	}
	i, _ = i.Apply(faultline.IncClassify, actor("U0HEAD", "dept_head", "info_manager"), now, faultline.IncidentInput{Severity: faultline.SevMajor, NoticeText: "again"})
	i, _ = i.Apply(faultline.IncApprove, actor("U0HEAD", "dept_head", "info_manager"), now, faultline.IncidentInput{})
	i, _ = i.Apply(faultline.IncClassify, actor("U0HEAD", "dept_head", "info_manager"), now, faultline.IncidentInput{Severity: faultline.SevGeneral})
	if i.Notice != faultline.NoticePosted || i.NoticeText != "again" {
		t.Fatalf("a posted notice cannot be unposted: %+v", i)
	}
	i.State = faultline.IncReported
	i, err := i.Apply(faultline.IncClose, actor("U0SEC", "dept_head", "info_manager"), now, faultline.IncidentInput{Cause: "c", Measures: "m"})
	if err != nil || i.SummaryOwner != "U0SEC" {
		t.Fatalf("the summary falls to the handler by default: %+v, %v", i, err)
	}
}

func TestParseIncidentRef(t *testing.T) {
	for in, want := range map[string]int64{"I-3": 3, "i-12": 12, "#4": 4, "5": 5} {
		if got, err := faultline.ParseIncidentRef(in); err != nil || got != want {
			t.Errorf("ParseIncidentRef(%q) = %d, %v", in, got, err)
		}
	}
	if _, err := faultline.ParseIncidentRef("F-3"); err == nil {
		t.Error("F-3 accepted as an incident")
	}
}

// Who may read an incident: the security roles and the executive read
// every one; the reporter and the summary owner only theirs; anyone else
// none.
func TestIncidentReadableBy(t *testing.T) {
	i := faultline.Incident{Reporter: "U0REP", SummaryOwner: "U0OWES"}
	for _, c := range []struct {
		by   faultline.Actor
		want bool
	}{
		{actor("U0SEC", "info_manager"), true}, {actor("U0EXEC", "exec"), true}, {actor("U0REP"), true},
		{actor("U0OWES"), true}, {actor("U0ELSE", "maintainer"), false}, {actor("U0ELSE"), false},
	} {
		if got := i.ReadableBy(c.by); got != c.want {
			t.Errorf("ReadableBy(%v) = %v", c.by, got)
		}
	}
}
