// Package faultline holds Faultline's domain: sites and their network paths,
// fault tickets and their timelines, roles, the rules that judge a path check,
// and the message catalog. It depends on nothing but the standard library;
// every other package points inward to it.
package faultline

import (
	"strings"
	"time"
)

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

// Roles lists every role a config may name, in the order of the document.
var Roles = []Role{
	RoleDeptHead, RoleITSupervisor, RoleProjectLead, RoleInfoManager, RoleDeveloper,
	RoleSysadmin, RoleMaintainer, RoleExec, RoleHQNetadmin,
}

// ValidRole reports whether r is a role a config may name.
func ValidRole(r Role) bool {
	for _, known := range Roles {
		if r == known {
			return true
		}
	}
	return false
}

// HopKind says what a hop on a site's path is, which decides what a failure
// there means: a device to restart or repair, a carrier line, or HQ's side.
type HopKind string

// Hop kinds. KindHost is an ad-hoc target typed by a user, not from config.
const (
	KindDevice HopKind = "device"
	KindLine   HopKind = "line"
	KindHQ     HopKind = "hq"
	KindHost   HopKind = "host"
)

// Hop is one step on a site's network path, in order from the user outward.
type Hop struct {
	Name   string  `yaml:"name"`
	Host   string  `yaml:"host"`
	Kind   HopKind `yaml:"kind"`
	Device string  `yaml:"device,omitempty"` // ID in the device inventory
	Line   string  `yaml:"line,omitempty"`   // ID in the line inventory
}

// Site is a place whose network users report faults for.
type Site struct {
	Name    string   `yaml:"name"`
	Aliases []string `yaml:"aliases,omitempty"`
	Path    []Hop    `yaml:"path"`
}

// Matches reports whether name is the site's name or one of its aliases,
// ignoring case.
func (s Site) Matches(name string) bool {
	if strings.EqualFold(s.Name, name) {
		return true
	}
	for _, a := range s.Aliases {
		if strings.EqualFold(a, name) {
			return true
		}
	}
	return false
}

// FindSite returns the site called name (or aliased so), or false.
func FindSite(sites []Site, name string) (Site, bool) {
	for _, s := range sites {
		if s.Matches(name) {
			return s, true
		}
	}
	return Site{}, false
}

// HostPath is the one-hop path used when a user names a host that is not a
// configured site.
func HostPath(host string) []Hop {
	return []Hop{{Name: host, Host: host, Kind: KindHost}}
}

// Device is a piece of network equipment in the inventory (网络设备进行标示).
type Device struct {
	ID            string `yaml:"id"`
	Label         string `yaml:"label"`
	Model         string `yaml:"model,omitempty"`
	Location      string `yaml:"location,omitempty"`
	Vendor        string `yaml:"vendor,omitempty"`
	VendorContact string `yaml:"vendor_contact,omitempty"`
	WarrantyEnd   string `yaml:"warranty_end,omitempty"` // YYYY-MM-DD
}

// Line is a leased line or WAN circuit from a carrier (专线).
type Line struct {
	ID         string        `yaml:"id"`
	Carrier    string        `yaml:"carrier"`
	FaultPhone string        `yaml:"fault_phone,omitempty"`
	Circuit    string        `yaml:"circuit,omitempty"`
	SLA        time.Duration `yaml:"sla,omitempty"`
}
