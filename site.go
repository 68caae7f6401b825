package faultline

import (
	"strings"
	"time"
)

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
