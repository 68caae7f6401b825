package commands

import (
	"strings"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/markup"
)

func (f *faultFlow) device(id string) (faultline.Device, bool) {
	for _, d := range f.set.Devices {
		if strings.EqualFold(d.ID, id) {
			return d, true
		}
	}
	return faultline.Device{}, false
}

func (f *faultFlow) line(id string) (faultline.Line, bool) {
	for _, l := range f.set.Lines {
		if strings.EqualFold(l.ID, id) {
			return l, true
		}
	}
	return faultline.Line{}, false
}

// hopLabel names the failing hop as the inventory labels it (网络设备进行标示).
func (f *faultFlow) hopLabel(t faultline.Fault) string {
	if t.Hop == "" {
		return f.cat.T("hop.none")
	}
	if d, ok := f.device(t.HopRef); ok && d.Label != "" {
		return markup.Escape(d.Label + " (" + t.Hop + ")")
	}
	return markup.Escape(t.Hop)
}

// inventoryText is what the thread shows about the failing hop when a
// technician takes the ticket and when the vendor form opens: for a device
// its model, place and warranty, and so whom to call (联系当地供应商维修) or
// that it needs a repair or replacement request; for a line the carrier,
// its fault phone, the circuit ID and the SLA (专线故障联系运营商).
func (f *faultFlow) inventoryText(t faultline.Fault, now time.Time) string {
	if t.Hop == "" {
		return ""
	}
	if d, ok := f.device(t.HopRef); ok {
		return f.deviceText(d, now)
	}
	if l, ok := f.line(t.HopRef); ok {
		return f.cat.T("inv.line", markup.Escape(l.Carrier), markup.Escape(orDash(l.FaultPhone)),
			markup.Escape(orDash(l.Circuit)), orDash(f.slaText(l.SLA)))
	}
	return f.cat.T("inv.none", markup.Escape(t.Hop))
}

func (f *faultFlow) deviceText(d faultline.Device, now time.Time) string {
	head := f.cat.T("inv.device", markup.Escape(d.Label), markup.Escape(orDash(d.Model)), markup.Escape(orDash(d.Location)))
	end, err := time.ParseInLocation("2006-01-02", d.WarrantyEnd, f.set.Location)
	switch {
	case err != nil:
		return head + "\n" + f.cat.T("inv.warranty_unknown", markup.Escape(orDash(d.Vendor)), markup.Escape(orDash(d.VendorContact)))
	case now.Before(end.AddDate(0, 0, 1)):
		return head + "\n" + f.cat.T("inv.warranty", d.WarrantyEnd, markup.Escape(orDash(d.Vendor)), markup.Escape(orDash(d.VendorContact)))
	}
	return head + "\n" + f.cat.T("inv.expired", d.WarrantyEnd)
}

func (f *faultFlow) slaText(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return f.minutes(d)
}

// lineLimit is how long a line fault may stay open: the line's own SLA
// when the inventory has one, the configured default otherwise.
func (f *faultFlow) lineLimit(t faultline.Fault) time.Duration {
	if l, ok := f.line(t.HopRef); ok && l.SLA > 0 {
		return l.SLA
	}
	return f.set.Deadlines.Line
}

// restartTarget is the access device a restart is about: the failing hop
// when it is a device, otherwise the last device before it on the path
// (a line or HQ is not restarted from here).
func (f *faultFlow) restartTarget(t faultline.Fault) string {
	site, ok := faultline.FindSite(f.set.Sites, t.Site)
	if !ok || t.Hop == "" {
		return f.cat.T("hop.access_device")
	}
	failing := -1
	for i, h := range site.Path {
		if h.Name == t.Hop {
			failing = i
		}
	}
	for i := failing; i >= 0; i-- {
		if h := site.Path[i]; h.Kind == faultline.KindDevice {
			return f.hopLabel(faultline.Fault{Hop: h.Name, HopRef: h.Device})
		}
	}
	return f.cat.T("hop.access_device")
}
