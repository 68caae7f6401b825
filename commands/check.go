package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/faultline/faultline"
)

// check pings every hop of t's path at once and judges the result.
func (s *Service) check(ctx context.Context, t target) faultline.PathCheck {
	hosts := make([]string, len(t.path))
	for i, h := range t.path {
		hosts[i] = h.Host
	}
	start := s.now()
	results := s.pinger.Ping(ctx, hosts)
	return faultline.PathCheck{
		Target: t.name, Hops: t.path, Results: results,
		Verdict: faultline.Judge(t.path, results), At: start, Took: s.now().Sub(start),
	}
}

func checkEvent(f faultline.Fault, c faultline.PathCheck, actor string, at time.Time) (faultline.Event, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return faultline.Event{}, fmt.Errorf("encode check of %s: %w", f.Ref(), err)
	}
	return faultline.Event{
		FaultID: f.ID, At: at, Actor: actor, Kind: faultline.EventCheck,
		Text: string(c.Verdict.Kind), Data: string(data),
	}, nil
}

func (s *Service) pingCommand(req Request, rest string) Response {
	word, _ := cut(rest)
	if word == "" {
		return Response{Reply: s.ephemeral(s.cat.T("ping.usage") + "\n" + s.usage())}
	}
	t, ok := s.resolve(word)
	if !ok {
		return s.unknownTarget(word)
	}
	return Response{
		Reply: s.ephemeral(s.cat.T("ping.checking", faultline.Escape(t.name))),
		Work: func(ctx context.Context) error {
			if req.Respond == nil {
				return fmt.Errorf("ping %s: no way to answer the requester", t.name)
			}
			m := s.checkMessage(s.check(ctx, t), 0)
			m.Ephemeral = true
			return req.Respond.Respond(ctx, m)
		},
	}
}

// Check checks the path of a site (by name or alias) or a single host and
// returns the result as a message; false when word names neither.
func (s *Service) Check(ctx context.Context, word string) (Message, bool) {
	t, ok := s.resolve(word)
	if !ok {
		return Message{}, false
	}
	return s.checkMessage(s.check(ctx, t), 0), true
}

// checkMessage shows a path check: one line per hop with its loss and
// round-trip times, then the verdict in words. With a ticket number it
// carries a button to check again.
func (s *Service) checkMessage(c faultline.PathCheck, ticket int64) Message {
	var b strings.Builder
	b.WriteString(s.cat.T("check.title", faultline.Escape(c.Target), len(c.Hops), c.Took.Seconds()))
	b.WriteString("\n```\n")
	b.WriteString(s.hopTable(c))
	b.WriteString("```\n")
	b.WriteString(s.verdictText(c))
	m := Message{Text: b.String()}
	if ticket > 0 {
		m.Buttons = []Button{{ID: ActionRecheck, Label: s.cat.T("button.recheck"), Value: faultline.FaultRef(ticket)}}
	}
	return m
}

func (s *Service) hopTable(c faultline.PathCheck) string {
	rows := make([][3]string, len(c.Hops))
	var w [2]int
	for i, h := range c.Hops {
		rows[i] = [3]string{fmt.Sprintf("%d. %s", i+1, h.Name), h.Host, s.hopOutcome(c, i)}
		w[0] = max(w[0], displayWidth(rows[i][0]))
		w[1] = max(w[1], displayWidth(rows[i][1]))
	}
	var b strings.Builder
	for i, r := range rows {
		fmt.Fprintf(&b, "%s %s  %s  %s\n", statusMark(c.Verdict.Status[i]),
			pad(r[0], w[0]), pad(r[1], w[1]), r[2])
	}
	return faultline.Escape(b.String())
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

func (s *Service) hopOutcome(c faultline.PathCheck, i int) string {
	r := c.Results[i]
	switch c.Verdict.Status[i] {
	case faultline.HopUp, faultline.HopLossy:
		return s.cat.T("hop.answers", r.Loss()*100, ms(r.MinRTT), ms(r.AvgRTT), ms(r.MaxRTT))
	case faultline.HopDown:
		return s.cat.T("hop.down", r.Sent)
	case faultline.HopFiltered:
		return s.cat.T("hop.filtered", r.Sent)
	case faultline.HopBehind:
		return s.cat.T("hop.behind")
	}
	return s.cat.T("hop.unknown", shortReason(r.Error))
}

// shortReason is the head of a check error ("ICMP not permitted", "cannot
// resolve host"); the verdict below the table carries the whole of it.
func shortReason(err string) string {
	head, _, _ := strings.Cut(err, ":")
	return head
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000)
}

// verdictText says in plain words what the check found and what it means.
func (s *Service) verdictText(c faultline.PathCheck) string {
	v := c.Verdict
	if v.Kind == faultline.VerdictHealthy {
		text := s.cat.T("verdict.healthy", faultline.Escape(c.Target))
		for i, st := range v.Status {
			if st == faultline.HopLossy {
				text += "\n" + s.cat.T("verdict.lossy", faultline.Escape(c.Hops[i].Name), c.Results[i].Loss()*100)
			}
		}
		return text
	}
	if v.Kind == faultline.VerdictUnknown {
		return s.cat.T("verdict.unknown", faultline.Escape(firstError(c.Results)))
	}
	h := c.Hops[v.Failing]
	return s.cat.T("verdict."+string(v.Kind), v.Failing+1, faultline.Escape(h.Name), faultline.Escape(h.Host))
}

func firstError(results []faultline.PingResult) string {
	for _, r := range results {
		if r.Error != "" {
			return r.Error
		}
	}
	return ""
}

// verdictLine is the one-line verdict shown on the ticket's head message.
func (s *Service) verdictLine(c faultline.PathCheck) string {
	v := c.Verdict
	switch v.Kind {
	case faultline.VerdictHealthy:
		return s.cat.T("head.healthy")
	case faultline.VerdictUnknown:
		return s.cat.T("head.unknown")
	}
	h := c.Hops[v.Failing]
	return s.cat.T("head.failing", v.Failing+1, faultline.Escape(h.Name), s.cat.T("kind."+string(v.Kind)))
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
