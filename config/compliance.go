package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/faultline/faultline"
)

// Compliance is how the company grades incidents and reports them outside
// (《国家网络安全事件报告管理办法》, GB/T 20986-2023). Without an operator
// there is no outside reporting clock.
type Compliance struct {
	// Operator is cii, state_organ or other; empty for none. It sets the
	// outside report's deadline for incidents of 较大 and above: 1h, 2h
	// or 4h from the declaration.
	Operator faultline.Operator `yaml:"operator"`
	// Unit is the company's name as the report files it.
	Unit string `yaml:"unit"`
	// Scheme is the grading the Classify form offers: procedure (the
	// document's 一般 / 重要 / 紧急, the default) or national (特别重大 /
	// 重大 / 较大 / 一般 with a category).
	Scheme string `yaml:"scheme"`
	// Levels maps each national level to the procedure's severity, which
	// decides the procedure's own steps (the executive, the company
	// notice). Under the procedure scheme a severity counts as the lowest
	// national level mapped to it.
	Levels map[faultline.Level]faultline.Severity `yaml:"levels"`
	// Categories are the incident categories offered with the national
	// scheme; default GB/T 20986-2023's ten.
	Categories []string `yaml:"categories"`
	// Deadlines overrides the outside report's deadline per level.
	Deadlines map[faultline.Level]time.Duration `yaml:"deadlines"`
	// Authority is whom the report goes to; default the operator's.
	Authority string `yaml:"authority"`
	// Role is reminded before the deadline; default info_manager.
	Role faultline.Role `yaml:"role"`
	// Reminders are how long before the deadline to remind; default 30m, 10m.
	Reminders []time.Duration `yaml:"reminders"`
	// Supplement is how long after a report that left something still
	// under investigation its supplement (补报) is due; default 24h.
	Supplement time.Duration `yaml:"supplement"`
	// Note says how to report: the hotline, the form's address.
	Note string `yaml:"note"`
}

// Retention is how long finished records are kept.
type Retention struct {
	// Incidents is how long an archived incident and its timeline are kept
	// after their last change before they are purged; at least six months
	// (网络安全法 第二十一条). Unset, they are kept for good.
	Incidents time.Duration `yaml:"incidents"`
	// Faults is the same for closed fault tickets.
	Faults time.Duration `yaml:"faults"`
}

// MinRetention is six months (183 days), the least the Cybersecurity Law
// allows for network logs (留存相关的网络日志不少于六个月).
const MinRetention = faultline.MinRetention

// Webhook is a group robot of DingTalk, Feishu or WeCom that receives some
// of the bot's messages.
type Webhook struct {
	Name string `yaml:"name"`
	// Kind is dingtalk, feishu or wecom.
	Kind string `yaml:"kind"`
	// URL is the robot's webhook address (WeCom's carries its key).
	URL string `yaml:"url"`
	// Secret signs each message (DingTalk's 加签 SEC…, Feishu's 签名校验);
	// required for those two, none for WeCom.
	Secret string `yaml:"secret"`
	// Send lists what goes there: escalations, notices, outages, overdue.
	Send []string `yaml:"send"`
	// Detail is minimal (the number, level and deadline only, the
	// default) or full (with the description or the target).
	Detail string `yaml:"detail"`
	// PerMinute is the robot's limit; default 20.
	PerMinute int `yaml:"per_minute"`
	// Language of the messages; default zh.
	Language string `yaml:"language"`
}

// Webhook kinds and what can be sent.
var (
	WebhookKinds  = []string{"dingtalk", "feishu", "wecom"}
	WebhookTopics = []string{"escalations", "notices", "outages", "overdue"}
	reHookName    = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)
)

// DefaultCategories are GB/T 20986-2023's ten incident categories.
var DefaultCategories = []string{
	"恶意程序事件", "网络攻击事件", "数据安全事件", "信息内容安全事件", "设备设施故障事件",
	"违规操作事件", "安全隐患事件", "异常行为事件", "不可抗力事件", "其他事件",
}

// defaultAuthority is whom an operator reports to (第四条).
var defaultAuthority = map[faultline.Operator]string{
	faultline.OperatorCII:   "保护工作部门、公安机关",
	faultline.OperatorState: "本部门网信工作机构",
	faultline.OperatorOther: "属地省级网信部门",
}

