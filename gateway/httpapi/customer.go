package httpapi

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"reflect"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/fabric"
	"github.com/cxledger/cxledger/gateway/signing"
	"github.com/cxledger/cxledger/gateway/store"
	"github.com/cxledger/cxledger/ledgerapi"
	"github.com/cxledger/cxledger/strictjson"
)

// CustomerLedger is the ledger as customers who sign for themselves reach it: the service
// builds their proposals and transactions, they sign the digests (see fabric.Client).
type CustomerLedger interface {
	Prepare(ctx context.Context, cust fabric.Customer, op *ledgerapi.Operation, req any) (*fabric.Unsigned, error)
	Endorse(ctx context.Context, proposal, signature []byte) (*fabric.Unsigned, error)
	EvaluateSigned(ctx context.Context, proposal, signature []byte) (json.RawMessage, error)
	SubmitSigned(ctx context.Context, transaction, signature []byte, j fabric.Journal) (*ledgerapi.Committed[json.RawMessage], error)
}

// CustomerRoot is a member CA whose client certificates the service accepts from customers.
type CustomerRoot struct {
	// MSPID is the member's organisation.
	MSPID string
	// Certs are its CA root certificates (and intermediates, if any).
	Certs []*x509.Certificate
}

// customerTrust is one member CA as the pools a customer's certificate is verified against.
type customerTrust struct {
	mspID                string
	roots, intermediates *x509.CertPool
}

// trustOf sorts each member CA's certificates into self-signed roots and intermediates.
func trustOf(roots []CustomerRoot) []customerTrust {
	out := make([]customerTrust, 0, len(roots))
	for _, root := range roots {
		t := customerTrust{mspID: root.MSPID, roots: x509.NewCertPool(), intermediates: x509.NewCertPool()}
		for _, c := range root.Certs {
			if c.Subject.String() == c.Issuer.String() {
				t.roots.AddCert(c)
			} else {
				t.intermediates.AddCert(c)
			}
		}
		out = append(out, t)
	}
	return out
}

// Customers configures the customer path: prepare -> sign -> submit.
type Customers struct {
	// Ledger builds, endorses and submits what customers sign.
	Ledger CustomerLedger
	// Roots are the member CAs whose client certificates are accepted.
	Roots []CustomerRoot
	// Skew is how far a request's signed timestamp may be from the service's clock
	// (default 5 minutes).
	Skew time.Duration
	// SessionTTL is how long a prepared transaction waits for its signatures (default 2
	// minutes); its Idempotency-Key is then free again.
	SessionTTL time.Duration
	// Registrar, when set, registers and enrols the customers staff invite.
	Registrar Registrar
	// InvitationTTL is how long an invitation's secret enrols when staff do not say (default
	// 72 hours); MaxInvitationTTL the longest they may say (default 30 days).
	InvitationTTL, MaxInvitationTTL time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Replicas, when set, lets the replicas of the service that share its store take a
	// customer's steps wherever they land (see Replicas).
	Replicas *Replicas
}

// Replicas is how one replica of the service reaches the others that share its store. A
// customer's prepared transaction lives in the memory of the replica that prepared it,
// which holds the claim on its Idempotency-Key and records itself in the store as the
// transaction's owner until the session expires. A replica that gets the customer's
// endorse, submit or evaluate of a transaction it does not hold forwards the request
// unchanged (the customer's signatures stay valid) to the owner and relays the answer. An
// owner that is gone took the prepared transaction with it: the answer is NOT_FOUND, and
// the key is free again once the owner's claim lapsed (the store's claims end with their
// process).
type Replicas struct {
	// Self is this replica's base URL as the others reach it ("http://127.0.0.1:8101").
	Self string
	// Client reaches the other replicas; nil: a client with the default transport.
	Client *http.Client
}

// forwardedHeader marks a request one replica forwarded to another, with the forwarder's
// URL: the owner answers it itself and never forwards it again.
const forwardedHeader = "X-Cxl-Forwarded-By"

// The most prepared transactions held at once: per customer and in all.
const (
	maxSessionsPerCustomer = 32
	maxSessions            = 100_000
)

// customer is an authenticated customer: a client certificate of a member's CA.
type customer struct {
	msp  string
	cert *x509.Certificate
	pem  []byte
}

