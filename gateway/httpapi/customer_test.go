package httpapi

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
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/client"
	"github.com/cxledger/cxledger/gateway/client/clienttest"
	"github.com/cxledger/cxledger/gateway/fabric"
	"github.com/cxledger/cxledger/gateway/signing"
	"github.com/cxledger/cxledger/ledgerapi"
	"github.com/cxledger/cxledger/ledgerapi/ledgerapitest"
)

// testCA is a certificate authority of the test: a root that issues identities.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t *testing.T, name string) testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return testCA{cert: cert, key: key}
}

// issue makes an identity named cn of node OU ou, valid from notBefore for a day: its PEM
// certificate and its key.
func (ca testCA) issue(t *testing.T, cn, ou string, notBefore time.Time) ([]byte, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn, OrganizationalUnit: []string{ou}},
		NotBefore: notBefore, NotAfter: notBefore.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), key
}

// fakeCustomerLedger stands in for the Fabric client: it hands out proposals and
// transactions of its own bytes, records what it was asked, and records the signed
// transaction in the journal as the real one does. Its messages have the shapes
// fabric-gateway gives them (clienttest), so that the REST client's checks pass.
type fakeCustomerLedger struct {
	mu        sync.Mutex
	n         int
	calls     []string
	customers []fabric.Customer
	// sent are the transactions (and their customers) of the messages handed out.
	sent    map[string]sentMessage
	endorse error // the endorsing peers' answer
	submit  error // the commit's outcome
}

type sentMessage struct {
	txID string
	cust fabric.Customer
}

func (f *fakeCustomerLedger) log(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
}

func (f *fakeCustomerLedger) seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// of is the transaction of a message handed out.
func (f *fakeCustomerLedger) of(msg []byte) sentMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sent[string(msg)]
}

func (f *fakeCustomerLedger) hand(m sentMessage, b, d []byte, err error) (*fabric.Unsigned, error) {
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sent == nil {
		f.sent = map[string]sentMessage{}
	}
	f.sent[string(b)] = m
	return &fabric.Unsigned{TransactionID: m.txID, Bytes: b, Digest: d}, nil
}

func (f *fakeCustomerLedger) Prepare(_ context.Context, cust fabric.Customer, op *ledgerapi.Operation, _ any) (*fabric.Unsigned, error) {
	f.mu.Lock()
	f.n++
	txID := fmt.Sprintf("tx%d", f.n)
	f.customers = append(f.customers, cust)
	f.mu.Unlock()
	f.log("prepare " + op.Name() + " " + txID)
	b, d, err := clienttest.Proposal(cust.MSPID, cust.CertPEM, txID, op.Contract, op.Function)
	return f.hand(sentMessage{txID, cust}, b, d, err)
}

func (f *fakeCustomerLedger) Endorse(_ context.Context, proposal, _ []byte) (*fabric.Unsigned, error) {
	m := f.of(proposal)
	f.log("endorse " + m.txID)
	if f.endorse != nil {
		return nil, f.endorse
	}
	b, d, err := clienttest.Transaction(m.cust.MSPID, m.cust.CertPEM, m.txID)
	return f.hand(m, b, d, err)
}

func (f *fakeCustomerLedger) EvaluateSigned(_ context.Context, proposal, _ []byte) (json.RawMessage, error) {
	f.log("evaluate " + f.of(proposal).txID)
	return json.RawMessage(`{"answer":1}`), nil
}

func (f *fakeCustomerLedger) SubmitSigned(ctx context.Context, tx, sig []byte, j fabric.Journal) (*ledgerapi.Committed[json.RawMessage], error) {
	txID := f.of(tx).txID
	f.log("submit " + txID)
	if err := j.Prepared(ctx, txID, append(tx, sig...), []byte(`{"id":"o1"}`)); err != nil {
		return nil, err
	}
	if f.submit != nil {
		return nil, f.submit
	}
	return &ledgerapi.Committed[json.RawMessage]{TransactionID: txID, BlockNumber: 9, Result: json.RawMessage(`{"id":"o1"}`)}, nil
}

