package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/faultline/faultline"
)

// checkSites checks every site and its path. Names and aliases share one
// namespace, as `/fault <site>` looks them up together, ignoring case.
func checkSites(c *Config, col *collector) {
	if len(c.Sites) == 0 {
		col.add("sites", "at least one site is required, with the path of hops to check")
		return
	}
	taken := map[string]string{} // lower-cased name or alias → site that has it
	for i, s := range c.Sites {
		p := fmt.Sprintf("sites[%d]", i)
		if s.Name == "" {
			col.add(p+".name", "a site needs a name")
		} else {
			checkSiteName(col, p+".name", s.Name, s.Name, taken)
		}
		for j, a := range s.Aliases {
			checkSiteName(col, fmt.Sprintf("%s.aliases[%d]", p, j), a, s.Name, taken)
		}
		if len(s.Path) == 0 {
			col.add(p+".path", "a site needs at least one hop in its path")
		}
		for j, h := range s.Path {
			checkHop(c, col, fmt.Sprintf("%s.path[%d]", p, j), h)
		}
	}
}

// checkSiteName checks one name or alias of site and claims it in taken.
func checkSiteName(col *collector, path, name, site string, taken map[string]string) {
	key := strings.ToLower(name)
	switch owner, dup := taken[key]; {
	case name == "":
		col.add(path, "an alias cannot be empty")
	case strings.ContainsAny(name, " \t\r\n"):
		col.add(path, "%q contains spaces; site names and aliases must be one word", name)
	case isReserved(key):
		col.add(path, "%q is a command word and cannot name a site; choose another name", name)
	case dup:
		col.add(path, "%q is already used by site %q; site names and aliases must be unique (ignoring case)", name, owner)
	default:
		taken[key] = site
	}
}

func isReserved(word string) bool {
	for _, r := range reservedSet {
		if word == r {
			return true
		}
	}
	return false
}

func checkHop(c *Config, col *collector, path string, h faultline.Hop) {
	if h.Name == "" {
		col.add(path+".name", "a hop needs a name")
	}
	switch {
	case h.Host == "":
		col.add(path+".host", "a hop needs a host (an IP address or host name) to ping")
	case strings.ContainsAny(h.Host, " \t\r\n/"):
		col.add(path+".host", "%q is not an IP address or host name", h.Host)
	}
	switch h.Kind {
	case faultline.KindDevice, faultline.KindLine, faultline.KindHQ:
	case "":
		col.add(path+".kind", "a hop needs a kind: device, line or hq")
	case faultline.KindHost:
		col.add(path+".kind", "\"host\" is only for hosts typed in chat; use device, line or hq")
	default:
		col.add(path+".kind", "%q is not a hop kind; use device, line or hq", h.Kind)
	}
	if h.Device != "" && h.Line != "" {
		col.add(path, "a hop is either a device or a line; give device: or line:, not both")
	}
	if _, ok := c.Device(h.Device); h.Device != "" && !ok {
		col.add(path+".device", "%q is not in the device inventory; add it under devices: or fix the id", h.Device)
	}
	if _, ok := c.Line(h.Line); h.Line != "" && !ok {
		col.add(path+".line", "%q is not in the line inventory; add it under lines: or fix the id", h.Line)
	}
}

// checkID reports a missing or repeated inventory id; seen holds the ids
// (lower-cased) met so far and where.
func checkID(col *collector, path, what, id string, seen map[string]string) {
	key := strings.ToLower(id)
	switch first, dup := seen[key]; {
	case id == "":
		col.add(path, "a %s needs an id", what)
	case dup:
		col.add(path, "%q is already the id of %s; %s ids must be unique", id, first, what)
	default:
		seen[key] = parentPath(path)
	}
}

func checkDevices(c *Config, col *collector) {
	seen := map[string]string{}
	for i, d := range c.Devices {
		p := fmt.Sprintf("devices[%d]", i)
		checkID(col, p+".id", "device", d.ID, seen)
		if d.WarrantyEnd == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, d.WarrantyEnd); err != nil {
			col.add(p+".warranty_end", "%q is not a date; write it as YYYY-MM-DD, like 2026-03-31", d.WarrantyEnd)
		}
	}
}

func checkLines(c *Config, col *collector) {
	seen := map[string]string{}
	for i, l := range c.Lines {
		p := fmt.Sprintf("lines[%d]", i)
		checkID(col, p+".id", "line", l.ID, seen)
		if l.SLA < 0 {
			col.add(p+".sla", "must not be negative")
		}
	}
}

func checkBackups(c *Config, col *collector) {
	seen := map[string]string{}
	for i, b := range c.Backups {
		p := fmt.Sprintf("backups[%d]", i)
		switch first, dup := seen[strings.ToLower(b.Name)]; {
		case b.Name == "":
			col.add(p+".name", "a backup duty needs a name")
		case dup:
			col.add(p+".name", "%q is already the name of %s; backup duty names must be unique", b.Name, first)
		default:
			seen[strings.ToLower(b.Name)] = p
		}
		checkOwners(col, p, b)
		checkSchedule(col, p+".schedule", "a backup duty", b.Schedule)
		if b.Grace < 0 {
			col.add(p+".grace", "must not be negative")
		}
		if b.EscalateTo != "" {
			checkRole(col, p+".escalate_to", b.EscalateTo)
		}
	}
}

// checkOwners insists on exactly one of owner: and owners:.
func checkOwners(col *collector, path string, b Backup) {
	switch {
	case b.Owner != "" && len(b.Owners) > 0:
		col.add(path, "give either owner: (one person) or owners: (a list), not both")
	case b.Owner == "" && len(b.Owners) == 0:
		col.add(path, "a backup duty needs an owner: (one user ID) or owners: (a list of user IDs)")
	}
	if b.Owner != "" {
		checkUser(col, path+".owner", b.Owner)
	}
	for j, id := range b.Owners {
		checkUser(col, fmt.Sprintf("%s.owners[%d]", path, j), id)
	}
}
