package client

import (
	"context"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/signing"
	"github.com/cxledger/cxledger/ledgerapi"
)

// Customer reaches the ledger through a member's gateway service as a customer who holds
// its own key: the service prepares each proposal and transaction, the Customer reads them
// (the operation it asked for, as itself, the digest of what it signs) and signs their
// digests here (the key never leaves the process), then sends back the signatures. It is a
// ledgerapi.Transport: a transaction takes three round trips (prepare, endorse, submit), a
// query two (prepare, evaluate). Transaction status and events need an API key and are the
// Client's.
type Customer struct {
	c       *Client
	certPEM []byte
	key     *ecdsa.PrivateKey
	now     func() time.Time
}

var _ ledgerapi.Transport = (*Customer)(nil)

// AsCustomer returns the customer whose PEM certificate is certPEM and whose private key is
// key, through the same service as c.
func (c *Client) AsCustomer(certPEM []byte, key *ecdsa.PrivateKey) *Customer {
	return &Customer{c: c, certPEM: certPEM, key: key, now: time.Now}
}

// Ledger is every contract of the ledger as the customer reaches it.
func (cu *Customer) Ledger() ledgerapi.Ledger { return ledgerapi.Over(cu) }

// Transactions returns the service's transaction status service (it needs an API key).
func (cu *Customer) Transactions() ledgerapi.Transactions { return txClient{cu.c} }

// Events returns the service's event stream (it needs an API key).
func (cu *Customer) Events() ledgerapi.Events { return eventsClient{cu.c} }

// prepareBody is the service's PrepareRequest.
type prepareBody struct {
	Operation   string          `json:"operation"`
	Request     json.RawMessage `json:"request,omitempty"`
	Certificate string          `json:"certificate"`
}

// unsigned is a proposal or a transaction to sign, as the service answers it.
type unsigned struct {
	TransactionID string `json:"transactionId"`
	Proposal      []byte `json:"proposal"`
	Transaction   []byte `json:"transaction"`
	Digest        []byte `json:"digest"`
	// A repeated transaction's outcome, when its Idempotency-Key was used with the same request.
	BlockNumber uint64          `json:"blockNumber"`
	Result      json.RawMessage `json:"result"`
}

type signedBody struct {
	TransactionID string `json:"transactionId"`
	Signature     []byte `json:"signature"`
}

// prepare asks the service for the proposal of op with req, signing the request; for a
// transaction under key. replayed reports an answer that is the outcome of the key's
// earlier request.
func (cu *Customer) prepare(ctx context.Context, op *ledgerapi.Operation, req any, key string) (out *unsigned, replayed bool, err error) {
	reqJSON, err := json.Marshal(req)
	if err != nil {
		return nil, false, fmt.Errorf("encode the request of %s: %w", op.Name(), err)
	}
	body, err := json.Marshal(prepareBody{Operation: op.Name(), Request: reqJSON, Certificate: string(cu.certPEM)})
	if err != nil {
		return nil, false, fmt.Errorf("encode prepare %s: %w", op.Name(), err)
	}
	const path = "/v1/customer/prepare"
	r, err := cu.c.newRequest(ctx, http.MethodPost, path, nil, body)
	if err != nil {
		return nil, false, err
	}
	r.Header.Del("Authorization")
	if key != "" {
		r.Header.Set("Idempotency-Key", key)
	}
	ts := cu.now().UTC().Format(time.RFC3339)
	sig, err := signing.Sign(cu.key, signing.RequestDigest(http.MethodPost, path, ts, key, body))
	if err != nil {
		return nil, false, err
	}
	r.Header.Set(signing.TimestampHeader, ts)
	r.Header.Set(signing.SignatureHeader, base64.StdEncoding.EncodeToString(sig))
	var u unsigned
	resp, err := cu.c.doHeader(r, &u)
	if err != nil {
		return nil, false, err
	}
	return &u, resp.Get("Idempotent-Replayed") == "true", nil
}

// sign signs a digest the service sent and posts the signature to path, decoding the
// answer into out.
func (cu *Customer) sign(ctx context.Context, path string, u *unsigned, out any) error {
	if len(u.Digest) != 32 {
		return cxlerr.Errorf(cxlerr.Internal, "the service sent a digest of %d bytes for transaction %s, want 32", len(u.Digest), u.TransactionID)
	}
	sig, err := signing.Sign(cu.key, u.Digest)
	if err != nil {
		return err
	}
	body, err := json.Marshal(signedBody{TransactionID: u.TransactionID, Signature: sig})
	if err != nil {
		return fmt.Errorf("encode signature: %w", err)
	}
	r, err := cu.c.newRequest(ctx, http.MethodPost, path, nil, body)
	if err != nil {
		return err
	}
	r.Header.Del("Authorization")
	_, err = cu.c.doHeader(r, out)
	return err
}

