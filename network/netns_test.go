package network

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"gopkg.in/yaml.v3"
)

// netnsTopology is a NetNS topology with its subnet chosen.
func netnsTopology(t *testing.T, subnet string, orgs ...OrgSpec) Topology {
	t.Helper()
	topo := Topology{Hosts: NetNS, HostSubnet: subnet, Orgs: orgs}.WithDefaults()
	if err := topo.Validate(); err != nil {
		t.Fatal(err)
	}
	return topo
}

func TestNetNSAddresses(t *testing.T) {
	topo := netnsTopology(t, "10.201.7.0/24", OrgSpec{Name: "Org1"}, OrgSpec{Name: "Org2", Peers: 2})
	orderers, orgs := topo.OrdererNodes(), topo.PeerOrgs()
	if got := orderers[1].Host; got != "10.201.7.12" {
		t.Errorf("orderer2's host = %q, want 10.201.7.12", got)
	}
	if got := orderers[1].Address(); got != fmt.Sprintf("10.201.7.12:%d", orderers[1].Port) {
		t.Errorf("orderer2's address = %q", got)
	}
	org2 := orgs[1]
	for _, n := range append([]Node{org2.CA}, org2.PeerNodes...) {
		if n.Host != "10.201.7.22" {
			t.Errorf("%s's host = %q, want Org2's 10.201.7.22", n.Name, n.Host)
		}
	}
	if got := topo.Endpoint(org2.PeerNodes[1]); got != fmt.Sprintf("10.201.7.22:%d", org2.PeerNodes[1].Port) {
		t.Errorf("peer1.org2's endpoint = %q", got)
	}
	if got := topo.CAEndpoint(orgs[0]); got != fmt.Sprintf("https://10.201.7.21:%d", orgs[0].CA.Port) {
		t.Errorf("Org1's CA endpoint = %q", got)
	}
	if got := CAURL(orgs[0]); got != fmt.Sprintf("https://10.201.7.21:%d", orgs[0].CA.Port) {
		t.Errorf("CAURL = %q", got)
	}
	if got := topo.listen(7050); got != "0.0.0.0:7050" {
		t.Errorf("listen = %q, want every interface of the host", got)
	}
	// A chaincode server shares its organisation's host with the peers: they reach it on
	// the host's loopback.
	if _, reach := topo.chaincodeServer(orgs[0], 1); !strings.HasPrefix(reach, "127.0.0.1:") {
		t.Errorf("chaincode server reached at %q, want the host's loopback", reach)
	}
	env := strings.Join(peerEnv(Home("/h"), topo, org2, org2.PeerNodes[1]), "\n")
	for _, want := range []string{
		fmt.Sprintf("CORE_PEER_GOSSIP_EXTERNALENDPOINT=10.201.7.22:%d", org2.PeerNodes[1].Port),
		fmt.Sprintf("CORE_PEER_GOSSIP_BOOTSTRAP=10.201.7.22:%d", org2.PeerNodes[0].Port),
		fmt.Sprintf("CORE_PEER_LISTENADDRESS=0.0.0.0:%d", org2.PeerNodes[1].Port),
	} {
		if !strings.Contains(env, want) {
			t.Errorf("peer environment lacks %s", want)
		}
	}
	if ips := org2.CA.tlsIPs(); len(ips) != 2 || !ips[1].Equal(net.ParseIP("10.201.7.22")) {
		t.Errorf("CA TLS IPs = %v", ips)
	}
}

// TestLoopbackUnchanged: a network without hosts addresses, listens and certifies exactly
// as before NetNS existed.
func TestLoopbackUnchanged(t *testing.T) {
	topo := DefaultTopology()
	for _, n := range append(topo.CANodes(), topo.Nodes()...) {
		if n.Host != "" || n.Address() != fmt.Sprintf("127.0.0.1:%d", n.Port) || topo.Endpoint(n) != n.Address() {
			t.Errorf("%s: host %q, address %s, endpoint %s", n.Name, n.Host, n.Address(), topo.Endpoint(n))
		}
		if ips := n.tlsIPs(); len(ips) != 1 || !ips[0].Equal(net.IPv4(127, 0, 0, 1)) {
			t.Errorf("%s: TLS IPs %v", n.Name, ips)
		}
	}
	if got := topo.listen(7050); got != "127.0.0.1:7050" {
		t.Errorf("listen = %q", got)
	}
	home := Home(t.TempDir())
	if _, err := renderConfigs(home, topo); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"crypto-config-orderer.yaml", "crypto-config-org1.yaml"} {
		data, err := os.ReadFile(home.Path("config", f))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "SANS: [localhost, 127.0.0.1]\n") {
			t.Errorf("%s SANs changed:\n%s", f, data)
		}
	}
	data, err := yaml.Marshal(topo)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "host") {
		t.Errorf("a loopback topology file names hosts:\n%s", data)
	}
	if name := "peer0.org1.example.com"; topo.hostAddrOf(name) != "" {
		t.Errorf("hostAddrOf(%s) on a loopback network", name)
	}
	if _, in := topo.hostOfProcess(home, "peer0.org1.example.com"); in {
		t.Error("a loopback network's peer runs in a namespace")
	}
}