// account is the customer's account on the ledger, "<MSP>/<CN>".
func (c customer) account() string { return c.msp + "/" + c.cert.Subject.CommonName }

// principal scopes the customer's idempotency keys; it cannot be an API client's name.
func (c customer) principal() string { return "customer:" + c.account() }

// sessionState is where a prepared transaction stands.
type sessionState int

const (
	sessPrepared sessionState = iota
	sessEndorsing
	sessEndorsed
	sessSubmitting
	sessDone
)

// session is a proposal the service prepared for a customer and holds until the customer's
// signatures come back, with the request's Idempotency-Key (ticket) for a transaction.
type session struct {
	txID        string
	op          *ledgerapi.Operation
	cust        customer
	proposal    *fabric.Unsigned
	tx          *fabric.Unsigned
	ticket      *store.Ticket
	key         string
	fingerprint string
	state       sessionState
	expires     time.Time
}

// sessions are the prepared transactions, by transaction ID and by idempotency key.
type sessions struct {
	mu    sync.Mutex
	byTx  map[string]*session
	byKey map[string]*session
	count map[string]int // open sessions per customer principal
}

func newSessions() *sessions {
	return &sessions{byTx: map[string]*session{}, byKey: map[string]*session{}, count: map[string]int{}}
}

// customerConfig is the customer path's configuration with its defaults.
func (s *Server) customerConfig() *Customers {
	// A copy: requests call this at once, and Options stay as they were given.
	c := *s.opts.Customers
	if c.Skew <= 0 {
		c.Skew = 5 * time.Minute
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = 2 * time.Minute
	}
	if c.InvitationTTL <= 0 {
		c.InvitationTTL = 72 * time.Hour
	}
	if c.MaxInvitationTTL <= 0 {
		c.MaxInvitationTTL = 30 * 24 * time.Hour
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return &c
}

// PrepareRequest is what a customer sends to prepare an operation: its descriptor's name,
// its request as the operation's route takes it, and the customer's PEM certificate. The
// request is signed (see package signing) in the X-Cxl-Timestamp and X-Cxl-Signature
// headers.
type PrepareRequest struct {
	// Operation is the operation's ID, "<contract>.<Function>" ("orders.Place").
	Operation string `json:"operation"`
	// Request is the operation's request (its fields by their JSON names, for a query too).
	Request json.RawMessage `json:"request,omitempty"`
	// Certificate is the customer's PEM certificate, from a member's CA.
	Certificate string `json:"certificate"`
}

// Prepared is a proposal for the customer to sign: its bytes, the SHA-256 digest to sign
// (both base64), and its transaction ID, which names it in the next step.
type Prepared struct {
	TransactionID string `json:"transactionId"`
	Proposal      []byte `json:"proposal"`
	Digest        []byte `json:"digest"`
}

// Signed names a prepared proposal or an endorsed transaction and carries the customer's
// signature (base64 ASN.1 ECDSA) over its digest.
type Signed struct {
	TransactionID string `json:"transactionId"`
	Signature     []byte `json:"signature"`
}

// Endorsed is an endorsed transaction for the customer to sign, as Prepared.
type Endorsed struct {
	TransactionID string `json:"transactionId"`
	Transaction   []byte `json:"transaction"`
	Digest        []byte `json:"digest"`
}

// customerRoutes are the customer path's routes; none without Options.Customers.
func (s *Server) customerRoutes() []Route {
	if s.opts.Customers == nil || s.opts.Customers.Ledger == nil {
		return nil
	}
	return []Route{
		{Method: http.MethodPost, Path: "/v1/customer/prepare", OperationID: "customer.Prepare", Tag: "customer", Access: AccessCustomer,
			Summary: "Prepare an operation for a customer who signs for itself: the proposal and its digest to sign (authenticated by the customer's certificate and request signature; a transaction takes an Idempotency-Key)",
			Request: typeOf[PrepareRequest](), Response: typeOf[Prepared](),
			handle: func(s *Server, w http.ResponseWriter, r *http.Request) { s.customerPrepare(w, r) }},
		{Method: http.MethodPost, Path: "/v1/customer/endorse", OperationID: "customer.Endorse", Tag: "customer", Access: AccessCustomer,
			Summary: "Endorse a prepared transaction with the customer's signature over its proposal: the transaction and its digest to sign",
			Request: typeOf[Signed](), Response: typeOf[Endorsed](),
			handle: func(s *Server, w http.ResponseWriter, r *http.Request) { s.customerEndorse(w, r) }},
		{Method: http.MethodPost, Path: "/v1/customer/submit", OperationID: "customer.Submit", Tag: "customer", Access: AccessCustomer,
			Summary: "Submit an endorsed transaction with the customer's signature and wait for it to commit (200 committed VALID, 202 pending)",
			Request: typeOf[Signed](), Response: typeOf[committedBody](),
			handle: func(s *Server, w http.ResponseWriter, r *http.Request) { s.customerSubmit(w, r) }},
		{Method: http.MethodPost, Path: "/v1/customer/evaluate", OperationID: "customer.Evaluate", Tag: "customer", Access: AccessCustomer,
			Summary: "Run a prepared query with the customer's signature over its proposal: the contract's answer",
			Request: typeOf[Signed](), Response: typeOf[json.RawMessage](),
			handle: func(s *Server, w http.ResponseWriter, r *http.Request) { s.customerEvaluate(w, r) }},
	}
}

// authenticateCustomer checks a certificate and the request signature made with its key:
// the certificate is a client certificate (NodeOU client) of one of the member CAs, valid
// now, and the signature covers this request's method, path, body and Idempotency-Key at a
// time within the allowed skew.
func (s *Server) authenticateCustomer(r *http.Request, certPEM string, body []byte, cfg *Customers) (customer, error) {
	block, _ := pem.Decode([]byte(certPEM))
	if block == nil || block.Type != "CERTIFICATE" {
		return customer{}, cxlerr.Errorf(cxlerr.Unauthenticated, "certificate: want a PEM CERTIFICATE")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return customer{}, cxlerr.Errorf(cxlerr.Unauthenticated, "certificate: not an X.509 certificate")
	}
	now := cfg.Now()
	msp := ""
	for _, t := range s.customerTrust {
		if _, err := cert.Verify(x509.VerifyOptions{Roots: t.roots, Intermediates: t.intermediates, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err == nil {
			msp = t.mspID
			break
		}
	}
	switch {
	case msp == "" && (now.Before(cert.NotBefore) || now.After(cert.NotAfter)):
		return customer{}, cxlerr.Errorf(cxlerr.Unauthenticated, "certificate: not valid now (valid %s to %s)", cert.NotBefore.Format(time.RFC3339), cert.NotAfter.Format(time.RFC3339))
	case msp == "":
		return customer{}, cxlerr.Errorf(cxlerr.Unauthenticated, "certificate: not issued by the CA of a member this service serves")
	case !slices.Contains(cert.Subject.OrganizationalUnit, "client"):
		return customer{}, cxlerr.Errorf(cxlerr.Unauthenticated, "certificate: not a client identity (NodeOU client)")
	case cert.Subject.CommonName == "":
		return customer{}, cxlerr.Errorf(cxlerr.Unauthenticated, "certificate: no common name")
	}
	ts := r.Header.Get(signing.TimestampHeader)
	at, err := time.Parse(time.RFC3339, ts)
	if err != nil {
		return customer{}, cxlerr.Errorf(cxlerr.Unauthenticated, "%s: want the RFC 3339 time the request was signed", signing.TimestampHeader)
	}
	if d := now.Sub(at); d > cfg.Skew || d < -cfg.Skew {
		return customer{}, cxlerr.Errorf(cxlerr.Unauthenticated, "%s: %s is more than %s from the service's clock", signing.TimestampHeader, ts, cfg.Skew)
	}
	sig, err := base64.StdEncoding.DecodeString(r.Header.Get(signing.SignatureHeader))
	if err != nil || len(sig) == 0 {
		return customer{}, cxlerr.Errorf(cxlerr.Unauthenticated, "%s: want the base64 signature of the request", signing.SignatureHeader)
	}
	digest := signing.RequestDigest(r.Method, r.URL.Path, ts, r.Header.Get("Idempotency-Key"), body)
	if err := signing.Verify(cert.PublicKey, digest, sig); err != nil {
		return customer{}, cxlerr.Errorf(cxlerr.Unauthenticated, "request signature: %v", err)
	}
	return customer{msp: msp, cert: cert, pem: pem.EncodeToMemory(block)}, nil
}

// customerPrepare authenticates the customer, decodes the operation's request strictly and
// validates it, and answers with the proposal to sign. A transaction runs at most once per
// Idempotency-Key as on the custodial routes: a repeat of a finished request gets its
// outcome, a repeat of a prepared one the same proposal, another request with the key
// IDEMPOTENCY_MISMATCH.
func (s *Server) customerPrepare(w http.ResponseWriter, r *http.Request) {
	cfg := s.customerConfig()
	body, err := s.jsonBody(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var pr PrepareRequest
	if err := strictjson.Decode(body, &pr, int(s.opts.Limits.BodyBytes)); err != nil {
		s.writeError(w, r, err)
		return
	}
	cust, err := s.authenticateCustomer(r, pr.Certificate, body, cfg)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	infoOf(r.Context()).principal = cust.principal()
	if !s.allow(w, r, s.customerRates.get(cust.principal()), "customer", s.writeError) {
		return
	}
	op, req, err := s.customerRequest(pr)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.RequestTimeout)
	defer cancel()
	for _, txID := range s.customers.sweep(cfg.Now()) {
		s.forgetOwner(txID)
	}
	sess := &session{op: op, cust: cust, expires: cfg.Now().Add(cfg.SessionTTL)}
	if op.Kind == ledgerapi.Submit {
		key, err := idempotencyKey(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		sess.fingerprint = fingerprint(op.Name(), []byte(pr.Request))
		sess.key = cust.principal() + "\x00" + key
		sess.ticket = s.begin(w, r, cust.principal(), key, sess.fingerprint, op.Name(), func() bool {
			prev := s.customers.again(sess)
			if prev != nil {
				writeJSON(w, http.StatusOK, Prepared{TransactionID: prev.TransactionID, Proposal: prev.Bytes, Digest: prev.Digest})
			}
			return prev != nil
		})
		if sess.ticket == nil {
			return
		}
	}
	if err := s.customers.admit(sess); err != nil {
		s.abandon(sess, err)
		s.writeError(w, r, err)
		return
	}
	p, err := cfg.Ledger.Prepare(ctx, fabric.Customer{MSPID: cust.msp, CertPEM: cust.pem}, op, req)
	if err != nil {
		s.customers.drop(sess)
		s.abandon(sess, err)
		s.writeError(w, r, err)
		return
	}
	sess.txID, sess.proposal = p.TransactionID, p
	if rep := cfg.Replicas; rep != nil {
		if err := s.opts.Store.PutSessionOwner(sess.txID, rep.Self, sess.expires); err != nil {
			s.log.Error("record the owner of a prepared transaction", "tx", sess.txID, "error", err)
			s.customers.drop(sess)
			err := cxlerr.Errorf(cxlerr.Unavailable, "the store of this service's replicas does not answer; prepare it again")
			s.abandon(sess, err)
			s.writeError(w, r, err)
			return
		}
	}
	s.customers.prepared(sess)
	infoOf(r.Context()).txID = p.TransactionID
	writeJSON(w, http.StatusOK, Prepared{TransactionID: p.TransactionID, Proposal: p.Bytes, Digest: p.Digest})
}

// customerRequest is the operation a PrepareRequest names, and its request decoded strictly
// and validated; a query's pageSize is held within the page-size cap.
func (s *Server) customerRequest(pr PrepareRequest) (*ledgerapi.Operation, any, error) {
	var op *ledgerapi.Operation
	for _, o := range ledgerapi.Operations() {
		if o.Name() == pr.Operation {
			op = o
		}
	}
	if op == nil || op.Access == ledgerapi.Public {
		return nil, nil, cxlerr.Errorf(cxlerr.Invalid, "operation %q: no such operation for customers; see /openapi.json", truncate(pr.Operation))
	}
	raw := []byte(pr.Request)
	if len(raw) == 0 {
		raw = []byte("{}")
	}
	req, err := decodeBody(op, raw, int(s.opts.Limits.BodyBytes))
	if err != nil {
		return nil, nil, err
	}
	if size := reflect.ValueOf(req).Elem().FieldByName("PageSize"); size.IsValid() && size.CanInt() {
		limit := int64(s.opts.Limits.MaxPageSize)
		switch n := size.Int(); {
		case n == 0:
			size.SetInt(min(50, limit))
		case n < 0 || n > limit:
			return nil, nil, cxlerr.Errorf(cxlerr.Invalid, "pageSize: %d, want 1 to %d", n, limit)
		}
	}
	return op, req, nil
}

// truncate shortens an echoed identifier.
func truncate(v string) string {
	if r := []rune(v); len(r) > 64 {
		return string(r[:64]) + "..."
	}
	return v
}

// signedRequest decodes a Signed body and finds its session in state want, moving it to
// next; the signature is checked against the session's certificate over digest(session).
// A session another replica holds has the request forwarded there: the answer is written
// and the session is nil, with no error.
func (s *Server) signedRequest(w http.ResponseWriter, r *http.Request, want, next sessionState, digest func(*session) []byte) (*session, []byte, error) {
	body, err := s.jsonBody(w, r)
	if err != nil {
		return nil, nil, err
	}
	var sr Signed
	if err := strictjson.Decode(body, &sr, int(s.opts.Limits.BodyBytes)); err != nil {
		return nil, nil, err
	}
	if sr.TransactionID == "" || len(sr.TransactionID) > 128 || len(sr.Signature) == 0 {
		return nil, nil, cxlerr.Errorf(cxlerr.Invalid, "transactionId and signature: both required")
	}
	if s.forward(w, r, sr.TransactionID, body) {
		return nil, nil, nil
	}
	sess, err := s.customers.take(sr.TransactionID, want, next, s.customerConfig().Now(), func(sess *session) error {
		if err := signing.Verify(sess.cust.cert.PublicKey, digest(sess), sr.Signature); err != nil {
			return cxlerr.Errorf(cxlerr.Unauthenticated, "signature over the digest of transaction %s: %v", sr.TransactionID, err).WithTransaction(sr.TransactionID)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	infoOf(r.Context()).principal, infoOf(r.Context()).txID = sess.cust.principal(), sess.txID
	return sess, sr.Signature, nil
}

// customerEndorse endorses a prepared transaction signed by its customer.
func (s *Server) customerEndorse(w http.ResponseWriter, r *http.Request) {
	sess, sig, err := s.signedRequest(w, r, sessPrepared, sessEndorsing, func(sess *session) []byte { return sess.proposal.Digest })
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if sess == nil {
		return // forwarded to the replica that holds it
	}
	if sess.op.Kind != ledgerapi.Submit {
		s.customers.set(sess, sessPrepared)
		s.writeError(w, r, cxlerr.Errorf(cxlerr.Invalid, "%s is a query: evaluate it", sess.op.Name()).WithTransaction(sess.txID))
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), s.opts.RequestTimeout)
	defer cancel()
	if err := sess.ticket.Endorsing(ctx, sess.txID); err != nil {
		s.finishSession(w, r, sess, 0, err)
		return
	}
	tx, err := s.customerConfig().Ledger.Endorse(ctx, sess.proposal.Bytes, sig)
	if err == nil && tx.TransactionID != sess.txID {
		err = cxlerr.Errorf(cxlerr.Internal, "endorsed transaction %s, prepared %s", tx.TransactionID, sess.txID)
	}
	if err != nil {
		s.finishSession(w, r, sess, 0, err)
		return
	}
	sess.tx = tx
	s.customers.set(sess, sessEndorsed)
	writeJSON(w, http.StatusOK, Endorsed{TransactionID: tx.TransactionID, Transaction: tx.Bytes, Digest: tx.Digest})
}

// customerSubmit submits an endorsed transaction signed by its customer and answers as a
// custodial mutation does.
func (s *Server) customerSubmit(w http.ResponseWriter, r *http.Request) {
	sess, sig, err := s.signedRequest(w, r, sessEndorsed, sessSubmitting, func(sess *session) []byte { return sess.tx.Digest })
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if sess == nil {
		return // forwarded to the replica that holds it
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), s.opts.RequestTimeout)
	defer cancel()
	c, err := s.customerConfig().Ledger.SubmitSigned(ctx, sess.tx.Bytes, sig, sess.ticket)
	var block uint64
	if err == nil {
		block = c.BlockNumber
	}
	s.finishSession(w, r, sess, block, err)
}

// customerEvaluate runs a prepared query signed by its customer.
func (s *Server) customerEvaluate(w http.ResponseWriter, r *http.Request) {
	sess, sig, err := s.signedRequest(w, r, sessPrepared, sessDone, func(sess *session) []byte { return sess.proposal.Digest })
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if sess == nil {
		return // forwarded to the replica that holds it
	}
	if sess.op.Kind != ledgerapi.Evaluate {
		s.customers.set(sess, sessPrepared)
		s.writeError(w, r, cxlerr.Errorf(cxlerr.Invalid, "%s is a transaction: endorse and submit it", sess.op.Name()).WithTransaction(sess.txID))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.RequestTimeout)
	defer cancel()
	raw, err := s.customerConfig().Ledger.EvaluateSigned(ctx, sess.proposal.Bytes, sig)
	s.writeEvaluated(w, r, sess.op.Name(), raw, err)
}

// forward sends a customer's signed request for prepared transaction txID, which this
// replica does not hold, unchanged to the replica that does, and relays its answer; it
// reports whether it did (false: no replicas, the request was forwarded already, or no
// other replica holds txID, and the caller answers).
func (s *Server) forward(w http.ResponseWriter, r *http.Request, txID string, body []byte) bool {
	cfg := s.customerConfig()
	rep := cfg.Replicas
	if rep == nil || r.Header.Get(forwardedHeader) != "" || s.customers.has(txID) {
		return false
	}
	owner, err := s.opts.Store.SessionOwner(txID, cfg.Now())
	if err != nil {
		s.log.Error("find the owner of a prepared transaction", "tx", truncate(txID), "error", err)
		s.writeError(w, r, cxlerr.Errorf(cxlerr.Unavailable, "the store of this service's replicas does not answer; try again").WithTransaction(txID))
		return true
	}
	if owner == "" || owner == rep.Self {
		return false
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), s.opts.RequestTimeout+10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.Method, owner+r.URL.Path, bytes.NewReader(body))
	if err != nil {
		s.writeError(w, r, cxlerr.Errorf(cxlerr.Internal, "forward to replica %s: %v", owner, err).WithTransaction(txID))
		return true
	}
	for _, h := range []string{"Content-Type", "Idempotency-Key", signing.TimestampHeader, signing.SignatureHeader} {
		if v := r.Header.Values(h); len(v) > 0 {
			req.Header[h] = v
		}
	}
	req.Header.Set(forwardedHeader, rep.Self)
	client := rep.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			s.writeError(w, r, cxlerr.Errorf(cxlerr.NotFound, "transaction %s was prepared by replica %s of this service, which is gone with it: prepare it again "+
				"(its Idempotency-Key is free once that replica's claim on it lapses)", txID, owner).WithTransaction(txID))
		} else {
			e := cxlerr.Errorf(cxlerr.Unavailable, "replica %s of this service, which holds prepared transaction %s, does not answer: %v", owner, txID, err).WithTransaction(txID)
			s.writeError(w, r, e)
		}
		return true
	}
	defer resp.Body.Close()
	for _, h := range []string{"Content-Type", "Retry-After"} {
		if v := resp.Header.Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	if _, err := io.Copy(w, resp.Body); err != nil {
		s.log.Warn("relay the answer of another replica", "replica", owner, "tx", txID, "error", err)
	}
	return true
}

// forgetOwner removes this replica as the owner of txID from the store, whose session
// ended; with no replicas it does nothing.
func (s *Server) forgetOwner(txID string) {
	if s.customerConfig().Replicas == nil {
		return
	}
	if err := s.opts.Store.DeleteSessionOwner(txID); err != nil {
		s.log.Warn("forget the owner of an expired prepared transaction", "tx", txID, "error", err)
	}
}

// finishSession ends a transaction's session with its outcome, recorded under its
// Idempotency-Key, and answers with it.
func (s *Server) finishSession(w http.ResponseWriter, r *http.Request, sess *session, block uint64, runErr error) {
	s.customers.set(sess, sessDone)
	s.finish(w, r, sess.ticket, sess.op.Name(), block, runErr)
}

// abandon frees the Idempotency-Key of a session that ends before its transaction was
// endorsed: nothing was sent, so the same request may run again.
func (s *Server) abandon(sess *session, cause error) {
	if sess.ticket == nil {
		return
	}
	e := cxlerr.From(cause)
	if e == nil || e.Code == cxlerr.Pending {
		e = cxlerr.Errorf(cxlerr.Unavailable, "the prepared transaction was not signed in time")
	}
	c := *e
	c.Retryable = true
	if _, err := sess.ticket.Finish(0, &c); err != nil {
		s.log.Error("free an abandoned idempotency key", "operation", sess.op.Name(), "error", err)
	}
}

// sweep drops the sessions whose time ran out and frees their Idempotency-Keys; it
// returns their transaction IDs.
func (ss *sessions) sweep(now time.Time) []string {
	ss.mu.Lock()
	expired := ss.expiredLocked(now)
	ss.mu.Unlock()
	ids := make([]string, 0, len(expired))
	for _, e := range expired {
		e.abandon()
		ids = append(ids, e.sess.txID)
	}
	return ids
}

// admit counts a new session of its customer; too many open ones are refused.
func (ss *sessions) admit(sess *session) error {
	ss.mu.Lock()
	p := sess.cust.principal()
	full := ss.count[p] >= maxSessionsPerCustomer || len(ss.byTx) >= maxSessions
	if !full {
		ss.count[p]++
	}
	ss.mu.Unlock()
	if full {
		e := cxlerr.Errorf(cxlerr.RateLimited, "too many prepared transactions wait for their signatures; sign or let them expire")
		e.Retryable = true
		return e
	}
	return nil
}

// expiredSession is a session dropped for its time, whose ticket is freed outside the lock.
type expiredSession struct {
	sess  *session
	state sessionState
}

func (e expiredSession) abandon() {
	if e.sess.ticket == nil || e.state == sessDone {
		return
	}
	_, _ = e.sess.ticket.Finish(0, &cxlerr.Error{Code: cxlerr.Unavailable, Message: "the prepared transaction was not signed in time", Retryable: true})
}

// expiredLocked removes the sessions whose time ran out and that are not being worked on.
func (ss *sessions) expiredLocked(now time.Time) []expiredSession {
	var out []expiredSession
	for id, sess := range ss.byTx {
		if now.Before(sess.expires) || sess.state == sessEndorsing || sess.state == sessSubmitting {
			continue
		}
		delete(ss.byTx, id)
		if sess.key != "" && ss.byKey[sess.key] == sess {
			delete(ss.byKey, sess.key)
		}
		if sess.state != sessDone {
			ss.count[sess.cust.principal()]--
		}
		out = append(out, expiredSession{sess, sess.state})
	}
	return out
}

// prepared files a session whose proposal is built.
func (ss *sessions) prepared(sess *session) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.byTx[sess.txID] = sess
	if sess.key != "" {
		ss.byKey[sess.key] = sess
	}
}

// drop uncounts a session that was never filed.
func (ss *sessions) drop(sess *session) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.count[sess.cust.principal()]--
}

// again is the proposal of the prepared session that holds sess's Idempotency-Key with the
// same request of the same customer, nil if there is none.
func (ss *sessions) again(sess *session) *fabric.Unsigned {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	prev := ss.byKey[sess.key]
	if prev == nil || prev.state != sessPrepared || prev.fingerprint != sess.fingerprint || !prev.cust.cert.Equal(sess.cust.cert) {
		return nil
	}
	return prev.proposal
}

// take finds session txID in state want, checks it with check, and moves it to next. A
// session past want was used: a replayed signature is a Conflict.
func (ss *sessions) take(txID string, want, next sessionState, now time.Time, check func(*session) error) (*session, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	sess, ok := ss.byTx[txID]
	if !ok || (!now.Before(sess.expires) && sess.state == want) {
		return nil, cxlerr.Errorf(cxlerr.NotFound, "no prepared transaction %s: it was never prepared here or its time ran out; prepare it again", truncate(txID))
	}
	if sess.state != want {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "transaction %s is past this step: a signature is used once", txID).WithTransaction(txID)
	}
	if err := check(sess); err != nil {
		return nil, err
	}
	if sess.state = next; next == sessDone {
		ss.count[sess.cust.principal()]--
	}
	return sess, nil
}

// has reports whether session txID is held here, in any state.
func (ss *sessions) has(txID string) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	_, ok := ss.byTx[txID]
	return ok
}

// set moves a session to state st.
func (ss *sessions) set(sess *session, st sessionState) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if st == sessDone && sess.state != sessDone {
		ss.count[sess.cust.principal()]--
	}
	sess.state = st
}
