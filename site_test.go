package faultline_test

import (
	"testing"

	"github.com/faultline/faultline"
)

func TestFindSiteByAlias(t *testing.T) {
	sites := []faultline.Site{{Name: "office-a", Aliases: []string{"HQ-Tower", "总部"}}}
	for _, name := range []string{"office-a", "OFFICE-A", "hq-tower", "总部"} {
		if _, ok := faultline.FindSite(sites, name); !ok {
			t.Errorf("FindSite(%q) missed", name)
		}
	}
	if _, ok := faultline.FindSite(sites, "office-b"); ok {
		t.Error("FindSite(office-b) found something")
	}
}
