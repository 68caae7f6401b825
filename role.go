package faultline

// RoleReporter is not configured: a person holds it on the tickets they
// reported, and only there.
const RoleReporter Role = "reporter"

// Technicians are the roles that work tickets (系统维护员, 系统管理员,
// IT维护主管, 信息管理员).
var Technicians = []Role{RoleMaintainer, RoleSysadmin, RoleITSupervisor, RoleInfoManager}

// faultPermissions says who may take each step. A restart needs the
// company's network admin (经公司网管确认), that is a sysadmin; whether the
// network works again is the reporter's word.
var faultPermissions = map[FaultAction][]Role{
	ActTake:           Technicians,
	ActRequestRestart: Technicians,
	ActConfirmRestart: {RoleSysadmin},
	ActCancelRestart:  Technicians,
	ActVendor:         Technicians,
	ActEscalateHQ:     Technicians,
	ActMarkFixed:      Technicians,
	ActWorks:          {RoleReporter},
	ActStillBroken:    {RoleReporter},
	ActOverride:       Technicians,
	ActClose:          Technicians,
}

// CanDo reports whether someone holding roles may take action.
func CanDo(roles []Role, a FaultAction) bool {
	for _, allowed := range faultPermissions[a] {
		for _, r := range roles {
			if r == allowed {
				return true
			}
		}
	}
	return false
}

// RequiredRoles lists the roles that may take action, for a refusal.
func RequiredRoles(a FaultAction) []Role { return faultPermissions[a] }
