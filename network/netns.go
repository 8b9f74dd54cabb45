package network

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
)

// Hosts says where the processes of a native network run.
type Hosts string

const (
	// LoopbackHosts runs every process on this machine's loopback interface: the default.
	LoopbackHosts Hosts = ""
	// NetNS runs each organisation's processes (its CA, peers and chaincode servers) on a
	// host of its own, and each orderer on another: a Linux network namespace joined by a
	// veth pair to one bridge in the root namespace, with its own address in a private /24
	// chosen per state directory. Nodes listen on every interface of their host and reach
	// each other at those addresses, which the channel configuration, the gossip endpoints
	// and the TLS certificates name; the gateway services and cxl stay in the root
	// namespace and reach the nodes over the bridge. A chaincode server and its peers share
	// their organisation's host and talk over its loopback. Cuts (CutOff, CutLink) drop
	// packets on the bridge. It needs root (CAP_NET_ADMIN), iproute2 and nftables.
	NetNS Hosts = "netns"
)

// ParseHosts checks the value of `cxl network up --hosts`.
func ParseHosts(s string) (Hosts, error) {
	switch Hosts(s) {
	case LoopbackHosts, NetNS:
		return Hosts(s), nil
	}
	return "", fmt.Errorf("hosts must be %q (each member and each orderer in a network namespace of its own) or empty, got %q", NetNS, s)
}

// The last byte of each host's address in its /24: the bridge, orderer i (from 0), and
// organisation o (from 0). Validate allows at most 5 orderers and 8 organisations.
const (
	bridgeHostByte  = 1
	ordererHostByte = 11
	orgHostByte     = 21
)

// validateHosts checks Hosts and HostSubnet: a NetNS network runs natively, and its
// subnet, once chosen, is a /24 of 10.0.0.0/8 whose first address ends in 0.
func (t Topology) validateHosts() error {
	switch t.Hosts {
	case LoopbackHosts:
		if t.HostSubnet != "" {
			return fmt.Errorf("hostSubnet %q needs hosts: %s", t.HostSubnet, NetNS)
		}
		return nil
	case NetNS:
	default:
		return fmt.Errorf("hosts must be %q or empty, got %q", NetNS, t.Hosts)
	}
	if t.Runtime != Native {
		return fmt.Errorf("hosts %q is for a native network: under Docker each member's containers have their own network already", NetNS)
	}
	if t.HostSubnet == "" {
		return nil
	}
	if _, err := hostSubnet(t.HostSubnet); err != nil {
		return err
	}
	return nil
}

// hostSubnet parses a NetNS network's subnet.
func hostSubnet(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() || p.Bits() != 24 || p.Masked() != p || p.Addr().As4()[0] != 10 {
		return netip.Prefix{}, fmt.Errorf("hostSubnet must be a /24 of 10.0.0.0/8 such as 10.201.7.0/24, got %q", s)
	}
	return p, nil
}

// hostByte is the address in t's subnet whose last byte is b; empty unless t is a NetNS
// network with its subnet chosen.
func (t Topology) hostByte(b byte) string {
	if t.Hosts != NetNS || t.HostSubnet == "" {
		return ""
	}
	p, err := hostSubnet(t.HostSubnet)
	if err != nil {
		return ""
	}
	a := p.Addr().As4()
	a[3] = b
	return netip.AddrFrom4(a).String()
}

// ordererHostAddr is the address of orderer i's host (from 0); empty but on NetNS.
func (t Topology) ordererHostAddr(i int) string { return t.hostByte(byte(ordererHostByte + i)) }

// orgHostAddr is the address of organisation o's host (from 0); empty but on NetNS.
func (t Topology) orgHostAddr(o int) string { return t.hostByte(byte(orgHostByte + o)) }

