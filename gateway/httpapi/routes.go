package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/store"
	"github.com/cxledger/cxledger/ledgerapi"
)

// table is every route of the API. A contract's operations are added here, one typed
// route per operation: a mutation for each submit function, a query for each evaluate
// function, with the request and result types of ledgerapi.
func (s *Server) table() []Route {
	var routes []Route
	routes = append(routes, s.operationRoutes()...)
	routes = append(routes, healthRoutes()...)
	routes = append(routes, consortiumRoutes()...)
	routes = append(routes, provenanceRoutes()...)
	routes = append(routes, ordersRoutes()...)
	routes = append(routes, loyaltyRoutes()...)
	routes = append(routes, careRoutes()...)
	routes = append(routes, s.transactionRoutes()...)
	routes = append(routes, s.eventRoutes()...)
	return routes
}

func healthRoutes() []Route {
	return []Route{
		mutation("/v1/health/pings", "health.Ping", "health", "Record a ping: a cheap write that proves the network commits",
			via(ledgerapi.Ledger.Health, ledgerapi.Health.Ping)),
		query("/v1/health/version", "health.Version", "health", "The version of the chaincode that answers", AccessPrincipal,
			func(ctx context.Context, l ledgerapi.Ledger, _ struct{}) (*ledgerapi.VersionInfo, error) {
				return l.Health().Version(ctx)
			}),
	}
}

func consortiumRoutes() []Route {
	on := ledgerapi.Ledger.Consortium
	return []Route{
		mutation("/v1/consortium/role-proposals", "consortium.ProposeRole", "consortium",
			"Propose that an organisation get a role (caller: an admin)",
			via(on, ledgerapi.Consortium.ProposeRole)),
		mutation("/v1/consortium/role-approvals", "consortium.ApproveRole", "consortium",
			"Approve the open proposal, grant or revocation, for an organisation's role (caller: an admin of another organisation)",
			via(on, ledgerapi.Consortium.ApproveRole)),
		mutation("/v1/consortium/role-revocations", "consortium.RevokeRole", "consortium",
			"Propose revoking an organisation's role, or withdraw your organisation's pending proposal (caller: an admin)",
			via(on, ledgerapi.Consortium.RevokeRole)),
		query("/v1/consortium/roles", "consortium.ListRoles", "consortium", "Every role grant, in force or proposed", AccessPrincipal,
			func(ctx context.Context, l ledgerapi.Ledger, _ struct{}) ([]ledger.RoleGrant, error) {
				return l.Consortium().ListRoles(ctx)
			}),
	}
}

// operationRoutes are the probes, the metrics and the API description.
func (s *Server) operationRoutes() []Route {
	type statusBody struct {
		Status string `json:"status"`
	}
	return []Route{
		{Method: http.MethodGet, Path: "/healthz", OperationID: "healthz", Tag: "operations", Access: AccessOperations,
			Summary: "Liveness: the process serves HTTP", Response: typeOf[statusBody](),
			handle: func(_ *Server, w http.ResponseWriter, _ *http.Request) {
				writeJSON(w, http.StatusOK, statusBody{Status: "ok"})
			}},
		{Method: http.MethodGet, Path: "/readyz", OperationID: "readyz", Tag: "operations", Access: AccessOperations,
			Summary: "Readiness: a gateway peer answers a query", Response: typeOf[statusBody](),
			handle: func(s *Server, w http.ResponseWriter, r *http.Request) {
				ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
				defer cancel()
				if err := s.opts.Backend.Ready(ctx); err != nil {
					s.writeError(w, r, err)
					return
				}
				writeJSON(w, http.StatusOK, statusBody{Status: "ready"})
			}},
		{Method: http.MethodGet, Path: "/metrics", OperationID: "metrics", Tag: "operations", Access: AccessOperations,
			Summary: "Prometheus metrics", ContentType: "text/plain",
			handle: func(s *Server, w http.ResponseWriter, r *http.Request) {
				s.opts.Metrics.Handler().ServeHTTP(w, r)
			}},
		{Method: http.MethodGet, Path: "/openapi.json", OperationID: "openapi", Tag: "operations", Access: AccessOperations,
			Summary:     "This API's OpenAPI 3 description",
			ContentType: "application/json",
			handle: func(s *Server, w http.ResponseWriter, _ *http.Request) {
				writeJSON(w, http.StatusOK, s.OpenAPI())
			}},
	}
}

func (s *Server) transactionRoutes() []Route {
	return []Route{
		handler("/v1/transactions/{id}", "transactions.Status", "transactions",
			"Where a transaction stands: PENDING, COMMITTED (with the result, for the caller who submitted it) or FAILED (with the error)",
			AccessPrincipal, []Param{{Name: "id", In: "path", Type: "string", Required: true, Description: "transaction ID"}},
			func(ctx context.Context, s *Server, _ ledgerapi.Ledger, r *http.Request) (*ledgerapi.TransactionStatus, error) {
				return s.transactionStatus(ctx, principalOf(r.Context()), r.PathValue("id"))
			}),
	}
}

// transactionStatus answers from the service's own record of the transaction when it has
// one, and from the ledger otherwise.
func (s *Server) transactionStatus(ctx context.Context, p Principal, txID string) (*ledgerapi.TransactionStatus, error) {
	if txID == "" || len(txID) > 128 {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "transaction ID: want 1 to 128 characters")
	}
	rec, err := s.opts.Store.ByTransaction(txID)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return s.opts.Backend.Lookup(ctx, txID)
	}
	st := &ledgerapi.TransactionStatus{TransactionID: txID, State: ledgerapi.TxPending}
	switch {
	case rec.Committed():
		st.State, st.BlockNumber, st.ValidationCode = ledgerapi.TxCommitted, rec.Block, "VALID"
		if rec.Principal == p.Name {
			st.Result = rec.Result
		}
	case rec.State == store.Done:
		st.State, st.BlockNumber, st.Error = ledgerapi.TxFailed, rec.Block, rec.Err
	}
	return st, nil
}
