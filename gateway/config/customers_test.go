package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCustomersValidation: the customers' CA roots, the CA's address, TLS root and
// registrar are checked with the rest; a registrar key readable by every user is refused.
func TestCustomersValidation(t *testing.T) {
	cfg, dir := valid(t)
	root := filepath.Join(dir, "ca.pem")
	key := filepath.Join(dir, "registrar.key")
	if err := os.WriteFile(root, []byte("pem"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, []byte("pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := Customers{Roots: []CustomerRoot{{MSPID: "Org1MSP", Cert: root}},
		CA: &CA{URL: "https://127.0.0.1:7054", TLSRootCert: root, Registrar: Identity{Cert: root, Key: key}}}
	cfg.Customers = ok
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		edit func(*Customers)
		want string
	}{
		"root without MSP":     {func(c *Customers) { c.Roots[0].MSPID = "" }, "customers.roots[0].mspId"},
		"missing root":         {func(c *Customers) { c.Roots[0].Cert = filepath.Join(dir, "none") }, "customers.roots[0].cert"},
		"plain http CA":        {func(c *Customers) { c.CA.URL = "http://127.0.0.1:7054" }, "customers.ca.url"},
		"no CA TLS root":       {func(c *Customers) { c.CA.TLSRootCert = "" }, "customers.ca.tlsRootCert"},
		"no registrar key":     {func(c *Customers) { c.CA.Registrar.Key = "" }, "customers.ca.registrar.key"},
		"CA without roots":     {func(c *Customers) { c.Roots = nil }, "customers.ca: invited customers"},
		"negative session TTL": {func(c *Customers) { c.SessionTTL = -1 }, "customers.skew"},
	} {
		c := ok
		c.Roots = append([]CustomerRoot(nil), ok.Roots...)
		ca := *ok.CA
		c.CA = &ca
		tc.edit(&c)
		cfg.Customers = c
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.Customers = ok
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "readable by every user") {
		t.Fatalf("a world-readable registrar key: %v", err)
	}
}
