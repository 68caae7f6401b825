package faultline

import "time"

// MinRetention is six months (183 days), the least the Cybersecurity Law
// (网络安全法 第二十一条) allows network logs to be kept: no incident or
// ticket is purged sooner after its last change.
const MinRetention = 183 * 24 * time.Hour

// Level is an incident's grade on the national scale of GB/T 20986-2023
// and the 《国家网络安全事件报告管理办法》: 特别重大, 重大, 较大, 一般. The
// procedure's own scale is Severity; the configuration maps one onto the
// other.
type Level string

// National levels, least grave first.
const (
	LevelGeneral       Level = "general"       // 一般
	LevelSignificant   Level = "significant"   // 较大: reported outside the company
	LevelSerious       Level = "serious"       // 重大
	LevelExtraordinary Level = "extraordinary" // 特别重大
)

// Levels lists the national levels, least grave first.
var Levels = []Level{LevelGeneral, LevelSignificant, LevelSerious, LevelExtraordinary}

// Known reports whether l is one of Levels.
func (l Level) Known() bool { return l.Rank() > 0 }

// Rank is l's place in Levels counted from 1, or 0 for an unknown level.
func (l Level) Rank() int {
	for i, k := range Levels {
		if l == k {
			return i + 1
		}
	}
	return 0
}

// Reportable reports whether an incident of level l must be reported
// outside the company: 较大 and above (属于较大以上网络安全事件的).
func (l Level) Reportable() bool { return l.Rank() >= LevelSignificant.Rank() }

// Operator is what kind of network operator the company is, which sets
// whom it reports to and how soon (《国家网络安全事件报告管理办法》 第四条).
type Operator string

// Operator kinds.
const (
	OperatorNone  Operator = ""            // no outside reporting clocks
	OperatorCII   Operator = "cii"         // critical information infrastructure: 1 hour
	OperatorState Operator = "state_organ" // central and state organs and their units: 2 hours
	OperatorOther Operator = "other"       // every other operator: 4 hours
)

// Operators lists the operator kinds that report.
var Operators = []Operator{OperatorCII, OperatorState, OperatorOther}

// ReportWithin is how long an operator of kind o has to report an
// incident it must report, counted from when it learned of it; 0 for no
// duty.
func (o Operator) ReportWithin() time.Duration {
	switch o {
	case OperatorCII:
		return time.Hour
	case OperatorState:
		return 2 * time.Hour
	case OperatorOther:
		return 4 * time.Hour
	}
	return 0
}

// Known reports whether o is one of Operators.
func (o Operator) Known() bool { return o.ReportWithin() > 0 }

// Report channels the cyberspace administration takes reports through
// (12387 热线、官网、微信公众号、微信小程序、邮件、传真), and the others a
// protection department may name.
var ReportChannels = []string{"hotline", "website", "wechat", "miniprogram", "email", "fax", "in_person", "other"}

// OutsideReport is a report of an incident made outside the company: the
// first report, or a supplement (补报) of what was not yet known.
type OutsideReport struct {
	To        string    `json:"to"`        // the authority, as people say it
	Channel   string    `json:"channel"`   // one of ReportChannels
	Reference string    `json:"reference"` // the receipt number the authority gave, if any
	At        time.Time `json:"at"`        // when it was made
	Pending   string    `json:"pending"`   // what is still being investigated, to be supplemented
	Text      string    `json:"text"`      // a supplement: what it adds
}
