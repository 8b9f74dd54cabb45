package ledgerapi

import (
	"errors"
	"fmt"

	"github.com/cxledger/cxledger/chaincode/ledger"
)

// Code classifies an error. The codes are stable: the chaincode renders its own codes into
// its error messages, the gateway service maps codes to HTTP statuses and the CLI to exit
// codes. An unknown code is treated like Internal.
type Code string

// Error codes. The string values are what travels (in chaincode messages and JSON).
const (
	// Invalid means the request is malformed or fails validation.
	Invalid Code = "INVALID"
	// NotFound means a record the request names does not exist.
	NotFound Code = "NOT_FOUND"
	// Conflict means the request contradicts the current state (a duplicate, a step of a
	// state machine taken twice), or the same idempotency key is still being processed.
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
	// TooLarge means the request body exceeds the size limit.
	TooLarge Code = "TOO_LARGE"
	// RateLimited means the caller sent too many requests; retry later.
	RateLimited Code = "RATE_LIMITED"
	// Unavailable means no peer or orderer could serve the request; nothing was applied.
	Unavailable Code = "UNAVAILABLE"
	// Timeout means the ledger did not answer in time; nothing was applied.
	Timeout Code = "TIMEOUT"
	// Pending means the transaction was submitted but its commit is not known yet; the
	// error carries the transaction ID to ask Transactions.Status about.
	Pending Code = "PENDING"
	// Internal means a bug or a ledger failure, never the caller's fault.
	Internal Code = "INTERNAL"
)

// retryableByDefault are the codes whose requests may succeed when repeated unchanged.
var retryableByDefault = map[Code]bool{
	RateLimited: true, Unavailable: true, Timeout: true, Pending: true,
}

// Error is a coded error. It is also the JSON error envelope of the REST API, so it
// survives the trip from the gateway service to a client unchanged.
type Error struct {
	// Code classifies the error.
	Code Code `json:"code"`
	// Message says what went wrong, for a person.
	Message string `json:"message"`
	// TransactionID is the transaction concerned, if one was created.
	TransactionID string `json:"transactionId"`
	// Retryable says whether repeating the same request (with the same idempotency key)
	// may succeed.
	Retryable bool `json:"retryable"`
}

// Error renders the error as "<CODE>: <message>".
func (e *Error) Error() string {
	if e.TransactionID != "" {
		return fmt.Sprintf("%s: %s (transaction %s)", e.Code, e.Message, e.TransactionID)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with code, a formatted message, and the code's default
// retryability.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Retryable: retryableByDefault[code]}
}

// WithTransaction returns a copy of e naming transaction txID.
func (e *Error) WithTransaction(txID string) *Error {
	c := *e
	c.TransactionID = txID
	return &c
}

// ErrorCode returns the code of the first coded error in err's chain (an *Error, or a
// chaincode kit error a contract's validator returned), Internal for any other error, and ""
// for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	if e, ok := Coded(err); ok {
		return e.Code
	}
	return Internal
}

// AsError returns the first coded error in err's chain as an *Error (see Coded), or an
// Internal *Error with err's text; nil for nil.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	if e, ok := Coded(err); ok {
		return e
	}
	return &Error{Code: Internal, Message: err.Error()}
}

// Coded returns the first *Error in err's chain or, failing that, the first chaincode kit
// error (*ledger.Error, what the contracts' validators return) as an *Error with the same
// code and message. ok is false when err carries no code.
func Coded(err error) (e *Error, ok bool) {
	if errors.As(err, &e) {
		return e, true
	}
	var k *ledger.Error
	if errors.As(err, &k) {
		return &Error{Code: Code(k.Code), Message: k.Message, Retryable: retryableByDefault[Code(k.Code)]}, true
	}
	return nil, false
}

// Validate runs the Validate method of the request req points to, if it has one, and
// returns its error as an *Error. Pass a pointer: the contracts' argument types validate
// with pointer or value receivers. It is what every adapter runs before any ledger call.
func Validate(req any) error {
	v, ok := req.(Validator)
	if !ok {
		return nil
	}
	return fromKit(v.Validate())
}

// fromKit returns err, a chaincode kit error from a validator run on this side of the wire,
// as an *Error with the same code; nil for nil.
func fromKit(err error) error {
	if err == nil {
		return nil
	}
	return AsError(err)
}
