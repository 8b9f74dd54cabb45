package ledger_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/cxledger/cxledger/chaincode/ledger"
)

func TestErrorFormatRoundTrip(t *testing.T) {
	codes := []ledger.Code{ledger.Invalid, ledger.NotFound, ledger.Conflict, ledger.Forbidden,
		ledger.Unauthenticated, ledger.Expired, ledger.Insufficient, ledger.Internal}
	for _, code := range codes {
		err := ledger.Errorf(code, "lot %s: %d items, reason: %q", "L1/2", 3, "a: b")
		want := "cxl:" + string(code) + `: lot L1/2: 3 items, reason: "a: b"`
		if err.Error() != want {
			t.Fatalf("Error() = %q, want %q", err.Error(), want)
		}
		for _, wrapped := range []string{
			err.Error(),
			"chaincode response 500, " + err.Error(),
			"rpc error: code = Aborted desc = failed to endorse transaction: (chaincode response 500, " + err.Error(),
		} {
			got, ok := ledger.ParseError(wrapped)
			if !ok {
				t.Fatalf("ParseError(%q) found nothing", wrapped)
			}
			if got.Code != code || got.Message != `lot L1/2: 3 items, reason: "a: b"` {
				t.Fatalf("ParseError(%q) = %q, %q", wrapped, got.Code, got.Message)
			}
		}
	}
}

func TestParseErrorRejects(t *testing.T) {
	for _, text := range []string{
		"",
		"plain failure",
		"xcxl:NOT_FOUND: glued to a word",
		"cxl:not_found: lower-case code",
		"cxl:NOT FOUND: space in code",
		"cxl:NOT_FOUND without separator",
		"cxl:: empty code",
		"cxl:_X: starts with underscore",
	} {
		if e, ok := ledger.ParseError(text); ok {
			t.Errorf("ParseError(%q) = %+v, want no match", text, e)
		}
	}
	// A rejected marker does not hide a later valid one.
	e, ok := ledger.ParseError("xcxl:BAD: no, then (cxl:CONFLICT: yes)")
	if !ok || e.Code != ledger.Conflict || e.Message != "yes)" {
		t.Fatalf("ParseError = %+v, %v", e, ok)
	}
	// An unknown code is recovered as is, for forward compatibility.
	e, ok = ledger.ParseError("cxl:RATE_LIMITED: slow down")
	if !ok || e.Code != "RATE_LIMITED" {
		t.Fatalf("ParseError = %+v, %v", e, ok)
	}
}

func TestCodeOfAndUnwrap(t *testing.T) {
	notFound := ledger.Errorf(ledger.NotFound, "lot %q not found", "L1")
	tests := []struct {
		name string
		err  error
		want ledger.Code
	}{
		{"nil", nil, ""},
		{"plain", errors.New("boom"), ledger.Internal},
		{"coded", notFound, ledger.NotFound},
		{"wrapped by fmt", fmt.Errorf("context: %w", notFound), ledger.NotFound},
		{"recoded", ledger.Errorf(ledger.Conflict, "outer: %w", notFound), ledger.Conflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ledger.CodeOf(tt.err); got != tt.want {
				t.Fatalf("CodeOf = %q, want %q", got, tt.want)
			}
		})
	}
	wrapped := ledger.Errorf(ledger.Internal, "read: %w", io.ErrUnexpectedEOF)
	if !errors.Is(wrapped, io.ErrUnexpectedEOF) {
		t.Fatal("errors.Is does not reach the %w cause")
	}
	if errors.Unwrap(ledger.Errorf(ledger.Invalid, "no cause %v", io.EOF)) != nil {
		t.Fatal("an error formatted with a v verb must not wrap")
	}
}
