//go:build integration

package test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/client"
	"github.com/cxledger/cxledger/gateway/signing"
	"github.com/cxledger/cxledger/ledgerapi"
)

// customer is a customer enrolled through a member's gateway service, whose key lives in
// a file of the test (0600) that no gateway configuration names.
type customer struct {
	*client.Customer
	account, keyPath string
	certPEM          []byte
	key              *ecdsa.PrivateKey
}

// enrolCustomer invites a customer through member m's gateway as staff principal staff,
// makes its key in dir and enrols it; a used or wrong secret is refused.
func enrolCustomer(t *testing.T, g *gwService, m *gwMember, staff, dir string) *customer {
	t.Helper()
	ctx := context.Background()
	inv, err := client.New(m.URL, g.keys[staff], client.WithHTTPClient(m.http)).Invite(ctx, time.Hour)
	if err != nil {
		t.Fatalf("invite: %v", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(dir, inv.ID+".key")
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	csrDER, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: inv.ID}}, key)
	if err != nil {
		t.Fatal(err)
	}
	csr := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER})
	anon := client.New(m.URL, "", client.WithHTTPClient(m.http))
	if _, err := anon.Enroll(ctx, inv.ID, inv.Secret+"x", csr); cxlerr.CodeOf(err) != cxlerr.Unauthenticated {
		t.Fatalf("a wrong secret: %v", err)
	}
	enr, err := anon.Enroll(ctx, inv.ID, inv.Secret, csr)
	if err != nil {
		t.Fatalf("enrol: %v", err)
	}
	if _, err := anon.Enroll(ctx, inv.ID, inv.Secret, csr); cxlerr.CodeOf(err) != cxlerr.Conflict {
		t.Fatalf("a used secret: %v", err)
	}
	block, _ := pem.Decode([]byte(enr.Certificate))
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil || cert.Subject.CommonName != inv.ID || !cert.PublicKey.(*ecdsa.PublicKey).Equal(&key.PublicKey) {
		t.Fatalf("certificate: %v", err)
	}
	return &customer{Customer: anon.AsCustomer([]byte(enr.Certificate), key), account: m.MSPID + "/" + inv.ID, keyPath: keyPath, certPEM: []byte(enr.Certificate), key: key}
}

