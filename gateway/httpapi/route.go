package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/params"
	"github.com/cxledger/cxledger/gateway/store"
	"github.com/cxledger/cxledger/ledgerapi"
	"github.com/cxledger/cxledger/strictjson"
)

// Access says who may call a route.
type Access int

// Access rules.
const (
	// AccessPrincipal needs an API key and counts against the principal's rate limit.
	AccessPrincipal Access = iota
	// AccessPublic needs no credentials and is rate limited per client address.
	AccessPublic
	// AccessOperations needs no credentials and is not limited: probes, metrics, the API
	// description.
	AccessOperations
	// AccessCustomer is authenticated by the handler, by a customer's certificate and
	// signature (see customer.go), and limited per customer.
	AccessCustomer
)

// Param describes a path or query parameter.
type Param struct {
	Name, In, Description string
	// Type is the JSON schema type: "string", "integer" or "boolean"; Format refines it
	// ("date-time").
	Type, Format string
	Required     bool
}

// Route is one endpoint: what the mux serves and what the OpenAPI document describes.
type Route struct {
	Method, Path string
	// OperationID names the operation ("health.Ping"); Tag groups operations by contract.
	OperationID, Tag, Summary string
	Access                    Access
	// Mutation routes submit a transaction and need an Idempotency-Key; they answer with
	// the transaction's ledgerapi.Committed, whose result is a Response.
	Mutation bool
	// Request and Response are the JSON body types (nil: none); Stream means the response
	// is text/event-stream, ContentType another media type than JSON.
	Request, Response reflect.Type
	Stream            bool
	ContentType       string
	// Params are the path and query parameters.
	Params []Param
	handle func(s *Server, w http.ResponseWriter, r *http.Request)
	// fail answers the errors the guard finds (credentials, rate limit, UTF-8) when the
	// route answers in more than JSON; nil: the error envelope.
	fail func(s *Server, w http.ResponseWriter, r *http.Request, err error)
}

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

// operationRoutes are the routes of every operation of the ledger, one per descriptor: a
// mutation for each transaction, a query for each evaluation.
func operationRoutes() []Route {
	var routes []Route
	for _, op := range ledgerapi.Operations() {
		routes = append(routes, operationRoute(op))
	}
	return routes
}

// operationRoute is op's route. A transaction is a POST whose JSON body is its request,
// run under its Idempotency-Key; a query is a GET whose path and query parameters are its
// request's fields, by their JSON names (see package params: the OpenAPI document lists
// them, gateway/client builds them). Either is validated once before it reaches the ledger,
// and answered with the contract's result as the ledger gave it.
func operationRoute(op *ledgerapi.Operation) Route {
	rt := Route{
		Method: op.Method(), Path: op.Path, OperationID: op.Name(), Tag: op.Contract, Summary: op.Summary,
		Access: AccessPrincipal, Response: op.Result,
	}
	if op.Access == ledgerapi.Public {
		rt.Access = AccessPublic
	}
	if op.Kind == ledgerapi.Submit {
		if w := params.Wildcards(op.Path); len(w) > 0 {
			panic(fmt.Sprintf("route %s: a transaction's request is its body; its path %s cannot have wildcards", op.Name(), op.Path))
		}
		rt.Mutation, rt.Request = true, op.Request
		rt.handle = func(s *Server, w http.ResponseWriter, r *http.Request) { s.submit(op, w, r) }
		return rt
	}
	fields, err := params.Fields(op.Request)
	if err != nil {
		panic(fmt.Sprintf("route %s: %v", op.Name(), err))
	}
	wild := params.Wildcards(op.Path)
	for _, f := range fields {
		p := Param{Name: f.Name, In: "query", Type: f.Type, Format: f.Format, Required: f.Required}
		if slices.Contains(wild, f.Name) {
			p.In = "path"
		}
		if f.Name == "pageSize" {
			p.Description = "items per page, at most the service's page-size cap"
		}
		rt.Params = append(rt.Params, p)
	}
	rt.handle = func(s *Server, w http.ResponseWriter, r *http.Request) { s.evaluate(op, w, r) }
	return rt
}