// hostAddrOf is the address of the host of the node (orderer, peer or CA) named name on a
// NetNS network; empty for any other name or network.
func (t Topology) hostAddrOf(name string) string {
	if t.Hosts != NetNS || name == "" {
		return ""
	}
	n, _, ok := t.nodeNamed(name)
	if !ok {
		return ""
	}
	return n.Host
}

// at is where this machine reaches port of n: on n's host, or on the loopback.
func (n Node) at(port int) string {
	host := "127.0.0.1"
	if n.Host != "" {
		host = n.Host
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// tlsIPs are the IP addresses n's TLS server certificate names: the loopback, and n's
// host when it has one.
func (n Node) tlsIPs() []net.IP {
	ips := []net.IP{net.IPv4(127, 0, 0, 1)}
	if ip := net.ParseIP(n.Host); ip != nil {
		ips = append(ips, ip)
	}
	return ips
}

// netnsHost is one host of a NetNS network.
type netnsHost struct {
	// name is the host's short name: "orderer1", or the organisation's name in lower case.
	name string
	// ns is its network namespace; veth is the root namespace's end of its link to the
	// bridge; addr is its address.
	ns, veth, addr string
}

// hostsID names the network namespaces, links and nftables table of the state directory
// home, so networks of two state directories never share one: the first 6 hex digits of
// the SHA-256 of its absolute path.
func hostsID(home Home) string {
	dir, err := filepath.Abs(string(home))
	if err != nil {
		dir = string(home)
	}
	sum := sha256.Sum256([]byte(dir))
	return hex.EncodeToString(sum[:3])
}

// The names of a state directory's network objects: namespaces cxl-<id>-<host>, links
// cx<id>h<address byte> and the bridge cx<id>br (interface names have at most 15 bytes),
// and the nftables table cxl_<id> of the bridge family that holds the cuts.
func nsPrefix(id string) string   { return "cxl-" + id + "-" }
func linkPrefix(id string) string { return "cx" + id }
func bridgeName(id string) string { return linkPrefix(id) + "br" }
func nftTable(id string) string   { return "cxl_" + id }

// netnsHosts lists t's hosts: the orderers', then the organisations'.
func (t Topology) netnsHosts(home Home) []netnsHost {
	id := hostsID(home)
	host := func(name string, b int) netnsHost {
		return netnsHost{name: name, ns: nsPrefix(id) + name, veth: fmt.Sprintf("%sh%d", linkPrefix(id), b), addr: t.hostByte(byte(b))}
	}
	var hosts []netnsHost
	for i := range t.Orderers {
		hosts = append(hosts, host(fmt.Sprintf("orderer%d", i+1), ordererHostByte+i))
	}
	for o, spec := range t.Orgs {
		hosts = append(hosts, host(strings.ToLower(spec.Name), orgHostByte+o))
	}
	return hosts
}

// hostOfNode is the host of the orderer, peer or CA named node.
func (t Topology) hostOfNode(home Home, node string) (netnsHost, error) {
	addr := t.hostAddrOf(node)
	for _, h := range t.netnsHosts(home) {
		if addr != "" && h.addr == addr {
			return h, nil
		}
	}
	return netnsHost{}, fmt.Errorf("no orderer, peer or CA %q on a host of its own in the network", node)
}

// hostOfProcess is the host a supervised process of t runs on: its node's, or for a
// chaincode server its organisation's. ok is false for a process of the root namespace
// (a gateway service) and on any network but NetNS.
func (t Topology) hostOfProcess(home Home, name string) (netnsHost, bool) {
	if t.Hosts != NetNS {
		return netnsHost{}, false
	}
	if h, err := t.hostOfNode(home, name); err == nil {
		return h, true
	}
	hosts := t.netnsHosts(home)
	for o, org := range t.PeerOrgs() {
		for _, cc := range []string{t.Chaincode, BaselineChaincode} {
			// serverName ends in the definition's sequence.
			prefix := strings.TrimSuffix(serverName(cc, org.MSPID, 0), "0")
			if seq, ok := strings.CutPrefix(name, prefix); ok && seq != "" && strings.Trim(seq, "0123456789") == "" {
				return hosts[t.Orderers+o], true
			}
		}
	}
	return netnsHost{}, false
}

// hostCommand is the command that runs binary with args as the supervised process name of
// the network in home: in the network namespace of its host on a NetNS network (`ip netns
// exec`, which enters the namespace and then execs the binary in the same process, so its
// PID is the binary's), directly otherwise.
func hostCommand(home Home, name, binary string, args []string) (*exec.Cmd, error) {
	t, ok, err := LoadHomeTopology(home)
	if err != nil {
		return nil, err
	}
	if ok {
		if h, in := t.hostOfProcess(home, name); in {
			ip, err := exec.LookPath("ip")
			if err != nil {
				return nil, fmt.Errorf("start %s on host %s: %w", name, h.name, err)
			}
			return exec.Command(ip, append([]string{"netns", "exec", h.ns, binary}, args...)...), nil
		}
	}
	return exec.Command(binary, args...), nil
}

// chooseHostSubnet picks the /24 of a new NetNS network in home: 10.<200-249>.<y>.0/24 from
// the hash of the state directory's path, moved on while it overlaps an address or a route
// of this machine (Docker's networks, another state directory's bridge).
func chooseHostSubnet(home Home) (string, error) {
	used, err := usedPrefixes()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(hostsID(home)))
	x, y := 200+int(sum[0])%50, int(sum[1])
	for i := range 50 * 256 {
		v := y + i
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(200 + (x-200+v/256)%50), byte(v % 256), 0}), 24)
		free := true
		for _, u := range used {
			if u.Overlaps(p) {
				free = false
				break
			}
		}
		if free {
			return p.String(), nil
		}
	}
	return "", errors.New("no free /24 in 10.200.0.0-10.249.255.255 for the network's hosts")
}

