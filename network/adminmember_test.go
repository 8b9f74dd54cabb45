package network

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNewMemberRefusesDockerAndBadSpecs(t *testing.T) {
	ctx := context.Background()
	if _, err := NewMember(ctx, Home(t.TempDir()), dockerTopology(1000), OrgSpec{Name: "Org3", Peers: 1}); err == nil || !strings.Contains(err.Error(), "native") {
		t.Fatalf("a member of a Docker network: %v", err)
	}
	native := Topology{PortOffset: 1000}.WithDefaults()
	if _, err := NewMember(ctx, Home(t.TempDir()), native, OrgSpec{Name: native.Orgs[0].Name, Peers: 1}); err == nil {
		t.Fatal("a member named like an organisation of the network: no error")
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
