package identity

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cli/clitest"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/cli/order"
	"github.com/cxledger/cxledger/cli/transport"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/client/clienttest"
	"github.com/cxledger/cxledger/gateway/config"
	"github.com/cxledger/cxledger/gateway/fabric"
	"github.com/cxledger/cxledger/gateway/httpapi"
	"github.com/cxledger/cxledger/gateway/metrics"
	"github.com/cxledger/cxledger/gateway/store"
	"github.com/cxledger/cxledger/ledgerapi"
)

// testCA issues client certificates for the certificate requests it enrols, as a member's
// CA does for the registrar's customers.
type testCA struct {
	mu         sync.Mutex
	cert       *x509.Certificate
	key        *ecdsa.PrivateKey
	registered map[string]string
}

func newTestCA(t *testing.T) *testCA {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ca.org1"}, IsCA: true, BasicConstraintsValid: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, registered: map[string]string{}}
}

func (ca *testCA) RegisterCustomer(_ context.Context, id, secret string) error {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	ca.registered[id] = secret
	return nil
}

func (ca *testCA) EnrollCSR(_ context.Context, id, secret string, csrPEM []byte) ([]byte, []byte, error) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if ca.registered[id] != secret {
		return nil, nil, cxlerr.Errorf(cxlerr.Unauthenticated, "CA: authentication failure")
	}
	block, _ := pem.Decode(csrPEM)
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: csr.Subject.CommonName, OrganizationalUnit: []string{"client"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, csr.PublicKey, ca.key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}), nil
}

// recordingLedger stands in for the Fabric client behind the customer path: it builds
// messages of its own and records the customer and the steps.
type recordingLedger struct {
	mu    sync.Mutex
	steps []string
	certs [][]byte
}

func (l *recordingLedger) step(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.steps = append(l.steps, s)
}

func (l *recordingLedger) Prepare(_ context.Context, cust fabric.Customer, op *ledgerapi.Operation, _ any) (*fabric.Unsigned, error) {
	l.step("prepare " + op.Name())
	l.mu.Lock()
	l.certs = append(l.certs, cust.CertPEM)
	l.mu.Unlock()
	b, d, err := clienttest.Proposal(cust.MSPID, cust.CertPEM, "tx1", op.Contract, op.Function)
	return &fabric.Unsigned{TransactionID: "tx1", Bytes: b, Digest: d}, err
}

func (l *recordingLedger) Endorse(context.Context, []byte, []byte) (*fabric.Unsigned, error) {
	l.step("endorse")
	b, d, err := clienttest.Transaction("Org1MSP", l.certs[0], "tx1")
	return &fabric.Unsigned{TransactionID: "tx1", Bytes: b, Digest: d}, err
}

func (l *recordingLedger) EvaluateSigned(context.Context, []byte, []byte) (json.RawMessage, error) {
	return json.RawMessage(`null`), nil
}

func (l *recordingLedger) SubmitSigned(ctx context.Context, _, sig []byte, j fabric.Journal) (*ledgerapi.Committed[json.RawMessage], error) {
	l.step("submit")
	if err := j.Prepared(ctx, "tx1", sig, []byte(`{"id":"o1"}`)); err != nil {
		return nil, err
	}
	return &ledgerapi.Committed[json.RawMessage]{TransactionID: "tx1", BlockNumber: 3, Result: json.RawMessage(`{"id":"o1"}`)}, nil
}