// TestCustomerPrepareSignSubmit: customers invited and enrolled through Org1's gateway (Org1
// is also the payment organisation) place, confirm and review an order by prepare -> sign
// -> submit, with the service holding no key of theirs; a customer cannot deposit, another
// customer cannot read the first one's order, orders or balance; an unknown CA, a replayed
// or wrong signature change nothing.
func TestCustomerPrepareSignSubmit(t *testing.T) {
	g := gwStart(t)
	m := g.members["org1"]
	dir := t.TempDir()
	alice := enrolCustomer(t, g, m, "org1-user1", dir)
	bob := enrolCustomer(t, g, m, "org1-user1", dir)
	code := gwFund(t, g, alice.account, 50_000)
	ctx := context.Background()
	run := gwRun()

	// The service's files name no customer key.
	cfgData, err := os.ReadFile(m.Config)
	if err != nil {
		t.Fatal(err)
	}
	keyData, _ := os.ReadFile(alice.keyPath)
	for _, s := range []string{dir, alice.keyPath, string(keyData)} {
		if strings.Contains(string(cfgData), s) {
			t.Fatalf("the gateway configuration names %q", s)
		}
	}
	filepath.WalkDir(filepath.Dir(m.Config), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, _ := os.ReadFile(p)
		if strings.Contains(string(data), string(keyData[30:90])) {
			t.Errorf("%s holds the customer's key", p)
		}
		return nil
	})

	id := "cust-" + run
	place := ledgerapi.PlaceOrderRequest{ID: id, Merchant: "Org2MSP", Amount: 1_200, Currency: code,
		Deadline: time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second), Items: []orders.OrderItem{{SKU: "kettle", Quantity: 1}}}
	keyed := ledgerapi.WithIdempotencyKey(ctx, "place-"+run)
	start := time.Now()
	placed, err := ledgerapi.OrdersPlace.Run(keyed, alice, place)
	if err != nil {
		t.Fatalf("place: %v", err)
	}
	t.Logf("prepare-sign-submit of orders.Place: %s", time.Since(start).Round(time.Millisecond))
	if placed.Result.Customer != alice.account || placed.Result.State != orders.StatePlaced {
		t.Fatalf("placed %+v", placed.Result)
	}
	again, err := ledgerapi.OrdersPlace.Run(keyed, alice, place)
	if err != nil || again.TransactionID != placed.TransactionID {
		t.Fatalf("the same request with its key: %+v %v", again, err)
	}
	other := place
	other.Amount++
	if _, err := ledgerapi.OrdersPlace.Run(keyed, alice, other); cxlerr.CodeOf(err) != cxlerr.IdempotencyMismatch {
		t.Fatalf("another request with the key: %v", err)
	}
	if _, err := ledgerapi.OrdersConfirmDelivery.Run(ctx, alice, ledgerapi.OrderRequest{ID: id}); err != nil {
		t.Fatalf("confirm: %v", err)
	}
	if _, err := ledgerapi.CarePostReview.Run(ctx, alice, ledgerapi.PostReviewRequest{OrderID: id, Rating: 5, Text: "arrived intact"}); err != nil {
		t.Fatalf("review: %v", err)
	}
	got, err := ledgerapi.OrdersGetOrder.Query(ctx, alice, ledgerapi.OrderRequest{ID: id})
	if err != nil || got.State != orders.StateDelivered {
		t.Fatalf("alice reads her order: %+v %v", got, err)
	}

	// Another customer reads none of it.
	if _, err := ledgerapi.OrdersGetOrder.Query(ctx, bob, ledgerapi.OrderRequest{ID: id}); cxlerr.CodeOf(err) != cxlerr.Forbidden {
		t.Fatalf("bob reads alice's order: %v", err)
	}
	if _, err := ledgerapi.OrdersCustomerOrders.Query(ctx, bob, ledgerapi.CustomerOrdersRequest{Customer: alice.account}); cxlerr.CodeOf(err) != cxlerr.Forbidden {
		t.Fatalf("bob lists alice's orders: %v", err)
	}
	if _, err := ledgerapi.OrdersBalance.Query(ctx, bob, ledgerapi.AccountRequest{Account: alice.account, Currency: code}); cxlerr.CodeOf(err) != cxlerr.Forbidden {
		t.Fatalf("bob reads alice's balance: %v", err)
	}

	// A customer of the payment organisation is no payment provider.
	before, err := ledgerapi.OrdersBalance.Query(ctx, alice, ledgerapi.AccountRequest{Account: alice.account, Currency: code})
	if err != nil {
		t.Fatal(err)
	}
	height := gwHeight(t)
	// A signature over another digest endorses nothing; a signed proposal is used once; a
	// transaction signed over the proposal's digest is not submitted.
	place.ID = "cust-unsigned-" + run
	p := alice.step(t, m, "prepare", place, "place-raw-"+run, 200)
	wrong := sha256.Sum256([]byte("another transaction"))
	alice.step(t, m, "endorse", alice.signed(t, p.TransactionID, wrong[:]), "", 401)
	alice.step(t, m, "endorse", alice.signed(t, p.TransactionID, p.Digest), "", 200)
	alice.step(t, m, "endorse", alice.signed(t, p.TransactionID, p.Digest), "", 409)
	alice.step(t, m, "submit", alice.signed(t, p.TransactionID, p.Digest), "", 401)
	deposit := ledgerapi.DepositRequest{Ref: "self-" + run, Currency: code, Credits: []orders.TransferEntry{{Account: alice.account, Amount: 1_000_000}}}
	if _, err := ledgerapi.OrdersDeposit.Run(ctx, alice, deposit); cxlerr.CodeOf(err) != cxlerr.Forbidden {
		t.Fatalf("a customer deposits: %v", err)
	}
	// A certificate of no member's CA, the same name and MSP.
	stranger := strangerCustomer(t, m, alice.account)
	if _, err := ledgerapi.OrdersPlace.Run(ctx, stranger, place); cxlerr.CodeOf(err) != cxlerr.Unauthenticated {
		t.Fatalf("a certificate of no member's CA: %v", err)
	}
	after, err := ledgerapi.OrdersBalance.Query(ctx, alice, ledgerapi.AccountRequest{Account: alice.account, Currency: code})
	if err != nil || after.Balance != before.Balance {
		t.Fatalf("balance %d, then %d: %v", before.Balance, after.Balance, err)
	}
	if h2 := gwHeight(t); h2 != height {
		t.Fatalf("refused requests changed the ledger: height %d, then %d", height, h2)
	}
	// Nothing that could replay a step is in the service's log.
	if log := string(gwServiceLog(t)); strings.Contains(log, "BEGIN CERTIFICATE") || strings.Contains(log, string(alice.certPEM[40:100])) {
		t.Fatal("the service's log holds a customer's certificate")
	}
}

// stepAnswer is a prepared proposal or an endorsed transaction.
type stepAnswer struct {
	TransactionID string `json:"transactionId"`
	Digest        []byte `json:"digest"`
}

// signed is the body of a signing step: c's signature over digest.
func (c *customer) signed(t *testing.T, txID string, digest []byte) map[string]any {
	t.Helper()
	sig, err := signing.Sign(c.key, digest)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{"transactionId": txID, "signature": sig}
}

// step posts one step of the customer path by hand: for prepare, body is orders.Place's
// request, signed as the customer with idemKey; it wants status and returns the answer.
func (c *customer) step(t *testing.T, m *gwMember, step string, body any, idemKey string, status int) stepAnswer {
	t.Helper()
	if step == "prepare" {
		body = map[string]any{"operation": "orders.Place", "request": body, "certificate": string(c.certPEM)}
	}
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	path := "/v1/customer/" + step
	req, err := http.NewRequest(http.MethodPost, m.URL+path, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if step == "prepare" {
		ts := time.Now().UTC().Format(time.RFC3339)
		sig, err := signing.Sign(c.key, signing.RequestDigest(http.MethodPost, path, ts, idemKey, data))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Idempotency-Key", idemKey)
		req.Header.Set(signing.TimestampHeader, ts)
		req.Header.Set(signing.SignatureHeader, base64.StdEncoding.EncodeToString(sig))
	}
	resp, err := m.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("%s: %d %s, want %d", step, resp.StatusCode, answer, status)
	}
	var a stepAnswer
	if status == 200 {
		gwDecode(t, answer, &a)
	}
	return a
}

// strangerCustomer is a customer whose certificate a CA of the test issued for account.
func strangerCustomer(t *testing.T, m *gwMember, account string) *client.Customer {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ca.nobody"}, IsCA: true, BasicConstraintsValid: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageCertSign}
	caDER, _ := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, cn, _ := strings.Cut(account, "/")
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: cn, OrganizationalUnit: []string{"client"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return client.New(m.URL, "", client.WithHTTPClient(m.http)).AsCustomer(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), key)
}
