package faultline_test

import (
	"reflect"
	"testing"

	"github.com/faultline/faultline"
)

func path(kinds ...faultline.HopKind) []faultline.Hop {
	hops := make([]faultline.Hop, len(kinds))
	for i, k := range kinds {
		hops[i] = faultline.Hop{Name: string(k), Host: "127.0.0.1", Kind: k}
	}
	return hops
}

var (
	up    = faultline.PingResult{Sent: 3, Received: 3}
	lossy = faultline.PingResult{Sent: 3, Received: 2}
	down  = faultline.PingResult{Sent: 3, Received: 0}
	fail  = faultline.PingResult{Error: "cannot resolve host"}
)

func TestJudge(t *testing.T) {
	office := path(faultline.KindDevice, faultline.KindDevice, faultline.KindDevice, faultline.KindLine, faultline.KindHQ)
	const (
		U = faultline.HopUp
		L = faultline.HopLossy
		D = faultline.HopDown
		F = faultline.HopFiltered
		B = faultline.HopBehind
		X = faultline.HopUnknown
	)
	tests := []struct {
		name    string
		path    []faultline.Hop
		results []faultline.PingResult
		kind    faultline.VerdictKind
		failing int
		status  []faultline.HopStatus
	}{
		{"all answer", office, []faultline.PingResult{up, up, up, up, up}, faultline.VerdictHealthy, -1, []faultline.HopStatus{U, U, U, U, U}},
		{"loss is not a fault", office, []faultline.PingResult{up, lossy, up, up, up}, faultline.VerdictHealthy, -1, []faultline.HopStatus{U, L, U, U, U}},
		{"gateway down", office, []faultline.PingResult{down, down, down, down, down}, faultline.VerdictDevice, 0, []faultline.HopStatus{D, B, B, B, B}},
		{"router down", office, []faultline.PingResult{up, up, down, down, down}, faultline.VerdictDevice, 2, []faultline.HopStatus{U, U, D, B, B}},
		{"line down", office, []faultline.PingResult{up, up, up, down, down}, faultline.VerdictLine, 3, []faultline.HopStatus{U, U, U, D, B}},
		{"hq down", office, []faultline.PingResult{up, up, up, up, down}, faultline.VerdictHQ, 4, []faultline.HopStatus{U, U, U, U, D}},
		{"silent switch filters ping", office, []faultline.PingResult{up, down, up, up, up}, faultline.VerdictHealthy, -1, []faultline.HopStatus{U, F, U, U, U}},
		{"filtering hop, then a real fault", office, []faultline.PingResult{up, down, up, down, down}, faultline.VerdictLine, 3, []faultline.HopStatus{U, F, U, D, B}},
		{"unresolvable hop behind an answer", office, []faultline.PingResult{up, up, up, up, fail}, faultline.VerdictUnknown, -1, []faultline.HopStatus{U, U, U, U, X}},
		{"unknown hop before the silence", office, []faultline.PingResult{up, fail, down, down, down}, faultline.VerdictUnknown, 2, []faultline.HopStatus{U, X, D, B, B}},
		{"unknown hop inside the silence", office, []faultline.PingResult{up, down, fail, down, down}, faultline.VerdictDevice, 1, []faultline.HopStatus{U, D, X, B, B}},
		{"single host down", path(faultline.KindHost), []faultline.PingResult{down}, faultline.VerdictHost, 0, []faultline.HopStatus{D}},
		{"single host up", path(faultline.KindHost), []faultline.PingResult{up}, faultline.VerdictHealthy, -1, []faultline.HopStatus{U}},
		{"missing results are unknown", office[:2], nil, faultline.VerdictUnknown, -1, []faultline.HopStatus{X, X}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := faultline.Judge(tt.path, tt.results)
			if v.Kind != tt.kind || v.Failing != tt.failing || !reflect.DeepEqual(v.Status, tt.status) {
				t.Fatalf("Judge = %s, failing %d, %v; want %s, %d, %v", v.Kind, v.Failing, v.Status, tt.kind, tt.failing, tt.status)
			}
		})
	}
}