// usedPrefixes lists the IPv4 networks of this machine's addresses and routes.
func usedPrefixes() ([]netip.Prefix, error) {
	var used []netip.Prefix
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, fmt.Errorf("list this machine's addresses: %w", err)
	}
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Is4() {
			used = append(used, p.Masked())
		}
	}
	out, err := exec.Command("ip", "-4", "route", "show", "table", "all").Output()
	if err != nil {
		return nil, fmt.Errorf("list this machine's routes (ip route): %w", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] == "default" {
			continue
		}
		dst := f[0]
		if len(f) > 1 && (f[0] == "local" || f[0] == "broadcast" || f[0] == "unicast") {
			dst = f[1]
		}
		if !strings.Contains(dst, "/") {
			dst += "/32"
		}
		if p, err := netip.ParsePrefix(dst); err == nil && p.Addr().Is4() && p.Bits() > 0 {
			used = append(used, p.Masked())
		}
	}
	return used, nil
}

// checkHostTools fails clearly when this machine cannot make a NetNS network's hosts.
func checkHostTools() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("hosts %q makes network namespaces, veth pairs and a bridge: run as root (CAP_NET_ADMIN)", NetNS)
	}
	for _, tool := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("hosts %q needs %s (Debian: iproute2, nftables): %w", NetNS, tool, err)
		}
	}
	return nil
}