// customerEnv is a test server with the customer path over a fake ledger, one member CA
// (Org1MSP) and a clock the test moves.
type customerEnv struct {
	*testServer
	ledger *fakeCustomerLedger
	ca     testCA
	mu     sync.Mutex
	now    time.Time
	logs   *bytes.Buffer
}

func (e *customerEnv) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *customerEnv) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

func newCustomerEnv(t *testing.T, reg Registrar) *customerEnv {
	t.Helper()
	e := &customerEnv{ledger: &fakeCustomerLedger{}, ca: newTestCA(t, "ca.org1"), now: time.Now(), logs: &bytes.Buffer{}}
	var logMu sync.Mutex
	e.testServer = newTestServer(t, func(o *Options) {
		o.Log = slog.New(slog.NewTextHandler(lockedWriter{&logMu, e.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
		o.Customers = &Customers{Ledger: e.ledger, Roots: []CustomerRoot{{MSPID: "Org1MSP", Certs: []*x509.Certificate{e.ca.cert}}},
			Registrar: reg, Now: e.clock, SessionTTL: time.Minute}
	})
	return e
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// placeRequest is an example request of orders.Place.
func placeRequest(t *testing.T) any {
	t.Helper()
	op := &ledgerapi.OrdersPlace.Operation
	req := op.NewRequest()
	if err := json.Unmarshal(ledgerapitest.Example(op.Request), req); err != nil {
		t.Fatal(err)
	}
	return req
}

// prepareRaw sends a prepare request signed by key at time at (nil key: unsigned).
func (e *customerEnv) prepareRaw(t *testing.T, certPEM []byte, key *ecdsa.PrivateKey, at time.Time, idemKey, operation, request string) response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"operation": operation, "request": json.RawMessage(request), "certificate": string(certPEM)})
	ts := at.UTC().Format(time.RFC3339)
	headers := []string{signing.TimestampHeader + ": " + ts}
	if idemKey != "" {
		headers = append(headers, "Idempotency-Key: "+idemKey)
	}
	if key != nil {
		sig, err := signing.Sign(key, signing.RequestDigest(http.MethodPost, "/v1/customer/prepare", ts, idemKey, body))
		if err != nil {
			t.Fatal(err)
		}
		headers = append(headers, signing.SignatureHeader+": "+base64.StdEncoding.EncodeToString(sig))
	}
	return e.do(t, http.MethodPost, "/v1/customer/prepare", string(body), headers...)
}

// signStep signs digest with key and posts it for txID to the step's route.
func (e *customerEnv) signStep(t *testing.T, step, txID string, key *ecdsa.PrivateKey, digest []byte) response {
	t.Helper()
	sig, err := signing.Sign(key, digest)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"transactionId": txID, "signature": sig})
	return e.do(t, http.MethodPost, "/v1/customer/"+step, string(body))
}

