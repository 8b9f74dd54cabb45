package gateway

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/network"
)

// TestCustomersOfAMember: a member's service accepts its own CA's customers (the root in
// its registrar's MSP) and, natively, invites through its CA as the registrar; under Docker
// it serves the customer path without invitations; an MSP with no single root is an error.
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
	m := member{prof: network.OrgProfile{MSPID: "Org1MSP", CA: &network.CAInfo{URL: "https://127.0.0.1:7980", TLSRootCert: "/tls.pem",
		Registrar: network.IdentityInfo{Cert: filepath.Join(msp, "signcerts", "r-cert.pem"), Key: filepath.Join(msp, "keystore", "priv_sk")}}}}
	same := func(p string) string { return p }
	c, err := customers(site{runtime: network.Native}, m, same)
	if err != nil || len(c.Roots) != 1 || c.Roots[0].Cert != root || c.Roots[0].MSPID != "Org1MSP" || c.CA == nil ||
		c.CA.URL != "https://127.0.0.1:7980" || c.CA.Registrar.Key != m.prof.CA.Registrar.Key {
		t.Fatalf("native: %+v %v", c, err)
	}
	c, err = customers(site{runtime: network.Docker}, m, func(p string) string { return "/mnt" + p })
	if err != nil || c.CA != nil || !strings.HasPrefix(c.Roots[0].Cert, "/mnt/") {
		t.Fatalf("docker: %+v %v", c, err)
	}
	if err := os.WriteFile(filepath.Join(msp, "cacerts", "other.pem"), []byte("pem"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := customers(site{runtime: network.Native}, m, same); err == nil {
		t.Fatal("two roots were accepted")
	}
	if c, err := customers(site{runtime: network.Native}, member{}, same); err != nil || len(c.Roots) != 0 {
		t.Fatalf("no CA: %+v %v", c, err)
	}
}
