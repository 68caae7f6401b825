package commands

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/faultline/faultline"
)

// faultHead is the ticket's message in the faults channel. With a check it
// also shows where the path breaks.
func (s *Service) faultHead(f faultline.Fault, c *faultline.PathCheck) Message {
	m := Message{
		Channel: s.settings.FaultsChannel,
		Text: s.cat.T("head.title", f.Ref(), faultline.Escape(f.Target)) + "\n" +
			quote(faultline.Escape(f.Description)),
		Fields: []Field{
			{Label: s.cat.T("field.reporter"), Value: faultline.Mention(f.Reporter)},
			{Label: s.cat.T("field.state"), Value: s.cat.T("state." + string(f.State))},
			{Label: s.cat.T("field.reported"), Value: s.fmtTime(f.CreatedAt)},
			{Label: s.cat.T("field.site"), Value: s.siteLabel(f)},
		},
		Context: s.cat.T("head.checking"),
	}
	if c != nil {
		m.Context = s.verdictLine(*c)
	}
	return m
}

func (s *Service) siteLabel(f faultline.Fault) string {
	if f.Site == "" {
		return s.cat.T("field.host_only", faultline.Escape(f.Target))
	}
	return faultline.Escape(f.Site)
}

// quote renders text as a mrkdwn block quote, line by line.
func quote(text string) string {
	return "> " + strings.ReplaceAll(text, "\n", "\n> ")
}

func (s *Service) listFaults(ctx context.Context) Response {
	faults, err := s.store.Faults(ctx, []faultline.FaultState{faultline.FaultOpen}, maxListed)
	if err != nil {
		return s.internal(ctx, "list faults", err)
	}
	if len(faults) == 0 {
		return Response{Reply: s.ephemeral(s.cat.T("list.empty"))}
	}
	lines := []string{s.cat.T("list.title", len(faults))}
	for _, f := range faults {
		lines = append(lines, s.cat.T("list.item", f.Ref(), faultline.Escape(f.Target),
			faultline.Escape(oneLine(f.Description, 80)), faultline.Mention(f.Reporter), s.fmtTime(f.CreatedAt)))
	}
	return Response{Reply: s.ephemeral(strings.Join(lines, "\n"))}
}

func (s *Service) showFault(ctx context.Context, rest string) Response {
	ref, _ := cut(rest)
	if ref == "" {
		return Response{Reply: s.ephemeral(s.cat.T("show.usage"))}
	}
	f, err := s.faultFromValue(ctx, ref)
	if err != nil {
		return s.faultLookupFailed(ctx, ref, err)
	}
	events, err := s.store.Events(ctx, f.ID)
	if err != nil {
		return s.internal(ctx, "timeline", err)
	}
	head := s.faultHead(f, nil)
	facts := make([]string, len(head.Fields))
	for i, field := range head.Fields {
		facts[i] = field.Label + ": " + field.Value
	}
	lines := []string{head.Text, strings.Join(facts, " · "), s.cat.T("show.timeline")}
	for _, ev := range events {
		lines = append(lines, s.eventLine(ev))
	}
	return Response{Reply: s.ephemeral(strings.Join(lines, "\n"))}
}

func (s *Service) eventLine(ev faultline.Event) string {
	who := s.cat.T("actor.bot")
	if ev.Actor != faultline.ActorBot {
		who = faultline.Mention(ev.Actor)
	}
	when := s.fmtTime(ev.At)
	switch ev.Kind {
	case faultline.EventCheck:
		var c faultline.PathCheck
		if err := json.Unmarshal([]byte(ev.Data), &c); err == nil && len(c.Hops) > 0 {
			return s.cat.T("event.check", when, who, s.verdictLine(c))
		}
	case faultline.EventCreated:
		return s.cat.T("event.created", when, who)
	case faultline.EventReply:
		return s.cat.T("event.reply", when, who, faultline.Escape(oneLine(ev.Text, 200)))
	}
	return s.cat.T("event.other", when, who, string(ev.Kind), faultline.Escape(oneLine(ev.Text, 200)))
}

// oneLine shortens text to n runes on a single line, for lists.
func oneLine(text string, n int) string {
	text = strings.Join(strings.Fields(text), " ")
	r := []rune(text)
	if len(r) <= n {
		return text
	}
	return string(r[:n-1]) + "…"
}