func decodeInto[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func wantCode(t *testing.T, r response, code cxlerr.Code) cxlerr.Error {
	t.Helper()
	e := r.envelope(t)
	if e.Code != code {
		t.Fatalf("code %s (%d: %s), want %s", e.Code, r.status, e.Message, code)
	}
	return e
}

// TestCustomerPlacesThroughClient: the REST client prepares, signs and submits as the
// customer; the service hands the ledger the customer's certificate and MSP, the signatures
// verify over the digests it gave, and the answer is the committed transaction. A repeat
// with the same Idempotency-Key answers the same transaction without preparing again, and
// another request with the key is refused.
func TestCustomerPlacesThroughClient(t *testing.T) {
	e := newCustomerEnv(t, nil)
	certPEM, key := e.ca.issue(t, "alice", "client", time.Now().Add(-time.Hour))
	cu := client.New(e.http.URL, "").AsCustomer(certPEM, key)
	ctx := ledgerapi.WithIdempotencyKey(context.Background(), "k1")
	op := &ledgerapi.OrdersPlace.Operation
	got, err := cu.Submit(ctx, op, placeRequest(t))
	if err != nil {
		t.Fatal(err)
	}
	if got.TransactionID != "tx1" || got.BlockNumber != 9 || string(got.Result) != `{"id":"o1"}` {
		t.Fatalf("committed %+v", got)
	}
	if c := e.ledger.customers[0]; c.MSPID != "Org1MSP" || !bytes.Equal(c.CertPEM, certPEM) {
		t.Fatalf("customer %s %q", c.MSPID, c.CertPEM)
	}
	again, err := cu.Submit(ctx, op, placeRequest(t))
	if err != nil || again.TransactionID != "tx1" || again.BlockNumber != 9 {
		t.Fatalf("repeat: %+v %v", again, err)
	}
	other := placeRequest(t).(*ledgerapi.PlaceOrderRequest)
	other.Amount++
	_, err = cu.Submit(ctx, op, other)
	if cxlerr.CodeOf(err) != cxlerr.IdempotencyMismatch {
		t.Fatalf("another request with the key: %v", err)
	}
	want := []string{"prepare orders.Place tx1", "endorse tx1", "submit tx1"}
	if got := e.ledger.seen(); strings.Join(got, ";") != strings.Join(want, ";") {
		t.Fatalf("ledger calls %q, want %q", got, want)
	}
	if doc := e.do(t, http.MethodGet, "/openapi.json", ""); !strings.Contains(doc.body, `"/v1/customer/prepare"`) || !strings.Contains(doc.body, `"/v1/customer/submit"`) {
		t.Fatal("the API document lacks the customer routes")
	}
	// A query: prepare and evaluate.
	raw, err := cu.Evaluate(context.Background(), &ledgerapi.OrdersBalance.Operation, &ledgerapi.AccountRequest{Account: "Org1MSP/alice", Currency: "EUR"})
	if err != nil || string(raw) != `{"answer":1}` {
		t.Fatalf("evaluate: %s %v", raw, err)
	}
}

// TestCustomerRefusals: every refusal is coded, and nothing reaches the ledger after a
// refused step.
func TestCustomerRefusals(t *testing.T) {
	e := newCustomerEnv(t, nil)
	now := e.clock()
	certPEM, key := e.ca.issue(t, "alice", "client", now.Add(-time.Hour))
	place := string(ledgerapitest.Example(ledgerapi.OrdersPlace.Request))
	stranger := newTestCA(t, "ca.nobody")
	strangerPEM, strangerKey := stranger.issue(t, "alice", "client", now.Add(-time.Hour))
	peerPEM, peerKey := e.ca.issue(t, "peer0", "peer", now.Add(-time.Hour))
	futurePEM, futureKey := e.ca.issue(t, "bob", "client", now.Add(time.Hour))
	_, otherKey := e.ca.issue(t, "mallory", "client", now.Add(-time.Hour))

	for _, tc := range []struct {
		name string
		r    response
		code cxlerr.Code
	}{
		{"a certificate of no member's CA", e.prepareRaw(t, strangerPEM, strangerKey, now, "k", "orders.Place", place), cxlerr.Unauthenticated},
		{"a peer's certificate", e.prepareRaw(t, peerPEM, peerKey, now, "k", "orders.Place", place), cxlerr.Unauthenticated},
		{"a certificate not yet valid", e.prepareRaw(t, futurePEM, futureKey, now, "k", "orders.Place", place), cxlerr.Unauthenticated},
		{"no signature", e.prepareRaw(t, certPEM, nil, now, "k", "orders.Place", place), cxlerr.Unauthenticated},
		{"another key's signature", e.prepareRaw(t, certPEM, otherKey, now, "k", "orders.Place", place), cxlerr.Unauthenticated},
		{"signed too long ago", e.prepareRaw(t, certPEM, key, now.Add(-6*time.Minute), "k", "orders.Place", place), cxlerr.Unauthenticated},
		{"signed in the future", e.prepareRaw(t, certPEM, key, now.Add(6*time.Minute), "k", "orders.Place", place), cxlerr.Unauthenticated},
		{"no idempotency key", e.prepareRaw(t, certPEM, key, now, "", "orders.Place", place), cxlerr.Invalid},
		{"unknown operation", e.prepareRaw(t, certPEM, key, now, "k", "orders.Steal", place), cxlerr.Invalid},
		{"a public operation", e.prepareRaw(t, certPEM, key, now, "k", "provenance.Verify", `{}`), cxlerr.Invalid},
		{"unknown field", e.prepareRaw(t, certPEM, key, now, "k", "orders.Place", `{"bogus":1}`), cxlerr.Invalid},
		{"wrong type", e.prepareRaw(t, certPEM, key, now, "k", "orders.Place", `{"amount":"12"}`), cxlerr.Invalid},
		{"invalid UTF-8", e.prepareRaw(t, certPEM, key, now, "k", "orders.Place", "{\"id\":\"o\xff\"}"), cxlerr.Invalid},
		{"a page above the cap", e.prepareRaw(t, certPEM, key, now, "", "orders.CustomerOrders", `{"pageSize":1000}`), cxlerr.Invalid},
		{"endorse what was never prepared", e.signStep(t, "endorse", "tx999", key, make([]byte, 32)), cxlerr.NotFound},
		{"empty signature", e.do(t, http.MethodPost, "/v1/customer/endorse", `{"transactionId":"tx1","signature":""}`), cxlerr.Invalid},
	} {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.r, tc.code) })
	}
	if calls := e.ledger.seen(); len(calls) != 0 {
		t.Fatalf("the ledger was reached: %q", calls)
	}

	p := decodeInto[Prepared](t, e.prepareRaw(t, certPEM, key, now, "k2", "orders.Place", place))
	// A signature over another digest, or by another key, endorses nothing.
	wrong := sha256.Sum256([]byte("something else"))
	wantCode(t, e.signStep(t, "endorse", p.TransactionID, key, wrong[:]), cxlerr.Unauthenticated)
	wantCode(t, e.signStep(t, "endorse", p.TransactionID, otherKey, p.Digest), cxlerr.Unauthenticated)
	// A query's step is refused for a transaction.
	wantCode(t, e.signStep(t, "evaluate", p.TransactionID, key, p.Digest), cxlerr.Invalid)
	// Submit before endorsement is out of order.
	wantCode(t, e.signStep(t, "submit", p.TransactionID, key, p.Digest), cxlerr.Conflict)
	if calls := e.ledger.seen(); len(calls) != 1 {
		t.Fatalf("ledger calls after refused signatures: %q", calls)
	}
	tx := decodeInto[Endorsed](t, e.signStep(t, "endorse", p.TransactionID, key, p.Digest))
	// The signed proposal replayed.
	wantCode(t, e.signStep(t, "endorse", p.TransactionID, key, p.Digest), cxlerr.Conflict)
	// The transaction signed over the proposal's digest.
	wantCode(t, e.signStep(t, "submit", p.TransactionID, key, p.Digest), cxlerr.Unauthenticated)
	done := decodeInto[committedBody](t, e.signStep(t, "submit", p.TransactionID, key, tx.Digest))
	if done.TransactionID != p.TransactionID || done.BlockNumber != 9 {
		t.Fatalf("committed %+v", done)
	}
	// The signed transaction replayed.
	wantCode(t, e.signStep(t, "submit", p.TransactionID, key, tx.Digest), cxlerr.Conflict)
	want := "prepare orders.Place tx1;endorse tx1;submit tx1"
	if calls := strings.Join(e.ledger.seen(), ";"); calls != want {
		t.Fatalf("ledger calls %q, want %q", calls, want)
	}
	// Nothing that could replay a step is in the log: no signature, no certificate.
	logs := e.logs.String()
	for _, secret := range []string{base64.StdEncoding.EncodeToString(tx.Digest), "BEGIN CERTIFICATE", string(certPEM[30:80])} {
		if strings.Contains(logs, secret) {
			t.Fatalf("the log holds %q:\n%s", secret, logs)
		}
	}
}

