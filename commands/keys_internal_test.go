package commands

import (
	"testing"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/catalog"
)

// Every table of catalog keys names every value of the domain it covers,
// and only keys the catalog has; a new state, step or role cannot show up
// as a bracketed key.
func TestKeyTablesCoverTheDomain(t *testing.T) {
	cat := catalog.New(catalog.EN)
	check := func(name string, keys map[string]string, want []string) {
		t.Helper()
		for _, w := range want {
			key, ok := keys[w]
			switch {
			case !ok:
				t.Errorf("%s has no key for %q", name, w)
			case !cat.Has(key):
				t.Errorf("%s names %q for %q, which the catalog lacks", name, key, w)
			}
		}
	}
	check("faultStateKeys", strs(faultStateKeys), strs2(faultline.FaultStates))
	check("faultNextKeys", strs(faultNextKeys), strs2(faultline.FaultStates))
	check("faultStepKeys", strs(faultStepKeys), strs2(faultline.FaultProcedure.Steps))
	check("faultButtonKeys", strs(faultButtonKeys), strs2(faultline.FaultProcedure.Steps))
	check("faultDoneKeys", strs(faultDoneKeys), strs2(faultline.FaultProcedure.Steps))
	check("causeKeys", strs(causeKeys), strs2(faultline.Causes))
	check("faultTimerKeys", strs(faultTimerKeys), strs2(faultline.FaultTimers))
	check("escalationKeys", strs(escalationKeys), []string{"ack", "resolve", "device", "line"})
	check("verdictKindKeys", strs(verdictKindKeys), []string{"device", "line", "hq", "host", "healthy", "unknown"})
	check("verdictKeys", strs(verdictKeys), []string{"device", "line", "hq", "host"})
	check("roleKeys", strs(roleKeys), append(strs2(faultline.Roles), "reporter", "responsible", "employee"))
	check("incidentStateKeys", strs(incidentStateKeys), strs2(faultline.IncidentStates))
	check("incidentNextKeys", strs(incidentNextKeys), strs2(faultline.IncidentStates))
	check("incidentStepKeys", strs(incidentStepKeys), strs2(faultline.IncidentProcedure.Steps))
	check("incidentButtonKeys", strs(incidentButtonKeys), strs2(faultline.IncidentProcedure.Steps))
	check("incidentDoneKeys", strs(incidentDoneKeys), strs2(faultline.IncidentProcedure.Steps))
	check("severityKeys", strs(severityKeys), strs2(faultline.Severities))
	check("noticeKeys", strs(noticeKeys), []string{"draft", "posted", "rejected"})
	check("dutySourceKeys", dutySourceKeys, []string{faultline.SourceConfig, faultline.SourceSlack, faultline.SourceRetired})
	check("mdEventKeys", strs(mdEventKeys), []string{"created", "reply", "escalation"})
}

func strs[K ~string](m map[K]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[string(k)] = v
	}
	return out
}

func strs2[K ~string](list []K) []string {
	out := make([]string, len(list))
	for i, k := range list {
		out[i] = string(k)
	}
	return out
}
