package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strconv"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/params"
	"github.com/cxledger/cxledger/gateway/store"
	"github.com/cxledger/cxledger/ledgerapi"
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
	// Mutation routes submit a transaction and need an Idempotency-Key.
	Mutation bool
	// Request and Response are the JSON body types (nil: none); Stream means the response
	// is text/event-stream, ContentType another media type than JSON.
	Request, Response reflect.Type
	Stream            bool
	ContentType       string
	// Params are the path and query parameters.
	Params []Param
	handle func(s *Server, w http.ResponseWriter, r *http.Request)
}

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

// mutation is a POST route whose JSON body Req is decoded strictly, validated, and run
// under its Idempotency-Key; it answers with the committed transaction and the contract's
// result Res.
func mutation[Req, Res any](path, op, tag, summary string, run func(ctx context.Context, l ledgerapi.Ledger, req Req) (*ledgerapi.Committed[Res], error)) Route {
	return Route{
		Method: http.MethodPost, Path: path, OperationID: op, Tag: tag, Summary: summary, Mutation: true,
		Request: typeOf[Req](), Response: typeOf[ledgerapi.Committed[Res]](),
		handle: func(s *Server, w http.ResponseWriter, r *http.Request) {
			body, err := s.readBody(w, r)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			var req Req
			if err := decodeStrict(body, &req); err != nil {
				s.writeError(w, r, err)
				return
			}
			if err := ledgerapi.Validate(&req); err != nil {
				s.writeError(w, r, err)
				return
			}
			s.mutate(w, r, op, body, func(ctx context.Context, l ledgerapi.Ledger) (uint64, error) {
				c, err := run(ctx, l, req)
				if err != nil {
					return 0, err
				}
				return c.BlockNumber, nil
			})
		},
	}
}

// query is a GET route whose request Req comes from the path and query parameters, by its
// JSON field names (see package params: the OpenAPI document lists them, gateway/client
// builds them), and is validated before run; a pageSize is the request's within the
// page-size cap, the smaller of 50 and the cap when absent. It answers with Res.
func query[Req, Res any](path, op, tag, summary string, access Access, run func(ctx context.Context, l ledgerapi.Ledger, req Req) (Res, error)) Route {
	fields, err := params.Fields(typeOf[Req]())
	if err != nil {
		panic(fmt.Sprintf("route %s: %v", op, err))
	}
	wild := params.Wildcards(path)
	var ps []Param
	for _, f := range fields {
		p := Param{Name: f.Name, In: "query", Type: f.Type, Format: f.Format, Required: f.Required}
		if slices.Contains(wild, f.Name) {
			p.In = "path"
		}
		if f.Name == "pageSize" {
			p.Description = "items per page, at most the service's page-size cap"
		}
		ps = append(ps, p)
	}
	return handler(path, op, tag, summary, access, ps, func(ctx context.Context, s *Server, l ledgerapi.Ledger, r *http.Request) (Res, error) {
		var req Req
		if err := params.Decode(&req, path, r.PathValue, r.URL.Query()); err != nil {
			var zero Res
			return zero, err
		}
		if size := reflect.ValueOf(&req).Elem().FieldByName("PageSize"); size.IsValid() && size.CanInt() {
			n, err := s.pageSize(r)
			if err != nil {
				var zero Res
				return zero, err
			}
			size.SetInt(int64(n))
		}
		if err := ledgerapi.Validate(&req); err != nil {
			var zero Res
			return zero, err
		}
		return run(ctx, l, req)
	})
}

// handler is a GET route answering with Res, which run makes from the request itself.
func handler[Res any](path, op, tag, summary string, access Access, ps []Param, run func(ctx context.Context, s *Server, l ledgerapi.Ledger, r *http.Request) (Res, error)) Route {
	return Route{
		Method: http.MethodGet, Path: path, OperationID: op, Tag: tag, Summary: summary, Access: access,
		Response: typeOf[Res](), Params: ps,
		handle: func(s *Server, w http.ResponseWriter, r *http.Request) {
			l, err := s.ledgerFor(r, nil)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			ctx, cancel := context.WithTimeout(r.Context(), s.opts.RequestTimeout)
			defer cancel()
			res, err := run(ctx, s, l, r)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			writeJSON(w, http.StatusOK, res)
		},
	}
}

// via is a route's run function that calls a contract's method: contract picks the
// contract from the ledger (ledgerapi.Ledger.Orders) and method is the method expression
// (ledgerapi.Orders.Place).
func via[C, Req, Res any](contract func(ledgerapi.Ledger) C, method func(C, context.Context, Req) (Res, error)) func(context.Context, ledgerapi.Ledger, Req) (Res, error) {
	return func(ctx context.Context, l ledgerapi.Ledger, req Req) (Res, error) {
		return method(contract(l), ctx, req)
	}
}

// ledgerFor is the ledger as the request's principal (or, on a public route, the service)
// sees it.
func (s *Server) ledgerFor(r *http.Request, j *store.Ticket) (ledgerapi.Ledger, error) {
	identity := principalOf(r.Context()).Identity
	if identity == "" {
		identity = s.opts.PublicIdentity
	}
	if j == nil {
		return s.opts.Backend.Ledger(identity, nil)
	}
	return s.opts.Backend.Ledger(identity, j)
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

// decodeStrict decodes one JSON object into v: unknown fields and trailing data are
// Invalid.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return cxlerr.Errorf(cxlerr.Invalid, "request body: %v", err)
	}
	if dec.More() {
		return cxlerr.Errorf(cxlerr.Invalid, "request body: data after the JSON object")
	}
	return nil
}

// maxIdempotencyKey is the longest Idempotency-Key accepted.
const maxIdempotencyKey = 128

// idempotencyKey returns the request's Idempotency-Key: 1 to 128 printable ASCII
// characters.
func idempotencyKey(r *http.Request) (string, error) {
	key := r.Header.Get("Idempotency-Key")
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
func (s *Server) mutate(w http.ResponseWriter, r *http.Request, op string, body []byte, run func(ctx context.Context, l ledgerapi.Ledger) (uint64, error)) {
	key, err := idempotencyKey(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p := principalOf(r.Context())
	sum := sha256.Sum256(append([]byte(op+"\n"), body...))
	ticket, existing, err := s.opts.Store.Begin(p.Name, key, hex.EncodeToString(sum[:]), op)
	switch {
	case errors.Is(err, store.ErrInFlight):
		e := cxlerr.Errorf(cxlerr.Conflict, "a request with this Idempotency-Key is still in progress; retry later to get its outcome")
		e.Retryable = true
		s.writeError(w, r, e)
		return
	case errors.Is(err, store.ErrMismatch):
		s.writeError(w, r, cxlerr.Errorf(cxlerr.IdempotencyMismatch, "this Idempotency-Key was used for a different request (%s); use a new key", existing.Operation).WithTransaction(existing.TxID))
		return
	case err != nil:
		s.writeError(w, r, fmt.Errorf("begin %s: %w", op, err))
		return
	case existing != nil:
		s.opts.Metrics.Replay()
		w.Header().Set("Idempotent-Replayed", "true")
		s.writeRecord(w, r, existing)
		return
	}
	l, err := s.ledgerFor(r, ticket)
	if err != nil {
		_, _ = ticket.Finish(0, err)
		s.writeError(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), s.opts.RequestTimeout)
	defer cancel()
	block, runErr := run(ctx, l)
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
