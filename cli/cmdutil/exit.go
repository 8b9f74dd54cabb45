package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cxledger/cxledger/cxlerr"
)

// ExitCode is a process exit status of cxl; `cxl help exit-codes` documents them.
type ExitCode int

// Exit codes. Scripts depend on these numbers: never renumber them.
const (
	ExitOK        ExitCode = 0
	ExitFailure   ExitCode = 1
	ExitUsage     ExitCode = 2
	ExitNotFound  ExitCode = 3
	ExitForbidden ExitCode = 4
	ExitConflict  ExitCode = 5
	ExitRetryable ExitCode = 6
	ExitPending   ExitCode = 8
)

// ExitCodes documents every exit code: `cxl help exit-codes` prints this table, and a test
// checks that every ledger error code maps to one of its rows.
var ExitCodes = []struct {
	Code    ExitCode
	Name    string
	Meaning string
}{
	{ExitOK, "ok", "the command did what it says (a mutation: its transaction committed VALID)"},
	{ExitFailure, "error", "anything else: an internal error of the ledger or of cxl, a batch whose lines failed differently"},
	{ExitUsage, "usage", "a bad flag, argument, file or value (ledger code INVALID, TOO_LARGE): fix the command, do not retry it as is"},
	{ExitNotFound, "not found", "the product, order, ticket, transaction or profile named does not exist (NOT_FOUND)"},
	{ExitForbidden, "forbidden", "no or bad credentials (UNAUTHENTICATED), or the identity may not do this (FORBIDDEN)"},
	{ExitConflict, "conflict", "the ledger's state refuses it: already done, wrong state, expired, insufficient funds, or the idempotency key was used for another request (CONFLICT, EXPIRED, INSUFFICIENT_FUNDS, IDEMPOTENCY_MISMATCH)"},
	{ExitRetryable, "retryable", "nothing was applied and the same command may succeed later: gateway or peers unavailable, timeout, rate limited, read conflicts (UNAVAILABLE, TIMEOUT, RATE_LIMITED, any error marked retryable); repeat it with the same --idempotency-key"},
	{ExitPending, "pending", "the transaction was submitted but its commit is not known yet (PENDING): the transaction ID is printed; `cxl tx status ID` follows it, and repeating the command with the same --idempotency-key returns its outcome"},
}

// ExitError is an error that ends the program with a particular exit code.
type ExitError struct {
	Code ExitCode
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// UsageErrorf reports a mistake in how a command was called (exit code 2).
func UsageErrorf(format string, args ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, args...)}
}

// NotFoundErrorf reports that something the command names does not exist (exit code 3).
func NotFoundErrorf(format string, args ...any) error {
	return &ExitError{Code: ExitNotFound, Err: fmt.Errorf(format, args...)}
}

// CodeOf returns the exit code an error ends the program with: an ExitError's own code, the
// code of a ledger error (ExitCodeFor), ExitRetryable for a deadline, ExitFailure for
// anything else.
func CodeOf(err error) ExitCode {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	if le, ok := cxlerr.As(err); ok {
		return ExitCodeFor(le)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return ExitRetryable
	}
	return ExitFailure
}

// exitCodes is the exit code of every code of the ledger's vocabulary (cxlerr.Codes): a
// test fails while a code has none.
var exitCodes = map[cxlerr.Code]ExitCode{
	cxlerr.Invalid:             ExitUsage,
	cxlerr.TooLarge:            ExitUsage,
	cxlerr.NotFound:            ExitNotFound,
	cxlerr.Forbidden:           ExitForbidden,
	cxlerr.Unauthenticated:     ExitForbidden,
	cxlerr.Conflict:            ExitConflict,
	cxlerr.Expired:             ExitConflict,
	cxlerr.InsufficientFunds:   ExitConflict,
	cxlerr.IdempotencyMismatch: ExitConflict,
	cxlerr.RateLimited:         ExitRetryable,
	cxlerr.Unavailable:         ExitRetryable,
	cxlerr.Timeout:             ExitRetryable,
	cxlerr.Pending:             ExitPending,
	cxlerr.Internal:            ExitFailure,
}

// ExitCodeFor maps a ledger error to an exit code: PENDING is 8 whatever else it says, an
// error marked retryable is 6, and otherwise its code decides (ExitFailure for a code cxl
// does not know).
func ExitCodeFor(e *cxlerr.Error) ExitCode {
	if e == nil {
		return ExitOK
	}
	if e.Code == cxlerr.Pending {
		return ExitPending
	}
	if e.Retryable {
		return ExitRetryable
	}
	if code, ok := exitCodes[e.Code]; ok {
		return code
	}
	return ExitFailure
}

// OneLine is err with its code kept and its text on one line (whitespace runs, newlines
// included, become one space), so that every failure prints one clear line.
func OneLine(err error) error {
	if err == nil {
		return nil
	}
	msg := strings.Join(strings.Fields(err.Error()), " ")
	if msg == err.Error() {
		return err
	}
	return &ExitError{Code: CodeOf(err), Err: oneLineError{msg: msg, err: err}}
}

type oneLineError struct {
	msg string
	err error
}

func (e oneLineError) Error() string { return e.msg }
func (e oneLineError) Unwrap() error { return e.err }
