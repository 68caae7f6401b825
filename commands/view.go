package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/faultline/faultline"
)

// faultHead is the ticket's message in the faults channel, rendered from
// the ticket as it is now: state, owner, time open, where the path breaks,
// what is expected next, and the buttons for the steps its state allows.
func (s *Service) faultHead(f faultline.Fault) Message {
	fields := []Field{
		{Label: s.cat.T("field.reporter"), Value: s.who(f.Reporter)},
		{Label: s.cat.T("field.state"), Value: s.cat.T("state." + string(f.State))},
		{Label: s.cat.T("field.owner"), Value: s.ownerText(f)},
		{Label: s.cat.T("field.reported"), Value: s.fmtTime(f.CreatedAt) + " · " + s.elapsed(f)},
		{Label: s.cat.T("field.site"), Value: s.siteLabel(f)},
		{Label: s.cat.T("field.path"), Value: s.verdictSummary(f)},
	}
	if f.VendorTicket != "" {
		fields = append(fields, Field{Label: s.cat.T("field.vendor"), Value: faultline.Escape(f.VendorTicket + " · " + orDash(f.VendorDue))})
	}
	if f.State == faultline.FaultClosed {
		fields = append(fields, Field{Label: s.cat.T("field.resolution"), Value: s.cat.T("cause."+string(f.Resolution.Cause)) + ": " + faultline.Escape(oneLine(f.Resolution.Done, 300))})
	}
	return Message{
		Channel: s.settings.FaultsChannel,
		Text:    s.cat.T("head.title", f.Ref(), faultline.Escape(f.Target)) + "\n" + quote(faultline.Escape(f.Description)),
		Fields:  fields,
		Context: s.nextStep(f),
		Buttons: s.headButtons(f),
	}
}

func (s *Service) ownerText(f faultline.Fault) string {
	if f.Owner == "" {
		return s.cat.T("field.nobody")
	}
	return faultline.Mention(f.Owner)
}

// elapsed is how long the ticket has been (or was) open.
func (s *Service) elapsed(f faultline.Fault) string {
	end := s.now()
	if f.State == faultline.FaultClosed {
		end = f.ClosedAt
	}
	return s.cat.T("field.open_for", durationText(end.Sub(f.CreatedAt)))
}

// durationText is a duration for people: 45m, 3h05m; under a minute
// reads "&lt;1m", already escaped for mrkdwn.
func durationText(d time.Duration) string {
	d = d.Round(time.Minute)
	if d < time.Minute {
		return "&lt;1m"
	}
	h, m := int(d.Hours()), int(d.Minutes())%60
	if h == 0 {
		return fmt.Sprintf("%dm", m)
	}
	return fmt.Sprintf("%dh%02dm", h, m)
}

func (s *Service) verdictSummary(f faultline.Fault) string {
	switch f.Verdict {
	case "":
		return s.cat.T("head.checking")
	case faultline.VerdictHealthy:
		return s.cat.T("head.healthy")
	case faultline.VerdictUnknown:
		return s.cat.T("head.unknown")
	}
	return s.cat.T("head.failing", s.hopLabel(f), s.cat.T("kind."+string(f.Verdict)))
}

// nextStep says what the procedure expects now, and from whom.
func (s *Service) nextStep(f faultline.Fault) string {
	switch f.State {
	case faultline.FaultOpen:
		return s.cat.T("next.open", s.members(s.onDuty(f)))
	case faultline.FaultRestartPending:
		return s.cat.T("next.restart_pending", s.members(faultline.RoleSysadmin))
	case faultline.FaultVerifying:
		return s.cat.T("next.verifying", s.who(f.Reporter))
	}
	return s.cat.T("next." + string(f.State))
}

// onDuty is the role the ticket's escalation has reached.
func (s *Service) onDuty(f faultline.Fault) faultline.Role {
	chain := s.settings.Escalation
	if len(chain) == 0 {
		return faultline.RoleMaintainer
	}
	return chain[min(f.EscLevel, len(chain)-1)]
}

// headButtons are the steps the state allows, except the reporter's two,
// which are asked in the thread; and a fresh check while it is open.
func (s *Service) headButtons(f faultline.Fault) []Button {
	var out []Button
	for _, a := range f.State.Allowed() {
		if a == faultline.ActWorks || a == faultline.ActStillBroken {
			continue
		}
		style := ""
		if a == faultline.ActTake || a == faultline.ActConfirmRestart || a == faultline.ActClose {
			style = "primary"
		}
		out = append(out, Button{ID: buttonOf(a), Label: s.cat.T("button." + string(a)), Value: f.Ref(), Style: style})
	}
	if f.State != faultline.FaultClosed {
		out = append(out, Button{ID: ActionRecheck, Label: s.cat.T("button.recheck"), Value: f.Ref()})
	}
	return out
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
	faults, err := s.store.Faults(ctx, faultline.OpenFaultStates, maxListed)
	if err != nil {
		return s.internal(ctx, "list faults", err)
	}
	if len(faults) == 0 {
		return Response{Reply: s.ephemeral(s.cat.T("list.empty"))}
	}
	lines := []string{s.cat.T("list.title", len(faults))}
	for _, f := range faults {
		lines = append(lines, s.cat.T("list.item", f.Ref(), faultline.Escape(f.Target),
			faultline.Escape(oneLine(f.Description, 80)), s.cat.T("state."+string(f.State)), s.ownerText(f), s.elapsed(f)))
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
	head := s.faultHead(f)
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
		who = s.who(ev.Actor)
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
	case faultline.EventState:
		line := s.cat.T("event.state", when, who, s.stepName(faultline.FaultAction(ev.Text)))
		if ev.Data != "" {
			line += " (" + faultline.Escape(oneLine(ev.Data, 200)) + ")"
		}
		return line
	case faultline.EventEscalation:
		return s.cat.T("event.escalation", when, s.cat.T("timer."+ev.Text), s.cat.T("role."+ev.Data))
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

// searchFaults finds closed tickets by words in their site, hop,
// description or resolution (处理后的解决办法收集总结).
func (s *Service) searchFaults(ctx context.Context, rest string) Response {
	words := strings.Fields(rest)
	if len(words) == 0 {
		return Response{Reply: s.ephemeral(s.cat.T("search.usage"))}
	}
	found, err := s.store.SearchFaults(ctx, words, maxListed)
	if err != nil {
		return s.internal(ctx, "search faults", err)
	}
	if len(found) == 0 {
		return Response{Reply: s.ephemeral(s.cat.T("search.none", faultline.Escape(rest)))}
	}
	lines := []string{s.cat.T("search.title", len(found), faultline.Escape(rest))}
	for _, f := range found {
		lines = append(lines, s.cat.T("search.item", f.Ref(), faultline.Escape(f.Target), s.fmtTime(f.ClosedAt),
			faultline.Escape(oneLine(f.Description, 80)), s.cat.T("cause."+string(f.Resolution.Cause)),
			faultline.Escape(oneLine(f.Resolution.Done, 120))))
	}
	return Response{Reply: s.ephemeral(strings.Join(lines, "\n"))}
}

// who mentions a person, or names the bot when it acted by itself (a
// monitor opened the ticket).
func (s *Service) who(user string) string {
	if user == faultline.ActorBot {
		return s.cat.T("actor.monitor")
	}
	return faultline.Mention(user)
}
