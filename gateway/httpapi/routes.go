package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/store"
	"github.com/cxledger/cxledger/ledgerapi"
)

// table is every route of the API: the operational endpoints, a typed route per operation
// of the ledger (see operationRoutes), the status of transactions, the event stream and the
// GS1 Digital Link resolver.
func (s *Server) table() []Route {
	var routes []Route
	routes = append(routes, s.serviceRoutes()...)
	routes = append(routes, operationRoutes()...)
	routes = append(routes, s.transactionRoutes()...)
	routes = append(routes, s.eventRoutes()...)
	routes = append(routes, resolverRoutes()...)
	routes = append(routes, s.customerRoutes()...)
	routes = append(routes, s.identityRoutes()...)
	routes = append(routes, s.epcisRoutes()...)
	return routes
}

// serviceRoutes are the probes, the metrics and the API description.
func (s *Server) serviceRoutes() []Route {
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
	return []Route{{
		Method: http.MethodGet, Path: "/v1/transactions/{id}", OperationID: "transactions.Status", Tag: "transactions",
		Summary:  "Where a transaction stands: PENDING, COMMITTED (with the result, for the caller who submitted it) or FAILED (with the error)",
		Response: typeOf[ledgerapi.TransactionStatus](),
		Params:   []Param{{Name: "id", In: "path", Type: "string", Required: true, Description: "transaction ID"}},
		handle: func(s *Server, w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), s.opts.RequestTimeout)
			defer cancel()
			st, err := s.transactionStatus(ctx, principalOf(r.Context()), r.PathValue("id"))
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			writeJSON(w, http.StatusOK, st)
		},
	}}
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
