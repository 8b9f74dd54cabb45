package ledger

import (
	"errors"
	"fmt"
	"strings"
)

// Code classifies an error so that it survives the trip from chaincode
// through Fabric and the gateway to HTTP statuses and CLI exit codes.
type Code string

// The codes contracts use. New codes may be added; clients treat an unknown
// code like Internal.
const (
	// Invalid means the request is malformed: bad JSON, a field out of range.
	Invalid Code = "INVALID"
	// NotFound means a record the request names does not exist.
	NotFound Code = "NOT_FOUND"
	// Conflict means the request contradicts the current state: a duplicate
	// registration, a step of a state machine taken twice.
	Conflict Code = "CONFLICT"
	// Forbidden means the caller is identified but may not do this.
	Forbidden Code = "FORBIDDEN"
	// Unauthenticated means the caller's identity cannot be established.
	Unauthenticated Code = "UNAUTHENTICATED"
	// Expired means a time window (an offer, a voucher) has closed.
	Expired Code = "EXPIRED"
	// Insufficient means a balance is too small for the operation.
	Insufficient Code = "INSUFFICIENT_FUNDS"
	// Internal means a bug or a ledger failure, never the caller's fault.
	Internal Code = "INTERNAL"
)

// marker starts every rendered error; see the package documentation.
const marker = "cxl:"

// Error is a coded error. Its Error method renders "cxl:<CODE>: <message>".
type Error struct {
	// Code classifies the error.
	Code Code
	// Message says what went wrong, for a person; it never holds personal data.
	Message string
	// cause is the error wrapped with %w, if any, for errors.Is and errors.As.
	cause error
}

// Errorf returns an *Error with the given code and a message formatted as by
// fmt.Errorf; errors wrapped with %w stay reachable through errors.Is and
// errors.As.
func Errorf(code Code, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	e := &Error{Code: code, Message: err.Error()}
	switch err.(type) {
	case interface{ Unwrap() error }, interface{ Unwrap() []error }:
		e.cause = err
	}
	return e
}

// Error renders the error as "cxl:<CODE>: <message>".
func (e *Error) Error() string {
	return marker + string(e.Code) + ": " + e.Message
}

// Unwrap returns the errors wrapped with %w when the error was made.
func (e *Error) Unwrap() error {
	return e.cause
}

// CodeOf returns the code of the first *Error in err's chain, Internal for
// any other error, and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// ParseError recovers a coded error from text that contains a rendered *Error
// anywhere, such as the message Fabric returns for a failed endorsement
// ("chaincode response 500, cxl:NOT_FOUND: ..."). It uses the first "cxl:"
// that does not follow a letter or digit and is followed by a code of
// upper-case letters and underscores and ": "; the message is the rest of the
// text. The second result is false when there is no such marker.
func ParseError(text string) (*Error, bool) {
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
		code, message, ok := strings.Cut(text[from:], ": ")
		if !ok || !isCode(code) {
			continue
		}
		return &Error{Code: Code(code), Message: message}, true
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
