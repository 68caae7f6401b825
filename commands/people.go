package commands

import (
	"strings"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/catalog"
	"github.com/faultline/faultline/markup"
)

// roleKeys names each role in the catalog.
var roleKeys = map[faultline.Role]string{
	faultline.RoleDeptHead:     "role.dept_head",
	faultline.RoleITSupervisor: "role.it_supervisor",
	faultline.RoleProjectLead:  "role.project_lead",
	faultline.RoleInfoManager:  "role.info_manager",
	faultline.RoleDeveloper:    "role.developer",
	faultline.RoleSysadmin:     "role.sysadmin",
	faultline.RoleMaintainer:   "role.maintainer",
	faultline.RoleExec:         "role.exec",
	faultline.RoleHQNetadmin:   "role.hq_netadmin",
	faultline.RoleReporter:     "role.reporter",
	faultline.RoleResponsible:  "role.responsible",
	faultline.RoleEmployee:     "role.employee",
}

func (f *flow) roleName(r faultline.Role) string { return RoleName(f.cat, r) }

// RoleName is a role's name in cat's language (its key when the catalog
// has none), for the flows and the console.
func RoleName(cat catalog.Catalog, r faultline.Role) string {
	if key, ok := roleKeys[r]; ok {
		return cat.T(key)
	}
	return markup.Escape(string(r))
}

// roleNames lists roles for a sentence: "a, b or c".
func (f *flow) roleNames(roles []faultline.Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = f.roleName(r)
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], f.cat.T("list.sep")) + f.cat.T("list.or") + names[len(names)-1]
}

// members mentions everyone holding role, or says nobody does.
func (f *flow) members(role faultline.Role) string {
	users := f.set.Roles[role]
	if len(users) == 0 {
		return f.cat.T("role.nobody", f.roleName(role))
	}
	return mentions(users)
}

func mentions(users []string) string {
	m := make([]string, len(users))
	for i, u := range users {
		m[i] = markup.Mention(u)
	}
	return strings.Join(m, " ")
}

// who mentions a person, or names the bot when it acted by itself (a
// monitor opened the ticket).
func (f *flow) who(user string) string {
	if user == faultline.ActorBot {
		return f.cat.T("actor.monitor")
	}
	return markup.Mention(user)
}

// owner mentions whoever owns a record, or says nobody does yet.
func (f *flow) owner(user string) string {
	if user == "" {
		return f.cat.T("field.nobody")
	}
	return markup.Mention(user)
}

// hasRole reports whether user holds one of roles in the config.
func (f *flow) hasRole(user string, roles []faultline.Role) bool {
	return faultline.HasAny(f.actor(user).Roles, roles)
}

// dmRole is a DM with text to everyone holding role.
func (f *flow) dmRole(role faultline.Role, text string) []faultline.Outgoing {
	var out []faultline.Outgoing
	for _, u := range f.set.Roles[role] {
		out = append(out, directMessage(u, faultline.Message{Text: text}))
	}
	return out
}

// validUser reports whether id looks like a Slack user ID (U… or W…).
func validUser(id string) bool {
	if len(id) < 2 || (id[0] != 'U' && id[0] != 'W') {
		return false
	}
	for _, r := range id[1:] {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
