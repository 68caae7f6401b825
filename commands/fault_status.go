package commands

import (
	"context"
	"strings"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/markup"
)

// SiteState is where a site stands, for /fault status and the gauge.
type SiteState string

// Site states.
const (
	SiteWorking     SiteState = "working"     // no open outage
	SiteOutage      SiteState = "outage"      // an open ticket's failing hop cuts it off
	SiteTickets     SiteState = "tickets"     // open tickets, none an outage of the path
	SiteMaintenance SiteState = "maintenance" // a maintenance window is on
)

// SiteStatus is one site's line of /fault status.
type SiteStatus struct {
	Site   string
	State  SiteState
	Outage faultline.Fault  // when State is SiteOutage
	Open   int              // open tickets of the site
	Window faultline.Window // when State is SiteMaintenance
}

// Status is every configured site's state now, from the open tickets (one
// read) and the windows.
func (s *Service) Status(ctx context.Context) ([]SiteStatus, error) { return s.faults.siteStates(ctx) }

func (f *faultFlow) siteStates(ctx context.Context) ([]SiteStatus, error) {
	open, err := f.store.Faults(ctx, faultline.OpenFaultStates, 500)
	if err != nil {
		return nil, err
	}
	now := f.now()
	windows := f.windows(ctx, now)
	out := make([]SiteStatus, len(f.set.Sites))
	for i, site := range f.set.Sites {
		st := SiteStatus{Site: site.Name, State: SiteWorking}
		for _, t := range open {
			if t.Site == site.Name {
				st.Open++
			}
			if st.State != SiteOutage && t.HopKey != "" && t.Verdict != faultline.VerdictHealthy && site.HopIndex(t.HopKey) >= 0 {
				st.State, st.Outage = SiteOutage, t
			}
		}
		if st.State == SiteWorking && st.Open > 0 {
			st.State = SiteTickets
		}
		for _, w := range windows {
			if w.Active(now) && w.Covers(site) && w.Until().After(st.Window.Until()) {
				st.State, st.Window = SiteMaintenance, w // the window that ends last
			}
		}
		out[i] = st
	}
	return out, nil
}

// status: /fault status, one line per site.
func (f *faultFlow) status(ctx context.Context) Response {
	states, err := f.siteStates(ctx)
	if err != nil {
		return f.internal(ctx, "site status", err)
	}
	if len(states) == 0 {
		return f.say(f.cat.T("status.no_sites"))
	}
	lines := []string{f.cat.T("status.title", f.fmtTime(f.now()))}
	for _, st := range states {
		name := markup.Escape(st.Site)
		switch st.State {
		case SiteWorking:
			lines = append(lines, f.cat.T("status.working", name))
		case SiteTickets:
			lines = append(lines, f.cat.T("status.tickets", name, st.Open))
		case SiteOutage:
			t := st.Outage
			lines = append(lines, f.cat.T("status.outage", name, t.Ref(), f.hopLabel(t), f.fmtTime(t.CreatedAt), f.owner(t.Owner), max(len(t.People()), 1)))
		case SiteMaintenance:
			lines = append(lines, f.cat.T("status.maintenance", name, f.fmtTime(st.Window.Until()), markup.Escape(orDash(st.Window.Reason))))
		}
	}
	return f.say(strings.Join(lines, "\n"))
}