// Submit runs op's transaction with req as the customer: prepare, sign the proposal,
// endorse, sign the transaction, submit and wait for its commit, under the context's
// idempotency key (a fresh one if none). A repeat of a request that finished answers with
// its outcome at once.
func (cu *Customer) Submit(ctx context.Context, op *ledgerapi.Operation, req any) (*ledgerapi.Committed[json.RawMessage], error) {
	key := ledgerapi.IdempotencyKey(ctx)
	if key == "" {
		key = newKey()
	}
	p, replayed, err := cu.prepare(ctx, op, req, key)
	if err != nil {
		return nil, err
	}
	if replayed {
		return &ledgerapi.Committed[json.RawMessage]{TransactionID: p.TransactionID, BlockNumber: p.BlockNumber, Result: p.Result}, nil
	}
	if err := checkProposal(p, op, cu.certPEM); err != nil {
		return nil, err
	}
	var tx unsigned
	if err := cu.sign(ctx, "/v1/customer/endorse", p, &tx); err != nil {
		return nil, err
	}
	if err := checkTransaction(&tx, p.TransactionID, cu.certPEM); err != nil {
		return nil, err
	}
	var out ledgerapi.Committed[json.RawMessage]
	if err := cu.sign(ctx, "/v1/customer/submit", &tx, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Evaluate runs op's query with req as the customer: prepare, sign the proposal, evaluate.
func (cu *Customer) Evaluate(ctx context.Context, op *ledgerapi.Operation, req any) (json.RawMessage, error) {
	p, _, err := cu.prepare(ctx, op, req, "")
	if err != nil {
		return nil, err
	}
	if err := checkProposal(p, op, cu.certPEM); err != nil {
		return nil, err
	}
	var out json.RawMessage
	if err := cu.sign(ctx, "/v1/customer/evaluate", p, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Invitation is a customer's invitation as the service answers it: the enrolment ID, the
// one-time secret, when it expires and where to enrol.
type Invitation struct {
	ID        string    `json:"id"`
	Secret    string    `json:"secret"`
	ExpiresAt time.Time `json:"expiresAt"`
	EnrolURL  string    `json:"enrolUrl"`
}

// Invite asks the service (as the Client's API key, a member's staff) to invite a customer
// whose secret enrols for expiresIn (0: the service's default).
func (c *Client) Invite(ctx context.Context, expiresIn time.Duration) (*Invitation, error) {
	req := map[string]string{}
	if expiresIn > 0 {
		req["expiresIn"] = expiresIn.String()
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	r, err := c.newRequest(ctx, http.MethodPost, "/v1/identities/invitations", nil, body)
	if err != nil {
		return nil, err
	}
	var out Invitation
	if _, err := c.doHeader(r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Enrollment is an enrolled customer's certificate and its CA chain, PEM.
type Enrollment struct {
	Certificate string `json:"certificate"`
	Chain       string `json:"chain"`
}

// Enroll enrols an invited customer: the invitation's ID and secret and a PEM certificate
// request made with the customer's key, which stays with the caller.
func (c *Client) Enroll(ctx context.Context, id, secret string, csrPEM []byte) (*Enrollment, error) {
	body, err := json.Marshal(map[string]string{"id": id, "secret": secret, "csr": string(csrPEM)})
	if err != nil {
		return nil, err
	}
	r, err := c.newRequest(ctx, http.MethodPost, "/v1/identities/enrollments", nil, body)
	if err != nil {
		return nil, err
	}
	r.Header.Del("Authorization")
	var out Enrollment
	if _, err := c.doHeader(r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// doHeader is do for the customer and identity routes: a 200 or 201 is decoded into out,
// and the answer's header is returned.
func (c *Client) doHeader(req *http.Request, out any) (http.Header, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &cxlerr.Error{Code: cxlerr.Unavailable, Message: fmt.Sprintf("reach the gateway service: %v", err), Retryable: true}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, &cxlerr.Error{Code: cxlerr.Unavailable, Message: fmt.Sprintf("read the answer of the gateway service: %v", err), Retryable: true}
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return nil, answerError(resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "decode the answer to %s %s: %v", req.Method, req.URL.Path, err)
	}
	return resp.Header, nil
}
