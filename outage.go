package faultline

import (
	"slices"
	"strings"
	"time"
)

// An outage is one ticket however many people report it: reports of a site
// whose path breaks where an open ticket's does join that ticket, and a hop
// that several sites' paths share (the HQ line three offices use) is one
// hop, so its failure is one outage covering every site behind it.

// HopKey is a hop's identity across sites: its line ID, else its device
// ID, else its host. Two sites whose paths hold hops with one key pass
// through the same equipment.
func HopKey(h Hop) string {
	switch {
	case h.Line != "":
		return "line:" + h.Line
	case h.Device != "":
		return "device:" + h.Device
	}
	return "host:" + strings.ToLower(h.Host)
}

// HopIndex is the position of the hop with key on site's path, or -1.
func (s Site) HopIndex(key string) int {
	for i, h := range s.Path {
		if HopKey(h) == key {
			return i
		}
	}
	return -1
}

// SitesBehind lists, in config order, the sites whose paths pass the hop
// with key: those an outage there cuts off.
func SitesBehind(sites []Site, key string) []string {
	var out []string
	for _, s := range sites {
		if key != "" && s.HopIndex(key) >= 0 {
			out = append(out, s.Name)
		}
	}
	return out
}

// FindHop finds a hop by name or host on any site's path, for naming a
// hop in a command. A name that several different hops have (two sites'
// "gateway") names none: false, and the caller asks for the host.
func FindHop(sites []Site, name string) (Hop, bool) {
	var found Hop
	n := 0
	for _, s := range sites {
		for _, h := range s.Path {
			if (strings.EqualFold(h.Name, name) || strings.EqualFold(h.Host, name)) && (n == 0 || HopKey(h) != HopKey(found)) {
				found, n = h, n+1
			}
		}
	}
	return found, n == 1
}

// Covers reports whether ticket t is an outage that a report of site may
// join before its own check has run: t is open, and is the site's own
// (opened for it by a person or a monitor), or its failing hop lies on the
// site's path.
func (t Fault) Covers(site Site) bool {
	if t.State == FaultClosed {
		return false
	}
	if t.HopKey != "" && site.HopIndex(t.HopKey) >= 0 {
		return true
	}
	if t.Site != site.Name {
		return false
	}
	// The site's own ticket: an outage, or not yet checked. A ticket whose
	// path answered is one person's PC, and an unknown verdict proves nothing.
	return t.Reporter == ActorBot || t.Verdict == ""
}

// Joins decides, once a report's own path check is in, whether the report
// belongs to outage t: the check fails at t's failing hop, or further down
// the same path (the same break seen from behind it); or t is the site's
// monitor ticket, which is the site's outage whatever one check says.
// When t had no verdict of its own yet, failing is what t's check will
// find too (the checks of one site are shared), so the report joins when
// that is a break at all.
func (t Fault) Joins(site Site, path []Hop, v Verdict) bool {
	if t.Reporter == ActorBot && t.Site == site.Name {
		return true
	}
	if v.Failing < 0 || v.Kind == VerdictUnknown || v.Failing >= len(path) {
		return false
	}
	key := HopKey(path[v.Failing])
	if t.HopKey == "" {
		return t.Site == site.Name && t.Verdict == ""
	}
	if key == t.HopKey {
		return true
	}
	at := site.HopIndex(t.HopKey)
	return at >= 0 && at < v.Failing
}

// IsReporter reports whether user is one of t's reporters: one of
// People, so not a reporter who was split off to a ticket of their own.
func (t Fault) IsReporter(user string) bool {
	return slices.Contains(t.People(), user)
}

// People lists t's reporters who are people, first reporter first. A
// stored ticket keeps them all in Reporters (the first included); a ticket
// not yet stored has only its Reporter.
func (t Fault) People() []string {
	if len(t.Reporters) > 0 {
		return slices.Clone(t.Reporters)
	}
	if t.Reporter != ActorBot && t.Reporter != "" {
		return []string{t.Reporter}
	}
	return nil
}

// Window is a maintenance window on a site or a hop: while it lasts,
// monitors open no ticket there, reports are answered with it, and the
// escalation clocks of tickets there wait until it ends.
type Window struct {
	ID      int64
	Site    string // the site's name, or
	HopKey  string // the hop's key (HopKey)
	Name    string // the site's or hop's name as written
	Start   time.Time
	End     time.Time
	Reason  string
	By      string // who opened it; "config" for a planned one
	At      time.Time
	EndedBy string // who ended it early
	EndedAt time.Time
}

// WindowByConfig is the author of a planned window from the config.
const WindowByConfig = "config"

// Active reports whether the window is on at now.
func (w Window) Active(now time.Time) bool {
	return !now.Before(w.Start) && now.Before(w.Until())
}

// Until is when the window ends (early, if someone ended it).
func (w Window) Until() time.Time {
	if !w.EndedAt.IsZero() && w.EndedAt.Before(w.End) {
		return w.EndedAt
	}
	return w.End
}

// Covers reports whether the window is on site, or on a hop of its path.
func (w Window) Covers(site Site) bool {
	if w.Site != "" {
		return w.Site == site.Name
	}
	return site.HopIndex(w.HopKey) >= 0
}

// CoversFault reports whether the window is on ticket t's site or on its
// failing hop (or a hop before it on the site's path).
func (w Window) CoversFault(t Fault, sites []Site) bool {
	if w.Site != "" && w.Site == t.Site {
		return true
	}
	if w.HopKey == "" {
		return false
	}
	if w.HopKey == t.HopKey {
		return true
	}
	if s, ok := FindSite(sites, t.Site); ok {
		return s.HopIndex(w.HopKey) >= 0 && (t.HopKey == "" || s.HopIndex(w.HopKey) <= s.HopIndex(t.HopKey))
	}
	return false
}
