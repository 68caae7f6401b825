package commands

import (
	"context"
	"strconv"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/markup"
)

// escalationKeys are the sentences of a fault clock running out.
var escalationKeys = map[faultline.TimerKind]string{
	faultline.TimerAck: "esc.ack", faultline.TimerResolve: "esc.resolve",
	faultline.TimerDevice: "esc.device", faultline.TimerLine: "esc.line",
}

// fire decides what ticket t's clock running out means. A clock whose risk
// has passed (taken, closed) does nothing. Otherwise the ticket goes one
// level up the escalation chain, exactly once per level: the level's people
// are mentioned in the thread and sent a DM, and the clock starts again for
// the next level, until the chain ends. A restart's clock asks for a check
// of the path, which after runs once the change is committed.
func (f *faultFlow) fire(ctx context.Context, t faultline.Timer, now time.Time) (faultline.Change, func(context.Context), error) {
	ticket, err := f.store.FaultByID(ctx, t.FaultID)
	if err != nil {
		return faultline.Change{}, nil, err
	}
	c := faultline.Change{FaultID: ticket.ID, Read: ticket}
	if t.Kind == faultline.TimerRecheck {
		c.Tasks = checkTask(faultline.TaskCheck, faultline.ActorBot) // the path after the confirmed restart
		return c, nil, nil
	}
	climb, ok := f.set.Escalation.Climb(ticket.EscLevel + 1)
	if !ticket.AtRisk(t.Kind) || !ok {
		return c, nil, nil
	}
	if w, on := f.windowOver(ctx, ticket); on {
		// Planned work there: the clock waits until the window ends.
		c.SetTimers = []faultline.Timer{{Kind: t.Kind, DueAt: w.Until()}}
		c.Events = []faultline.Event{{At: now, Actor: faultline.ActorBot, Kind: faultline.EventMaintained, Text: string(t.Kind), Data: w.Name}}
		return c, nil, nil
	}
	after := ticket
	after.EscLevel, after.UpdatedAt = climb.Level, now
	note := f.cat.T(escalationKeys[t.Kind], f.members(climb.Role), after.Ref(), f.durationText(now.Sub(ticket.CreatedAt)),
		f.roleName(climb.Role), strconv.Itoa(climb.Level+1), strconv.Itoa(climb.Of))
	c.Fault = &after
	c.Events = []faultline.Event{{At: now, Actor: faultline.ActorBot, Kind: faultline.EventEscalation, Text: string(t.Kind), Data: string(climb.Role)}}
	c.Out = []faultline.Outgoing{f.threadNote(note), headUpdate()}
	where := f.cat.T("esc.dm_where", markup.ChannelLink(f.set.FaultsChannel))
	for _, u := range f.set.Roles[climb.Role] {
		c.Out = append(c.Out, directMessage(u, faultline.Message{Text: note + "\n" + where}))
	}
	c.Out = append(c.Out, f.hooks(HookEscalations, hookNote{textKey: "hook.fault_escalation", ref: after.Ref(), at: ticket.CreatedAt,
		who: climb.Role, detail: markup.Escape(ticket.Target + ": " + oneLine(ticket.Description, 300))})...)
	if climb.Rearm {
		c.SetTimers = []faultline.Timer{{Kind: t.Kind, DueAt: now.Add(f.interval(t.Kind, after))}}
	}
	return c, func(context.Context) { f.rec.Escalated(climb.Level, climb.Role) }, nil
}

// interval is how long a level of the chain has before the next is told.
func (f *faultFlow) interval(kind faultline.TimerKind, t faultline.Fault) time.Duration {
	d := f.set.Deadlines
	switch kind {
	case faultline.TimerAck:
		return d.Ack
	case faultline.TimerDevice:
		return d.Device
	case faultline.TimerLine:
		return f.lineLimit(t)
	}
	return d.Resolve
}
