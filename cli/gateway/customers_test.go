package gateway

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/network"
)

// TestCustomersOfAMember: a member's service accepts its own CA's customers (the root in
// its registrar's MSP) and, natively, invites through its CA as the registrar; under Docker
// it reaches the CA by its service name when its container sees the CA's files, and serves
// the customer path without invitations when it does not; an MSP with no single root is an
// error.
func TestCustomersOfAMember(t *testing.T) {
	msp := filepath.Join(t.TempDir(), "registrar", "msp")
	for _, d := range []string{"cacerts", "signcerts", "keystore"} {
		if err := os.MkdirAll(filepath.Join(msp, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	root := filepath.Join(msp, "cacerts", "ca.org1-cert.pem")
	if err := os.WriteFile(root, []byte("pem"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := member{org: network.Org{CA: network.Node{Name: "ca.org1.example.com", Port: 7980}}, prof: network.OrgProfile{MSPID: "Org1MSP", CA: &network.CAInfo{URL: "https://127.0.0.1:7980", TLSRootCert: "/tls.pem",
		Registrar: network.IdentityInfo{Cert: filepath.Join(msp, "signcerts", "r-cert.pem"), Key: filepath.Join(msp, "keystore", "priv_sk")}}}}
	native := site{runtime: network.Native, file: func(p string) (string, error) { return p, nil }}
	c, err := customers(native, m)
	if err != nil || len(c.Roots) != 1 || c.Roots[0].Cert != root || c.Roots[0].MSPID != "Org1MSP" || c.CA == nil ||
		c.CA.URL != "https://127.0.0.1:7980" || c.CA.Registrar.Key != m.prof.CA.Registrar.Key {
		t.Fatalf("native: %+v %v", c, err)
	}
	docker := site{runtime: network.Docker, file: func(p string) (string, error) { return "/mnt" + p, nil }, caURL: "https://ca.org1.example.com:7980"}
	c, err = customers(docker, m)
	if err != nil || c.CA == nil || c.CA.URL != "https://ca.org1.example.com:7980" || !strings.HasPrefix(c.Roots[0].Cert, "/mnt/") || c.CA.Registrar.Key != "/mnt"+m.prof.CA.Registrar.Key {
		t.Fatalf("docker: %+v %v", c, err)
	}
	docker.file = func(p string) (string, error) {
		if strings.Contains(p, "cacerts") {
			return "/mnt" + p, nil
		}
		return "", fmt.Errorf("%s is not mounted", p)
	}
	if c, err = customers(docker, m); err != nil || c.CA != nil || len(c.Roots) != 1 {
		t.Fatalf("docker without the CA's files: %+v %v", c, err)
	}
	if err := os.WriteFile(filepath.Join(msp, "cacerts", "other.pem"), []byte("pem"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := customers(native, m); err == nil {
		t.Fatal("two roots were accepted")
	}
	if c, err := customers(native, member{}); err != nil || len(c.Roots) != 0 {
		t.Fatalf("no CA: %+v %v", c, err)
	}
}

// TestContainerReachesItsCAByName: under Docker a member's service dials its CA by its name
// on its organisation's network, at the port the CA listens on in its container, which is
// the port it publishes (offset included).
func TestContainerReachesItsCAByName(t *testing.T) {
	home := network.Home(t.TempDir())
	topo, prof := testNetwork(t, home, network.Docker)
	for i, m := range testMembers(t, home, topo, prof) {
		s := dockerSite(home, topo, m)
		want := fmt.Sprintf("https://ca.org%d.example.com:%d", i+1, m.org.CA.Port)
		if s.caURL != want || topo.PortOffset == 0 {
			t.Fatalf("%s: CA at %s, want %s (offset %d)", m.org.Name, s.caURL, want, topo.PortOffset)
		}
		// The configuration checked on the host is the container's, with host paths.
		if h := s.onHost(m); h.caURL != want {
			t.Fatalf("%s: the host's view of the container reaches the CA at %q", m.org.Name, h.caURL)
		}
	}
}
