package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/cxledger/cxledger/cxlerr"
)

// Status is the one mapping from an error code to the HTTP status of its response. Pending
// is 202: the request was accepted and its transaction's commit is not known yet. Internal,
// and a code this service does not know, are 500.
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
// carries the status URL in Location. The envelope repeats no word of more than maxEcho
// bytes whole (see shorten), whatever its code.
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
	writeJSON(w, status, shorten(e))
}

// maxEcho is the longest identifier, or any other word, an error message repeats whole.
const maxEcho = 128

// shorten returns e with every word (run of bytes other than white space) of its message
// and of its details' messages that is longer than maxEcho bytes cut to its first maxEcho
// bytes, an ellipsis and its length: an identifier a client sent, or one the ledger named,
// is never echoed whole however long it is.
func shorten(e *cxlerr.Error) *cxlerr.Error {
	c := *e
	c.Message = shortenWords(e.Message)
	if len(e.Details) > 0 {
		c.Details = slices.Clone(e.Details)
		for i := range c.Details {
			c.Details[i].Message = shortenWords(c.Details[i].Message)
		}
	}
	return &c
}

// shortenWords cuts the words of s longer than maxEcho bytes: "<first bytes>…(<n> bytes)",
// the cut on a character boundary.
func shortenWords(s string) string {
	if len(s) <= maxEcho {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if isSpace(s[i]) {
			b.WriteByte(s[i])
			i++
			continue
		}
		j := i
		for j < len(s) && !isSpace(s[j]) {
			j++
		}
		word := s[i:j]
		if len(word) > maxEcho {
			cut := maxEcho
			for cut > 0 && !utf8.RuneStart(word[cut]) {
				cut--
			}
			fmt.Fprintf(&b, "%s…(%d bytes)", word[:cut], len(word))
		} else {
			b.WriteString(word)
		}
		i = j
	}
	return b.String()
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// writeRaw answers with raw, a JSON value, as it is.
func writeRaw(w http.ResponseWriter, status int, raw json.RawMessage) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(raw[:len(raw):len(raw)], '\n'))
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}
