package faultline

// Role is a configured job in the IT department. Anyone not listed in the
// config under a role is an Employee.
type Role string

// The roles of the procedure document (岗位职责).
const (
	RoleEmployee     Role = "employee"
	RoleMaintainer   Role = "maintainer"    // 系统维护员
	RoleSysadmin     Role = "sysadmin"      // 系统管理员
	RoleITSupervisor Role = "it_supervisor" // IT维护主管
	RoleInfoManager  Role = "info_manager"  // 信息管理员
	RoleProjectLead  Role = "project_lead"  // 项目组组长
	RoleDeveloper    Role = "developer"     // 软件开发员
	RoleDeptHead     Role = "dept_head"     // 信息部部长
	RoleExec         Role = "exec"          // 公司分管领导
	RoleHQNetadmin   Role = "hq_netadmin"   // 总公司网络管理员
)

// Roles held on one record only, never configured: the person who reported
// a ticket or an incident, and whoever owes an incident's summary report
// (the responsible person, 责任人).
const (
	RoleReporter    Role = "reporter"
	RoleResponsible Role = "responsible"
)

// Roles lists every role a config may name, in the order of the document.
var Roles = []Role{
	RoleDeptHead, RoleITSupervisor, RoleProjectLead, RoleInfoManager, RoleDeveloper,
	RoleSysadmin, RoleMaintainer, RoleExec, RoleHQNetadmin,
}

// Technicians are the roles that work tickets (系统维护员, 系统管理员,
// IT维护主管, 信息管理员).
var Technicians = []Role{RoleMaintainer, RoleSysadmin, RoleITSupervisor, RoleInfoManager}

// SecurityRoles handle incidents: the information manager first (负责集团
// 的信息系统安全工作), with the department head, the IT supervisor and the
// sysadmins.
var SecurityRoles = []Role{RoleInfoManager, RoleDeptHead, RoleITSupervisor, RoleSysadmin}

// ValidRole reports whether r is a role a config may name.
func ValidRole(r Role) bool { return HasAny([]Role{r}, Roles) }

// HasAny reports whether have and want share a role.
func HasAny(have, want []Role) bool {
	for _, h := range have {
		for _, w := range want {
			if h == w {
				return true
			}
		}
	}
	return false
}

// Actor is who takes a step: a Slack user ID and the roles the config gives
// them. The roles a person holds on one record only (reporter, responsible)
// are added by that record's rules.
type Actor struct {
	User  string
	Roles []Role
}
