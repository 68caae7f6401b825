package commands

import (
	"context"
	"errors"
	"strings"

	"github.com/faultline/faultline"
)

// stepOfButton maps a button's action ID (fault_take…) to its step.
func stepOfButton(id string) (faultline.FaultAction, bool) {
	name, ok := strings.CutPrefix(id, "fault_")
	if !ok {
		return "", false
	}
	for _, a := range faultline.FaultActions {
		if string(a) == name {
			return a, true
		}
	}
	return "", false
}

func buttonOf(a faultline.FaultAction) string { return "fault_" + string(a) }

// press handles a step's button. Steps that need details (the vendor's
// ticket, the resolution) open a form first; the step happens when it is
// submitted.
func (s *Service) press(ctx context.Context, a Action, action faultline.FaultAction) Response {
	f, err := s.faultFromValue(ctx, a.Value)
	if err != nil {
		return s.faultLookupFailed(ctx, a.Value, err)
	}
	if refusal := s.mayStep(f, a.User, action); refusal != nil {
		return Response{Reply: refusal}
	}
	switch action {
	case faultline.ActVendor:
		return Response{Modal: s.vendorModal(f)}
	case faultline.ActClose:
		return Response{Modal: s.closeModal(f)}
	}
	resp, _ := s.step(ctx, f.Number, a.User, action, faultline.StepInput{})
	return resp
}

// mayStep says why user may not take action on f now, or nil: the role
// comes first, then what the ticket's state allows.
func (s *Service) mayStep(f faultline.Fault, user string, action faultline.FaultAction) *Message {
	if !faultline.CanDo(s.rolesOf(user, f), action) {
		return s.ephemeral(s.cat.T("refuse.role", s.stepName(action), s.roleNames(faultline.RequiredRoles(action))))
	}
	if !allows(f.State, action) {
		return s.ephemeral(s.stateRefusal(f, action))
	}
	return nil
}

func allows(st faultline.FaultState, action faultline.FaultAction) bool {
	for _, a := range st.Allowed() {
		if a == action {
			return true
		}
	}
	return false
}

// step applies action by user to ticket n and commits it with its
// messages and clocks. A concurrent change makes it read the ticket again
// and retry, so the second of two simultaneous presses gets an answer
// about the ticket as it now is ("already taken by …"). refused says the
// reply is a refusal rather than a confirmation.
func (s *Service) step(ctx context.Context, n int64, user string, action faultline.FaultAction, in faultline.StepInput) (resp Response, refused bool) {
	in.OverrideAfter = s.settings.Deadlines.Confirm
	for attempt := 0; attempt < 3; attempt++ {
		f, err := s.store.Fault(ctx, n)
		if err != nil {
			return s.faultLookupFailed(ctx, faultline.FaultRef(n), err), true
		}
		if refusal := s.mayStep(f, user, action); refusal != nil {
			return Response{Reply: refusal}, true
		}
		if f.Reporter == faultline.ActorBot {
			in.OverrideAfter = 0 // a monitor's ticket has nobody to ask: its path check is the answer
		}
		g, err := f.Apply(action, user, s.now(), in)
		if err != nil {
			return Response{Reply: s.ephemeral(s.refusal(f, action, err))}, true
		}
		var tried []string
		if action == faultline.ActEscalateHQ {
			if tried, err = s.triedSoFar(ctx, f); err != nil {
				return s.internal(ctx, "timeline for HQ", err), true
			}
		}
		err = s.commit(ctx, s.stepChange(f, g, action, user, tried))
		if errors.Is(err, faultline.ErrConflict) {
			continue
		}
		if err != nil {
			return s.internal(ctx, "step "+string(action), err), true
		}
		s.measure(f, g, action)
		return Response{Reply: s.ephemeral(s.cat.T("done."+string(action), g.Ref())), Work: s.afterStep(g, action, user)}, false
	}
	return Response{Reply: s.ephemeral(s.cat.T("refuse.busy", faultline.FaultRef(n)))}, true
}

// stepFromForm is step for a submitted form: a refusal stays in the form,
// under field, since a form has nowhere else to show it.
func (s *Service) stepFromForm(ctx context.Context, n int64, user, field string, action faultline.FaultAction, in faultline.StepInput) Response {
	resp, refused := s.step(ctx, n, user, action, in)
	if refused && resp.Reply != nil {
		return Response{Errors: map[string]string{field: plainMentions(resp.Reply.Text)}}
	}
	return resp
}

// plainMentions makes mrkdwn readable where Slack shows plain text (a
// form's field errors): <@U123> becomes @U123, entities become characters.
func plainMentions(s string) string {
	s = strings.NewReplacer("<@", "@", "<#", "#", ">", "").Replace(s)
	return faultline.Unescape(s)
}

func (s *Service) measure(f, g faultline.Fault, action faultline.FaultAction) {
	switch action {
	case faultline.ActTake:
		s.rec.Taken(g.TakenAt.Sub(f.CreatedAt))
	case faultline.ActClose:
		s.rec.Closed(g.ClosedAt.Sub(f.CreatedAt))
	}
}

// refusal explains a step the ticket or its rules refused.
func (s *Service) refusal(f faultline.Fault, action faultline.FaultAction, err error) string {
	var ue *faultline.Error
	if errors.As(err, &ue) {
		return s.cat.T(ue.Code, f.Ref())
	}
	return s.stateRefusal(f, action)
}

func (s *Service) stateRefusal(f faultline.Fault, action faultline.FaultAction) string {
	if f.Owner != "" && (action == faultline.ActTake) {
		return s.cat.T("refuse.taken", f.Ref(), faultline.Mention(f.Owner))
	}
	return s.cat.T("refuse.state", f.Ref(), s.cat.T("state."+string(f.State)), s.stepName(action))
}

func (s *Service) stepName(a faultline.FaultAction) string { return s.cat.T("step." + string(a)) }

// roleNames lists roles for a sentence: "a, b or c".
func (s *Service) roleNames(roles []faultline.Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = s.cat.T("role." + string(r))
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], s.cat.T("list.sep")) + s.cat.T("list.or") + names[len(names)-1]
}

// members mentions everyone holding role, or says nobody does.
func (s *Service) members(role faultline.Role) string {
	users := s.settings.Roles[role]
	if len(users) == 0 {
		return s.cat.T("role.nobody", s.cat.T("role."+string(role)))
	}
	m := make([]string, len(users))
	for i, u := range users {
		m[i] = faultline.Mention(u)
	}
	return strings.Join(m, " ")
}

// triedSoFar lists the ticket's checks and steps so far, for the report
// to HQ (在申报故障的时候详细描述故障现象).
func (s *Service) triedSoFar(ctx context.Context, f faultline.Fault) ([]string, error) {
	events, err := s.store.Events(ctx, f.ID)
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, ev := range events {
		switch ev.Kind {
		case faultline.EventCheck, faultline.EventState, faultline.EventReply, faultline.EventEscalation:
			lines = append(lines, s.eventLine(ev))
		}
	}
	return lines, nil
}
