package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/cxledger/cxledger/cxlerr"
)

// Status is the one mapping from an error code to the HTTP status of its response. Pending
// is 202: the request was accepted and its transaction's commit is not known yet.
func Status(code cxlerr.Code) int {
	switch code {
	case cxlerr.Invalid:
		return http.StatusBadRequest
	case cxlerr.Unauthenticated:
		return http.StatusUnauthorized
	case cxlerr.Forbidden:
		return http.StatusForbidden
	case cxlerr.NotFound:
		return http.StatusNotFound
	case cxlerr.Conflict, cxlerr.Expired, cxlerr.InsufficientFunds:
		return http.StatusConflict
	case cxlerr.TooLarge:
		return http.StatusRequestEntityTooLarge
	case cxlerr.IdempotencyMismatch:
		return http.StatusUnprocessableEntity
	case cxlerr.RateLimited:
		return http.StatusTooManyRequests
	case cxlerr.Unavailable:
		return http.StatusServiceUnavailable
	case cxlerr.Timeout:
		return http.StatusGatewayTimeout
	case cxlerr.Pending:
		return http.StatusAccepted
	default:
		return http.StatusInternalServerError
	}
}

// statusURL is where the outcome of a transaction is found.
func statusURL(txID string) string { return "/v1/transactions/" + txID }

// writeError answers with the error envelope. An error without a code (neither a
// *cxlerr.Error nor a contract validator's error) is a bug or a failure of the service
// itself: it is logged in full and answered as Internal without its text. A Pending error
// carries the status URL in Location.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e, ok := cxlerr.As(err)
	if !ok {
		id := infoOf(r.Context()).id
		s.log.Error("internal error", "request_id", id, "error", err)
		e = cxlerr.Errorf(cxlerr.Internal, "internal error (request %s); see the service log", id)
	}
	if e.Code == cxlerr.Internal {
		s.log.Error("request failed", "request_id", infoOf(r.Context()).id, "error", e)
	}
	if e.TransactionID != "" {
		infoOf(r.Context()).txID = e.TransactionID
	}
	status := Status(e.Code)
	switch e.Code {
	case cxlerr.Pending:
		w.Header().Set("Location", statusURL(e.TransactionID))
	case cxlerr.Unavailable, cxlerr.Timeout:
		if w.Header().Get("Retry-After") == "" {
			w.Header().Set("Retry-After", "1")
		}
	}
	writeJSON(w, status, e)
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}