// runNet runs one of the network commands (ip, nft, iptables) and returns its error with
// its output.
func runNet(ctx context.Context, stdin string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// nsExists reports whether the named network namespace exists.
func nsExists(ns string) bool {
	_, err := os.Stat(filepath.Join("/run/netns", ns))
	return err == nil
}

// linkExists reports whether the root namespace has a link of that name.
func linkExists(name string) bool {
	_, err := net.InterfaceByName(name)
	return err == nil
}

// ensureHosts makes what a NetNS network's hosts need and is not there yet: the bridge with
// the subnet's first address, a namespace per host with its loopback up and eth0, the
// namespace's end of a veth pair whose other end is on the bridge, at the host's address;
// an iptables rule that lets the bridge forward between its ports when bridged traffic
// passes iptables (br_netfilter, as Docker sets it up, with a FORWARD policy of DROP); and
// the nftables table that holds the cuts, emptied (a network that comes up again is
// whole). It does nothing on any other network.
func ensureHosts(ctx context.Context, home Home, t Topology) error {
	if t.Hosts != NetNS {
		return nil
	}
	if err := checkHostTools(); err != nil {
		return err
	}
	id := hostsID(home)
	br := bridgeName(id)
	ip := func(args ...string) error { return runNet(ctx, "", "ip", args...) }
	if !linkExists(br) {
		if err := ip("link", "add", br, "type", "bridge"); err != nil {
			return err
		}
	}
	if err := ip("addr", "replace", t.hostByte(bridgeHostByte)+"/24", "dev", br); err != nil {
		return err
	}
	if err := ip("link", "set", br, "up"); err != nil {
		return err
	}
	for _, h := range t.netnsHosts(home) {
		if err := attachHost(ctx, h, br); err != nil {
			return fmt.Errorf("host %s: %w", h.name, err)
		}
	}
	if bridgedThroughIptables() {
		if err := runNet(ctx, "", "iptables", append([]string{"-C"}, forwardRule(br)...)...); err != nil {
			if err := runNet(ctx, "", "iptables", append([]string{"-I"}, forwardRule(br)...)...); err != nil {
				return fmt.Errorf("let bridge %s forward between its hosts: %w", br, err)
			}
		}
	}
	return runNet(ctx, cutTableScript(id), "nft", "-f", "-")
}

// bridgedThroughIptables reports whether bridged IPv4 traffic passes iptables' FORWARD
// chain (br_netfilter loaded and bridge-nf-call-iptables on).
func bridgedThroughIptables() bool {
	data, err := os.ReadFile("/proc/sys/net/bridge/bridge-nf-call-iptables")
	return err == nil && strings.TrimSpace(string(data)) == "1"
}

// forwardRule is the iptables FORWARD rule that accepts traffic between br's ports.
func forwardRule(br string) []string {
	return []string{"FORWARD", "-i", br, "-o", br, "-m", "comment", "--comment", "cxledger hosts " + br, "-j", "ACCEPT"}
}

// cutTableScript (re)creates the bridge-family table of the cuts, with no cut: packets
// from or to an address in the set "cut" are dropped, and so are those from the first to
// the second address of a pair in "link", whether forwarded between two hosts, sent by
// the root namespace or sent to it. A table of the bridge family sees each frame as it
// crosses the bridge, after the sender's stack and before the receiver's: the packet is
// lost on the wire, and nobody is told.
func cutTableScript(id string) string {
	var b strings.Builder
	table := nftTable(id)
	fmt.Fprintf(&b, "add table bridge %s\ndelete table bridge %s\ntable bridge %s {\n", table, table, table)
	b.WriteString("\tset cut { type ipv4_addr; }\n\tset link { type ipv4_addr . ipv4_addr; }\n")
	for _, hook := range []string{"forward", "input", "output"} {
		fmt.Fprintf(&b, "\tchain %s {\n\t\ttype filter hook %s priority -200; policy accept;\n", hook, hook)
		b.WriteString("\t\tip saddr @cut drop\n\t\tip daddr @cut drop\n\t\tip saddr . ip daddr @link drop\n\t}\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// removeHosts deletes every network object of home's hosts: the cuts' table, the
// forwarding rule, the veth pairs, the bridge and the namespaces, after ending any process
// still in one of the namespaces (the network's own: Down has stopped the recorded ones).
// It finds them by their names, so it needs no topology and does nothing where there are
// none.
func removeHosts(ctx context.Context, home Home) error {
	id := hostsID(home)
	left, err := hostsLeft(home)
	if err != nil || len(left) == 0 {
		return err
	}
	var errs []error
	if nftTableExists(ctx, id) {
		errs = append(errs, runNet(ctx, "", "nft", "delete", "table", "bridge", nftTable(id)))
	}
	br := bridgeName(id)
	for forwardRuleExists(ctx, br) {
		if err := runNet(ctx, "", "iptables", append([]string{"-D"}, forwardRule(br)...)...); err != nil {
			errs = append(errs, err)
			break
		}
	}
	links, nss := ourLinks(id), ourNamespaces(id)
	// Veths first (deleting one end deletes both), the bridge last.
	sort.Slice(links, func(i, j int) bool { return links[j] == br && links[i] != br })
	for _, l := range links {
		errs = append(errs, runNet(ctx, "", "ip", "link", "del", l))
	}
	for _, ns := range nss {
		errs = append(errs, endProcessesIn(ctx, ns), runNet(ctx, "", "ip", "netns", "del", ns))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove the network's hosts: %w", err)
	}
	return nil
}

// endProcessesIn kills what still runs in the namespace ns of the network, so the
// namespace goes when it is deleted.
func endProcessesIn(ctx context.Context, ns string) error {
	out, err := exec.CommandContext(ctx, "ip", "netns", "pids", ns).Output()
	if err != nil {
		return fmt.Errorf("ip netns pids %s: %w", ns, err)
	}
	var errs []error
	for _, f := range strings.Fields(string(out)) {
		pid, err := strconv.Atoi(f)
		if err != nil || pid <= 0 {
			continue
		}
		errs = append(errs, terminate(pid, 5*time.Second))
	}
	return errors.Join(errs...)
}

// NetNSLeftovers lists the network objects of home's hosts that exist: namespaces, links,
// the cuts' table and the forwarding rule. After `cxl network down` it is empty.
func NetNSLeftovers(home Home) ([]string, error) { return hostsLeft(home) }

func hostsLeft(home Home) ([]string, error) {
	id := hostsID(home)
	var left []string
	for _, ns := range ourNamespaces(id) {
		left = append(left, "namespace "+ns)
	}
	for _, l := range ourLinks(id) {
		left = append(left, "link "+l)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := exec.LookPath("nft"); err == nil && nftTableExists(ctx, id) {
		left = append(left, "nftables table bridge "+nftTable(id))
	}
	if forwardRuleExists(ctx, bridgeName(id)) {
		left = append(left, "iptables rule "+strings.Join(forwardRule(bridgeName(id)), " "))
	}
	return left, nil
}

// ourNamespaces lists the network namespaces named after the state directory id.
func ourNamespaces(id string) []string {
	entries, err := os.ReadDir("/run/netns")
	if err != nil {
		return nil
	}
	var nss []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), nsPrefix(id)) {
			nss = append(nss, e.Name())
		}
	}
	return nss
}

// ourLinks lists the root namespace's links named after the state directory id.
func ourLinks(id string) []string {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var links []string
	for _, i := range ifs {
		if strings.HasPrefix(i.Name, linkPrefix(id)) {
			links = append(links, i.Name)
		}
	}
	return links
}

func nftTableExists(ctx context.Context, id string) bool {
	return exec.CommandContext(ctx, "nft", "list", "table", "bridge", nftTable(id)).Run() == nil
}

func forwardRuleExists(ctx context.Context, br string) bool {
	if _, err := exec.LookPath("iptables"); err != nil {
		return false
	}
	return exec.CommandContext(ctx, "iptables", append([]string{"-C"}, forwardRule(br)...)...).Run() == nil
}

// ensureMemberHost makes the host of the member of a NetNS network whose topology is t (the
// network's with the member as its last organisation) and whose state directory is home,
// when it is not there yet: a namespace of the member's own, named after home, with its
// loopback up and eth0 at the member's address, the namespace's end of a veth pair whose
// other end is on the network's bridge (found by the bridge's address, the subnet's
// first: the member knows the network's topology, not its state directory). The network's
// forwarding rule and cuts cover the bridge's every port, the member's too; Down on home
// removes the member's namespace and veth and nothing of the network. It does nothing on
// any other network; a network whose bridge is not up is UNAVAILABLE, and an address
// another namespace holds (another member given the same place) is CONFLICT.
func ensureMemberHost(ctx context.Context, home Home, t Topology) error {
	if t.Hosts != NetNS {
		return nil
	}
	if err := checkHostTools(); err != nil {
		return err
	}
	hosts := t.netnsHosts(home)
	h := hosts[len(hosts)-1]
	br, err := bridgeWithAddr(t.hostByte(bridgeHostByte))
	if err != nil {
		return err
	}
	if !nsExists(h.ns) {
		if other, err := namespaceWithAddr(ctx, h.addr); err != nil {
			return err
		} else if other != "" {
			return cxlerr.Errorf(cxlerr.Conflict, "address %s of the member's host is taken by network namespace %s (another member of the network there?)", h.addr, other)
		}
	}
	if err := attachHost(ctx, h, br); err != nil {
		return fmt.Errorf("the member's host %s: %w", h.name, err)
	}
	return nil
}

// attachHost makes host h (its namespace and veth pair, unless they exist), puts the
// veth's root end on bridge br and gives the host its address.
func attachHost(ctx context.Context, h netnsHost, br string) error {
	ip := func(args ...string) error { return runNet(ctx, "", "ip", args...) }
	if !nsExists(h.ns) {
		if err := ip("netns", "add", h.ns); err != nil {
			return err
		}
	}
	if !linkExists(h.veth) {
		if err := ip("link", "add", h.veth, "type", "veth", "peer", "name", "eth0", "netns", h.ns); err != nil {
			return err
		}
	}
	for _, args := range [][]string{
		{"link", "set", h.veth, "master", br, "up"},
		{"-n", h.ns, "addr", "replace", h.addr + "/24", "dev", "eth0"},
		{"-n", h.ns, "link", "set", "eth0", "up"},
		{"-n", h.ns, "link", "set", "lo", "up"},
	} {
		if err := ip(args...); err != nil {
			return err
		}
	}
	return nil
}

// bridgeWithAddr is the name of the root namespace's bridge whose address is addr.
func bridgeWithAddr(addr string) (string, error) {
	want, err := netip.ParseAddr(addr)
	if err != nil {
		return "", fmt.Errorf("the network's bridge address %q: %w", addr, err)
	}
	ifs, err := net.Interfaces()
	if err != nil {
		return "", fmt.Errorf("list this machine's interfaces: %w", err)
	}
	for _, i := range ifs {
		addrs, err := i.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr() == want {
				if _, err := os.Stat(filepath.Join("/sys/class/net", i.Name, "bridge")); err != nil {
					return "", fmt.Errorf("%s, which holds the network's bridge address %s, is not a bridge", i.Name, addr)
				}
				return i.Name, nil
			}
		}
	}
	return "", cxlerr.Errorf(cxlerr.Unavailable, "no bridge holds %s, the address of the network's bridge: is the network up (cxl network up --hosts netns)?", addr)
}

// namespaceWithAddr is the network namespace that holds addr on one of its interfaces, or
// "" when none does.
func namespaceWithAddr(ctx context.Context, addr string) (string, error) {
	entries, err := os.ReadDir("/run/netns")
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("list the network namespaces: %w", err)
	}
	for _, e := range entries {
		out, err := exec.CommandContext(ctx, "ip", "-n", e.Name(), "-4", "-o", "addr", "show", "to", addr+"/32").Output()
		if err == nil && len(bytes.TrimSpace(out)) > 0 {
			return e.Name(), nil
		}
	}
	return "", nil
}
