package probetest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline"
)

// A Lab is a routed IPv4 network built of Linux network namespaces, so that
// the real prober can be tested against real routers that die, filter ICMP
// or lose a line, with no network outside this machine involved.
//
// The root namespace, where the test and its prober run, stands for the
// bot's machine. Every router is a namespace of its own, and the links
// between them are veth pairs that form a tree rooted at the root
// namespace. Each lab owns one /24 of LabRange (10.254.B.0/24, B chosen at
// random), and link i of a lab is 10.254.B.4i/30: .4i+1 on the end toward
// the root, .4i+2 on the far end. In the root namespace the lab adds an
// "unreachable" route for its whole /24 before anything else, so that a
// lab address whose link is gone fails to route instead of following the
// default route off the machine; the routes to the links behind the first
// router are more specific and win while they exist. Routers route the
// whole /24 toward the root and each link of their subtree toward the child
// it lies behind, which is all a tree needs.
//
// NewLab refuses to build (the test fails) if any route or address of the
// root namespace, other than another lab's, overlaps LabRange, because the
// lab would then shadow or mix with a real network.
//
// Everything a lab makes (namespaces, veths, the root namespace's routes,
// nftables tables, which live in the namespaces) is removed when the test
// ends, pass or fail. A Lab is not safe for concurrent use: build and break
// it from the test's goroutine. Probing it from many goroutines is fine.
type Lab struct {
	t       testing.TB
	id      string       // 8 hex digits, in every name the lab makes
	block   netip.Prefix // this lab's /24 of LabRange
	claimed bool         // the unreachable route for block is installed
	root    *Router
	routers []*Router // created namespaces, for cleanup
	links   []*link
	tables  int // nftables tables made, to name the next one
}

// A Router is a namespace in a Lab that forwards IPv4, or the Lab's root
// namespace (Lab.Root), which does not.
type Router struct {
	lab      *Lab
	name     string
	ns       string  // "" for the root namespace
	up       *link   // the link toward the root; nil for the root and unlinked routers
	children []*link // links away from the root, in the order made
}

// link is one veth pair; a is the end toward the root.
type link struct {
	a, b         *Router
	subnet       netip.Prefix
	aAddr, bAddr netip.Addr
	aDev, bDev   string
}

// LabRange holds every lab's addresses. It is a private range that offices
// rarely use; if this machine routes any of it, NewLab fails rather than
// build a lab that might send pings there.
var LabRange = netip.MustParsePrefix("10.254.0.0/16")

const (
	// labProto marks the routes a lab adds ("proto 177"), so that one lab
	// can tell another lab's routes from a real network's.
	labProto = "177"
	// rootDevPrefix begins the name of every veth end a lab puts in the
	// root namespace, for the same reason.
	rootDevPrefix = "flab"
	// maxLinks is how many /30s fit in a lab's /24.
	maxLinks = 64
)

