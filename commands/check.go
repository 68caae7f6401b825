package commands

import (
	"context"
	"encoding/json"
	"errors"
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

// checkFault checks ticket n's path and records it: the result on the
// timeline and in the thread, the verdict on the ticket (and so on its
// head message), a past resolution of the same hop if there is one, and
// the device or line clock when the fault turns out to be one. extra adds
// messages that must follow the check (the question to the reporter).
func (s *Service) checkFault(ctx context.Context, n int64, t target, actor string, extra func(faultline.Fault) []Outgoing) error {
	c := s.check(ctx, t)
	for attempt := 0; attempt < 3; attempt++ {
		f, err := s.store.Fault(ctx, n)
		if err != nil {
			return err
		}
		change, err := s.checkChange(ctx, f, c, actor)
		if err != nil {
			return err
		}
		if extra != nil {
			change.Out = append(change.Out, extra(*change.Fault)...)
		}
		if err = s.commit(ctx, change); !errors.Is(err, faultline.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("record check of %s: %w", faultline.FaultRef(n), faultline.ErrConflict)
}

func (s *Service) checkChange(ctx context.Context, f faultline.Fault, c faultline.PathCheck, actor string) (Change, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return Change{}, fmt.Errorf("encode check of %s: %w", f.Ref(), err)
	}
	now := s.now()
	g := withVerdict(f, c, now)
	m := s.checkMessage(c, f.Number)
	m.Channel = s.settings.FaultsChannel
	change := Change{
		FaultID: f.ID, Fault: &g, Read: f,
		Events: []faultline.Event{{At: now, Actor: actor, Kind: faultline.EventCheck, Text: string(c.Verdict.Kind), Data: string(data)}},
		Out:    []Outgoing{threadPost(m), headUpdate()},
	}
	if g.Hop != "" && g.Hop != f.Hop {
		if note := s.pastResolutions(ctx, g); note != "" {
			change.Out = append(change.Out, s.threadNote(note))
		}
	}
	change.SetTimers = s.riskTimers(f, g)
	return change, nil
}

// withVerdict is f with the check's verdict. The failing hop is where the
// fault was found, and stays on the ticket when a later check finds the
// path healthy again: the resolution belongs to that hop.
func withVerdict(f faultline.Fault, c faultline.PathCheck, now time.Time) faultline.Fault {
	g := f
	g.Verdict, g.UpdatedAt = c.Verdict.Kind, now
	if c.Verdict.Failing >= 0 && c.Verdict.Kind != faultline.VerdictUnknown {
		h := c.Hops[c.Verdict.Failing]
		g.Hop, g.HopRef = h.Name, h.Device+h.Line
	}
	return g
}

// riskTimers starts the clock of a device or line fault (硬件设施故障 /
// 专线电缆中断故障短时间无法恢复) when a check first finds one, counted from
// the report.
func (s *Service) riskTimers(f, g faultline.Fault) []faultline.Timer {
	if g.State == faultline.FaultClosed || g.Verdict == f.Verdict || len(s.settings.Escalation) < 2 {
		return nil
	}
	switch g.Verdict {
	case faultline.VerdictDevice:
		return []faultline.Timer{{Kind: faultline.TimerDevice, DueAt: g.CreatedAt.Add(s.settings.Deadlines.Device)}}
	case faultline.VerdictLine:
		return []faultline.Timer{{Kind: faultline.TimerLine, DueAt: g.CreatedAt.Add(s.lineLimit(g))}}
	}
	return nil
}

// pastResolutions tells how the same hop was fixed before, newest first.
func (s *Service) pastResolutions(ctx context.Context, f faultline.Fault) string {
	past, err := s.store.PastResolutions(ctx, f.Site, f.Hop, f.ID, 3)
	if err != nil {
		s.log.WarnContext(ctx, "past resolutions", "fault", f.Ref(), "err", err)
		return ""
	}
	if len(past) == 0 {
		return ""
	}
	lines := []string{s.cat.T("past.title", faultline.Escape(f.Hop))}
	for _, p := range past {
		lines = append(lines, s.cat.T("past.item", p.Ref(), s.fmtTime(p.ClosedAt), s.cat.T("cause."+string(p.Resolution.Cause)),
			faultline.Escape(oneLine(p.Resolution.Done, 200)), faultline.Escape(orDash(p.Resolution.FixedBy))))
	}
	return strings.Join(lines, "\n")
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
// returns the result as a message with its verdict; false when word names
// neither.
func (s *Service) Check(ctx context.Context, word string) (Message, faultline.VerdictKind, bool) {
	t, ok := s.resolve(word)
	if !ok {
		return Message{}, "", false
	}
	c := s.check(ctx, t)
	return s.checkMessage(c, 0), c.Verdict.Kind, true
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
	return s.cat.T("head.failing", fmt.Sprintf("%d. %s", v.Failing+1, faultline.Escape(h.Name)), s.cat.T("kind."+string(v.Kind)))
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
