package network

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/cxlerr"
	"gopkg.in/yaml.v3"
)

func TestNewMemberRefusesDockerAndBadSpecs(t *testing.T) {
	ctx := context.Background()
	if _, err := NewMember(ctx, Home(t.TempDir()), dockerTopology(1000), OrgSpec{Name: "Org3", Peers: 1}); err == nil || !strings.Contains(err.Error(), "native") {
		t.Fatalf("a member of a Docker network: %v", err)
	}
	// A netns network never started (no subnet), and one whose bridge is not up (or a
	// machine that cannot make hosts): refused before anything is made.
	unstarted := Topology{PortOffset: 1000, Hosts: NetNS}.WithDefaults()
	home := Home(filepath.Join(t.TempDir(), "member"))
	if _, err := NewMember(ctx, home, unstarted, OrgSpec{Name: "Org3", Peers: 1}); cxlerr.CodeOf(err) != cxlerr.Invalid || !strings.Contains(err.Error(), "hostSubnet") {
		t.Fatalf("a member of a netns network with no subnet: %v", err)
	}
	down := Topology{PortOffset: 1000, Hosts: NetNS, HostSubnet: "10.77.1.0/24"}.WithDefaults()
	if _, err := NewMember(ctx, home, down, OrgSpec{Name: "Org3", Peers: 1}); err == nil || (os.Geteuid() == 0 && cxlerr.CodeOf(err) != cxlerr.Unavailable) {
		t.Fatalf("a member of a netns network whose bridge is not up: %v", err)
	}
	if _, err := os.Stat(string(home)); err == nil {
		t.Fatal("a refused netns member: its home was made")
	}
	native := Topology{PortOffset: 1000}.WithDefaults()
	for _, spec := range []OrgSpec{{Name: native.Orgs[0].Name, Peers: 1}, {Name: "Org\xff"}, {Name: "Org3", Peers: 10}, {Name: "Org3", Users: 51}} {
		home := Home(filepath.Join(t.TempDir(), "member"))
		if _, err := NewMember(ctx, home, native, spec); cxlerr.CodeOf(err) != cxlerr.Invalid {
			t.Fatalf("member %+v: %v", spec, err)
		}
		if _, err := os.Stat(string(home)); err == nil {
			t.Fatalf("member %+v: its home was made", spec)
		}
	}
}

func TestMemberDefinition(t *testing.T) {
	home := Home(t.TempDir())
	native := Topology{PortOffset: 1000}.WithDefaults()
	t3 := native
	t3.Orgs = append(append([]OrgSpec{}, native.Orgs...), OrgSpec{Name: "Org3", Peers: 2})
	t3 = t3.WithDefaults()
	org := t3.PeerOrgs()[2]
	m := Member{Home: home, Topology: t3, Org: org}
	if _, err := m.Definition(); err == nil {
		t.Fatal("no MSP: no error")
	}
	o := newTestOrg(t, org.MSPID)
	for name, pems := range map[string][]string{"cacerts": o.def.RootCerts, "tlscacerts": o.def.TLSRootCerts} {
		dir := filepath.Join(home.OrgDir(org), "msp", name)
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "ca-cert.pem"), []byte(pems[0]), 0o644)
	}
	d, err := m.Definition()
	if err != nil {
		t.Fatal(err)
	}
	if d.MSPID != org.MSPID || len(d.AnchorPeers) != 2 || d.AnchorPeers[0].Host != "127.0.0.1" || d.AnchorPeers[1].Port != org.PeerNodes[1].Port {
		t.Fatalf("definition %+v", d)
	}
	for _, n := range native.Nodes() {
		for _, p := range d.AnchorPeers {
			if p.Port == n.Port {
				t.Fatalf("anchor peer port %d is %s's", p.Port, n.Name)
			}
		}
	}
}

func TestMemberProfileNamesOnlyTheMember(t *testing.T) {
	home := Home(t.TempDir())
	t3 := Topology{PortOffset: 1000, Orgs: []OrgSpec{{Name: "Org1"}, {Name: "Org2"}, {Name: "Org3", Peers: 2, Users: 2}}}.WithDefaults()
	org := t3.PeerOrgs()[2]
	m := Member{Home: home, Topology: t3, Org: org}
	d := Deployment{Sequence: 2, Version: "2", Packages: map[string]string{org.MSPID: "cxledger_2:ab"}, Servers: map[string]string{org.MSPID: "127.0.0.1:8902"}}
	p := m.Profile(d)
	if len(p.Orgs) != 1 || p.Orgs[0].MSPID != "Org3MSP" || len(p.Orgs[0].Peers) != 2 || len(p.Orgs[0].Users) != 3 {
		t.Fatalf("profile orgs %+v", p.Orgs)
	}
	if len(p.Orderers) != 0 {
		t.Fatalf("the member's profile names orderers %+v", p.Orderers)
	}
	if p.Orgs[0].CA == nil || p.Orgs[0].CA.URL != "https://127.0.0.1:8982" || !strings.HasPrefix(p.Orgs[0].CA.Registrar.Cert, string(home)) {
		t.Fatalf("the member's CA %+v", p.Orgs[0].CA)
	}
	if !slices.Equal(p.Orgs[0].Roles, []string{"merchant"}) || p.Deployment.Packages["Org3MSP"] != "cxledger_2:ab" {
		t.Fatalf("roles %v, deployment %+v", p.Orgs[0].Roles, p.Deployment)
	}
	for _, u := range p.Orgs[0].Users {
		if !strings.HasPrefix(u.Cert, home.OrgDir(org)) {
			t.Fatalf("an identity outside the member's directory: %s", u.Cert)
		}
	}
}