// submit serves a transaction: a JSON body decoded strictly into op's request and
// validated, then run at most once per Idempotency-Key.
func (s *Server) submit(op *ledgerapi.Operation, w http.ResponseWriter, r *http.Request) {
	body, err := s.jsonBody(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	req, err := decodeBody(op, body, int(s.opts.Limits.BodyBytes))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.mutate(w, r, op.Name(), body, func(ctx context.Context, t ledgerapi.Transport) (uint64, error) {
		c, err := t.Submit(ctx, op, req)
		if err != nil {
			return 0, err
		}
		return c.BlockNumber, nil
	})
}

// evaluate serves a query: op's request bound from the path and query parameters, its
// pageSize within the page-size cap, validated, and the ledger's JSON answer passed on as
// it is.
func (s *Server) evaluate(op *ledgerapi.Operation, w http.ResponseWriter, r *http.Request) {
	req, err := s.queryRequest(op, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := s.transportFor(r, nil)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.RequestTimeout)
	defer cancel()
	raw, err := t.Evaluate(ctx, op, req)
	s.writeEvaluated(w, r, op.Name(), raw, err)
}

// writeEvaluated answers with the ledger's JSON answer to a query of op as it is (null
// when empty), or with err.
func (s *Server) writeEvaluated(w http.ResponseWriter, r *http.Request, op string, raw json.RawMessage, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(raw) == 0 {
		raw = json.RawMessage("null")
	}
	if !json.Valid(raw) {
		s.writeError(w, r, fmt.Errorf("the answer of %s is not JSON", op))
		return
	}
	writeRaw(w, http.StatusOK, raw)
}

// decodeBody is a transaction's request: body, at most maxBytes of JSON, decoded strictly
// into a new request of op (valid UTF-8, no repeated key, no unknown field, nothing after
// it) and validated.
func decodeBody(op *ledgerapi.Operation, body []byte, maxBytes int) (any, error) {
	req := op.NewRequest()
	if err := strictjson.Decode(body, req, maxBytes); err != nil {
		e := cxlerr.From(err)
		c := *e
		c.Message = "request body: " + e.Message
		return nil, &c
	}
	if err := ledgerapi.Validate(req); err != nil {
		return nil, err
	}
	return req, nil
}

// queryRequest is a query's request: bound from the path and query parameters (see
// params.Decode), with pageSize, if the request has one, the request's within the page-size
// cap, and validated.
func (s *Server) queryRequest(op *ledgerapi.Operation, r *http.Request) (any, error) {
	req := op.NewRequest()
	if err := params.Decode(req, op.Path, r.PathValue, r.URL.Query()); err != nil {
		return nil, err
	}
	if size := reflect.ValueOf(req).Elem().FieldByName("PageSize"); size.IsValid() && size.CanInt() {
		n, err := s.pageSize(r)
		if err != nil {
			return nil, err
		}
		size.SetInt(int64(n))
	}
	if err := ledgerapi.Validate(req); err != nil {
		return nil, err
	}
	return req, nil
}

// transportFor is the ledger as the request's principal (or, on a public route, the
// service) reaches it, recording each transaction in j (nil for none).
func (s *Server) transportFor(r *http.Request, j *store.Ticket) (ledgerapi.Transport, error) {
	identity := principalOf(r.Context()).Identity
	if identity == "" {
		identity = s.opts.PublicIdentity
	}
	if j == nil {
		return s.opts.Backend.Transport(identity, nil)
	}
	return s.opts.Backend.Transport(identity, j)
}

// jsonContent checks that a request's body is declared as JSON: Content-Type
// application/json, in UTF-8 if it names a charset.
func jsonContent(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	mt, ps, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || mt != "application/json" {
		return cxlerr.Errorf(cxlerr.Invalid, "Content-Type %q: send the body as application/json", ct)
	}
	if cs, ok := ps["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return cxlerr.Errorf(cxlerr.Invalid, "Content-Type %q: JSON is UTF-8; send application/json without another charset", ct)
	}
	return nil
}

// validUTF8 checks that the request's path and query parameters, names and values, are
// valid UTF-8: text that is not would be altered on its way to the ledger.
func validUTF8(r *http.Request) error {
	if !utf8.ValidString(r.URL.Path) {
		return cxlerr.Errorf(cxlerr.Invalid, "the path is not valid UTF-8")
	}
	for name, values := range r.URL.Query() {
		if !utf8.ValidString(name) {
			return cxlerr.Errorf(cxlerr.Invalid, "a query parameter's name is not valid UTF-8")
		}
		for _, v := range values {
			if !utf8.ValidString(v) {
				return cxlerr.Errorf(cxlerr.Invalid, "query parameter %s: not valid UTF-8", name)
			}
		}
	}
	return nil
}

// jsonBody is the request's body, declared as JSON (see jsonContent), read up to the size
// limit.
func (s *Server) jsonBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if err := jsonContent(r); err != nil {
		return nil, err
	}
	return s.readBody(w, r)
}

