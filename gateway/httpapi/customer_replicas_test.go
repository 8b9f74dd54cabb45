package httpapi

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/config"
	"github.com/cxledger/cxledger/gateway/metrics"
	"github.com/cxledger/cxledger/gateway/signing"
	"github.com/cxledger/cxledger/gateway/store"
	"github.com/cxledger/cxledger/ledgerapi"
	"github.com/cxledger/cxledger/ledgerapi/ledgerapitest"
)

// replicaPair is two replicas of one service over one store and one ledger, each knowing
// its own URL, with the customers' clock of the first.
type replicaPair struct {
	// clock moves both replicas' time.
	clock *customerEnv
	a, b  *customerEnv
}

// newReplica is a server over st and e's ledger, CA and clock, serving on its own
// listener at the URL it advertises to the other replicas.
func newReplica(t *testing.T, st *store.Store, e *customerEnv) *customerEnv {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	self := "http://" + l.Addr().String()
	s := New(Options{
		Backend: &fakeBackend{}, Store: st, Metrics: metrics.New(), Limits: config.Defaults().Limits, RequestTimeout: 2 * time.Second, PublicIdentity: "org1-user1",
		Customers: &Customers{Ledger: e.ledger, Roots: []CustomerRoot{{MSPID: "Org1MSP", Certs: []*x509.Certificate{e.ca.cert}}}, Now: e.clock, SessionTTL: time.Minute,
			Replicas: &Replicas{Self: self}},
	})
	hs := httptest.NewUnstartedServer(s)
	hs.Listener.Close()
	hs.Listener = l
	hs.Start()
	t.Cleanup(hs.Close)
	return &customerEnv{testServer: &testServer{Server: s, store: st, http: hs}, ledger: e.ledger, ca: e.ca, now: e.now}
}

func newReplicaPair(t *testing.T) replicaPair {
	t.Helper()
	base := newCustomerEnv(t, nil)
	return replicaPair{clock: base, a: newReplica(t, base.store, base), b: newReplica(t, base.store, base)}
}

// TestCustomerAcrossReplicas: a transaction prepared on one replica is endorsed and
// submitted through the other, which forwards each signed step to the replica holding
// it; a query prepared on the second is evaluated through the first. The ledger sees
// each step once, the store names the owner while the session lives and forgets it once
// the session expired, and a replayed signature is refused wherever it lands.
func TestCustomerAcrossReplicas(t *testing.T) {
	p := newReplicaPair(t)
	a, b := p.a, p.b
	now := time.Now()
	certPEM, key := a.ca.issue(t, "alice", "client", now.Add(-time.Hour))
	place := string(ledgerapitest.Example(ledgerapi.OrdersPlace.Request))
	pr := decodeInto[Prepared](t, a.prepareRaw(t, certPEM, key, now, "k1", "orders.Place", place))
	if owner, err := a.store.SessionOwner(pr.TransactionID, now); err != nil || owner != a.opts.Customers.Replicas.Self {
		t.Fatalf("owner of %s: %q %v", pr.TransactionID, owner, err)
	}
	en := decodeInto[Endorsed](t, b.signStep(t, "endorse", pr.TransactionID, key, pr.Digest))
	if en.TransactionID != pr.TransactionID {
		t.Fatalf("endorsed %s, prepared %s", en.TransactionID, pr.TransactionID)
	}
	sub := b.signStep(t, "submit", pr.TransactionID, key, en.Digest)
	var committed struct {
		TransactionID string `json:"transactionId"`
		BlockNumber   uint64 `json:"blockNumber"`
	}
	if err := json.Unmarshal([]byte(sub.body), &committed); err != nil || sub.status != http.StatusOK || committed.TransactionID != pr.TransactionID || committed.BlockNumber != 9 {
		t.Fatalf("submit through the other replica: %d %s", sub.status, sub.body)
	}
	// A replayed signature, on either replica.
	for _, e := range []*customerEnv{a, b} {
		wantCode(t, e.signStep(t, "submit", pr.TransactionID, key, en.Digest), cxlerr.Conflict)
		wantCode(t, e.signStep(t, "endorse", pr.TransactionID, key, pr.Digest), cxlerr.Conflict)
	}
	// The same request again through the other replica: the key's outcome, not a second
	// transaction.
	if again := b.prepareRaw(t, certPEM, key, now, "k1", "orders.Place", place); again.status != http.StatusOK || !strings.Contains(again.body, pr.TransactionID) {
		t.Fatalf("the key's outcome through the other replica: %d %s", again.status, again.body)
	}
	// A query prepared on b, evaluated through a.
	q := `{"account":"Org1MSP/alice","currency":"EUR"}`
	pq := decodeInto[Prepared](t, b.prepareRaw(t, certPEM, key, now, "", "orders.Balance", q))
	if ev := a.signStep(t, "evaluate", pq.TransactionID, key, pq.Digest); ev.status != http.StatusOK || strings.TrimSpace(ev.body) != `{"answer":1}` {
		t.Fatalf("evaluate through the other replica: %d %s", ev.status, ev.body)
	}
	want := []string{"prepare orders.Place tx1", "endorse tx1", "submit tx1", "prepare orders.Balance tx2", "evaluate tx2"}
	if got := a.ledger.seen(); strings.Join(got, ";") != strings.Join(want, ";") {
		t.Fatalf("ledger calls %q, want %q", got, want)
	}
	// Once the sessions expired, the next prepare on their replica forgets their owners.
	later := now.Add(2 * time.Minute)
	p.clock.advance(2 * time.Minute)
	decodeInto[Prepared](t, a.prepareRaw(t, certPEM, key, later, "k2", "orders.Place", place))
	decodeInto[Prepared](t, b.prepareRaw(t, certPEM, key, later, "k3", "orders.Place", place))
	for _, id := range []string{pr.TransactionID, pq.TransactionID} {
		// At the zero time every recorded owner is still in its time.
		if owner, err := a.store.SessionOwner(id, time.Time{}); err != nil || owner != "" {
			t.Fatalf("owner of expired %s kept: %q %v", id, owner, err)
		}
	}
}