func TestNetNSRenderConfigs(t *testing.T) {
	topo := netnsTopology(t, "10.202.3.0/24")
	home := Home(t.TempDir())
	if _, err := renderConfigs(home, topo); err != nil {
		t.Fatal(err)
	}
	read := func(f string) string {
		data, err := os.ReadFile(home.Path("config", f))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	if s := read("crypto-config-orderer.yaml"); !strings.Contains(s, "SANS: [localhost, 127.0.0.1, 10.202.3.13]") {
		t.Errorf("orderer3's SANs lack its host:\n%s", s)
	}
	if s := read("crypto-config-org2.yaml"); !strings.Contains(s, "SANS: [localhost, 127.0.0.1, 10.202.3.22]") {
		t.Errorf("Org2's peers' SANs lack its host:\n%s", s)
	}
	ctx := read("configtx.yaml")
	for _, want := range []string{"- 10.202.3.11:", "Host: 10.202.3.21", "Host: 10.202.3.12"} {
		if !strings.Contains(ctx, want) {
			t.Errorf("configtx.yaml lacks %q", want)
		}
	}
	if strings.Contains(ctx, "127.0.0.1") {
		t.Errorf("configtx.yaml still addresses a node on the loopback:\n%s", ctx)
	}
}

func TestNetNSValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		topo Topology
		want string
	}{
		{"docker", Topology{Hosts: NetNS, Runtime: Docker}, "native network"},
		{"unknown hosts", Topology{Hosts: "vm"}, `hosts must be "netns"`},
		{"invalid UTF-8 hosts", Topology{Hosts: "\xff\xfe"}, `hosts must be "netns"`},
		{"subnet without hosts", Topology{HostSubnet: "10.1.2.0/24"}, "needs hosts"},
		{"wide subnet", Topology{Hosts: NetNS, HostSubnet: "10.1.0.0/16"}, "/24 of 10.0.0.0/8"},
		{"narrow subnet", Topology{Hosts: NetNS, HostSubnet: "10.1.2.0/25"}, "/24 of 10.0.0.0/8"},
		{"not a network address", Topology{Hosts: NetNS, HostSubnet: "10.1.2.5/24"}, "/24 of 10.0.0.0/8"},
		{"outside 10/8", Topology{Hosts: NetNS, HostSubnet: "192.168.9.0/24"}, "/24 of 10.0.0.0/8"},
		{"IPv6", Topology{Hosts: NetNS, HostSubnet: "fd00::/24"}, "/24 of 10.0.0.0/8"},
		{"garbage", Topology{Hosts: NetNS, HostSubnet: "10.1.2.0/24; rm -rf /"}, "/24 of 10.0.0.0/8"},
	} {
		err := tc.topo.WithDefaults().Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate = %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := ParseHosts("netns"); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"NETNS", "netns ", "docker", "\x00"} {
		if _, err := ParseHosts(bad); err == nil {
			t.Errorf("ParseHosts(%q) accepted", bad)
		}
	}
}