// TestCustomerIdempotencyAcrossSteps: preparing again under a key whose proposal waits
// gives the same proposal; once the session's time runs out the key is free and the
// proposal can no longer be endorsed; a refusal at endorsement is the key's outcome.
func TestCustomerIdempotencyAcrossSteps(t *testing.T) {
	e := newCustomerEnv(t, nil)
	now := e.clock()
	certPEM, key := e.ca.issue(t, "alice", "client", now.Add(-time.Hour))
	place := string(ledgerapitest.Example(ledgerapi.OrdersPlace.Request))
	p1 := decodeInto[Prepared](t, e.prepareRaw(t, certPEM, key, now, "k", "orders.Place", place))
	p2 := decodeInto[Prepared](t, e.prepareRaw(t, certPEM, key, now, "k", "orders.Place", place))
	if p1.TransactionID != p2.TransactionID || !bytes.Equal(p1.Proposal, p2.Proposal) {
		t.Fatalf("prepared again: %s then %s", p1.TransactionID, p2.TransactionID)
	}
	// Another customer's key space is its own.
	bobPEM, bobKey := e.ca.issue(t, "bob", "client", now.Add(-time.Hour))
	pb := decodeInto[Prepared](t, e.prepareRaw(t, bobPEM, bobKey, now, "k", "orders.Place", place))
	if pb.TransactionID == p1.TransactionID {
		t.Fatal("bob got alice's proposal")
	}
	// Bob cannot sign alice's proposal.
	wantCode(t, e.signStep(t, "endorse", p1.TransactionID, bobKey, p1.Digest), cxlerr.Unauthenticated)

	e.advance(2 * time.Minute)
	wantCode(t, e.signStep(t, "endorse", p1.TransactionID, key, p1.Digest), cxlerr.NotFound)
	p3 := decodeInto[Prepared](t, e.prepareRaw(t, certPEM, key, e.clock(), "k", "orders.Place", place))
	if p3.TransactionID == p1.TransactionID {
		t.Fatal("an expired proposal was handed out again")
	}
	e.ledger.endorse = cxlerr.Errorf(cxlerr.Forbidden, "the caller may not do this")
	wantCode(t, e.signStep(t, "endorse", p3.TransactionID, key, p3.Digest), cxlerr.Forbidden)
	// The refusal is the key's outcome: the same request gets it again without the ledger.
	before := len(e.ledger.seen())
	wantCode(t, e.prepareRaw(t, certPEM, key, e.clock(), "k", "orders.Place", place), cxlerr.Forbidden)
	if len(e.ledger.seen()) != before {
		t.Fatal("a refused request ran again")
	}
}

