// Package cxlerr is cxledger's one error vocabulary: the codes, the coded error type, and
// the rendering that carries a code through Fabric ("cxl:<CODE>: <message>") and back.
//
// The chaincode kit, the client side (ledgerapi and its adapters), the gateway service's HTTP
// mapping and the CLI's exit codes all speak it, so a code survives every hop from a
// contract to a script: the chaincode renders its errors with [Wire], Fabric carries the
// text in its endorsement error, the client recovers the code with [Parse], the service
// answers with the error as its JSON envelope, and the REST client decodes the same
// *[Error] again. [Codes] lists every code: the HTTP mapping and the CLI's exit codes are
// tested against it, so a new code cannot silently become a 500.
//
// The package imports nothing from Fabric.
package cxlerr

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Code classifies an error. The string values are what travels: in chaincode messages, in
// the JSON envelope and in scripts' expectations. Never rename one.
type Code string

// The codes.
const (
	// Invalid means the request is malformed or fails validation: fix it, do not retry it.
	Invalid Code = "INVALID"
	// NotFound means a record the request names does not exist.
	NotFound Code = "NOT_FOUND"
	// Conflict means the request contradicts the ledger's current state (a duplicate, a
	// step of a state machine taken twice, more than is left), or the same idempotency key
	// is still being processed.
	Conflict Code = "CONFLICT"
	// Forbidden means the caller is identified but may not do this.
	Forbidden Code = "FORBIDDEN"
	// Unauthenticated means the caller presented no valid credentials.
	Unauthenticated Code = "UNAUTHENTICATED"
	// Expired means a time window (an offer, a voucher) has closed.
	Expired Code = "EXPIRED"
	// InsufficientFunds means a balance is too small for the operation.
	InsufficientFunds Code = "INSUFFICIENT_FUNDS"
	// IdempotencyMismatch means an idempotency key was reused with a different request.
	IdempotencyMismatch Code = "IDEMPOTENCY_MISMATCH"
	// TooLarge means the request exceeds a size limit.
	TooLarge Code = "TOO_LARGE"
	// RateLimited means the caller sent too many requests; retry later.
	RateLimited Code = "RATE_LIMITED"
	// Unavailable means no peer or orderer could serve the request; nothing was applied.
	Unavailable Code = "UNAVAILABLE"
	// Timeout means the ledger did not answer in time; nothing was applied.
	Timeout Code = "TIMEOUT"
	// Pending means the transaction was submitted but its commit is not known yet; the
	// error carries the transaction ID to follow.
	Pending Code = "PENDING"
	// Internal means a bug or a ledger failure, never the caller's fault.
	Internal Code = "INTERNAL"
)

// codes is every code, in the order Codes lists them.
var codes = []Code{
	Invalid, NotFound, Conflict, Forbidden, Unauthenticated, Expired, InsufficientFunds,
	IdempotencyMismatch, TooLarge, RateLimited, Unavailable, Timeout, Pending, Internal,
}

// Codes returns every code of the vocabulary.
func Codes() []Code { return slices.Clone(codes) }

// Known reports whether c is one of Codes.
func (c Code) Known() bool { return slices.Contains(codes, c) }

// Retryable reports whether a request that failed with c may succeed when repeated
// unchanged: RATE_LIMITED, UNAVAILABLE, TIMEOUT and PENDING.
func (c Code) Retryable() bool {
	switch c {
	case RateLimited, Unavailable, Timeout, Pending:
		return true
	}
	return false
}

// Detail is what one endorsing peer answered when a proposal failed there.
type Detail struct {
	// Address is the peer's endpoint.
	Address string `json:"address"`
	// MSPID is the peer's organisation.
	MSPID string `json:"mspId"`
	// Message is the peer's error.
	Message string `json:"message"`
}

// Error is a coded error. It is also the JSON error envelope of the REST API, so it survives
// the trip from the gateway service to a client unchanged.
type Error struct {
	// Code classifies the error.
	Code Code `json:"code"`
	// Message says what went wrong, for a person; it never holds personal data.
	Message string `json:"message"`
	// TransactionID is the transaction concerned, if one was created.
	TransactionID string `json:"transactionId"`
	// Retryable says whether repeating the same request (with the same idempotency key)
	// may succeed.
	Retryable bool `json:"retryable"`
	// Details are the endorsing peers' own answers, when Fabric gave them.
	Details []Detail `json:"details,omitempty"`
	// cause is what the error was made from, for errors.Is and errors.As; it does not
	// travel.
	cause error
}

