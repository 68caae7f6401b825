package faultline_test

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"

	"github.com/faultline/faultline"
)

var verb = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)

// Both languages carry the same keys, and each sentence takes the same
// arguments in both, so switching language never shows a gap or a
// %!d(string=…).
func TestCatalogsMatch(t *testing.T) {
	en, zh := faultline.CatalogKeys(faultline.LangEN), faultline.CatalogKeys(faultline.LangZH)
	for k, v := range en {
		w, ok := zh[k]
		if !ok {
			t.Errorf("zh lacks %q", k)
			continue
		}
		if a, b := verbs(v), verbs(w); a != b {
			t.Errorf("%q: en verbs %s, zh verbs %s", k, a, b)
		}
	}
	for k := range zh {
		if _, ok := en[k]; !ok {
			t.Errorf("en lacks %q", k)
		}
	}
}

func verbs(s string) string {
	found := verb.FindAllString(s, -1)
	sort.Strings(found)
	return fmtList(found)
}

func fmtList(l []string) string {
	out := ""
	for _, s := range l {
		out += s + " "
	}
	return out
}

// Every key the code asks for exists (dynamic keys are listed by prefix
// in the table below, with every suffix the code can produce).
func TestCatalogHasEveryUsedKey(t *testing.T) {
	used := map[string]bool{}
	key := regexp.MustCompile(`\bT\("([a-z_]+\.[a-z_.]+)"\s*[,)]`)
	files, _ := filepath.Glob("*/*.go")
	deeper, _ := filepath.Glob("*/*/*.go")
	files = append(files, deeper...)
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range key.FindAllStringSubmatch(string(src), -1) {
			used[m[1]] = true
		}
	}
	if len(used) < 20 {
		t.Fatalf("found only %d keys in use; is the pattern still right?", len(used))
	}
	for _, k := range []string{"kind.device", "kind.line", "kind.hq", "kind.host", "kind.healthy", "kind.unknown",
		"verdict.device", "verdict.line", "verdict.hq", "verdict.host"} {
		used[k] = true
	}
	// Keys built from the domain's own lists.
	for _, st := range faultline.FaultStates {
		used["state."+string(st)] = true
		used["next."+string(st)] = true
	}
	for _, a := range faultline.FaultActions {
		used["step."+string(a)], used["button."+string(a)], used["done."+string(a)] = true, true, true
	}
	for _, r := range append(faultline.Roles, faultline.RoleReporter, faultline.RoleEmployee) {
		used["role."+string(r)] = true
	}
	for _, c := range faultline.Causes {
		used["cause."+string(c)] = true
	}
	for _, k := range []faultline.TimerKind{faultline.TimerAck, faultline.TimerResolve, faultline.TimerDevice, faultline.TimerLine, faultline.TimerRecheck} {
		used["timer."+string(k)] = true
		if k != faultline.TimerRecheck {
			used["esc."+string(k)] = true
		}
	}
	for _, st := range faultline.IncidentStates {
		used["istate."+string(st)], used["inext."+string(st)] = true, true
	}
	for _, a := range faultline.IncidentActions {
		used["istep."+string(a)], used["ibutton."+string(a)], used["idone."+string(a)] = true, true, true
	}
	for _, a := range []string{"report", "classify", "remedy", "edit_notice", "close", "summary"} {
		used["istep.title."+a] = true
	}
	for _, sev := range faultline.Severities {
		used["sev."+string(sev)] = true
	}
	for _, k := range []string{"digest.title", "digest.faults", "digest.take", "digest.close", "digest.escalations",
		"duty.not_pending", "duty.snooze_limit", "duty.snooze_too_long", "dutycmd.source.config", "dutycmd.source.slack", "dutycmd.source.retired",
		"notice.draft", "notice.posted", "notice.rejected", "md.event.created", "md.event.reply", "md.event.escalation",
		"iclock.remind_report", "iclock.remind_summary", "iclock.overdue_report", "iclock.overdue_summary",
		"irefuse.need_report", "irefuse.need_severity", "irefuse.no_draft", "irefuse.need_notice_text", "irefuse.need_cause",
		"irefuse.need_summary", "irefuse.external_done", "irefuse.need_remedy", "inc.field.what", "inc.field.actions",
		"inc.field.impact", "inc.field.status", "inc.field.remedy", "inc.field.cause", "inc.field.measures",
		"inc.field.responsibility", "inc.field.lessons"} {
		used[k] = true
	}
	for _, code := range []string{"refuse.self_confirm", "refuse.need_resolution", "refuse.need_vendor_ticket", "refuse.override_too_soon"} {
		used[code] = true
	}
	en := faultline.CatalogKeys(faultline.LangEN)
	for k := range used {
		if _, ok := en[k]; !ok {
			t.Errorf("code uses %q, which the catalog lacks", k)
		}
	}
}

func TestEscapeStopsMentions(t *testing.T) {
	got := faultline.Escape("<!channel> & <@U123> <https://evil|ok>")
	want := "&lt;!channel&gt; &amp; &lt;@U123&gt; &lt;https://evil|ok&gt;"
	if got != want {
		t.Fatalf("Escape = %q, want %q", got, want)
	}
	if back := faultline.Unescape(got); back != "<!channel> & <@U123> <https://evil|ok>" {
		t.Fatalf("Unescape = %q", back)
	}
}