// TestCustomerPending: a commit unknown at the deadline answers 202 with the transaction,
// and its status is the stored record's.
func TestCustomerPending(t *testing.T) {
	e := newCustomerEnv(t, nil)
	certPEM, key := e.ca.issue(t, "alice", "client", time.Now().Add(-time.Hour))
	e.ledger.submit = cxlerr.Errorf(cxlerr.Pending, "commit not known").WithTransaction("tx1")
	cu := client.New(e.http.URL, "").AsCustomer(certPEM, key)
	_, err := cu.Submit(ledgerapi.WithIdempotencyKey(context.Background(), "k"), &ledgerapi.OrdersPlace.Operation, placeRequest(t))
	var ce *cxlerr.Error
	if !errorAs(err, &ce) || ce.Code != cxlerr.Pending || ce.TransactionID != "tx1" {
		t.Fatalf("pending: %v", err)
	}
	rec, err := e.store.ByTransaction("tx1")
	if err != nil || rec == nil || rec.Principal != "customer:Org1MSP/alice" || len(rec.SignedTx) != 0 && rec.TxID != "tx1" {
		t.Fatalf("record %+v %v", rec, err)
	}
	pending, err := e.store.Pending()
	if err != nil || len(pending) != 1 || pending[0].TxID != "tx1" {
		t.Fatalf("pending records %v %v", pending, err)
	}
}

func errorAs(err error, target **cxlerr.Error) bool {
	e := cxlerr.From(err)
	*target = e
	return e != nil
}