func TestNetNSNames(t *testing.T) {
	a, b := Home(t.TempDir()), Home(t.TempDir())
	if hostsID(a) == hostsID(b) {
		t.Fatalf("two state directories share the hosts ID %s", hostsID(a))
	}
	if hostsID(a) != hostsID(Home(string(a)+"/")) {
		t.Error("the hosts ID depends on a trailing slash")
	}
	// The largest topology: 5 orderers, 8 organisations with long names.
	var orgs []OrgSpec
	for i := range 8 {
		orgs = append(orgs, OrgSpec{Name: fmt.Sprintf("Organisation%dWithALongName", i)})
	}
	topo := Topology{Hosts: NetNS, HostSubnet: "10.249.255.0/24", Orderers: 5, Orgs: orgs}.WithDefaults()
	if err := topo.Validate(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	hosts := topo.netnsHosts(a)
	if len(hosts) != 13 {
		t.Fatalf("%d hosts, want 13", len(hosts))
	}
	for _, h := range hosts {
		if len(h.veth) > 15 || len(bridgeName(hostsID(a))) > 15 {
			t.Errorf("link name %s or %s is longer than 15 bytes", h.veth, bridgeName(hostsID(a)))
		}
		for _, v := range []string{h.ns, h.veth, h.addr} {
			if seen[v] {
				t.Errorf("%s used twice", v)
			}
			seen[v] = true
		}
	}
	for name, want := range map[string]string{
		"orderer5.example.com":                               "orderer5",
		"peer0.organisation7withalongname.example.com":       "organisation7withalongname",
		"ca.organisation0withalongname.example.com":          "organisation0withalongname",
		"chaincode-Organisation3WithALongNameMSP-12":         "organisation3withalongname",
		"baseline-Organisation1WithALongNameMSP-1":           "organisation1withalongname",
		"cxl-gateway-Organisation1WithALongNameMSP":          "",
		"chaincode-Organisation3WithALongNameMSP-":           "",
		"chaincode-Organisation3WithALongNameMSP-1x":         "",
		"chaincode-Organisation3WithALongNameMSP-1\xff":      "",
		"peer0.organisation9withalongname.example.com":       "",
		"orderer6.example.com":                               "",
		"":                                                   "",
		"peer0.organisation7withalongname.example.com.evil":  "",
		"chaincode-Organisation3WithALongNameMSP-1/../../x1": "",
	} {
		h, in := topo.hostOfProcess(a, name)
		if in != (want != "") || h.name != want {
			t.Errorf("hostOfProcess(%q) = %q %t, want %q", name, h.name, in, want)
		}
	}
}

func TestChooseHostSubnet(t *testing.T) {
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("no ip command")
	}
	home := Home(t.TempDir())
	s, err := chooseHostSubnet(home)
	if err != nil {
		t.Fatal(err)
	}
	p, err := hostSubnet(s)
	if err != nil {
		t.Fatal(err)
	}
	if a := p.Addr().As4(); a[1] < 200 || a[1] > 249 {
		t.Errorf("subnet %s outside 10.200-249", s)
	}
	used, err := usedPrefixes()
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range used {
		if u.Overlaps(p) {
			t.Errorf("subnet %s overlaps %s, which this machine uses", s, u)
		}
	}
	if again, err := chooseHostSubnet(home); err != nil || again != s {
		t.Errorf("a second choice for one state directory = %s, %v; want %s", again, err, s)
	}
}

func TestCutsNeedNetNS(t *testing.T) {
	home := Home(t.TempDir())
	ctx := context.Background()
	if err := CutOff(ctx, home, "peer0.org1.example.com"); err == nil || !strings.Contains(err.Error(), "no network") {
		t.Errorf("CutOff without a network = %v", err)
	}
	writeTopology(t, home, DefaultTopology())
	if err := CutOff(ctx, home, "peer0.org1.example.com"); err == nil || !strings.Contains(err.Error(), "--hosts netns") {
		t.Errorf("CutOff on a loopback network = %v", err)
	}
	writeTopology(t, home, netnsTopology(t, "10.203.1.0/24"))
	for _, bad := range []string{"peer9.org1.example.com", "", "org1", "peer0.org1.example.com\xff", "cxl-gateway-Org1MSP", "chaincode-Org1MSP-1"} {
		if err := CutOff(ctx, home, bad); err == nil || !strings.Contains(err.Error(), "no orderer, peer or CA") {
			t.Errorf("CutOff(%q) = %v", bad, err)
		}
		if err := CutLink(ctx, home, "orderer1.example.com", bad); err == nil {
			t.Errorf("CutLink to %q accepted", bad)
		}
	}
	if err := CutLink(ctx, home, "peer0.org1.example.com", "ca.org1.example.com"); err == nil || !strings.Contains(err.Error(), "one host") {
		t.Errorf("CutLink within one host = %v", err)
	}
	if err := HealLink(ctx, home, "orderer2.example.com", "orderer2.example.com"); err == nil || !strings.Contains(err.Error(), "one host") {
		t.Errorf("HealLink of a host with itself = %v", err)
	}
	if name, addr, err := HostOf(home, "ca.org2.example.com"); err != nil || name != "org2" || addr != "10.203.1.22" {
		t.Errorf("HostOf = %s %s %v", name, addr, err)
	}
}

