package cxlerr_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/cxledger/cxledger/cxlerr"
)

func TestWireRoundTrip(t *testing.T) {
	for _, code := range cxlerr.Codes() {
		err := cxlerr.Errorf(code, "lot %s: %d items, reason: %q", "L1/2", 3, "a: b")
		const msg = `lot L1/2: 3 items, reason: "a: b"`
		if got, want := err.Error(), string(code)+": "+msg; got != want {
			t.Fatalf("Error() = %q, want %q", got, want)
		}
		wire := cxlerr.Wire(err).Error()
		if want := "cxl:" + string(code) + ": " + msg; wire != want {
			t.Fatalf("Wire = %q, want %q", wire, want)
		}
		for _, text := range []string{
			wire,
			"chaincode response 500, " + wire,
			"rpc error: code = Aborted desc = failed to endorse transaction: (chaincode response 500, " + wire,
		} {
			got, ok := cxlerr.Parse(text)
			if !ok || got.Code != code || got.Message != msg || got.Retryable != code.Retryable() {
				t.Fatalf("Parse(%q) = %+v, %v", text, got, ok)
			}
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, text := range []string{
		"", "plain failure", "xcxl:NOT_FOUND: glued to a word", "cxl:not_found: lower-case code",
		"cxl:NOT FOUND: space in code", "cxl:NOT_FOUND without separator", "cxl:: empty code",
		"cxl:_X: starts with underscore", "INVALID: not rendered for the wire",
	} {
		if e, ok := cxlerr.Parse(text); ok {
			t.Errorf("Parse(%q) = %+v, want no match", text, e)
		}
	}
	// A rejected marker does not hide a later valid one.
	if e, ok := cxlerr.Parse("xcxl:BAD: no, then (cxl:CONFLICT: yes)"); !ok || e.Code != cxlerr.Conflict || e.Message != "yes)" {
		t.Fatalf("Parse = %+v, %v", e, ok)
	}
	// A code outside the vocabulary is Internal and keeps its name in the message.
	if e, ok := cxlerr.Parse("cxl:MOON_PHASE: wrong"); !ok || e.Code != cxlerr.Internal || e.Message != "MOON_PHASE: wrong" {
		t.Fatalf("Parse = %+v, %v", e, ok)
	}
}

func TestWireOfUncodedErrorIsInternal(t *testing.T) {
	err := cxlerr.Wire(io.EOF)
	if err.Error() != "cxl:INTERNAL: EOF" || !errors.Is(err, io.EOF) || cxlerr.CodeOf(err) != cxlerr.Internal {
		t.Fatalf("Wire(io.EOF) = %q", err)
	}
	if cxlerr.Wire(nil) != nil {
		t.Fatal("Wire(nil) is not nil")
	}
	twice := cxlerr.Wire(cxlerr.Wire(cxlerr.New(cxlerr.Forbidden, "no")))
	if twice.Error() != "cxl:FORBIDDEN: no" {
		t.Fatalf("Wire twice = %q", twice)
	}
}

func TestCodeOfAndUnwrap(t *testing.T) {
	notFound := cxlerr.Errorf(cxlerr.NotFound, "lot %q not found", "L1")
	for _, tc := range []struct {
		name string
		err  error
		want cxlerr.Code
	}{
		{"nil", nil, ""},
		{"plain", errors.New("boom"), cxlerr.Internal},
		{"coded", notFound, cxlerr.NotFound},
		{"wrapped by fmt", fmt.Errorf("context: %w", notFound), cxlerr.NotFound},
		{"recoded", cxlerr.Errorf(cxlerr.Conflict, "outer: %w", notFound), cxlerr.Conflict},
		{"on the wire", cxlerr.Wire(notFound), cxlerr.NotFound},
	} {
		if got := cxlerr.CodeOf(tc.err); got != tc.want {
			t.Errorf("%s: CodeOf = %q, want %q", tc.name, got, tc.want)
		}
	}
	wrapped := cxlerr.Errorf(cxlerr.Internal, "read: %w", io.ErrUnexpectedEOF)
	if !errors.Is(wrapped, io.ErrUnexpectedEOF) {
		t.Fatal("the %w cause is not reachable")
	}
	if e := cxlerr.New(cxlerr.Pending, "later").WithTransaction("tx1"); e.Error() != "PENDING: later (transaction tx1)" || !e.Retryable {
		t.Fatalf("pending = %q retryable=%v", e, e.Retryable)
	}
}

func TestCodesAreUniqueAndKnown(t *testing.T) {
	seen := map[cxlerr.Code]bool{}
	for _, c := range cxlerr.Codes() {
		if seen[c] || !c.Known() {
			t.Fatalf("code %q repeated or unknown", c)
		}
		seen[c] = true
	}
	if cxlerr.Code("NOPE").Known() {
		t.Fatal("an invented code is known")
	}
}
