package commands

import (
	"slices"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/catalog"
	"github.com/faultline/faultline/markup"
)

// ComplianceSettings are how incidents are graded and reported outside
// the company (《国家网络安全事件报告管理办法》, GB/T 20986-2023).
type ComplianceSettings struct {
	Operator   faultline.Operator // none: no outside reporting clock
	Unit       string             // the reporting unit's name
	National   bool               // the Classify form offers the national levels and a category
	Levels     map[faultline.Level]faultline.Severity
	Categories []string
	Deadlines  map[faultline.Level]time.Duration // overrides of the operator's deadline
	Authority  string
	Role       faultline.Role  // reminded before the deadline
	Reminders  []time.Duration // time left at each reminder
	Supplement time.Duration   // 补报 due this long after a report that left something pending
	Note       string
}

// Within is how long after the declaration an incident of level l must be
// reported outside; 0 when it need not be.
func (c ComplianceSettings) Within(l faultline.Level) time.Duration {
	if !c.Operator.Known() || !l.Reportable() {
		return 0
	}
	if d, ok := c.Deadlines[l]; ok && d > 0 {
		return d
	}
	return c.Operator.ReportWithin()
}

// severityOf is the procedure's severity of a national level.
func (c ComplianceSettings) severityOf(l faultline.Level) faultline.Severity {
	if s, ok := c.Levels[l]; ok {
		return s
	}
	return faultline.SevGeneral
}

// levelOf is the national level of an incident: as graded under the
// national scheme, or under the procedure's the lowest level mapped to its
// severity ("" when none is, or the incident is not classified).
func (c ComplianceSettings) levelOf(i faultline.Incident) faultline.Level {
	if i.ClassifiedAt.IsZero() {
		return ""
	}
	if i.Level != "" {
		return i.Level
	}
	for _, l := range faultline.Levels {
		if c.Levels[l] == i.Severity {
			return l
		}
	}
	return ""
}

// HookSpec is a group robot (DingTalk, Feishu, WeCom) as the flows see it:
// what it receives and how much it may read. Where it is and how it is
// signed is the sender's business.
type HookSpec struct {
	Name      string
	Topics    []string // escalations, notices, outages, overdue
	Full      bool     // may read the description or target, not only the number, level and deadline
	Language  catalog.Lang
	PerMinute int // the robot's limit
}

// Webhook topics.
const (
	HookEscalations = "escalations"
	HookNotices     = "notices"
	HookOutages     = "outages"
	HookOverdue     = "overdue"
)

// hookNote is a message for the group robots: a catalog sentence over the
// record's number, its level and a time, and the detail only a robot
// allowed full detail reads.
type hookNote struct {
	textKey string
	ref     string
	level   func(catalog.Catalog) string // "" for none
	at      time.Time
	who     faultline.Role // the role told, if any
	detail  string         // in markup, escaped
	public  bool           // the detail is for everyone (an approved company notice): every robot gets it
}

// hooks is the note as one message per robot that takes topic, each
// rendered in its language with what it may read.
func (f *flow) hooks(topic string, n hookNote) []faultline.Outgoing {
	var out []faultline.Outgoing
	for _, h := range f.set.Hooks {
		if !slices.Contains(h.Topics, topic) {
			continue
		}
		cat := catalog.New(h.Language)
		level := ""
		if n.level != nil {
			level = n.level(cat)
		}
		at := ""
		if !n.at.IsZero() {
			at = n.at.In(f.set.Location).Format("2006-01-02 15:04")
		}
		who := ""
		if n.who != "" {
			who = RoleName(cat, n.who)
		}
		text := cat.T(n.textKey, n.ref, level, at, who)
		if (h.Full || n.public) && n.detail != "" {
			text += "\n" + n.detail
		}
		out = append(out, faultline.Outgoing{Kind: faultline.OutWebhook,
			Message: faultline.Message{Channel: h.Name, Text: markup.Plain(text)}})
	}
	return out
}

// hookPace is how long a robot's messages are spaced: its per-minute
// limit spread evenly, so no minute ever holds more.
func (f *flow) hookPace(name string) time.Duration {
	for _, h := range f.set.Hooks {
		if h.Name == name && h.PerMinute > 0 {
			return (time.Minute + time.Duration(h.PerMinute) - 1) / time.Duration(h.PerMinute)
		}
	}
	return 3 * time.Second
}