// readBody reads the request body up to the size limit.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.Limits.BodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, cxlerr.Errorf(cxlerr.TooLarge, "request body larger than %d bytes", s.opts.Limits.BodyBytes)
	case err != nil:
		return nil, cxlerr.Errorf(cxlerr.Invalid, "read request body: %v", err)
	}
	return body, nil
}

// maxIdempotencyKey is the longest Idempotency-Key accepted.
const maxIdempotencyKey = 128

// idempotencyKey returns the request's Idempotency-Key: 1 to 128 printable ASCII
// characters.
func idempotencyKey(r *http.Request) (string, error) {
	return parseIdempotencyKey(r.Header.Get("Idempotency-Key"))
}

// parseIdempotencyKey checks an Idempotency-Key: 1 to 128 printable ASCII characters.
func parseIdempotencyKey(key string) (string, error) {
	if key == "" {
		return "", cxlerr.Errorf(cxlerr.Invalid, "the Idempotency-Key header is required on every mutation (a unique value per operation, e.g. a UUID)")
	}
	if len(key) > maxIdempotencyKey {
		return "", cxlerr.Errorf(cxlerr.Invalid, "Idempotency-Key longer than %d characters", maxIdempotencyKey)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return "", cxlerr.Errorf(cxlerr.Invalid, "Idempotency-Key must be printable ASCII without spaces")
		}
	}
	return key, nil
}