var routerName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,14}$`)

// NewLab returns an empty lab: only its root namespace, which is this
// process's own. It skips the test where it cannot run (not root, ip or nft
// missing) unless CI is set, as Need does. Close whatever probes the lab
// (a Prober) in a cleanup registered after NewLab, so that it stops before
// the lab is torn down.
func NewLab(t testing.TB) *Lab {
	t.Helper()
	Need(t, "ip")
	Need(t, "nft")
	l := &Lab{t: t, id: fmt.Sprintf("%08x", rand.Uint32())}
	l.root = &Router{lab: l, name: "root"}
	t.Cleanup(l.teardown)
	l.checkRange()
	l.claim()
	return l
}

// Root returns the root namespace, the bot's machine, as the near end of
// the first links.
func (l *Lab) Root() *Router { return l.root }

// Router makes a namespace with IPv4 forwarding on. name must be unique in
// the lab, start with a letter and be at most 15 letters, digits, '-' or
// '_', because it also names the veth that leads to it from its parent.
// The router is unreachable until Link connects it.
func (l *Lab) Router(name string) *Router {
	l.t.Helper()
	if !routerName.MatchString(name) || name == "uplink" || name == "lo" || name == "root" {
		l.t.Fatalf("netlab: router name %q: want a letter, then up to 14 letters, digits, '-' or '_', and not uplink, lo or root", name)
	}
	for _, r := range l.routers {
		if r.name == name {
			l.t.Fatalf("netlab: router %q made twice", name)
		}
	}
	r := &Router{lab: l, name: name, ns: "fl-lab-" + l.id + "-" + name}
	l.must("", "ip", "netns", "add", r.ns)
	l.routers = append(l.routers, r)
	l.must("", "ip", "-n", r.ns, "link", "set", "lo", "up")
	// rp_filter and ignore_routes_with_linkdown are inherited from the
	// root namespace; pin them so the lab behaves the same on every
	// machine. The routes are symmetric, so strict reverse-path filtering
	// would pass too, but a cut link must leave the near end's routes in
	// use. IPv6 is off to keep the links quiet.
	l.must("", "ip", "netns", "exec", r.ns, "sysctl", "-qw",
		"net.ipv4.ip_forward=1",
		"net.ipv4.conf.all.rp_filter=0",
		"net.ipv4.conf.default.rp_filter=0",
		"net.ipv4.conf.all.ignore_routes_with_linkdown=0",
		"net.ipv4.conf.default.ignore_routes_with_linkdown=0",
		"net.ipv6.conf.all.disable_ipv6=1",
		"net.ipv6.conf.default.disable_ipv6=1")
	return r
}

// Link connects b behind a with a veth pair and a /30, and installs the
// routes that the tree now implies: b routes the lab toward a, and a's
// ancestors, the root namespace included, route b's link toward the child
// it lies behind. The lab stays a tree because the tree grows outward: a
// must be the root or already linked, and b must be a router not yet
// linked to anything.
func (l *Lab) Link(a, b *Router) {
	l.t.Helper()
	switch {
	case a.lab != l || b.lab != l:
		l.t.Fatalf("netlab: Link(%s, %s): a router of another lab", a.name, b.name)
	case b == l.root:
		l.t.Fatalf("netlab: Link(%s, root): the root namespace is the tree's root; link it as the first argument", a.name)
	case a != l.root && a.up == nil:
		l.t.Fatalf("netlab: Link(%s, %s): link %s toward the root first", a.name, b.name, a.name)
	case b.up != nil || len(b.children) > 0:
		l.t.Fatalf("netlab: Link(%s, %s): %s is linked already, and the lab must stay a tree", a.name, b.name, b.name)
	case len(l.links) == maxLinks:
		l.t.Fatalf("netlab: more than %d links", maxLinks)
	}
	i := len(l.links)
	base := l.block.Addr().As4()
	base[3] = byte(4 * i)
	// The near end is named after the router it leads to, except in the
	// root namespace, where the name must not clash with anything else.
	k := &link{a: a, b: b, subnet: netip.PrefixFrom(netip.AddrFrom4(base), 30), aDev: b.name, bDev: "uplink"}
	k.aAddr = k.subnet.Addr().Next()
	k.bAddr = k.aAddr.Next()
	var args []string
	if a == l.root {
		k.aDev = fmt.Sprintf("%s%s%02x", rootDevPrefix, l.id, i)
		args = []string{"link", "add", k.aDev}
	} else {
		args = []string{"link", "add", k.aDev, "netns", a.ns}
	}
	args = append(args, "type", "veth", "peer", "name", k.bDev, "netns", b.ns)
	l.must("", "ip", args...)
	l.links = append(l.links, k) // the root's end is deleted in teardown from here on
	a.children = append(a.children, k)
	b.up = k
	l.ipBatch(a, fmt.Sprintf("addr add %s/30 dev %s\nlink set dev %s up\n", k.aAddr, k.aDev, k.aDev))
	l.ipBatch(b, fmt.Sprintf("addr add %s/30 dev %s\nlink set dev %s up\n", k.bAddr, k.bDev, k.bDev))
	b.installRoutes()
	for r := a; r != nil; r = r.parent() {
		r.installRoutes()
	}
	l.waitReady(k)
}

// CutLink takes the link between a and b down, as a line does when the
// far end's modem dies: the end farther from the root goes down, so the
// router behind it and its whole subtree are unreachable. The near end
// only loses carrier and keeps its routes, so packets for the subtree are
// dropped there rather than bouncing back toward the root. The returned
// func brings the link up again and reinstalls the routes that went with
// it; calling it again does nothing.
func (l *Lab) CutLink(a, b *Router) (restore func()) {
	l.t.Helper()
	k := l.linkBetween(a, b)
	l.ipBatch(k.b, "link set dev "+k.bDev+" down\n")
	return l.once(func() {
		l.ipBatch(k.b, "link set dev "+k.bDev+" up\n")
		// Taking a device down removes every route through it, so the
		// far router's route toward the root has to be put back.
		k.b.installRoutes()
		l.waitReady(k)
		l.forgetNeighbours(k)
	})
}

// waitReady waits until both ends of k carry traffic. A veth that comes
// up drops every packet until the kernel's link watcher, a shared work
// item that waits for the RTNL lock, turns its carrier on (operstate UP)
// and gives it a real queue discipline instead of noop. That can take a
// while on a busy machine, when other labs are being torn down, and an ARP
// request lost then is retried only a second later: long enough for a
// check to find a healthy router silent.
func (l *Lab) waitReady(k *link) {
	l.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, end := range []struct {
		r   *Router
		dev string
	}{{k.a, k.aDev}, {k.b, k.bDev}} {
		args := []string{"link", "show", "dev", end.dev}
		if end.r.ns != "" {
			args = append([]string{"-n", end.r.ns}, args...)
		}
		for {
			var links []struct{ Operstate, Qdisc string }
			err := ipJSON(&links, args...)
			if err == nil && len(links) == 1 && links[0].Operstate == "UP" && links[0].Qdisc != "noop" {
				break
			}
			if time.Now().After(deadline) {
				l.t.Fatalf("netlab: %s in %s is not up after 10s: %+v %v", end.dev, end.r.name, links, err)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// forgetNeighbours flushes the ARP caches at both ends of k. While a
// neighbour did not answer ARP, its entry waits a second between tries
// (retrans_time), longer than a check waits for replies; a fresh entry
// asks at once, so a revived router answers the very next check, as the
// tests need.
func (l *Lab) forgetNeighbours(k *link) {
	l.t.Helper()
	l.ipBatch(k.a, "neigh flush dev "+k.aDev+"\n")
	l.ipBatch(k.b, "neigh flush dev "+k.bDev+"\n")
}

// Describe returns the lab's state, namespace by namespace: addresses,
// routes, ARP caches, link counters (drops included) and nftables rules.
// A test logs it when a check goes wrong, to tell a lab that misbehaves
// from a prober that does.
func (l *Lab) Describe() string {
	var b strings.Builder
	show := func(title, input, name string, args ...string) {
		out, err := l.run(input, name, args...)
		if err != nil {
			out += err.Error() + "\n"
		}
		if strings.TrimSpace(out) != "" {
			fmt.Fprintf(&b, "  %s:\n%s", title, indent(out))
		}
	}
	links := func(args ...string) {
		var ls []struct {
			IfName, Operstate, Qdisc string
			Stats64                  struct {
				RX, TX struct{ Packets, Dropped uint64 }
			}
		}
		var out strings.Builder
		if err := ipJSON(&ls, append([]string{"-s"}, args...)...); err != nil {
			out.WriteString(err.Error() + "\n")
		}
		for _, ln := range ls {
			fmt.Fprintf(&out, "%-16s %-7s qdisc %-8s rx %d (dropped %d) tx %d (dropped %d)\n", ln.IfName, ln.Operstate, ln.Qdisc,
				ln.Stats64.RX.Packets, ln.Stats64.RX.Dropped, ln.Stats64.TX.Packets, ln.Stats64.TX.Dropped)
		}
		fmt.Fprintf(&b, "  links:\n%s", indent(out.String()))
	}
	fmt.Fprintf(&b, "root namespace (lab %s, %s):\n", l.id, l.block)
	show("routes", "", "ip", "-4", "route", "show", "table", "all", "root", l.block.String())
	for _, k := range l.root.children {
		links("link", "show", "dev", k.aDev)
		show("neighbours", "", "ip", "-4", "neigh", "show", "dev", k.aDev)
	}
	for _, r := range l.routers {
		fmt.Fprintf(&b, "%s (%s):\n", r.name, r.ns)
		show("addresses", "", "ip", "-n", r.ns, "-br", "-4", "addr")
		show("routes", "", "ip", "-n", r.ns, "-4", "route")
		show("neighbours", "", "ip", "-n", r.ns, "-4", "neigh")
		links("-n", r.ns, "link")
		show("nftables", "", "ip", "netns", "exec", r.ns, "nft", "list", "ruleset")
	}
	return b.String()
}

// Name returns the name the router was made with ("root" for the root
// namespace).
func (r *Router) Name() string { return r.name }

// Netns returns the router's namespace name, for `ip netns exec`, or ""
// for the root namespace.
func (r *Router) Netns() string { return r.ns }

// Addr returns the address to ping for r: its end of the link toward the
// root. Whatever silences r (Break, or cutting that link) silences it and
// everything behind it, as in an office network. It fails the test for
// the root namespace and for a router not yet linked.
func (r *Router) Addr() string {
	r.lab.t.Helper()
	if r.up == nil {
		r.lab.t.Fatalf("netlab: %s has no address: link it toward the root first", r.name)
	}
	return r.up.bAddr.String()
}

// Break makes r a dead router: it neither answers (not even ARP) nor
// forwards, so it and everything behind it go silent. Nothing is
// rejected, so no ICMP error says where the packets died. The returned
// func revives it; calling it again does nothing.
func (r *Router) Break() (restore func()) {
	r.lab.t.Helper()
	r.notRoot("Break")
	table := r.lab.table("break")
	r.nft(fmt.Sprintf(`table inet %[1]s {
	chain input { type filter hook input priority -10; policy drop; }
	chain forward { type filter hook forward priority -10; policy drop; }
	chain output { type filter hook output priority -10; policy drop; }
}
table arp %[1]s {
	chain input { type filter hook input priority -10; policy drop; }
	chain output { type filter hook output priority -10; policy drop; }
}
`, table))
	return r.lab.once(func() {
		r.nft(fmt.Sprintf("delete table inet %[1]s\ndelete table arp %[1]s\n", table))
		r.lab.forgetNeighbours(r.up)
		for _, k := range r.children {
			r.lab.forgetNeighbours(k)
		}
	})
}

// IgnorePing makes r drop echo requests addressed to itself while it goes
// on forwarding, as a router whose firewall filters ICMP does: r is silent
// but what lies behind it answers. The returned func makes it answer
// again; calling it again does nothing.
func (r *Router) IgnorePing() (restore func()) {
	r.lab.t.Helper()
	r.notRoot("IgnorePing")
	table := r.lab.table("noping")
	r.nft(fmt.Sprintf(`table ip %s {
	chain input {
		type filter hook input priority -10; policy accept;
		icmp type echo-request drop
	}
}
`, table))
	return r.lab.once(func() { r.nft("delete table ip " + table + "\n") })
}

// Office is the lab the tests of path checks share, an HQ and three
// offices on one shared WAN line:
//
//	root (the bot) — hqcore — hqline ┬ officeA — switchA
//	                                 ├ officeB — switchB
//	                                 └ officeC — switchC
//
// hqline stands for the shared line: breaking it cuts off all three
// offices at once, which is the case the judge must blame on the line and
// not on each office.
type Office struct {
	*Lab
	HQCore, HQLine            *Router
	OfficeA, OfficeB, OfficeC *Router
	SwitchA, SwitchB, SwitchC *Router
}

// OfficeLab builds the Office lab; see Office.
func OfficeLab(t testing.TB) *Office {
	t.Helper()
	l := NewLab(t)
	o := &Office{Lab: l, HQCore: l.Router("hqcore"), HQLine: l.Router("hqline")}
	l.Link(l.Root(), o.HQCore)
	l.Link(o.HQCore, o.HQLine)
	branch := func(x string) (office, sw *Router) {
		office, sw = l.Router("office"+x), l.Router("switch"+x)
		l.Link(o.HQLine, office)
		l.Link(office, sw)
		return office, sw
	}
	o.OfficeA, o.SwitchA = branch("A")
	o.OfficeB, o.SwitchB = branch("B")
	o.OfficeC, o.SwitchC = branch("C")
	return o
}

// Sites returns the sites "A", "B" and "C" as a configuration would name
// them: each path runs from the bot outward, hqcore, hqline, officeX,
// switchX. hqline is a KindLine hop and the others are devices, so a
// verdict says which procedure the fault calls for.
func (o *Office) Sites() []faultline.Site {
	hop := func(r *Router, kind faultline.HopKind) faultline.Hop {
		return faultline.Hop{Name: r.Name(), Host: r.Addr(), Kind: kind}
	}
	site := func(name string, office, sw *Router) faultline.Site {
		return faultline.Site{Name: name, Path: []faultline.Hop{
			hop(o.HQCore, faultline.KindDevice),
			hop(o.HQLine, faultline.KindLine),
			hop(office, faultline.KindDevice),
			hop(sw, faultline.KindDevice),
		}}
	}
	return []faultline.Site{
		site("A", o.OfficeA, o.SwitchA),
		site("B", o.OfficeB, o.SwitchB),
		site("C", o.OfficeC, o.SwitchC),
	}
}

type route struct {
	dst netip.Prefix
	via netip.Addr
}

// routes is what the tree implies for r: the lab's /24 toward the root
// (except in the root namespace, whose unreachable route covers it), and
// every link below each child toward that child. Links to r's own
// neighbours are connected routes the kernel makes.
func (r *Router) routes() []route {
	var rs []route
	if r.up != nil {
		rs = append(rs, route{r.lab.block, r.up.aAddr})
	}
	for _, c := range r.children {
		for _, k := range c.b.subtree() {
			rs = append(rs, route{k.subnet, c.bAddr})
		}
	}
	return rs
}

// subtree returns every link behind r.
func (r *Router) subtree() []*link {
	var ks []*link
	for _, c := range r.children {
		ks = append(ks, c)
		ks = append(ks, c.b.subtree()...)
	}
	return ks
}

func (r *Router) parent() *Router {
	if r.up == nil {
		return nil
	}
	return r.up.a
}

// installRoutes installs (or reinstalls: it replaces) r's routes.
func (r *Router) installRoutes() {
	r.lab.t.Helper()
	var batch strings.Builder
	for _, rt := range r.routes() {
		fmt.Fprintf(&batch, "route replace %s via %s proto %s\n", rt.dst, rt.via, labProto)
	}
	if batch.Len() > 0 {
		r.lab.ipBatch(r, batch.String())
	}
}

func (r *Router) notRoot(what string) {
	r.lab.t.Helper()
	if r.ns == "" {
		r.lab.t.Fatalf("netlab: %s on the root namespace: the lab changes only its own namespaces' firewalls", what)
	}
	if r.up == nil {
		r.lab.t.Fatalf("netlab: %s on %s, which is not linked", what, r.name)
	}
}

// nft loads a ruleset inside r's namespace.
func (r *Router) nft(ruleset string) {
	r.lab.t.Helper()
	r.lab.must(ruleset, "ip", "netns", "exec", r.ns, "nft", "-f", "-")
}

func (l *Lab) table(what string) string {
	l.tables++
	return fmt.Sprintf("faultline_%s_%d", what, l.tables)
}

func (l *Lab) linkBetween(a, b *Router) *link {
	l.t.Helper()
	for _, k := range l.links {
		if k.a == a && k.b == b || k.a == b && k.b == a {
			return k
		}
	}
	l.t.Fatalf("netlab: no link between %s and %s", a.name, b.name)
	return nil
}

// once returns a func that runs f the first time it is called.
func (l *Lab) once(f func()) func() {
	done := false
	return func() {
		l.t.Helper()
		if !done {
			done = true
			f()
		}
	}
}

// ipBatch runs ip commands, one a line, in r's namespace.
func (l *Lab) ipBatch(r *Router, batch string) {
	l.t.Helper()
	if r.ns == "" {
		l.must(batch, "ip", "-batch", "-")
		return
	}
	l.must(batch, "ip", "-n", r.ns, "-batch", "-")
}

// checkRange fails the test if the root namespace routes or holds any of
// LabRange, other than through a lab. A lab being torn down can be seen
// half gone (a route whose device no longer has a name, say), so an
// overlap must persist for a second before it counts.
func (l *Lab) checkRange() {
	l.t.Helper()
	var err error
	for range 10 {
		if err = foreignInRange(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	l.t.Fatalf("netlab: refusing to build a lab in %s: %v. Traffic to the lab must stay on this machine; "+
		"move LabRange in probe/probetest/netlab.go to a range this machine does not use", LabRange, err)
}

// foreignInRange returns an error naming the first route or address of the
// root namespace that overlaps LabRange and is not a lab's. A lab's are
// those with its route protocol, on its veths, or inside a /24 that a lab
// has claimed.
func foreignInRange() error {
	var routes []struct {
		Type, Dst, Dev, Protocol, Table string
	}
	if err := ipJSON(&routes, "route", "show", "table", "all"); err != nil {
		return err
	}
	var claimed []netip.Prefix
	for _, rt := range routes {
		if p, err := parseDst(rt.Dst); err == nil && rt.Protocol == labProto && p.Bits() == 24 && LabRange.Contains(p.Addr()) {
			claimed = append(claimed, p)
		}
	}
	labs := func(p netip.Prefix, dev string) bool {
		if strings.HasPrefix(dev, rootDevPrefix) {
			return true
		}
		for _, c := range claimed {
			if c.Bits() <= p.Bits() && c.Contains(p.Addr()) {
				return true
			}
		}
		return false
	}
	for _, rt := range routes {
		if rt.Dst == "default" || rt.Protocol == labProto {
			continue
		}
		p, err := parseDst(rt.Dst)
		if err != nil {
			return fmt.Errorf("cannot read route %+v: %v", rt, err)
		}
		if p.Overlaps(LabRange) && !labs(p, rt.Dev) {
			return fmt.Errorf("the root namespace has a route to %s (dev %q, table %q, type %q)", rt.Dst, rt.Dev, rt.Table, rt.Type)
		}
	}
	var links []struct {
		IfName   string `json:"ifname"`
		AddrInfo []struct {
			Local     string `json:"local"`
			Prefixlen int    `json:"prefixlen"`
		} `json:"addr_info"`
	}
	if err := ipJSON(&links, "addr", "show"); err != nil {
		return err
	}
	for _, ln := range links {
		for _, a := range ln.AddrInfo {
			p, err := netip.ParsePrefix(fmt.Sprintf("%s/%d", a.Local, a.Prefixlen))
			if err != nil {
				return fmt.Errorf("cannot read address %s/%d of %s: %v", a.Local, a.Prefixlen, ln.IfName, err)
			}
			if p.Overlaps(LabRange) && !labs(p, ln.IfName) {
				return fmt.Errorf("%s has the address %s", ln.IfName, p)
			}
		}
	}
	return nil
}

// parseDst reads a route's destination as ip prints it, where a host
// route has no prefix length.
func parseDst(dst string) (netip.Prefix, error) {
	if dst == "default" {
		return netip.PrefixFrom(netip.IPv4Unspecified(), 0), nil
	}
	if !strings.Contains(dst, "/") {
		dst += "/32"
	}
	return netip.ParsePrefix(dst)
}

// ipJSON runs `ip -N -j -4 args...` in the root namespace and decodes its
// output; -N prints route protocols as numbers, as labProto is.
func ipJSON(v any, args ...string) error {
	cmd := exec.Command("ip", append([]string{"-N", "-j", "-4"}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("ip %s: %v %s", strings.Join(args, " "), err, stderr.String())
	}
	if err := json.Unmarshal(out, v); err != nil {
		return fmt.Errorf("ip %s: %v", strings.Join(args, " "), err)
	}
	return nil
}

// claim picks a free /24 of LabRange and installs its unreachable route
// in the root namespace. Adding a route that exists fails, so two labs,
// even in two processes, never get the same /24.
func (l *Lab) claim() {
	l.t.Helper()
	for range 32 {
		base := LabRange.Addr().As4()
		base[2] = byte(rand.IntN(256))
		block := netip.PrefixFrom(netip.AddrFrom4(base), 24)
		out, err := l.run("", "ip", "route", "add", "unreachable", block.String(), "proto", labProto)
		if err == nil {
			l.block, l.claimed = block, true
			return
		}
		if !strings.Contains(out, "File exists") {
			l.t.Fatalf("netlab: ip route add unreachable %s: %v\n%s", block, err, out)
		}
	}
	l.t.Fatalf("netlab: no free /24 in %s after 32 tries", LabRange)
}

// teardown removes everything the lab made. The root namespace's veth ends
// go first, and with them every route through them; then the namespaces;
// the unreachable route last, so no lab address ever routes off the
// machine while the lab exists. It reports, and does not stop at, what it
// cannot remove.
func (l *Lab) teardown() {
	for _, k := range l.links {
		if k.a == l.root {
			l.try("", "ip", "link", "del", k.aDev)
		}
	}
	for _, r := range l.routers {
		l.try("", "ip", "netns", "delete", r.ns)
	}
	if !l.claimed {
		return
	}
	l.try("", "ip", "route", "del", "unreachable", l.block.String(), "proto", labProto)
	var routes []struct{ Dst, Dev string }
	if err := ipJSON(&routes, "route", "show", "table", "all"); err != nil {
		l.t.Errorf("netlab: after teardown: %v", err)
		return
	}
	for _, rt := range routes {
		if p, err := parseDst(rt.Dst); err == nil && rt.Dst != "default" && p.Overlaps(l.block) {
			l.t.Errorf("netlab: after teardown the root namespace still routes %s (dev %q)", rt.Dst, rt.Dev)
		}
	}
	if out, err := exec.Command("ip", "netns", "list").Output(); err == nil && strings.Contains(string(out), "fl-lab-"+l.id+"-") {
		l.t.Errorf("netlab: after teardown namespaces remain:\n%s", out)
	}
}

// run runs a command with input on its standard input, returning its
// combined output.
func (l *Lab) run(input, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	if input != "" {
		cmd.Stdin = strings.NewReader(input)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// must runs a command and fails the test if it fails.
func (l *Lab) must(input, name string, args ...string) {
	l.t.Helper()
	if out, err := l.run(input, name, args...); err != nil {
		l.t.Fatalf("netlab: %s %s: %v\n%s%s", name, strings.Join(args, " "), err, indent(input), out)
	}
}

// try runs a command and reports, without stopping, if it fails, as a
// cleanup must.
func (l *Lab) try(input, name string, args ...string) {
	l.t.Helper()
	if out, err := l.run(input, name, args...); err != nil {
		l.t.Errorf("netlab: %s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func indent(s string) string {
	if s == "" {
		return ""
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	return "  < " + strings.Join(lines, "\n  < ") + "\n"
}
