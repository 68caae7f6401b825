package faultline_test

import (
	"testing"

	"github.com/faultline/faultline"
)

// Each level of a chain is told once, in order; the clock starts again
// only while a level remains above; past the top nothing happens.
func TestChainClimb(t *testing.T) {
	chain := faultline.Chain{"maintainer", "it_supervisor", "dept_head"}
	want := []faultline.Climb{
		{Level: 0, Role: "maintainer", Of: 3, Rearm: true},
		{Level: 1, Role: "it_supervisor", Of: 3, Rearm: true},
		{Level: 2, Role: "dept_head", Of: 3, Rearm: false},
	}
	for i, w := range want {
		got, ok := chain.Climb(i)
		if !ok || got != w {
			t.Errorf("Climb(%d) = %+v, %v; want %+v", i, got, ok, w)
		}
	}
	for _, past := range []int{-1, 3, 9} {
		if c, ok := chain.Climb(past); ok {
			t.Errorf("Climb(%d) = %+v; want nothing past the chain", past, c)
		}
	}
	if got := chain.OnDuty(7, "maintainer"); got != "dept_head" {
		t.Errorf("OnDuty past the top = %s", got)
	}
	if got := (faultline.Chain{}).OnDuty(0, "maintainer"); got != "maintainer" {
		t.Errorf("OnDuty of an empty chain = %s", got)
	}
}