// New returns an *Error with code, message and the code's default retryability.
func New(code Code, message string) *Error {
	return &Error{Code: code, Message: message, Retryable: code.Retryable()}
}

// Errorf returns an *Error with code, a message formatted as by fmt.Errorf, and the code's
// default retryability; errors wrapped with %w stay reachable through errors.Is and
// errors.As.
func Errorf(code Code, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	e := New(code, err.Error())
	switch err.(type) {
	case interface{ Unwrap() error }, interface{ Unwrap() []error }:
		e.cause = err
	}
	return e
}

// Wrap returns an *Error with code whose message is err's text and whose cause is err.
func Wrap(code Code, err error) *Error {
	e := New(code, err.Error())
	e.cause = err
	return e
}

// Error renders the error for a person: "<CODE>: <message>", and " (transaction <ID>)" when
// it names one.
func (e *Error) Error() string {
	if e.TransactionID != "" {
		return fmt.Sprintf("%s: %s (transaction %s)", e.Code, e.Message, e.TransactionID)
	}
	return string(e.Code) + ": " + e.Message
}

// Unwrap returns what the error was made from, if anything.
func (e *Error) Unwrap() error { return e.cause }

// WithTransaction returns a copy of e naming transaction txID.
func (e *Error) WithTransaction(txID string) *Error {
	c := *e
	c.TransactionID = txID
	return &c
}

// WithCause returns a copy of e that unwraps to cause.
func (e *Error) WithCause(cause error) *Error {
	c := *e
	c.cause = cause
	return &c
}

// As returns the first *Error in err's chain; ok is false when err carries no code.
func As(err error) (e *Error, ok bool) {
	ok = errors.As(err, &e)
	return e, ok
}

// From returns the first *Error in err's chain, or an Internal *Error with err's text and
// err as its cause; nil for nil.
func From(err error) *Error {
	if err == nil {
		return nil
	}
	if e, ok := As(err); ok {
		return e
	}
	return Wrap(Internal, err)
}

// CodeOf returns the code of the first *Error in err's chain, Internal for any other error,
// and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	return From(err).Code
}

// marker starts every error the chaincode renders.
const marker = "cxl:"

// Wire returns err as the chaincode hands it to Fabric: an error whose text is
// "cxl:<CODE>: <message>", which Parse finds again wherever Fabric nests it. An error
// without a code is rendered as INTERNAL. It unwraps to the coded error; nil for nil.
func Wire(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(wireError); ok {
		return err
	}
	return wireError{From(err)}
}

// wireError is an *Error rendered for Fabric.
type wireError struct{ e *Error }

func (w wireError) Error() string { return marker + string(w.e.Code) + ": " + w.e.Message }
func (w wireError) Unwrap() error { return w.e }

// Parse recovers a coded error from text that holds one the chaincode rendered, such as the
// message Fabric returns for a failed endorsement ("chaincode response 500, cxl:NOT_FOUND:
// ..."). It uses the first "cxl:" that does not follow a letter or digit and is followed by
// a code of upper-case letters and underscores and ": "; the message is the rest of the
// text. A code that is not one of Codes becomes Internal, with the code kept in the message.
// ok is false when there is no such marker.
func Parse(text string) (e *Error, ok bool) {
	for from := 0; from < len(text); {
		i := strings.Index(text[from:], marker)
		if i < 0 {
			return nil, false
		}
		start := from + i
		from = start + len(marker)
		if start > 0 && isAlnum(text[start-1]) {
			continue
		}
		code, message, found := strings.Cut(text[from:], ": ")
		if !found || !isCode(code) {
			continue
		}
		if !Code(code).Known() {
			return New(Internal, code+": "+message), true
		}
		return New(Code(code), message), true
	}
	return nil, false
}

func isAlnum(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

func isCode(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < 'A' || s[i] > 'Z') && s[i] != '_' {
			return false
		}
	}
	return true
}