// mutate runs a mutation at most once per Idempotency-Key: it records the key and a
// fingerprint of the request, runs the transaction with the record as its journal, and
// answers with the record's outcome. A repeated request gets the first outcome (or 202
// while the transaction is pending), a different request with the same key 422, and a
// request whose twin is still running 409. The transaction is bounded by the request
// timeout and not by the client's connection: a client that goes away does not leave a
// transaction half-done.
func (s *Server) mutate(w http.ResponseWriter, r *http.Request, op string, body []byte, run func(ctx context.Context, t ledgerapi.Transport) (uint64, error)) {
	key, err := idempotencyKey(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ticket := s.begin(w, r, principalOf(r.Context()).Name, key, fingerprint(op, body), op, nil)
	if ticket == nil {
		return
	}
	t, err := s.transportFor(r, ticket)
	if err != nil {
		_, _ = ticket.Finish(0, err)
		s.writeError(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), s.opts.RequestTimeout)
	defer cancel()
	block, runErr := run(ctx, t)
	s.finish(w, r, ticket, op, block, runErr)
}

// finish records a transaction's outcome (its block, or runErr) under its Idempotency-Key
// ticket and answers with it.
func (s *Server) finish(w http.ResponseWriter, r *http.Request, ticket *store.Ticket, op string, block uint64, runErr error) {
	rec, err := ticket.Finish(block, runErr)
	if err != nil {
		// The outcome could not be recorded; answer with it all the same.
		s.log.Error("record outcome", "request_id", infoOf(r.Context()).id, "operation", op, "error", err)
		if runErr != nil {
			s.writeError(w, r, runErr)
			return
		}
		s.writeError(w, r, fmt.Errorf("record outcome of %s: %w", op, err))
		return
	}
	s.writeRecord(w, r, rec)
}

// fingerprint identifies a request of op with body under its Idempotency-Key: a repeat
// with another fingerprint is another request.
func fingerprint(op string, body []byte) string {
	sum := sha256.Sum256(append([]byte(op+"\n"), body...))
	return hex.EncodeToString(sum[:])
}

// begin records principal's Idempotency-Key key for a request of op with fingerprint fp
// and returns the ticket to run it under. When there is nothing to run it answers and
// returns nil: a repeat gets the recorded outcome, a request whose twin is still running
// 409 (unless inFlight, when not nil, answered for it and returned true), a different
// request with the key 422.
func (s *Server) begin(w http.ResponseWriter, r *http.Request, principal, key, fp, op string, inFlight func() bool) *store.Ticket {
	ticket, existing, err := s.opts.Store.Begin(principal, key, fp, op)
	switch {
	case errors.Is(err, store.ErrInFlight):
		if inFlight != nil && inFlight() {
			return nil
		}
		e := cxlerr.Errorf(cxlerr.Conflict, "a request with this Idempotency-Key is still in progress; retry later to get its outcome")
		e.Retryable = true
		s.writeError(w, r, e)
		return nil
	case errors.Is(err, store.ErrMismatch):
		s.writeError(w, r, cxlerr.Errorf(cxlerr.IdempotencyMismatch, "this Idempotency-Key was used for a different request (%s); use a new key", existing.Operation).WithTransaction(existing.TxID))
		return nil
	case err != nil:
		s.writeError(w, r, fmt.Errorf("begin %s: %w", op, err))
		return nil
	case existing != nil:
		s.opts.Metrics.Replay()
		w.Header().Set("Idempotent-Replayed", "true")
		s.writeRecord(w, r, existing)
		return nil
	}
	return ticket
}

// committedBody is the answer to a committed mutation: the contract's result as the
// ledger holds it, whoever (request or reconciliation) learnt of the commit.
type committedBody struct {
	TransactionID string          `json:"transactionId"`
	BlockNumber   uint64          `json:"blockNumber"`
	Result        json.RawMessage `json:"result"`
}

// writeRecord answers with a request's recorded outcome.
func (s *Server) writeRecord(w http.ResponseWriter, r *http.Request, rec *store.Record) {
	infoOf(r.Context()).txID = rec.TxID
	switch {
	case rec.Committed():
		result := rec.Result
		if len(result) == 0 {
			result = json.RawMessage("null")
		}
		writeJSON(w, http.StatusOK, committedBody{TransactionID: rec.TxID, BlockNumber: rec.Block, Result: result})
	case rec.State == store.Done:
		s.writeError(w, r, rec.Err)
	default:
		s.writeError(w, r, cxlerr.Errorf(cxlerr.Pending, "transaction %s was submitted and its commit is not known yet; see %s", rec.TxID, statusURL(rec.TxID)).WithTransaction(rec.TxID))
	}
}

// intParam parses an optional integer query parameter within [lo, hi]; def if absent.
func intParam(r *http.Request, name string, lo, hi, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, cxlerr.Errorf(cxlerr.Invalid, "%s: %q, want an integer from %d to %d", name, v, lo, hi)
	}
	return n, nil
}

// pageSize is the request's pageSize parameter, 1 to the page-size cap; absent, the smaller
// of 50 and the cap.
func (s *Server) pageSize(r *http.Request) (int, error) {
	limit := s.opts.Limits.MaxPageSize
	return intParam(r, "pageSize", 1, limit, min(50, limit))
}
