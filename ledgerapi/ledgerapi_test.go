package ledgerapi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/cxledger/cxledger/ledgerapi"
)

func TestParsePosition(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ledgerapi.Position
		ok   bool
	}{
		{"12:3", ledgerapi.Position{Block: 12, TxIndex: 3}, true},
		{"0:0", ledgerapi.Position{}, true},
		{"12", ledgerapi.Position{}, false},
		{"12:-1", ledgerapi.Position{}, false},
		{"a:1", ledgerapi.Position{}, false},
		{"", ledgerapi.Position{}, false},
	} {
		got, err := ledgerapi.ParsePosition(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParsePosition(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if tc.ok && got.String() != tc.in {
			t.Errorf("%v renders as %q, want %q", got, got.String(), tc.in)
		}
		if !tc.ok && ledgerapi.ErrorCode(err) != ledgerapi.Invalid {
			t.Errorf("ParsePosition(%q) error code %s, want INVALID", tc.in, ledgerapi.ErrorCode(err))
		}
	}
	if !(ledgerapi.Position{Block: 1, TxIndex: 9}).Before(ledgerapi.Position{Block: 2}) ||
		(ledgerapi.Position{Block: 2, TxIndex: 1}).Before(ledgerapi.Position{Block: 2, TxIndex: 1}) {
		t.Error("Before does not order by block, then index")
	}
}

func TestErrorSurvivesJSONAndWrapping(t *testing.T) {
	orig := ledgerapi.Errorf(ledgerapi.Unavailable, "peer %s down", "p0").WithTransaction("tx1")
	data, err := json.Marshal(orig)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != `{"code":"UNAVAILABLE","message":"peer p0 down","transactionId":"tx1","retryable":true}` {
		t.Fatalf("envelope %s", data)
	}
	var back ledgerapi.Error
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	wrapped := fmt.Errorf("call: %w", &back)
	if ledgerapi.ErrorCode(wrapped) != ledgerapi.Unavailable || ledgerapi.AsError(wrapped).TransactionID != "tx1" {
		t.Fatalf("decoded error lost its code or transaction: %v", wrapped)
	}
	if ledgerapi.ErrorCode(errors.New("boom")) != ledgerapi.Internal || ledgerapi.ErrorCode(nil) != "" {
		t.Fatal("plain errors must be INTERNAL and nil must have no code")
	}
	if ledgerapi.Errorf(ledgerapi.NotFound, "x").Retryable || !ledgerapi.Errorf(ledgerapi.Timeout, "x").Retryable {
		t.Fatal("default retryability wrong")
	}
}

func TestEventQueryMatches(t *testing.T) {
	e := ledgerapi.Event{Contract: "provenance", Type: "LotRecalled"}
	for _, tc := range []struct {
		q    ledgerapi.EventQuery
		want bool
	}{
		{ledgerapi.EventQuery{}, true},
		{ledgerapi.EventQuery{Contract: "provenance"}, true},
		{ledgerapi.EventQuery{Contract: "health"}, false},
		{ledgerapi.EventQuery{Types: []string{"X", "LotRecalled"}}, true},
		{ledgerapi.EventQuery{Contract: "provenance", Types: []string{"X"}}, false},
	} {
		if got := tc.q.Matches(e); got != tc.want {
			t.Errorf("%+v matches = %v, want %v", tc.q, got, tc.want)
		}
	}
}

func TestPingRequestValidate(t *testing.T) {
	if err := (ledgerapi.PingRequest{Nonce: "n1"}).Validate(); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"", string(make([]byte, 129)), "\xff"} {
		if ledgerapi.ErrorCode(ledgerapi.PingRequest{Nonce: n}.Validate()) != ledgerapi.Invalid {
			t.Errorf("nonce %q accepted", n)
		}
	}
}
