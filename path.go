package faultline

import "time"

// PingResult is what probing one host found. A host that did not answer has
// Received == 0 and no Error; Error is set only when the check itself could
// not run (the name did not resolve, the socket was not permitted), which
// says nothing about the host.
type PingResult struct {
	Host     string        `json:"host"`
	Sent     int           `json:"sent"`
	Received int           `json:"received"`
	MinRTT   time.Duration `json:"min_rtt"`
	AvgRTT   time.Duration `json:"avg_rtt"`
	MaxRTT   time.Duration `json:"max_rtt"`
	Error    string        `json:"error,omitempty"`
}

// Answered reports whether at least one reply came back.
func (r PingResult) Answered() bool { return r.Error == "" && r.Received > 0 }

// Loss is the fraction of probes without a reply, 0 to 1. A check that sent
// nothing has no loss figure and reports 1.
func (r PingResult) Loss() float64 {
	if r.Sent == 0 {
		return 1
	}
	return 1 - float64(r.Received)/float64(r.Sent)
}

// HopStatus is the judgement on one hop of a checked path.
type HopStatus string

// Hop statuses. Filtered is a silent hop with an answering hop behind it: it
// merely ignores ICMP, it is not the fault. Behind is a silent hop past the
// failing one: it cannot be reached, so its silence says nothing more.
const (
	HopUp       HopStatus = "up"
	HopLossy    HopStatus = "lossy"
	HopDown     HopStatus = "down"
	HopFiltered HopStatus = "filtered"
	HopBehind   HopStatus = "behind"
	HopUnknown  HopStatus = "unknown"
)

// VerdictKind names what kind of fault a path check found.
type VerdictKind string

// Verdict kinds: the failing hop's kind decides the procedure that follows
// (device → restart or repair, line → carrier, hq → HQ's network admin).
const (
	VerdictHealthy VerdictKind = "healthy" // every hop answers: the PC or an application
	VerdictDevice  VerdictKind = "device"  // 设备故障
	VerdictLine    VerdictKind = "line"    // 专线/广域网线路中断
	VerdictHQ      VerdictKind = "hq"      // 总公司侧
	VerdictHost    VerdictKind = "host"    // an ad-hoc host does not answer
	VerdictUnknown VerdictKind = "unknown" // the check could not run for the hops that matter
)

// Verdict is the judgement on a whole path. Failing is the index of the
// failing hop in path order, or -1.
type Verdict struct {
	Kind    VerdictKind `json:"kind"`
	Failing int         `json:"failing"`
	Status  []HopStatus `json:"status"`
}

// PathCheck is one check of a path: the hops as configured, what each
// answered, and the verdict.
type PathCheck struct {
	Target  string        `json:"target"`
	Hops    []Hop         `json:"hops"`
	Results []PingResult  `json:"results"`
	Verdict Verdict       `json:"verdict"`
	At      time.Time     `json:"at"`
	Took    time.Duration `json:"took"`
}

// Judge decides a path from its ping results (results[i] belongs to
// path[i]). The failing hop is the first silent hop after the last hop that
// answered: a silent hop with an answering hop behind it filters ICMP and is
// not the fault. Hops whose check could not run are unknown; if the hop that
// would be failing is unknown, so is the verdict.
func Judge(path []Hop, results []PingResult) Verdict {
	v := Verdict{Failing: -1, Status: make([]HopStatus, len(path))}
	last := -1
	for i := range path {
		if i < len(results) && results[i].Answered() {
			last = i
		}
	}
	for i := range path {
		switch {
		case i >= len(results) || results[i].Error != "":
			v.Status[i] = HopUnknown
		case results[i].Answered() && results[i].Received < results[i].Sent:
			v.Status[i] = HopLossy
		case results[i].Answered():
			v.Status[i] = HopUp
		case i < last:
			v.Status[i] = HopFiltered
		case v.Failing < 0:
			v.Status[i] = HopDown
			v.Failing = i
		default:
			v.Status[i] = HopBehind
		}
	}
	v.Kind = verdictKind(path, v)
	return v
}

func verdictKind(path []Hop, v Verdict) VerdictKind {
	if v.Failing < 0 {
		for _, s := range v.Status {
			if s == HopUnknown {
				return VerdictUnknown
			}
		}
		return VerdictHealthy
	}
	// An unknown hop between the last answer and the silent one could be the
	// real fault; say so rather than blame the wrong hop.
	for i := v.Failing - 1; i >= 0 && v.Status[i] != HopUp && v.Status[i] != HopLossy; i-- {
		if v.Status[i] == HopUnknown {
			return VerdictUnknown
		}
	}
	switch path[v.Failing].Kind {
	case KindLine:
		return VerdictLine
	case KindHQ:
		return VerdictHQ
	case KindHost:
		return VerdictHost
	default:
		return VerdictDevice
	}
}
