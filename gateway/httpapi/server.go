// Package httpapi is the gateway service's REST API: a typed endpoint under /v1 for every
// operation of every contract (never a call-anything passthrough), the status of
// transactions, chaincode events as Server-Sent Events, and the operational endpoints
// (/healthz, /readyz, /metrics, /openapi.json).
//
// Every route is one entry of a table (see routes.go) from which both the HTTP mux and the
// OpenAPI document are built; the routes of the ledger's operations are derived from their
// descriptors (ledgerapi.Operations), one per operation. A mutation answers 200 only once its transaction committed
// VALID, 202 with a status URL when the commit is still unknown at the request deadline,
// and takes an Idempotency-Key that is stored with the request's transaction before
// endorsement. Every error is one JSON envelope, {code, message, transactionId, retryable},
// whose HTTP status comes from one function, Status.
package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/config"
	"github.com/cxledger/cxledger/gateway/fabric"
	"github.com/cxledger/cxledger/gateway/metrics"
	"github.com/cxledger/cxledger/gateway/store"
	"github.com/cxledger/cxledger/ledgerapi"
)

// Backend is the ledger behind the API.
type Backend interface {
	// Transport returns the ledger as a configured Fabric identity reaches it; every
	// transaction it submits is recorded in j before it leaves the process (j may be nil for
	// queries).
	Transport(identity string, j fabric.Journal) (ledgerapi.Transport, error)
	// Lookup returns the status of any transaction on the channel.
	Lookup(ctx context.Context, txID string) (*ledgerapi.TransactionStatus, error)
	// Ready reports whether a peer answers.
	Ready(ctx context.Context) error
}

// Principal is an authenticated API client.
type Principal struct {
	// Name identifies the client in logs and scopes its idempotency keys.
	Name string
	// Identity is the Fabric identity its transactions are signed with.
	Identity string
}

// Options are what a Server needs.
type Options struct {
	// Backend is the ledger.
	Backend Backend
	// Store keeps idempotency records and pending transactions.
	Store *store.Store
	// Metrics records requests; required.
	Metrics *metrics.Metrics
	// Log receives one line per request and every internal error; nil discards.
	Log *slog.Logger
	// Principals are the API clients by the SHA-256 of their API key.
	Principals map[[sha256.Size]byte]Principal
	// PublicIdentity signs the queries of the routes that need no credentials.
	PublicIdentity string
	// Limits bound bodies, pages, request rates and event streams.
	Limits config.Limits
	// RequestTimeout bounds a request; a mutation whose commit is unknown by then answers 202.
	RequestTimeout time.Duration
	// Customers, when set, serves customers who sign for themselves (prepare -> sign ->
	// submit) and, with a Registrar, the invitation and enrolment of customers.
	Customers *Customers
}

// Server serves the API.
type Server struct {
	opts     Options
	log      *slog.Logger
	mux      *http.ServeMux
	routes   []Route
	patterns []string

	limiters map[string]*rate.Limiter // per principal name
	public   *addressLimiter

	mu      sync.Mutex
	streams map[string]int // open event streams per principal

	// customers are the transactions prepared for customers, waiting for their signatures;
	// customerRates limits each customer as limiters do each principal.
	customers     *sessions
	customerRates *addressLimiter
	// customerTrust are the member CAs of Options.Customers as certificate pools, built
	// once here rather than on every request that authenticates a customer.
	customerTrust []customerTrust
}

// New returns a Server with every route of the API.
func New(opts Options) *Server {
	s := &Server{
		opts: opts, log: opts.Log, mux: http.NewServeMux(),
		limiters: map[string]*rate.Limiter{}, streams: map[string]int{}, customers: newSessions(),
		public:        newAddressLimiter(rate.Limit(opts.Limits.PublicRate), opts.Limits.PublicBurst),
		customerRates: newAddressLimiter(rate.Limit(opts.Limits.Rate), opts.Limits.Burst),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if opts.Customers != nil {
		s.customerTrust = trustOf(opts.Customers.Roots)
	}
	for _, p := range opts.Principals {
		s.limiters[p.Name] = rate.NewLimiter(rate.Limit(opts.Limits.Rate), opts.Limits.Burst)
	}
	for _, rt := range s.table() {
		s.register(rt)
	}
	return s
}

// register adds a route to the mux and to the routes the OpenAPI document describes; every
// handler of the mux is added here, so the two cannot drift apart.
func (s *Server) register(rt Route) {
	pattern := rt.Method + " " + rt.Path
	s.routes = append(s.routes, rt)
	s.patterns = append(s.patterns, pattern)
	s.mux.Handle(pattern, s.guard(rt))
}

type ctxKey int

const (
	principalKey ctxKey = iota
	infoKey
)

func principalOf(ctx context.Context) Principal {
	p, _ := ctx.Value(principalKey).(Principal)
	return p
}

// requestInfo is what the request log line reports; handlers fill it in.
type requestInfo struct {
	id, principal, txID string
}

func infoOf(ctx context.Context) *requestInfo {
	if i, ok := ctx.Value(infoKey).(*requestInfo); ok {
		return i
	}
	return &requestInfo{}
}

// guard applies a route's access rule (credentials and the principal's rate limit, or the
// per-address limit of public routes) before its handler.
func (s *Server) guard(rt Route) http.Handler {
	fail := s.writeError
	if rt.fail != nil {
		fail = func(w http.ResponseWriter, r *http.Request, err error) { rt.fail(s, w, r, err) }
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch rt.Access {
		case AccessPrincipal:
			p, err := s.authenticate(r)
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="cxledger"`)
				fail(w, r, err)
				return
			}
			infoOf(r.Context()).principal = p.Name
			if !s.allow(w, r, s.limiters[p.Name], "principal", fail) {
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), principalKey, p))
		case AccessPublic:
			if !s.allow(w, r, s.public.get(clientAddress(r)), "public", fail) {
				return
			}
		}
		if rt.Access != AccessOperations {
			if err := validUTF8(r); err != nil {
				fail(w, r, err)
				return
			}
		}
		rt.handle(s, w, r)
	})
}

// ServeHTTP serves a request: it gives it an ID, recovers from panics, answers unknown
// routes with the error envelope, and logs and measures it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := r.Header.Get("X-Request-Id")
	if id == "" || len(id) > 64 {
		id = newRequestID()
	}
	w.Header().Set("X-Request-Id", id)
	info := &requestInfo{id: id}
	r = r.WithContext(context.WithValue(r.Context(), infoKey, info))
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	_, pattern := s.mux.Handler(r)
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("panic", "request_id", id, "panic", v, "stack", string(debug.Stack()))
			if !rec.wrote {
				s.writeError(rec, r, cxlerr.Errorf(cxlerr.Internal, "internal error (request %s)", id))
			}
		}
		route := pattern
		if route == "" {
			route = "unmatched"
		}
		d := time.Since(start)
		s.opts.Metrics.Request(route, r.Method, rec.status, d)
		s.log.Info("request", "request_id", id, "method", r.Method, "route", route, "status", rec.status,
			"duration_ms", float64(d.Microseconds())/1000, "principal", info.principal, "transaction", info.txID)
	}()
	if pattern == "" {
		s.writeError(rec, r, cxlerr.Errorf(cxlerr.NotFound, "no endpoint %s %s; see /openapi.json", r.Method, r.URL.Path))
		return
	}
	s.mux.ServeHTTP(rec, r)
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// statusRecorder remembers the status written, and passes flushes through for event
// streams.
type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer (flushes, deadlines).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