func (c *Compliance) applyDefaults() {
	for i, cat := range c.Categories {
		c.Categories[i] = strings.TrimSpace(cat) // as the Classify form compares what it gets
	}
	if c.Scheme == "" {
		c.Scheme = "procedure"
	}
	if c.Levels == nil {
		c.Levels = map[faultline.Level]faultline.Severity{}
	}
	def := map[faultline.Level]faultline.Severity{
		faultline.LevelGeneral: faultline.SevGeneral, faultline.LevelSignificant: faultline.SevMajor,
		faultline.LevelSerious: faultline.SevCritical, faultline.LevelExtraordinary: faultline.SevCritical,
	}
	for l, s := range def {
		if _, ok := c.Levels[l]; !ok {
			c.Levels[l] = s
		}
	}
	if len(c.Categories) == 0 {
		c.Categories = slices.Clone(DefaultCategories)
	}
	if c.Authority == "" {
		c.Authority = defaultAuthority[c.Operator]
	}
	if c.Role == "" {
		c.Role = faultline.RoleInfoManager
	}
	if c.Reminders == nil {
		c.Reminders = []time.Duration{30 * time.Minute, 10 * time.Minute}
	}
	orDefault(&c.Supplement, 24*time.Hour)
	if c.Note == "" && c.Operator != faultline.OperatorNone {
		c.Note = "12387 网络安全事件报告热线，或网信部门官网、微信公众号、小程序、邮件、传真"
	}
}

func (w *Webhook) applyDefaults() {
	if w.Detail == "" {
		w.Detail = "minimal"
	}
	if w.PerMinute == 0 {
		w.PerMinute = 20
	}
	if w.Language == "" {
		w.Language = "zh"
	}
}

func checkCompliance(c *Config, col *collector) {
	cp := c.Compliance
	if cp.Operator != faultline.OperatorNone && !cp.Operator.Known() {
		col.add("compliance.operator", "%q is not an operator type; use cii (critical information infrastructure, 1 hour), state_organ (central and state organs, 2 hours), other (4 hours), or leave it out for none", cp.Operator)
	}
	switch cp.Scheme {
	case "", "procedure", "national":
	default:
		col.add("compliance.scheme", "%q is not a grading scheme; use procedure (一般 / 重要 / 紧急) or national (GB/T 20986-2023: 一般 / 较大 / 重大 / 特别重大)", cp.Scheme)
	}
	for _, l := range sortedKeys(cp.Levels) {
		s, p := cp.Levels[l], "compliance.levels."+string(l)
		if !l.Known() {
			col.add(p, "%q is not a national level; use general, significant, serious or extraordinary", l)
		}
		if !s.Known() {
			col.add(p, "%q is not a procedure severity; use general, major or critical", s)
		}
	}
	for _, l := range sortedKeys(cp.Deadlines) {
		d, p := cp.Deadlines[l], "compliance.deadlines."+string(l)
		switch {
		case !l.Known():
			col.add(p, "%q is not a national level; use significant, serious or extraordinary", l)
		case !l.Reportable():
			col.add(p, "an incident graded %s is not reported outside; deadlines are for significant, serious and extraordinary", l)
		case d <= 0:
			col.add(p, "must be a positive duration, like 1h")
		case cp.Operator.Known() && d > cp.Operator.ReportWithin():
			col.add(p, "%s is later than the %s the regulation gives a %s operator", d, cp.Operator.ReportWithin(), cp.Operator)
		}
	}
	seen := map[string]bool{}
	for i, cat := range cp.Categories {
		p := fmt.Sprintf("compliance.categories[%d]", i)
		switch cat = strings.TrimSpace(cat); {
		case cat == "":
			col.add(p, "a category needs a name")
		case seen[cat]:
			col.add(p, "%q is listed twice", cat)
		}
		seen[cat] = true
	}
	if cp.Role != "" {
		checkRole(col, "compliance.role", cp.Role)
	}
	if cp.Operator == faultline.OperatorNone && len(cp.Deadlines) > 0 {
		col.add("compliance.deadlines", "no outside report is due without compliance.operator, so these deadlines are never used: set the operator (cii, state_organ or other)")
	}
	shortest := cp.Operator.ReportWithin()
	for l, d := range cp.Deadlines {
		if l.Reportable() && d > 0 && d < shortest {
			shortest = d
		}
	}
	for i, r := range cp.Reminders {
		p := fmt.Sprintf("compliance.reminders[%d]", i)
		checkPositive(col, p, r)
		if cp.Operator.Known() && r >= shortest {
			col.add(p, "%s before a deadline of %s would remind at once; a reminder is time left before the deadline, shorter than it", short(r), short(shortest))
		}
	}
	checkPositive(col, "compliance.supplement", cp.Supplement)
	checkRetention(c, col)
	checkWebhooks(c, col)
}

