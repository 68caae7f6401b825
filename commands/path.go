package commands

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/markup"
)

// The catalog's words for each verdict: its kind in a few words (on the
// head message), and what it means in a sentence (under the check).
var (
	verdictKindKeys = map[faultline.VerdictKind]string{
		faultline.VerdictDevice: "kind.device", faultline.VerdictLine: "kind.line", faultline.VerdictHQ: "kind.hq",
		faultline.VerdictHost: "kind.host", faultline.VerdictHealthy: "kind.healthy", faultline.VerdictUnknown: "kind.unknown",
	}
	verdictKeys = map[faultline.VerdictKind]string{
		faultline.VerdictDevice: "verdict.device", faultline.VerdictLine: "verdict.line", faultline.VerdictHQ: "verdict.hq",
		faultline.VerdictHost: "verdict.host",
	}
)

// check pings every hop of t's path at once and judges the result.
func (f *faultFlow) check(ctx context.Context, t target) faultline.PathCheck {
	hosts := make([]string, len(t.path))
	for i, h := range t.path {
		hosts[i] = h.Host
	}
	start := f.now()
	results := f.pinger.Ping(ctx, hosts)
	return faultline.PathCheck{
		Target: t.name, Hops: t.path, Results: results,
		Verdict: faultline.Judge(t.path, results), At: start, Took: f.now().Sub(start),
	}
}

// checkMessage shows a path check: one line per hop with its loss and
// round-trip times, then the verdict in words. With a ticket number it
// carries a button to check again.
func (f *flow) checkMessage(c faultline.PathCheck, ticket int64) faultline.Message {
	var b strings.Builder
	b.WriteString(f.cat.T("check.title", markup.Escape(c.Target), len(c.Hops), c.Took.Seconds()))
	b.WriteString("\n```\n")
	b.WriteString(f.hopTable(c))
	b.WriteString("```\n")
	b.WriteString(f.verdictText(c))
	m := faultline.Message{Text: b.String()}
	if ticket > 0 {
		m.Buttons = []faultline.Button{{ID: ActionRecheck, Label: f.cat.T("button.recheck"), Value: faultline.FaultRef(ticket)}}
	}
	return m
}

func (f *flow) hopTable(c faultline.PathCheck) string {
	rows := make([][3]string, len(c.Hops))
	var w [2]int
	for i, h := range c.Hops {
		rows[i] = [3]string{fmt.Sprintf("%d. %s", i+1, h.Name), h.Host, f.hopOutcome(c, i)}
		w[0] = max(w[0], displayWidth(rows[i][0]))
		w[1] = max(w[1], displayWidth(rows[i][1]))
	}
	var b strings.Builder
	for i, r := range rows {
		fmt.Fprintf(&b, "%s %s  %s  %s\n", statusMark(c.Verdict.Status[i]),
			pad(r[0], w[0]), pad(r[1], w[1]), r[2])
	}
	return markup.Escape(b.String())
}

func statusMark(st faultline.HopStatus) string {
	switch st {
	case faultline.HopUp:
		return "✅"
	case faultline.HopLossy:
		return "⚠️"
	case faultline.HopDown:
		return "❌"
	case faultline.HopFiltered:
		return "🔇"
	case faultline.HopBehind:
		return "⋯ "
	}
	return "❔"
}

func (f *flow) hopOutcome(c faultline.PathCheck, i int) string {
	r := c.Results[i]
	switch c.Verdict.Status[i] {
	case faultline.HopUp, faultline.HopLossy:
		return f.cat.T("hop.answers", r.Loss()*100, ms(r.MinRTT), ms(r.AvgRTT), ms(r.MaxRTT))
	case faultline.HopDown:
		return f.cat.T("hop.down", r.Sent)
	case faultline.HopFiltered:
		return f.cat.T("hop.filtered", r.Sent)
	case faultline.HopBehind:
		return f.cat.T("hop.behind")
	}
	return f.cat.T("hop.unknown", f.shortReason(r.Error))
}

// reasonKeys name the prober's errors in the catalog, by their head.
var reasonKeys = map[string]string{
	"ICMP not permitted":      "reason.icmp_not_permitted",
	"cannot resolve host":     "reason.cannot_resolve",
	"cannot open ICMP socket": "reason.no_socket",
}

// shortReason is the head of a check error ("ICMP not permitted", "cannot
// resolve host"), in the users' language; the verdict below the table
// carries the whole of it.
func (f *flow) shortReason(err string) string {
	head, _, _ := strings.Cut(err, ":")
	if key, ok := reasonKeys[head]; ok {
		return f.cat.T(key)
	}
	return markup.Escape(head)
}

// reason is a whole check error: its head in the users' language, its
// detail (a system call's words, the command that fixes it) as given.
func (f *flow) reason(err string) string {
	head, detail, ok := strings.Cut(err, ":")
	key, known := reasonKeys[head]
	if !ok || !known {
		return markup.Escape(err)
	}
	return f.cat.T("pair", f.cat.T(key), markup.Escape(strings.TrimSpace(detail)))
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000)
}

// verdictText says in plain words what the check found and what it means.
func (f *flow) verdictText(c faultline.PathCheck) string {
	v := c.Verdict
	if v.Kind == faultline.VerdictHealthy {
		text := f.cat.T("verdict.healthy", markup.Escape(c.Target))
		for i, st := range v.Status {
			if st == faultline.HopLossy {
				text += "\n" + f.cat.T("verdict.lossy", markup.Escape(c.Hops[i].Name), c.Results[i].Loss()*100)
			}
		}
		return text
	}
	if v.Kind == faultline.VerdictUnknown {
		return f.cat.T("verdict.unknown", f.reason(firstError(c.Results)))
	}
	h := c.Hops[v.Failing]
	return f.cat.T(verdictKeys[v.Kind], v.Failing+1, markup.Escape(h.Name), markup.Escape(h.Host))
}

func firstError(results []faultline.PingResult) string {
	for _, r := range results {
		if r.Error != "" {
			return r.Error
		}
	}
	return ""
}

// verdictLine is the one-line verdict of a check, for the timeline.
func (f *flow) verdictLine(c faultline.PathCheck) string {
	v := c.Verdict
	switch v.Kind {
	case faultline.VerdictHealthy:
		return f.cat.T("head.healthy")
	case faultline.VerdictUnknown:
		return f.cat.T("head.unknown")
	}
	h := c.Hops[v.Failing]
	return f.cat.T("head.failing", fmt.Sprintf("%d. %s", v.Failing+1, markup.Escape(h.Name)), f.cat.T(verdictKindKeys[v.Kind]))
}

// displayWidth counts East Asian wide characters as two columns, so hop
// names in Chinese line up in a monospace table.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x1100 && (r <= 0x115f || r >= 0x2e80 && r <= 0xa4cf || r >= 0xac00 && r <= 0xd7a3 ||
			r >= 0xf900 && r <= 0xfaff || r >= 0xfe30 && r <= 0xfe4f || r >= 0xff00 && r <= 0xff60 || r >= 0xffe0 && r <= 0xffe6) {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func pad(s string, width int) string {
	return s + strings.Repeat(" ", max(0, width-displayWidth(s)))
}
