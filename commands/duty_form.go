package commands

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/markup"
)

// The duties' forms.
const (
	CallbackDutyNote = "duty_note"
	CallbackDutyCant = "duty_cant"
	CallbackDutyAdd  = "duty_add"
)

var dutyName = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}_.-]{0,63}$`)

func (f *dutyFlow) noteModal(o faultline.Occurrence, id string) *Modal {
	return &Modal{CallbackID: CallbackDutyNote, Title: f.cat.T("duty.note.title"), Submit: f.cat.T("modal.save"),
		Metadata: id, Intro: markup.Escape(o.Duty),
		Inputs: []Input{{ID: "note", Label: f.cat.T("duty.note.label"), Hint: f.cat.T("duty.note.hint"), Multiline: true, MaxLength: 1000}}}
}

func (f *dutyFlow) cantModal(o faultline.Occurrence, id string) *Modal {
	return &Modal{CallbackID: CallbackDutyCant, Title: f.cat.T("duty.cant.title"), Submit: f.cat.T("modal.save"),
		Metadata: id, Intro: markup.Escape(o.Duty),
		Inputs: []Input{{ID: "reason", Label: f.cat.T("duty.cant.label"), Multiline: true, MaxLength: 1000}}}
}

// submit takes a reminder's note or reason, or a new duty.
func (f *dutyFlow) submit(ctx context.Context, sub Submission) Response {
	if sub.CallbackID == CallbackDutyAdd {
		return f.submitAdd(ctx, sub)
	}
	o, refusal := f.ownOccurrence(ctx, sub.User, sub.Metadata)
	if refusal != nil {
		problem := markup.FormText(refusal.Reply.Text)
		return Response{Errors: map[string]string{"note": problem, "reason": problem}}
	}
	done := sub.CallbackID == CallbackDutyNote
	text := sub.Values["note"]
	if !done {
		text = sub.Values["reason"]
		if strings.TrimSpace(text) == "" {
			return Response{Errors: map[string]string{"reason": f.cat.T("duty.need_reason")}}
		}
	}
	resp := f.confirm(ctx, o, done, sub.User, text)
	return Response{Work: f.tellLater(sub.User, resp.Reply)}
}

// tellLater sends a form's outcome to the person as a DM, since a
// submitted form has nowhere to show a reply.
func (f *dutyFlow) tellLater(user string, m *faultline.Message) func(context.Context) error {
	if m == nil {
		return nil
	}
	return func(ctx context.Context) error {
		return f.commit(ctx, faultline.Change{Out: []faultline.Outgoing{directMessage(user, faultline.Message{Text: m.Text})}})
	}
}

func (f *dutyFlow) addModal() *Modal {
	roles := make([]Option, len(faultline.Roles))
	for i, r := range faultline.Roles {
		roles[i] = Option{Value: string(r), Label: f.roleName(r)}
	}
	return &Modal{CallbackID: CallbackDutyAdd, Title: f.cat.T("dutycmd.add.title"), Submit: f.cat.T("modal.save"),
		Inputs: []Input{
			{ID: "name", Label: f.cat.T("dutycmd.add.name"), Hint: f.cat.T("dutycmd.add.name_hint"), MaxLength: 64},
			{ID: "owners", Label: f.cat.T("dutycmd.add.owners"), Hint: f.cat.T("dutycmd.add.owners_hint"), MaxLength: 500},
			{ID: "schedule", Label: f.cat.T("dutycmd.add.schedule"), Hint: f.cat.T("dutycmd.add.schedule_hint"), MaxLength: 100},
			{ID: "grace", Label: f.cat.T("dutycmd.add.grace"), Hint: f.cat.T("dutycmd.add.grace_hint"), Optional: true, MaxLength: 20},
			{ID: "escalate", Label: f.cat.T("dutycmd.add.escalate"), Options: roles, Value: string(faultline.RoleITSupervisor)},
			{ID: "instructions", Label: f.cat.T("dutycmd.add.instructions"), Multiline: true, Optional: true, MaxLength: 1000},
		}}
}

// submitAdd checks every field (a bad schedule, an unknown person, a taken
// name each get their message) and adds the duty, due next on its
// schedule.
func (f *dutyFlow) submitAdd(ctx context.Context, sub Submission) Response {
	if !f.hasRole(sub.User, dutyAdmins) {
		return Response{Errors: map[string]string{"name": markup.FormText(f.cat.T("refuse.role", f.cat.T("dutycmd.manage"), f.roleNames(dutyAdmins)))}}
	}
	d, problems := f.fromForm(sub)
	if len(problems) > 0 {
		return Response{Errors: problems}
	}
	_, err := f.store.CreateDuty(ctx, d, f.now())
	if errors.Is(err, faultline.ErrConflict) {
		return Response{Errors: map[string]string{"name": f.cat.T("dutycmd.add.taken", d.Name)}}
	}
	if err != nil {
		return f.internal(ctx, "add duty", err)
	}
	return Response{Work: f.tellLater(sub.User, f.ephemeral(f.cat.T("dutycmd.added", markup.Escape(d.Name), f.fmtTime(d.NextDue))))}
}

func (f *dutyFlow) fromForm(sub Submission) (faultline.Duty, map[string]string) {
	v := func(k string) string { return strings.TrimSpace(sub.Values[k]) }
	problems := map[string]string{}
	d := faultline.Duty{Name: v("name"), Schedule: v("schedule"), EscalateTo: faultline.Role(v("escalate")),
		Instructions: v("instructions"), Source: faultline.SourceSlack, CreatedBy: sub.User, Grace: f.set.defaultGrace()}
	if !dutyName.MatchString(d.Name) {
		problems["name"] = f.cat.T("dutycmd.add.bad_name")
	}
	for _, o := range strings.FieldsFunc(v("owners"), func(r rune) bool { return r == ',' || r == ' ' }) {
		if o = strings.TrimPrefix(o, "@"); !validUser(o) {
			problems["owners"] = f.cat.T("inc.bad_user", markup.Escape(o))
		}
		d.Owners = append(d.Owners, o)
	}
	if len(d.Owners) == 0 && problems["owners"] == "" {
		problems["owners"] = f.cat.T("dutycmd.add.need_owner")
	}
	next, err := f.sched.Next(d.Schedule, f.now())
	if err != nil {
		problems["schedule"] = f.cat.T("dutycmd.add.bad_schedule", markup.Escape(d.Schedule))
	}
	d.NextDue = next
	if g := v("grace"); g != "" {
		if d.Grace, err = time.ParseDuration(g); err != nil || d.Grace <= 0 {
			problems["grace"] = f.cat.T("dutycmd.add.bad_grace", markup.Escape(g))
		}
	}
	if !faultline.ValidRole(d.EscalateTo) {
		problems["escalate"] = f.cat.T("dutycmd.add.bad_role")
	}
	return d, problems
}