func checkRetention(c *Config, col *collector) {
	for _, r := range []struct {
		path string
		d    time.Duration
	}{{"retention.incidents", c.Retention.Incidents}, {"retention.faults", c.Retention.Faults}} {
		if r.d != 0 && r.d < MinRetention || r.d == 0 && col.ix.has(r.path) {
			col.add(r.path, "%s is under six months; the Cybersecurity Law (第二十一条) keeps network logs at least six months: use 4392h (183 days) or more",
				strings.TrimSuffix(r.d.String(), "0m0s"))
		}
	}
}

func checkWebhooks(c *Config, col *collector) {
	names := map[string]bool{}
	for i, w := range c.Webhooks {
		p := fmt.Sprintf("webhooks[%d]", i)
		switch {
		case !reHookName.MatchString(w.Name):
			col.add(p+".name", "a webhook needs a name of lower-case letters, digits, - and _ (up to 40), like it-managers")
		case names[w.Name]:
			col.add(p+".name", "%q names two webhooks", w.Name)
		}
		names[w.Name] = true
		if !slices.Contains(WebhookKinds, w.Kind) {
			col.add(p+".kind", "%q is not a webhook kind; use dingtalk, feishu or wecom", w.Kind)
		}
		u, err := url.Parse(w.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			col.add(p+".url", "needs the robot's webhook address, https://…")
		} else if u.Scheme == "http" && !loopback(u.Hostname()) {
			col.add(p+".url", "use https://: over http the robot's token, key and signature cross the network in the clear (http is for a local test robot on 127.0.0.1 only)")
		} else if u.User != nil {
			col.add(p+".url", "a robot's address carries no user name or password")
		} else if w.Kind == "wecom" && u.Query().Get("key") == "" {
			col.add(p+".url", "a WeCom robot's address carries its key: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…")
		} else if w.Kind == "dingtalk" && u.Query().Get("access_token") == "" {
			col.add(p+".url", "a DingTalk robot's address carries its access_token: https://oapi.dingtalk.com/robot/send?access_token=…")
		}
		switch {
		case (w.Kind == "dingtalk" || w.Kind == "feishu") && strings.TrimSpace(w.Secret) == "":
			col.add(p+".secret", "a %s robot must be set to sign (加签 / 签名校验) and its secret given here, so nobody else can post as it", w.Kind)
		case w.Kind == "wecom" && w.Secret != "":
			col.add(p+".secret", "a WeCom robot does not sign; its key is in the url, so leave secret out")
		}
		if len(w.Send) == 0 {
			col.add(p+".send", "say what goes there: escalations, notices, outages, overdue")
		}
		for j, t := range w.Send {
			if !slices.Contains(WebhookTopics, t) {
				col.add(fmt.Sprintf("%s.send[%d]", p, j), "%q is not something a webhook receives; use escalations, notices, outages or overdue", t)
			}
		}
		switch w.Detail {
		case "", "minimal", "full":
		default:
			col.add(p+".detail", "%q is not a detail level; use minimal (number, level and deadline) or full", w.Detail)
		}
		if w.PerMinute < 0 || w.PerMinute > 100 || (w.PerMinute == 0 && col.ix.has(p+".per_minute")) {
			col.add(p+".per_minute", "must be between 1 and 100 (DingTalk and WeCom allow 20 a minute)")
		}
		switch w.Language {
		case "", "zh", "en":
		default:
			col.add(p+".language", "%q is not a language; use zh or en", w.Language)
		}
	}
}

// sortedKeys are m's keys in order, so problems come out the same each run.
func sortedKeys[V any](m map[faultline.Level]V) []faultline.Level {
	keys := make([]faultline.Level, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// loopback reports whether host is this machine: localhost or a loopback
// address.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// short is d as people write it: 1h, 30m, 1h30m.
func short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