// TestInviteEnrollAndPlace: staff invite through the service with their API key; the
// customer enrols with the secret (its key made and kept here, 0600) and a customer
// profile is saved; `cxl order place` with that profile prepares, signs and submits; the
// secret enrols once.
func TestInviteEnrollAndPlace(t *testing.T) {
	ca := newTestCA(t)
	ledger := &recordingLedger{}
	st, err := store.Open(filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(httpapi.New(httpapi.Options{
		Store: st, Metrics: metrics.New(), Limits: config.Defaults().Limits, RequestTimeout: 5 * time.Second,
		Principals: map[[32]byte]httpapi.Principal{config.HashKey("staff-key"): {Name: "staff", Identity: "org1-user1"}},
		Customers:  &httpapi.Customers{Ledger: ledger, Registrar: ca, Roots: []httpapi.CustomerRoot{{MSPID: "Org1MSP", Certs: []*x509.Certificate{ca.cert}}}},
	}))
	t.Cleanup(srv.Close)

	staff, err := transport.NewGateway(srv.URL, "staff-key", "")
	if err != nil {
		t.Fatal(err)
	}
	f, _, _ := clitest.Factory(t, staff)
	res := clitest.Exec(t, f, NewCmdIdentity(f), "invite", "--expires", "2h", "--json")
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	var inv struct{ ID, Secret string }
	if err := json.Unmarshal([]byte(res.Stdout), &inv); err != nil || inv.ID == "" || inv.Secret == "" {
		t.Fatalf("invitation %q: %v", res.Stdout, err)
	}

	f.Selection.Gateway = srv.URL
	f.IO.In = strings.NewReader("wrong\n")
	if res := clitest.Exec(t, f, NewCmdIdentity(f), "enroll", "--id", inv.ID, "--secret-stdin"); res.Code != cmdutil.ExitForbidden {
		t.Fatalf("wrong secret: %v (exit %d)", res.Err, res.Code)
	}
	f.IO.In = strings.NewReader(inv.Secret + "\n")
	res = clitest.Exec(t, f, NewCmdIdentity(f), "enroll", "--id", inv.ID, "--secret-stdin", "--json")
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	var enrolled Enrolled
	if err := json.Unmarshal([]byte(res.Stdout), &enrolled); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(enrolled.Key); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", info, err)
	}
	certPEM, _ := os.ReadFile(enrolled.Cert)
	block, _ := pem.Decode(certPEM)
	if cert, err := x509.ParseCertificate(block.Bytes); err != nil || cert.Subject.CommonName != inv.ID {
		t.Fatalf("certificate: %v", err)
	}
	f.IO.In = strings.NewReader(inv.Secret + "\n")
	if res := clitest.Exec(t, f, NewCmdIdentity(f), "enroll", "--id", inv.ID, "--secret-stdin", "--name", "again"); res.Code != cmdutil.ExitConflict {
		t.Fatalf("a used secret: %v (exit %d)", res.Err, res.Code)
	}

	// The customer profile: every transaction prepared by the service, signed here.
	f.Selection.Gateway = ""
	f.Selection.Profile = enrolled.Profile
	c, err := transport.Open(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.(*transport.Customer); !ok {
		t.Fatalf("transport %T for a customer profile", c)
	}
	f.Ledger = func(context.Context) (cmdutil.Client, error) { return c, nil }
	res = clitest.Exec(t, f, order.NewCmdOrder(f), "place", "o1", "--merchant", "Org2MSP", "--amount", "100", "--currency", "EUR",
		"--deadline", "2030-01-01T00:00:00Z", "--item", "kettle:1")
	if res.Err != nil {
		t.Fatal(res.Err, res.Stderr)
	}
	if got := strings.Join(ledger.steps, ","); got != "prepare orders.Place,endorse,submit" || string(ledger.certs[0]) != string(certPEM) {
		t.Fatalf("steps %s", got)
	}
	// A key others may read is refused before anything is sent.
	if err := os.Chmod(enrolled.Key, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := transport.Open(context.Background(), f); cmdutil.CodeOf(err) != cmdutil.ExitUsage {
		t.Fatalf("a readable key: %v", err)
	}
	if err := os.Chmod(enrolled.Key, 0o600); err != nil {
		t.Fatal(err)
	}
	// A customer profile cannot invite.
	if res := clitest.Exec(t, f, NewCmdIdentity(f), "invite"); res.Code != cmdutil.ExitUsage {
		t.Fatalf("a customer invites: %v", res.Err)
	}
}
