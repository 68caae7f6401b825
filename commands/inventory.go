package commands

import (
	"strings"
	"time"

	"github.com/faultline/faultline"
)

func (s *Service) device(id string) (faultline.Device, bool) {
	for _, d := range s.settings.Devices {
		if strings.EqualFold(d.ID, id) {
			return d, true
		}
	}
	return faultline.Device{}, false
}

func (s *Service) line(id string) (faultline.Line, bool) {
	for _, l := range s.settings.Lines {
		if strings.EqualFold(l.ID, id) {
			return l, true
		}
	}
	return faultline.Line{}, false
}

// hopLabel names the failing hop as the inventory labels it (网络设备进行标示).
func (s *Service) hopLabel(f faultline.Fault) string {
	if f.Hop == "" {
		return s.cat.T("hop.none")
	}
	if d, ok := s.device(f.HopRef); ok && d.Label != "" {
		return faultline.Escape(d.Label + " (" + f.Hop + ")")
	}
	return faultline.Escape(f.Hop)
}

// inventoryText is what the thread shows about the failing hop when a
// technician takes the ticket and when the vendor form opens: for a device
// its model, place and warranty, and so whom to call (联系当地供应商维修) or
// that it needs a repair or replacement request; for a line the carrier,
// its fault phone, the circuit ID and the SLA (专线故障联系运营商).
func (s *Service) inventoryText(f faultline.Fault, now time.Time) string {
	if f.Hop == "" {
		return ""
	}
	if d, ok := s.device(f.HopRef); ok {
		return s.deviceText(d, now)
	}
	if l, ok := s.line(f.HopRef); ok {
		return s.cat.T("inv.line", faultline.Escape(l.Carrier), faultline.Escape(orDash(l.FaultPhone)),
			faultline.Escape(orDash(l.Circuit)), orDash(slaText(l.SLA)))
	}
	return s.cat.T("inv.none", faultline.Escape(f.Hop))
}

func (s *Service) deviceText(d faultline.Device, now time.Time) string {
	head := s.cat.T("inv.device", faultline.Escape(d.Label), faultline.Escape(orDash(d.Model)), faultline.Escape(orDash(d.Location)))
	end, err := time.ParseInLocation("2006-01-02", d.WarrantyEnd, s.settings.Location)
	switch {
	case err != nil:
		return head + "\n" + s.cat.T("inv.warranty_unknown", faultline.Escape(orDash(d.Vendor)), faultline.Escape(orDash(d.VendorContact)))
	case now.Before(end.AddDate(0, 0, 1)):
		return head + "\n" + s.cat.T("inv.warranty", d.WarrantyEnd, faultline.Escape(orDash(d.Vendor)), faultline.Escape(orDash(d.VendorContact)))
	}
	return head + "\n" + s.cat.T("inv.expired", d.WarrantyEnd)
}

func slaText(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return minutes(d)
}

// lineLimit is how long a line fault may stay open: the line's own SLA
// when the inventory has one, the configured default otherwise.
func (s *Service) lineLimit(f faultline.Fault) time.Duration {
	if l, ok := s.line(f.HopRef); ok && l.SLA > 0 {
		return l.SLA
	}
	return s.settings.Deadlines.Line
}

// restartTarget is the access device a restart is about: the failing hop
// when it is a device, otherwise the last device before it on the path
// (a line or HQ is not restarted from here).
func (s *Service) restartTarget(f faultline.Fault) string {
	site, ok := faultline.FindSite(s.settings.Sites, f.Site)
	if !ok || f.Hop == "" {
		return s.cat.T("hop.access_device")
	}
	failing := -1
	for i, h := range site.Path {
		if h.Name == f.Hop {
			failing = i
		}
	}
	for i := failing; i >= 0; i-- {
		if h := site.Path[i]; h.Kind == faultline.KindDevice {
			return s.hopLabel(faultline.Fault{Hop: h.Name, HopRef: h.Device})
		}
	}
	return s.cat.T("hop.access_device")
}