// TestCustomerAcrossReplicasRefusals: what one replica refuses, the other refuses the
// same way through forwarding (a wrong signature, another customer's signature); nothing
// is forwarded for a transaction no replica holds, an expired one, a malformed request, or
// a request that says it was forwarded already; a transaction whose replica is gone is
// NOT_FOUND with its ID, and the session survives a refused step.
func TestCustomerAcrossReplicasRefusals(t *testing.T) {
	p := newReplicaPair(t)
	a, b := p.a, p.b
	now := time.Now()
	certPEM, key := a.ca.issue(t, "alice", "client", now.Add(-time.Hour))
	_, bobKey := a.ca.issue(t, "bob", "client", now.Add(-time.Hour))
	place := string(ledgerapitest.Example(ledgerapi.OrdersPlace.Request))
	pr := decodeInto[Prepared](t, a.prepareRaw(t, certPEM, key, now, "k1", "orders.Place", place))

	// Signatures the owner refuses, refused through the other replica.
	wantCode(t, b.signStep(t, "endorse", pr.TransactionID, bobKey, pr.Digest), cxlerr.Unauthenticated)
	wrong := append([]byte(nil), pr.Digest...)
	wrong[0] ^= 1
	wantCode(t, b.signStep(t, "endorse", pr.TransactionID, key, wrong), cxlerr.Unauthenticated)
	// The wrong step for the session's state, through the other replica.
	wantCode(t, b.signStep(t, "submit", pr.TransactionID, key, pr.Digest), cxlerr.Conflict)
	wantCode(t, b.signStep(t, "evaluate", pr.TransactionID, key, pr.Digest), cxlerr.Invalid)

	// Malformed requests are refused before any forwarding.
	for _, body := range []string{`{"transactionId":"` + pr.TransactionID + `"}`, `{"transactionId":"` + strings.Repeat("x", 129) + `","signature":"AA=="}`,
		`{"transactionId":"tx\xff","signature":"AA=="}`, `{"transactionId":1,"signature":"AA=="}`, `{"transactionId":"` + pr.TransactionID + `","signature":"AA==","x":1}`} {
		r := b.do(t, http.MethodPost, "/v1/customer/endorse", body)
		if e := r.envelope(t); e.Code != cxlerr.Invalid && e.Code != cxlerr.Unauthenticated {
			t.Fatalf("%q: %d %s", body, r.status, r.body)
		}
	}
	// No replica holds it: NOT_FOUND from the replica asked.
	wantCode(t, b.signStep(t, "endorse", "tx-none", key, pr.Digest), cxlerr.NotFound)
	// A request marked as forwarded is answered where it lands.
	sig := signedBody(t, pr.TransactionID, key, pr.Digest)
	if r := b.do(t, http.MethodPost, "/v1/customer/endorse", sig, forwardedHeader+": "+a.opts.Customers.Replicas.Self); r.envelope(t).Code != cxlerr.NotFound {
		t.Fatalf("a request marked forwarded: %d %s", r.status, r.body)
	}
	// Nothing above used the session: it still endorses, through the other replica.
	decodeInto[Endorsed](t, b.signStep(t, "endorse", pr.TransactionID, key, pr.Digest))

	// A replica that is gone took its prepared transaction with it.
	p2 := decodeInto[Prepared](t, a.prepareRaw(t, certPEM, key, now, "k2", "orders.Place", place))
	a.http.Close()
	gone := wantCode(t, b.signStep(t, "endorse", p2.TransactionID, key, p2.Digest), cxlerr.NotFound)
	if gone.TransactionID != p2.TransactionID || !strings.Contains(gone.Message, "gone") || !strings.Contains(gone.Message, "prepare it again") {
		t.Fatalf("owner gone: %+v", gone)
	}
	// An owner whose time ran out is not asked: b still holds the session, but its record
	// says it expired, so a third replica does not forward to it.
	p3 := decodeInto[Prepared](t, b.prepareRaw(t, certPEM, key, now, "k3", "orders.Place", place))
	if err := a.store.PutSessionOwner(p3.TransactionID, b.opts.Customers.Replicas.Self, now.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	c := newReplica(t, a.store, a)
	if e := wantCode(t, c.signStep(t, "endorse", p3.TransactionID, key, p3.Digest), cxlerr.NotFound); strings.Contains(e.Message, "gone") {
		t.Fatalf("expired owner: %+v", e)
	}
	decodeInto[Endorsed](t, b.signStep(t, "endorse", p3.TransactionID, key, p3.Digest))
}

// signedBody is the body of a signed step for txID with key's signature over digest.
func signedBody(t *testing.T, txID string, key *ecdsa.PrivateKey, digest []byte) string {
	t.Helper()
	sig, err := signing.Sign(key, digest)
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(Signed{TransactionID: txID, Signature: sig})
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// TestCustomerStepsAtOnce: steps that reach both replicas at once, for a transaction no
// replica holds and for one that replica a holds, each get their answer: one endorsement,
// however many forwarded copies of its signed step arrive together.
func TestCustomerStepsAtOnce(t *testing.T) {
	p := newReplicaPair(t)
	now := time.Now()
	certPEM, key := p.a.ca.issue(t, "alice", "client", now.Add(-time.Hour))
	place := string(ledgerapitest.Example(ledgerapi.OrdersPlace.Request))
	pr := decodeInto[Prepared](t, p.a.prepareRaw(t, certPEM, key, now, "k1", "orders.Place", place))
	body := signedBody(t, pr.TransactionID, key, pr.Digest)
	none := signedBody(t, "tx-none", key, pr.Digest)
	var wg sync.WaitGroup
	codes := make(chan string, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e, b := p.a, none
			if i%2 == 1 {
				e = p.b
			}
			if i%4 == 1 {
				// Endorsing one transaction from many requests at once: one wins.
				b = body
			}
			r := e.do(t, http.MethodPost, "/v1/customer/endorse", b)
			if r.status == http.StatusOK {
				codes <- "OK"
				return
			}
			codes <- string(r.envelope(t).Code)
		}()
	}
	wg.Wait()
	close(codes)
	got := map[string]int{}
	for c := range codes {
		got[c]++
	}
	if got["OK"] != 1 || got[string(cxlerr.NotFound)] != 30 || got[string(cxlerr.Conflict)] != 9 {
		t.Fatalf("answers %v: want one endorsement, 30 NOT_FOUND for no transaction, 9 CONFLICT", got)
	}
}
