package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/faultline/faultline"
)

// stepChange is what a step writes besides the ticket: the timeline entry,
// the note in the thread (with whoever must act next mentioned), the head
// message's update, and the clocks it starts or stops.
func (s *Service) stepChange(f, g faultline.Fault, action faultline.FaultAction, by string, tried []string) Change {
	now := g.UpdatedAt
	c := Change{
		FaultID: f.ID, Fault: &g, Read: f,
		Events: []faultline.Event{{At: now, Actor: by, Kind: faultline.EventState, Text: string(action), Data: stepDetail(g, action)}},
	}
	note := s.stepNote(f, g, action, by)
	if action == faultline.ActEscalateHQ && len(tried) > 0 {
		note += "\n" + s.cat.T("hq.tried") + "\n" + strings.Join(tried, "\n")
	}
	if note != "" {
		c.Out = append(c.Out, s.threadNote(note))
	}
	c.Out = append(c.Out, headUpdate())
	switch action {
	case faultline.ActTake:
		c.CancelTimers = []faultline.TimerKind{faultline.TimerAck}
		if info := s.inventoryText(g, now); info != "" {
			c.Out = append(c.Out, s.threadNote(info))
		}
	case faultline.ActConfirmRestart:
		c.SetTimers = []faultline.Timer{{Kind: faultline.TimerRecheck, DueAt: now.Add(s.settings.Deadlines.RestartRecheck)}}
	case faultline.ActEscalateHQ:
		for _, u := range s.settings.Roles[faultline.RoleHQNetadmin] {
			c.Out = append(c.Out, directMessage(u, Message{Text: note}))
		}
	case faultline.ActStillBroken:
		if g.Owner != "" {
			c.Out = append(c.Out, directMessage(g.Owner, Message{Text: note}))
		}
	case faultline.ActClose:
		c.CancelTimers = []faultline.TimerKind{faultline.TimerAck, faultline.TimerResolve,
			faultline.TimerDevice, faultline.TimerLine, faultline.TimerRecheck}
	}
	return c
}

func (s *Service) threadNote(text string) Outgoing {
	return threadPost(Message{Channel: s.settings.FaultsChannel, Text: text})
}

// stepNote is the sentence the thread gets for a step.
func (s *Service) stepNote(f, g faultline.Fault, action faultline.FaultAction, by string) string {
	who := faultline.Mention(by)
	switch action {
	case faultline.ActTake:
		return s.cat.T("note.take", who, g.Ref())
	case faultline.ActRequestRestart:
		return s.cat.T("note.request_restart", who, s.restartTarget(g), s.members(faultline.RoleSysadmin))
	case faultline.ActConfirmRestart:
		return s.cat.T("note.confirm_restart", who, s.restartTarget(g), faultline.Mention(f.RestartBy), minutes(s.settings.Deadlines.RestartRecheck))
	case faultline.ActCancelRestart:
		return s.cat.T("note.cancel_restart", who)
	case faultline.ActVendor:
		return s.cat.T("note.vendor", who, faultline.Escape(g.VendorTicket), faultline.Escape(orDash(g.VendorDue)))
	case faultline.ActEscalateHQ:
		return s.escalationReport(g, who)
	case faultline.ActMarkFixed:
		return s.cat.T("note.mark_fixed", who)
	case faultline.ActWorks:
		return s.cat.T("note.works", who, s.ownerText(g))
	case faultline.ActStillBroken:
		return s.cat.T("note.still_broken", who, g.Ref(), faultline.Mention(g.Owner))
	case faultline.ActOverride:
		return s.cat.T("note.override", who, s.who(g.Reporter))
	case faultline.ActClose:
		return s.cat.T("note.close", who, g.Ref(), s.cat.T("cause."+string(g.Resolution.Cause)),
			faultline.Escape(g.Resolution.Done), faultline.Escape(orDash(g.Resolution.FixedBy)))
	}
	return ""
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

// escalationReport is what HQ's network admin gets (上报总公司网络管理员):
// the symptom as reported, where the path breaks, and every step tried,
// because the document asks for a detailed description.
func (s *Service) escalationReport(f faultline.Fault, who string) string {
	lines := []string{
		s.cat.T("hq.title", s.members(faultline.RoleHQNetadmin), f.Ref(), who),
		s.cat.T("hq.symptom", faultline.Escape(f.Target), faultline.Escape(oneLine(f.Description, 500))),
		s.cat.T("hq.verdict", s.verdictSummary(f)),
	}
	if f.VendorTicket != "" {
		lines = append(lines, s.cat.T("hq.vendor", faultline.Escape(f.VendorTicket)))
	}
	return strings.Join(lines, "\n")
}

// afterStep is the slow part of a step: marking fixed checks the path
// again and then asks the reporter whether it works.
func (s *Service) afterStep(g faultline.Fault, action faultline.FaultAction, by string) func(context.Context) error {
	if action != faultline.ActMarkFixed {
		return nil
	}
	return func(ctx context.Context) error {
		t, ok := s.targetOf(g)
		if !ok {
			return s.askReporter(ctx, g)
		}
		return s.checkFault(ctx, g.Number, t, by, func(f faultline.Fault) []Outgoing {
			return []Outgoing{s.reporterQuestion(f)}
		})
	}
}

// askReporter posts the question alone, when there is no path to check.
func (s *Service) askReporter(ctx context.Context, f faultline.Fault) error {
	return s.commit(ctx, Change{FaultID: f.ID, Out: []Outgoing{s.reporterQuestion(f)}})
}

func (s *Service) reporterQuestion(f faultline.Fault) Outgoing {
	if f.Reporter == faultline.ActorBot {
		return s.threadNote(s.cat.T("note.monitor_confirm", s.ownerText(f)))
	}
	return threadPost(Message{
		Channel: s.settings.FaultsChannel,
		Text:    s.cat.T("note.ask_reporter", s.who(f.Reporter), minutes(s.settings.Deadlines.Confirm)),
		Buttons: []Button{
			{ID: buttonOf(faultline.ActWorks), Label: s.cat.T("button.works"), Value: f.Ref(), Style: "primary"},
			{ID: buttonOf(faultline.ActStillBroken), Label: s.cat.T("button.still_broken"), Value: f.Ref(), Style: "danger"},
		},
	})
}

func minutes(d interface{ Minutes() float64 }) string {
	m := d.Minutes()
	if m < 1 {
		return fmt.Sprintf("%.0fs", m*60)
	}
	if m >= 120 {
		return fmt.Sprintf("%.0fh", m/60)
	}
	return fmt.Sprintf("%.0fm", m)
}

// stepDetail is what the timeline keeps of a step besides its name.
func stepDetail(g faultline.Fault, action faultline.FaultAction) string {
	switch action {
	case faultline.ActVendor:
		return strings.TrimSpace(g.VendorTicket + " " + g.VendorDue)
	case faultline.ActClose:
		return string(g.Resolution.Cause) + ": " + g.Resolution.Done
	}
	return ""
}
