// Package client is ledgerapi over the gateway service's REST API: what the CLI uses to reach
// the ledger through a running cxl-gateway, so that a command works the same against the
// service as directly against Fabric. A Client is a ledgerapi.Transport that sends each
// operation to the route its descriptor names (a transaction as a POST of its request, a
// query as a GET with its request as path and query parameters), and Ledger is every
// contract on it. Every error the service answers with comes back as the *cxlerr.Error it
// sent (code, message, transaction ID, retryability); a 202 comes back as a Pending
// *cxlerr.Error carrying the transaction ID.
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/params"
	"github.com/cxledger/cxledger/ledgerapi"
)

// Client reaches the ledger through a gateway service with one API key.
type Client struct {
	base string
	key  string
	http *http.Client
}

var _ ledgerapi.Transport = (*Client)(nil)

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sends requests with hc instead of a client with a one-minute timeout. Event
// streams need a client without a timeout.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// New returns a client of the service at baseURL ("http://127.0.0.1:8080") that presents
// apiKey; an empty key reaches only the public endpoints.
func New(baseURL, apiKey string, opts ...Option) *Client {
	c := &Client{base: strings.TrimSuffix(baseURL, "/"), key: apiKey, http: &http.Client{Timeout: time.Minute}}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Ledger is every contract of the ledger through the service. Its methods validate their
// request before anything is sent.
func (c *Client) Ledger() ledgerapi.Ledger { return ledgerapi.Over(c) }

// Transactions returns the transaction status service.
func (c *Client) Transactions() ledgerapi.Transactions { return txClient{c} }

// Events returns the event stream.
func (c *Client) Events() ledgerapi.Events { return eventsClient{c} }

// newRequest builds a request with the API key.
func (c *Client) newRequest(ctx context.Context, method, path string, query url.Values, body []byte) (*http.Request, error) {
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build request %s %s: %w", method, path, err)
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// do sends req and decodes a 200 into out; any other answer becomes an error.
func (c *Client) do(req *http.Request, out any) error {
	resp, err := c.http.Do(req)
	if err != nil {
		return &cxlerr.Error{Code: cxlerr.Unavailable, Message: fmt.Sprintf("reach the gateway service: %v", err), Retryable: true}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return &cxlerr.Error{Code: cxlerr.Unavailable, Message: fmt.Sprintf("read the answer of the gateway service: %v", err), Retryable: true}
	}
	if resp.StatusCode != http.StatusOK {
		return answerError(resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return cxlerr.Errorf(cxlerr.Internal, "decode the answer to %s %s: %v", req.Method, req.URL.Path, err)
	}
	return nil
}

// answerError turns a non-200 answer into the *cxlerr.Error the service sent, or, for an
// answer that is not the envelope (a proxy's page), one made from the status.
func answerError(status int, body []byte) error {
	var e cxlerr.Error
	if json.Unmarshal(body, &e) == nil && e.Code != "" {
		return &e
	}
	code := cxlerr.Internal
	switch {
	case status == http.StatusTooManyRequests:
		code = cxlerr.RateLimited
	case status == http.StatusServiceUnavailable || status == http.StatusBadGateway:
		code = cxlerr.Unavailable
	case status == http.StatusGatewayTimeout:
		code = cxlerr.Timeout
	}
	return cxlerr.Errorf(code, "gateway service answered %d: %.200s", status, body)
}

// newKey is an idempotency key for a mutation whose context carries none.
func newKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Submit posts req, a pointer to op's request, to op's route under the context's
// idempotency key (a fresh one if none), and returns the committed transaction with the
// contract's result. A commit the service does not know yet is a Pending *cxlerr.Error.
// req is sent as it is: the caller validated it.
func (c *Client) Submit(ctx context.Context, op *ledgerapi.Operation, req any) (*ledgerapi.Committed[json.RawMessage], error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode the request of %s: %w", op.Name(), err)
	}
	r, err := c.newRequest(ctx, http.MethodPost, op.Path, nil, body)
	if err != nil {
		return nil, err
	}
	key := ledgerapi.IdempotencyKey(ctx)
	if key == "" {
		key = newKey()
	}
	r.Header.Set("Idempotency-Key", key)
	var out ledgerapi.Committed[json.RawMessage]
	if err := c.do(r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Evaluate asks op's route with req, a pointer to op's request, as its path and query
// parameters (see package params), and returns the contract's result. req is sent as it
// is: the caller validated it.
func (c *Client) Evaluate(ctx context.Context, op *ledgerapi.Operation, req any) (json.RawMessage, error) {
	path, q, err := params.Encode(op.Path, req)
	if err != nil {
		return nil, err
	}
	out, err := get[json.RawMessage](ctx, c, path, q)
	if err != nil {
		return nil, err
	}
	return *out, nil
}

// get queries path and decodes the result.
func get[T any](ctx context.Context, c *Client, path string, query url.Values) (*T, error) {
	r, err := c.newRequest(ctx, http.MethodGet, path, query, nil)
	if err != nil {
		return nil, err
	}
	var out T
	if err := c.do(r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

type txClient struct{ c *Client }

func (t txClient) Status(ctx context.Context, txID string) (*ledgerapi.TransactionStatus, error) {
	if txID == "" {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "transaction ID is empty")
	}
	return get[ledgerapi.TransactionStatus](ctx, t.c, "/v1/transactions/"+url.PathEscape(txID), nil)
}