func TestMemberServerPorts(t *testing.T) {
	t3 := Topology{PortOffset: 1000, Orgs: []OrgSpec{{Name: "Org1"}, {Name: "Org2"}, {Name: "Org3"}}}.WithDefaults()
	m := Member{Home: Home(t.TempDir()), Topology: t3, Org: t3.PeerOrgs()[2]}
	for _, c := range []struct {
		d    Deployment
		want int
	}{
		{Deployment{Sequence: 1}, 8902 + 50},
		{Deployment{Sequence: 2}, 8902},
		{Deployment{Name: BaselineChaincode, Sequence: 1}, 8922},
	} {
		if got := m.serverPorts(c.d); !slices.Equal(got, []int{c.want}) {
			t.Errorf("%s sequence %d: ports %v, want %d", c.d.Name, c.d.Sequence, got, c.want)
		}
	}
}

func TestLoadMember(t *testing.T) {
	home := Home(t.TempDir())
	if _, err := LoadMember(home); cxlerr.CodeOf(err) != cxlerr.NotFound {
		t.Fatalf("an empty home: %v", err)
	}
	t3 := Topology{PortOffset: 1000, Orgs: []OrgSpec{{Name: "Org1"}, {Name: "Org2"}, {Name: "Org3", Peers: 2}}}.WithDefaults()
	data, _ := yaml.Marshal(t3)
	os.WriteFile(home.topologyFile(), data, 0o644)
	if _, err := LoadMember(home); cxlerr.CodeOf(err) != cxlerr.NotFound {
		t.Fatalf("a topology and no material: %v", err)
	}
	org := t3.PeerOrgs()[2]
	os.MkdirAll(home.OrgDir(org), 0o755)
	// A network.json naming every organisation is a network's, not a member's.
	NewProfile(home, t3, Deployment{}).Save(home)
	if _, err := LoadMember(home); cxlerr.CodeOf(err) != cxlerr.Invalid {
		t.Fatalf("a network's profile: %v", err)
	}
	m := Member{Home: home, Topology: t3, Org: org}
	m.Profile(Deployment{}).Save(home)
	got, err := LoadMember(home)
	if err != nil {
		t.Fatal(err)
	}
	if got.Org.MSPID != "Org3MSP" || len(got.Org.PeerNodes) != 2 || got.Topology.PortOffset != 1000 {
		t.Fatalf("loaded %+v", got.Org)
	}
	n := got.Network()
	if len(n.Orgs) != 2 || n.Orgs[1].Name != "Org2" || len(got.Topology.Orgs) != 3 {
		t.Fatalf("the network without the member: %+v (member's topology %d orgs)", n.Orgs, len(got.Topology.Orgs))
	}
	one := Topology{Orgs: []OrgSpec{{Name: "Org1"}}}.WithDefaults()
	data, _ = yaml.Marshal(one)
	os.WriteFile(home.topologyFile(), data, 0o644)
	if _, err := LoadMember(home); cxlerr.CodeOf(err) != cxlerr.Invalid {
		t.Fatalf("a one-organisation topology: %v", err)
	}
}

func TestNewMemberRefusesAHomeOfAnother(t *testing.T) {
	home := Home(t.TempDir())
	native := Topology{PortOffset: 1000}.WithDefaults()
	t3, err := MemberTopology(native, OrgSpec{Name: "Org3"})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := yaml.Marshal(t3)
	os.WriteFile(home.topologyFile(), data, 0o644)
	for _, c := range []struct {
		name string
		t    Topology
		spec OrgSpec
	}{
		{"another member", native, OrgSpec{Name: "Org4"}},
		{"another offset", Topology{PortOffset: 2000}.WithDefaults(), OrgSpec{Name: "Org3"}},
	} {
		if _, err := NewMember(context.Background(), home, c.t, c.spec); cxlerr.CodeOf(err) != cxlerr.Conflict {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if got, _ := os.ReadFile(home.topologyFile()); string(got) != string(data) {
		t.Fatal("a refused member rewrote the topology")
	}
}
