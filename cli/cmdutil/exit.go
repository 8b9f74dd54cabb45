package cmdutil

import (
	"errors"
	"fmt"
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

// CodeOf returns the exit code an error ends the program with.
func CodeOf(err error) ExitCode {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitFailure
}