func writeTopology(t *testing.T, home Home, topo Topology) {
	t.Helper()
	data, err := yaml.Marshal(topo)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(home.topologyFile(), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestMain runs the package's tests, or, as the helper process of TestNetNSHostsAndCuts,
// one of its two roles: with CXL_NETNS_LISTEN (run in a host's namespace by Start) it
// listens there and answers each connection with CXL_NETNS_NAME; with CXL_NETNS_DIAL it
// dials that address once and exits 0 when it got an answer within half a second.
func TestMain(m *testing.M) {
	if addr := os.Getenv("CXL_NETNS_LISTEN"); addr != "" {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		for {
			c, err := l.Accept()
			if err != nil {
				os.Exit(3)
			}
			fmt.Fprintln(c, os.Getenv("CXL_NETNS_NAME"))
			c.Close()
		}
	}
	if addr := os.Getenv("CXL_NETNS_DIAL"); addr != "" {
		if err := dialOnce(addr); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// dialOnce connects to addr and reads a line within half a second.
func dialOnce(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if n == 0 {
		return fmt.Errorf("no answer from %s: %w", addr, err)
	}
	return nil
}

// TestNetNSHostsAndCuts makes the hosts of a small NetNS network for real (root only),
// runs a listener on two of them through Start, and checks that this machine and the other
// hosts reach them over the bridge, that CutOff drops everything to one host and CutLink
// only the link between two, that both heal, that Start's PID is the process in the
// namespace, and that removing the hosts leaves nothing.
func TestNetNSHostsAndCuts(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root")
	}
	for _, tool := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s", tool)
		}
	}
	ctx := context.Background()
	home := Home(t.TempDir())
	subnet, err := chooseHostSubnet(home)
	if err != nil {
		t.Fatal(err)
	}
	topo := Topology{Hosts: NetNS, HostSubnet: subnet, Orderers: 1}.WithDefaults()
	if err := topo.Validate(); err != nil {
		t.Fatal(err)
	}
	writeTopology(t, home, topo)
	t.Cleanup(func() {
		for _, p := range []string{"orderer1.example.com", "peer0.org1.example.com"} {
			_ = Stop(home, p, time.Second)
		}
		if err := removeHosts(context.Background(), home); err != nil {
			t.Error(err)
		}
	})
	if err := ensureHosts(ctx, home, topo); err != nil {
		t.Fatal(err)
	}
	// Twice is as once.
	if err := ensureHosts(ctx, home, topo); err != nil {
		t.Fatalf("ensureHosts again: %v", err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(home.Bin(), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(home.Bin(), "helper")); err != nil {
		t.Fatal(err)
	}
	const port = 17777
	orderer, org1 := topo.OrdererNodes()[0], topo.PeerOrgs()[0]
	peer := org1.PeerNodes[0]
	var pids []int
	for _, n := range []Node{orderer, peer} {
		p, err := Start(home, n.Name, "helper", []string{"-test.run=^$"},
			[]string{fmt.Sprintf("CXL_NETNS_LISTEN=0.0.0.0:%d", port), "CXL_NETNS_NAME=" + n.Name})
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, p.PID)
	}
	at := func(n Node) string { return net.JoinHostPort(n.Host, fmt.Sprint(port)) }
	// from dials n's listener from the root namespace (host "") or from a host's namespace.
	from := func(host string, n Node) error {
		if host == "" {
			return dialOnce(at(n))
		}
		cmd := exec.Command("ip", "netns", "exec", host, self, "-test.run=^$")
		cmd.Env = append(os.Environ(), "CXL_NETNS_DIAL="+at(n))
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		return nil
	}
	hosts := topo.netnsHosts(home)
	ordererNS, org1NS, org2NS := hosts[0].ns, hosts[1].ns, hosts[2].ns
	reach := func(what string, want bool, host string, n Node) {
		t.Helper()
		var err error
		// A listener just started may not accept yet.
		for i := 0; i < 20; i++ {
			if err = from(host, n); err == nil || !want {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if want && err != nil {
			t.Errorf("%s: %s unreachable: %v", what, n.Name, err)
		}
		if !want && err == nil {
			t.Errorf("%s: %s reachable", what, n.Name)
		}
	}
	reach("whole", true, "", orderer)
	reach("whole", true, "", peer)
	reach("whole", true, org2NS, orderer)
	reach("whole", true, org1NS, orderer)
	reach("whole", true, ordererNS, peer)
	// Start's PID is the listener's, in its host's namespace (`ip netns exec` execs it).
	own, _ := os.Readlink("/proc/self/ns/net")
	for i, p := range pids {
		ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", p))
		exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", p))
		if err != nil || ns == own || exe != self {
			t.Errorf("process %d (pid %d): namespace %s (root %s), executable %s, %v", i, p, ns, own, exe, err)
		}
	}

	if err := CutOff(ctx, home, peer.Name); err != nil {
		t.Fatal(err)
	}
	if err := CutOff(ctx, home, "ca.org1.example.com"); err != nil {
		t.Fatalf("cutting a host that is cut already: %v", err)
	}
	reach("Org1 cut off", false, "", peer)
	reach("Org1 cut off", false, ordererNS, peer)
	reach("Org1 cut off", false, org1NS, orderer)
	reach("Org1 cut off", true, org2NS, orderer)
	reach("Org1 cut off", true, "", orderer)
	if err := Reconnect(ctx, home, peer.Name); err != nil {
		t.Fatal(err)
	}
	if err := Reconnect(ctx, home, peer.Name); err != nil {
		t.Fatalf("reconnecting a host that is not cut: %v", err)
	}
	reach("Org1 reconnected", true, "", peer)
	reach("Org1 reconnected", true, org1NS, orderer)

	if err := CutLink(ctx, home, peer.Name, orderer.Name); err != nil {
		t.Fatal(err)
	}
	reach("Org1-orderer1 cut", false, org1NS, orderer)
	reach("Org1-orderer1 cut", false, ordererNS, peer)
	reach("Org1-orderer1 cut", true, org2NS, orderer)
	reach("Org1-orderer1 cut", true, org2NS, peer)
	reach("Org1-orderer1 cut", true, "", peer)
	if err := HealLink(ctx, home, orderer.Name, peer.Name); err != nil {
		t.Fatal(err)
	}
	reach("Org1-orderer1 healed", true, org1NS, orderer)
	reach("Org1-orderer1 healed", true, ordererNS, peer)

	// Down's order: the processes, then the hosts.
	p, _ := Running(home, peer.Name)
	for _, n := range []string{orderer.Name, peer.Name} {
		if err := Stop(home, n, 2*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if alive(p.PID) {
		t.Errorf("pid %d of %s alive after Stop: Start's PID is not the process in the namespace", p.PID, peer.Name)
	}
	if err := removeHosts(ctx, home); err != nil {
		t.Fatal(err)
	}
	left, err := NetNSLeftovers(home)
	if err != nil || len(left) > 0 {
		t.Fatalf("left after removing the hosts: %v %v", left, err)
	}
	if err := CutOff(ctx, home, peer.Name); err == nil || !strings.Contains(err.Error(), "is it up") {
		t.Errorf("CutOff after the hosts are gone = %v", err)
	}
}

// TestUpRefusesNetNSWithoutTools: on a machine that cannot make the hosts (no root, no ip or
// nft), Up fails before it generates anything.
func TestUpRefusesNetNSWithoutTools(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	home := Home(t.TempDir())
	topo := Topology{Hosts: NetNS, PortOffset: 41000}
	_, err := Up(context.Background(), Options{Home: home, Topology: &topo})
	if err == nil || !strings.Contains(err.Error(), "root") && !strings.Contains(err.Error(), "needs ip") {
		t.Fatalf("Up without the tools = %v", err)
	}
	if entries, _ := os.ReadDir(string(home)); len(entries) > 0 {
		t.Errorf("Up left %d entries in the state directory, e.g. %s", len(entries), entries[0].Name())
	}
}

// TestNetNSMemberHost: a member of a NetNS network gets a host of its own on the network's
// bridge, named after its state directory, at its organisation's address; a process the
// member starts runs there and is reached from the root namespace and from the network's
// hosts; a second member given the same address is CONFLICT and a network whose bridge is
// not up UNAVAILABLE, both with nothing made; removing the member's hosts leaves the
// network's as they were and nothing of the member.
func TestNetNSMemberHost(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root")
	}
	for _, tool := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s", tool)
		}
	}
	ctx := context.Background()
	home := Home(t.TempDir())
	subnet, err := chooseHostSubnet(home)
	if err != nil {
		t.Fatal(err)
	}
	topo := Topology{Hosts: NetNS, HostSubnet: subnet, Orderers: 1}.WithDefaults()
	writeTopology(t, home, topo)
	t.Cleanup(func() {
		if err := removeHosts(context.Background(), home); err != nil {
			t.Error(err)
		}
	})
	if err := ensureHosts(ctx, home, topo); err != nil {
		t.Fatal(err)
	}
	networkHosts, err := NetNSLeftovers(home)
	if err != nil {
		t.Fatal(err)
	}

	mt, err := MemberTopology(topo, OrgSpec{Name: "Org3", Peers: 1})
	if err != nil {
		t.Fatal(err)
	}
	member := Home(t.TempDir())
	writeTopology(t, member, mt)
	peer := mt.PeerOrgs()[2].PeerNodes[0]
	t.Cleanup(func() {
		_ = Stop(member, peer.Name, time.Second)
		if err := removeHosts(context.Background(), member); err != nil {
			t.Error(err)
		}
	})
	if want := topo.orgHostAddr(2); peer.Host != want || mt.PeerOrgs()[2].CA.Host != want {
		t.Fatalf("the member's peer at %q and CA at %q, not the next organisation's address %s", peer.Host, mt.PeerOrgs()[2].CA.Host, want)
	}
	for range 2 {
		if err := ensureMemberHost(ctx, member, mt); err != nil {
			t.Fatal(err)
		}
	}
	hosts := mt.netnsHosts(member)
	h := hosts[len(hosts)-1]
	left, err := NetNSLeftovers(member)
	if err != nil || !slices.Equal(left, []string{"namespace " + h.ns, "link " + h.veth}) {
		t.Fatalf("the member's network objects: %v %v", left, err)
	}
	if master, err := os.Readlink(filepath.Join("/sys/class/net", h.veth, "master")); err != nil || filepath.Base(master) != bridgeName(hostsID(home)) {
		t.Fatalf("the member's veth %s is on %q, not the network's bridge (%v)", h.veth, master, err)
	}

	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(member.Bin(), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(member.Bin(), "helper")); err != nil {
		t.Fatal(err)
	}
	const port = 17778
	p, err := Start(member, peer.Name, "helper", []string{"-test.run=^$"},
		[]string{fmt.Sprintf("CXL_NETNS_LISTEN=0.0.0.0:%d", port), "CXL_NETNS_NAME=" + peer.Name})
	if err != nil {
		t.Fatal(err)
	}
	at := net.JoinHostPort(peer.Host, fmt.Sprint(port))
	var dialErr error
	for range 30 {
		if dialErr = dialOnce(at); dialErr == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if dialErr != nil {
		t.Fatalf("the member's listener unreachable from the root namespace: %v", dialErr)
	}
	// Once it listens, `ip netns exec` has entered the namespace and exec'd it.
	if ns, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", p.PID)); ns == "" || ns == mustReadlink(t, "/proc/self/ns/net") {
		t.Errorf("the member's process (pid %d) is not in a namespace of its own: %q", p.PID, ns)
	}
	cmd := exec.Command("ip", "netns", "exec", topo.netnsHosts(home)[1].ns, self, "-test.run=^$")
	cmd.Env = append(os.Environ(), "CXL_NETNS_DIAL="+at)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the member's listener unreachable from Org1's host: %v: %s", err, out)
	}

	// Another member given the same place, and a network whose bridge is not up.
	other := Home(t.TempDir())
	if err := ensureMemberHost(ctx, other, mt); cxlerr.CodeOf(err) != cxlerr.Conflict {
		t.Errorf("a second member at %s: %v", peer.Host, err)
	}
	gone := mt
	gone.HostSubnet = "10.77.2.0/24"
	if err := ensureMemberHost(ctx, other, gone); cxlerr.CodeOf(err) != cxlerr.Unavailable {
		t.Errorf("a member of a network whose bridge is not up: %v", err)
	}
	if left, err := NetNSLeftovers(other); err != nil || len(left) > 0 {
		t.Errorf("the refused members left %v %v", left, err)
	}

	if err := Stop(member, peer.Name, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := removeHosts(ctx, member); err != nil {
		t.Fatal(err)
	}
	if left, err := NetNSLeftovers(member); err != nil || len(left) > 0 {
		t.Errorf("left of the member after removing its hosts: %v %v", left, err)
	}
	if after, err := NetNSLeftovers(home); err != nil || !slices.Equal(after, networkHosts) {
		t.Errorf("removing the member's hosts changed the network's: %v, not %v (%v)", after, networkHosts, err)
	}
}

func mustReadlink(t *testing.T, path string) string {
	t.Helper()
	s, err := os.Readlink(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
