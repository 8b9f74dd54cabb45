package workload

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/network"
)

// testCA is a root CA that issues client certificates, as an organisation's Fabric CA does.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t *testing.T) testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ca.org2.example.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return testCA{cert: cert, key: key}
}

// issue returns a customer whose certificate the CA signed, valid until notAfter.
func (ca testCA) issue(t *testing.T, cn string, notAfter time.Time) Customer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn, OrganizationalUnit: []string{"client"}},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	return Customer{MSPID: "Org2MSP", ID: cn, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})}
}

// TestCustomerCache: customers written to the cache come back in order, 0600, up to the
// first missing file; a certificate of another CA, one about to expire, a key that is not
// the certificate's or a file that is not PEM makes the cache unusable.
func TestCustomerCache(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	until := time.Now().Add(certMargin)
	var want []Customer
	for i := range 3 {
		c := ca.issue(t, "bench-x-"+string(rune('0'+i)), time.Now().Add(12*time.Hour))
		if err := writeCustomer(dir, i, c); err != nil {
			t.Fatal(err)
		}
		want = append(want, c)
	}
	if err := writeCustomer(dir, 4, ca.issue(t, "after-a-gap", time.Now().Add(12*time.Hour))); err != nil {
		t.Fatal(err)
	}
	got, err := loadCustomers(dir, "Org2MSP", ca.cert, 10, until)
	if err != nil || len(got) != 3 {
		t.Fatalf("loaded %d customers (%v), want the 3 before the gap", len(got), err)
	}
	for i, c := range got {
		if c.ID != want[i].ID || string(c.CertPEM) != string(want[i].CertPEM) || string(c.KeyPEM) != string(want[i].KeyPEM) || c.Account() != "Org2MSP/"+want[i].ID {
			t.Fatalf("customer %d: %+v, want %+v", i, c, want[i])
		}
	}
	if got, err := loadCustomers(dir, "Org2MSP", ca.cert, 2, until); err != nil || len(got) != 2 {
		t.Fatalf("loaded %d of 2 (%v)", len(got), err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		info, _ := e.Info()
		if strings.HasPrefix(e.Name(), ".") || info.Mode().Perm() != 0o600 {
			t.Fatalf("cache file %s mode %v: want only NNNNNN.pem, 0600", e.Name(), info.Mode().Perm())
		}
	}

	other := newTestCA(t)
	if _, err := loadCustomers(dir, "Org2MSP", other.cert, 3, until); err == nil || !strings.Contains(err.Error(), "root CA") {
		t.Fatalf("customers of another root: %v", err)
	}
	for name, data := range map[string][]byte{
		"expiring":  append(ca.issue(t, "soon", time.Now().Add(time.Minute)).CertPEM, want[0].KeyPEM...),
		"other key": append(slicesClone(want[0].CertPEM), want[1].KeyPEM...),
		"not PEM":   []byte("junk"),
		"no key":    want[0].CertPEM,
		"key first": append(slicesClone(want[0].KeyPEM), want[0].CertPEM...),
	} {
		bad := t.TempDir()
		if err := os.WriteFile(customerFile(bad, 0), data, 0o600); err != nil {
			t.Fatal(err)
		}
		if got, err := loadCustomers(bad, "Org2MSP", ca.cert, 1, until); err == nil {
			t.Errorf("%s: loaded %+v", name, got)
		}
	}
}

func slicesClone(b []byte) []byte { return append([]byte(nil), b...) }

// TestEnrolCustomersRefuses: no customer, no parallelism, or an organisation without a CA
// is an error before anything is enrolled.
func TestEnrolCustomersRefuses(t *testing.T) {
	home := network.Home(t.TempDir())
	prof := &network.Profile{Orgs: []network.OrgProfile{{MSPID: "Org2MSP"}}}
	for _, c := range []struct {
		n, parallel int
		msp, want   string
	}{
		{0, 1, "Org2MSP", "at least one customer"},
		{1, 0, "Org2MSP", "at least one customer"},
		{1, 1, "Org2MSP", "no Fabric CA for Org2MSP"},
		{1, 1, "Org9MSP", "no Fabric CA for Org9MSP"},
	} {
		if _, _, err := EnrolCustomers(context.Background(), home, prof, c.msp, c.n, c.parallel, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v", c, err)
		}
	}
	if _, err := os.Stat(filepath.Join(string(home), "bench")); !os.IsNotExist(err) {
		t.Fatalf("a refused enrolment made the cache: %v", err)
	}
}

// TestDirectCustomers: each customer gets its own transport, signing with its own key; a
// customer of another organisation is refused.
func TestDirectCustomers(t *testing.T) {
	ca := newTestCA(t)
	tls := filepath.Join(t.TempDir(), "tls.pem")
	os.WriteFile(tls, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}), 0o644)
	prof := &network.Profile{Channel: "ch", Chaincode: "cc", Orgs: []network.OrgProfile{{MSPID: "Org2MSP",
		Peers: []network.EndpointInfo{{Address: "127.0.0.1:1", TLSRootCert: tls}}}}}
	d := newDirect(prof)
	defer d.close()
	cs := []Customer{ca.issue(t, "bench-a", time.Now().Add(time.Hour)), ca.issue(t, "bench-b", time.Now().Add(time.Hour))}
	ts, err := d.customers("Org2MSP", cs)
	if err != nil || len(ts) != 2 || ts[0] == ts[1] {
		t.Fatalf("customers: %v, %v", ts, err)
	}
	if _, err := d.customers("Org1MSP", cs); err == nil {
		t.Fatal("customers of Org2MSP taken as Org1MSP's")
	}
	env := &Env{Profile: prof, Workers: 2, Customers: cs}
	ts, accounts, err := directActors{env}.customers(2)
	if err != nil || len(ts) != 2 || accounts[0] != "Org2MSP/bench-a" || accounts[1] != "Org2MSP/bench-b" {
		t.Fatalf("direct actors: %v %v", accounts, err)
	}
	if _, _, err := (directActors{env}).customers(3); err == nil {
		t.Fatal("3 customers out of 2")
	}
	defer env.Close()
}

// TestOrdersSpreadNeedsACustomerPerWorker: orders-spread over fewer customers than workers
// would put two orders of one customer in flight; it is refused before any setup.
func TestOrdersSpreadNeedsACustomerPerWorker(t *testing.T) {
	env := &Env{Workers: 4, Spread: 3}
	if _, err := env.Prepare(context.Background(), "orders-spread", Direct); err == nil || !strings.Contains(err.Error(), "at least one customer per worker") {
		t.Fatalf("prepare: %v", err)
	}
}
