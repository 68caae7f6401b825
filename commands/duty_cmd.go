package commands

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/faultline/faultline"
)

// dutyAdmins may add, pause and resume duties from Slack.
var dutyAdmins = append([]faultline.Role{faultline.RoleDeptHead}, faultline.Technicians...)

var dutyName = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}_.-]{0,63}$`)

// dutyCommand handles /duty: list, show, add (a form), pause, resume, help.
func (s *Service) dutyCommand(ctx context.Context, req Request) Response {
	word, rest := cut(req.Text)
	switch strings.ToLower(word) {
	case "", "help":
		return Response{Reply: s.ephemeral(s.cat.T("dutycmd.usage"))}
	}
	if !s.hasRole(req.User, dutyAdmins) {
		return Response{Reply: s.ephemeral(s.cat.T("refuse.role", s.cat.T("dutycmd.manage"), s.roleNames(dutyAdmins)))}
	}
	name, _ := cut(rest)
	switch strings.ToLower(word) {
	case "list":
		return s.listDuties(ctx)
	case "show":
		return s.showDuty(ctx, name)
	case "add":
		return Response{Modal: s.dutyAddModal()}
	case "pause", "resume":
		return s.pauseDuty(ctx, name, word == "pause")
	}
	return Response{Reply: s.ephemeral(s.cat.T("dutycmd.usage"))}
}

func (s *Service) hasRole(user string, roles []faultline.Role) bool {
	for _, have := range s.rolesOf(user, faultline.Fault{}) {
		for _, want := range roles {
			if have == want {
				return true
			}
		}
	}
	return false
}

func (s *Service) listDuties(ctx context.Context) Response {
	duties, err := s.store.Duties(ctx)
	if err != nil {
		return s.internal(ctx, "list duties", err)
	}
	if len(duties) == 0 {
		return Response{Reply: s.ephemeral(s.cat.T("dutycmd.none"))}
	}
	lines := []string{s.cat.T("dutycmd.title", len(duties))}
	for _, d := range duties {
		next := s.fmtTime(d.NextDue)
		if d.Paused {
			next = s.cat.T("dutycmd.paused")
		}
		lines = append(lines, s.cat.T("dutycmd.item", faultline.Escape(d.Name), mentions(d.Owners), faultline.Escape(d.Schedule),
			next, s.cat.T("role."+string(d.EscalateTo)), s.cat.T("dutycmd.source."+d.Source)))
	}
	return Response{Reply: s.ephemeral(strings.Join(lines, "\n"))}
}

func mentions(users []string) string {
	m := make([]string, len(users))
	for i, u := range users {
		m[i] = faultline.Mention(u)
	}
	return strings.Join(m, " ")
}

// showDuty lists a duty's recent occurrences: the proof of who backed up
// when.
func (s *Service) showDuty(ctx context.Context, name string) Response {
	d, err := s.store.Duty(ctx, name)
	if isNotFound(err) {
		return Response{Reply: s.ephemeral(s.cat.T("dutycmd.not_found", faultline.Escape(name)))}
	}
	if err != nil {
		return s.internal(ctx, "show duty", err)
	}
	list, err := s.store.DutyOccurrences(ctx, d.ID, 20)
	if err != nil {
		return s.internal(ctx, "duty occurrences", err)
	}
	lines := []string{s.cat.T("dutycmd.show", faultline.Escape(d.Name), mentions(d.Owners), faultline.Escape(d.Schedule), minutes(d.Grace))}
	for _, o := range list {
		lines = append(lines, s.cat.T("dutycmd.occ", s.fmtTime(o.DueAt), faultline.Mention(o.Owner), s.occurrenceText(o)))
	}
	return Response{Reply: s.ephemeral(strings.Join(lines, "\n"))}
}

func (s *Service) occurrenceText(o faultline.Occurrence) string {
	switch {
	case o.State == faultline.OccDone:
		return s.cat.T("occ.done", s.fmtTime(o.DoneAt), faultline.Escape(orDash(o.Note)))
	case o.State == faultline.OccCant:
		return s.cat.T("occ.cant", faultline.Escape(o.Reason))
	case o.OwnerGone:
		return s.cat.T("occ.gone")
	case o.Missed():
		return s.cat.T("occ.missed")
	}
	return s.cat.T("occ.pending")
}

func (s *Service) pauseDuty(ctx context.Context, name string, pause bool) Response {
	d, err := s.store.Duty(ctx, name)
	if isNotFound(err) {
		return Response{Reply: s.ephemeral(s.cat.T("dutycmd.not_found", faultline.Escape(name)))}
	}
	if err != nil {
		return s.internal(ctx, "pause duty", err)
	}
	next := time.Time{}
	if !pause {
		if next, err = s.sched.Next(d.Schedule, s.now()); err != nil {
			return s.internal(ctx, "resume duty", err)
		}
	}
	if err := s.store.SetDutyPaused(ctx, name, pause, next); err != nil {
		return s.internal(ctx, "pause duty", err)
	}
	if pause {
		return Response{Reply: s.ephemeral(s.cat.T("dutycmd.paused_done", faultline.Escape(name)))}
	}
	return Response{Reply: s.ephemeral(s.cat.T("dutycmd.resumed", faultline.Escape(name), s.fmtTime(next)))}
}

func (s *Service) dutyAddModal() *Modal {
	roles := make([]Option, len(faultline.Roles))
	for i, r := range faultline.Roles {
		roles[i] = Option{Value: string(r), Label: s.cat.T("role." + string(r))}
	}
	return &Modal{CallbackID: CallbackDutyAdd, Title: s.cat.T("dutycmd.add.title"), Submit: s.cat.T("modal.save"),
		Inputs: []Input{
			{ID: "name", Label: s.cat.T("dutycmd.add.name"), Hint: s.cat.T("dutycmd.add.name_hint"), MaxLength: 64},
			{ID: "owners", Label: s.cat.T("dutycmd.add.owners"), Hint: s.cat.T("dutycmd.add.owners_hint"), MaxLength: 500},
			{ID: "schedule", Label: s.cat.T("dutycmd.add.schedule"), Hint: s.cat.T("dutycmd.add.schedule_hint"), MaxLength: 100},
			{ID: "grace", Label: s.cat.T("dutycmd.add.grace"), Hint: s.cat.T("dutycmd.add.grace_hint"), Optional: true, MaxLength: 20},
			{ID: "escalate", Label: s.cat.T("dutycmd.add.escalate"), Options: roles, Value: string(faultline.RoleITSupervisor)},
			{ID: "instructions", Label: s.cat.T("dutycmd.add.instructions"), Multiline: true, Optional: true, MaxLength: 1000},
		}}
}

// submitDutyAdd checks every field (a bad schedule, an unknown person, a
// taken name each get their message) and adds the duty, due next on its
// schedule.
func (s *Service) submitDutyAdd(ctx context.Context, sub Submission) Response {
	if !s.hasRole(sub.User, dutyAdmins) {
		return Response{Errors: map[string]string{"name": plainMentions(s.cat.T("refuse.role", s.cat.T("dutycmd.manage"), s.roleNames(dutyAdmins)))}}
	}
	d, problems := s.dutyFromForm(sub)
	if len(problems) > 0 {
		return Response{Errors: problems}
	}
	_, err := s.store.CreateDuty(ctx, d, s.now())
	if errors.Is(err, faultline.ErrConflict) {
		return Response{Errors: map[string]string{"name": s.cat.T("dutycmd.add.taken", d.Name)}}
	}
	if err != nil {
		return s.internal(ctx, "add duty", err)
	}
	msg := s.ephemeral(s.cat.T("dutycmd.added", faultline.Escape(d.Name), s.fmtTime(d.NextDue)))
	return Response{Work: s.tellLater(sub.User, msg)}
}

func (s *Service) dutyFromForm(sub Submission) (faultline.Duty, map[string]string) {
	v := func(k string) string { return strings.TrimSpace(sub.Values[k]) }
	problems := map[string]string{}
	d := faultline.Duty{Name: v("name"), Schedule: v("schedule"), EscalateTo: faultline.Role(v("escalate")),
		Instructions: v("instructions"), Source: faultline.SourceSlack, CreatedBy: sub.User, Grace: s.settings.defaultGrace()}
	if !dutyName.MatchString(d.Name) {
		problems["name"] = s.cat.T("dutycmd.add.bad_name")
	}
	for _, o := range strings.FieldsFunc(v("owners"), func(r rune) bool { return r == ',' || r == ' ' }) {
		if o = strings.TrimPrefix(o, "@"); !validUser(o) {
			problems["owners"] = s.cat.T("inc.bad_user", faultline.Escape(o))
		}
		d.Owners = append(d.Owners, strings.TrimPrefix(o, "@"))
	}
	if len(d.Owners) == 0 && problems["owners"] == "" {
		problems["owners"] = s.cat.T("dutycmd.add.need_owner")
	}
	next, err := s.sched.Next(d.Schedule, s.now())
	if err != nil {
		problems["schedule"] = s.cat.T("dutycmd.add.bad_schedule", faultline.Escape(d.Schedule))
	}
	d.NextDue = next
	if g := v("grace"); g != "" {
		if d.Grace, err = time.ParseDuration(g); err != nil || d.Grace <= 0 {
			problems["grace"] = s.cat.T("dutycmd.add.bad_grace", faultline.Escape(g))
		}
	}
	if !faultline.ValidRole(d.EscalateTo) {
		problems["escalate"] = s.cat.T("dutycmd.add.bad_role")
	}
	return d, problems
}

func (set Settings) defaultGrace() time.Duration {
	if set.DutyGrace > 0 {
		return set.DutyGrace
	}
	return 2 * time.Hour
}

// Start brings the database in line with the config: its duties (config
// duties are added, updated, or paused when removed) and the schedules of
// announcements, monitors and the digest. serve and console call it once.
func (s *Service) Start(ctx context.Context) error {
	if s.sched == nil {
		return nil
	}
	now := s.now()
	duties := make([]faultline.Duty, len(s.settings.Duties))
	for i, d := range s.settings.Duties {
		d.Source = faultline.SourceConfig
		next, err := s.sched.Next(d.Schedule, now)
		if err != nil {
			return err
		}
		d.NextDue = next
		duties[i] = d
	}
	if err := s.store.SyncDuties(ctx, duties, now); err != nil {
		return err
	}
	return s.store.SyncSchedules(ctx, s.scheduleSpecs(), func(spec string) time.Time {
		next, err := s.sched.Next(spec, now)
		if err != nil {
			return now.Add(dutyFallbackPeriod)
		}
		return next
	})
}
