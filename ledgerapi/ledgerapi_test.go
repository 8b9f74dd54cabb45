package ledgerapi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
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
		if !tc.ok && cxlerr.CodeOf(err) != cxlerr.Invalid {
			t.Errorf("ParsePosition(%q) error code %s, want INVALID", tc.in, cxlerr.CodeOf(err))
		}
	}
	if !(ledgerapi.Position{Block: 1, TxIndex: 9}).Before(ledgerapi.Position{Block: 2}) ||
		(ledgerapi.Position{Block: 2, TxIndex: 1}).Before(ledgerapi.Position{Block: 2, TxIndex: 1}) {
		t.Error("Before does not order by block, then index")
	}
}

func TestErrorSurvivesJSONAndWrapping(t *testing.T) {
	orig := cxlerr.Errorf(cxlerr.Unavailable, "peer %s down", "p0").WithTransaction("tx1")
	data, err := json.Marshal(orig)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != `{"code":"UNAVAILABLE","message":"peer p0 down","transactionId":"tx1","retryable":true}` {
		t.Fatalf("envelope %s", data)
	}
	var back cxlerr.Error
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	wrapped := fmt.Errorf("call: %w", &back)
	if cxlerr.CodeOf(wrapped) != cxlerr.Unavailable || cxlerr.From(wrapped).TransactionID != "tx1" {
		t.Fatalf("decoded error lost its code or transaction: %v", wrapped)
	}
	if cxlerr.CodeOf(errors.New("boom")) != cxlerr.Internal || cxlerr.CodeOf(nil) != "" {
		t.Fatal("plain errors must be INTERNAL and nil must have no code")
	}
	if cxlerr.Errorf(cxlerr.NotFound, "x").Retryable || !cxlerr.Errorf(cxlerr.Timeout, "x").Retryable {
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
		if cxlerr.CodeOf(ledgerapi.PingRequest{Nonce: n}.Validate()) != cxlerr.Invalid {
			t.Errorf("nonce %q accepted", n)
		}
	}
}

// TestProvenanceRequestsValidate: the provenance requests are the contract's own argument
// types, so Validate applies the contract's rules (all of them: a lot's unit, attributes,
// location and inputs included) before any ledger call, and a valid request passes.
func TestProvenanceRequestsValidate(t *testing.T) {
	lot := ledgerapi.Subject{Kind: "lot", GTIN: "09506000134352", Lot: "L1"}
	for _, tc := range []struct {
		name string
		req  any
		ok   bool
	}{
		{"product", &ledgerapi.RegisterProductRequest{GTIN: "9506000134352", Name: "Coffee"}, true},
		{"product bad check digit", &ledgerapi.RegisterProductRequest{GTIN: "09506000134353", Name: "Coffee"}, false},
		{"lot", &ledgerapi.RegisterLotRequest{GTIN: "09506000134352", Lot: "L1", Quantity: 5}, true},
		{"lot with a bad unit", &ledgerapi.RegisterLotRequest{GTIN: "09506000134352", Lot: "L1", Quantity: 5, Unit: "kg\u0000"}, false},
		{"lot with an unprintable location", &ledgerapi.RegisterLotRequest{GTIN: "09506000134352", Lot: "L1", Quantity: 5, Location: "dock\n4"}, false},
		{"lot with an empty attribute", &ledgerapi.RegisterLotRequest{GTIN: "09506000134352", Lot: "L1", Quantity: 5, Attributes: map[string]string{"origin": ""}}, false},
		{"lot made from itself", &ledgerapi.RegisterLotRequest{GTIN: "09506000134352", Lot: "L1", Quantity: 5, Inputs: []provenance.LotRef{{GTIN: "09506000134352", Lot: "L1"}}}, false},
		{"lot without quantity", &ledgerapi.RegisterLotRequest{GTIN: "09506000134352", Lot: "L1"}, false},
		{"items", &ledgerapi.RegisterItemsRequest{GTIN: "09506000134352", Lot: "L1", Serials: []string{"S1"}}, true},
		{"no items", &ledgerapi.RegisterItemsRequest{GTIN: "09506000134352", Lot: "L1"}, false},
		{"offer", &ledgerapi.OfferCustodyRequest{SubjectArgs: lot, To: "Org2MSP", Location: "dock 4"}, true},
		{"offer to an account", &ledgerapi.OfferCustodyRequest{SubjectArgs: lot, To: "Org2MSP/driver7", Location: "dock 4"}, true},
		{"offer without a location", &ledgerapi.OfferCustodyRequest{SubjectArgs: lot, To: "Org2MSP"}, false},
		{"offer to nobody", &ledgerapi.OfferCustodyRequest{SubjectArgs: lot}, false},
		{"custody of a product", &ledgerapi.CustodyRequest{SubjectArgs: ledgerapi.Subject{Kind: "product", GTIN: "09506000134352"}}, false},
		{"item with a lot", &ledgerapi.CustodyRequest{SubjectArgs: ledgerapi.Subject{Kind: "item", GTIN: "09506000134352", Lot: "L1", Serial: "S"}}, false},
		{"recall without reason", &ledgerapi.RecallLotRequest{GTIN: "09506000134352", Lot: "L1"}, false},
		{"history of lot custody", &ledgerapi.HistoryRequest{SubjectArgs: ledgerapi.Subject{Kind: "lot-custody", GTIN: "09506000134352", Lot: "L1"}}, true},
		{"verify", &ledgerapi.VerifyRequest{GTIN: "09506000134352", Serial: "SN-1"}, true},
		{"role", &ledgerapi.RoleRequest{MSP: "Org2MSP", Role: "carrier"}, true},
		{"unknown role", &ledgerapi.RoleRequest{MSP: "Org2MSP", Role: "king"}, false},
	} {
		err := ledgerapi.Validate(tc.req)
		if tc.ok != (err == nil) {
			t.Errorf("%s: %v", tc.name, err)
		}
		if err != nil && cxlerr.CodeOf(err) != cxlerr.Invalid {
			t.Errorf("%s: code %s, want INVALID", tc.name, cxlerr.CodeOf(err))
		}
	}
}

// TestContractRequestsValidate: the orders, loyalty and care requests are checked by the
// contracts' own rules through Validate, whose errors are INVALID *Errors that never quote
// personal data.
func TestContractRequestsValidate(t *testing.T) {
	salt := []byte("0123456789abcdef")
	open := care.OpenTicketArgs{ID: "T1", Merchant: "Org2MSP", Category: "delivery", Priority: "high"}
	for _, tc := range []struct {
		name string
		req  any
		ok   bool
	}{
		{"order", &ledgerapi.PlaceOrderRequest{ID: "o1", Merchant: "Org1MSP", Amount: 5, Currency: "EUR", Deadline: time.Now(), Items: []orders.OrderItem{{SKU: "a", Quantity: 1}}}, true},
		{"order without items", &ledgerapi.PlaceOrderRequest{ID: "o1", Merchant: "Org1MSP", Amount: 5, Currency: "EUR", Deadline: time.Now()}, false},
		{"refund reason as text", &ledgerapi.RefundRequest{ID: "o1", RefundID: "r1", Reason: "Free text"}, false},
		{"earn", &ledgerapi.EarnRequest{Program: "beans", ID: "e1", Account: "Org1MSP/User2", Points: 5}, true},
		{"earn nothing", &ledgerapi.EarnRequest{Program: "beans", ID: "e1", Account: "Org1MSP/User2"}, false},
		{"ticket", &ledgerapi.OpenTicketRequest{OpenTicketArgs: open, Personal: ledgerapi.Personal{Salt: salt, Message: "secret help", Contact: "secret@example.com"}}, true},
		{"ticket without message", &ledgerapi.OpenTicketRequest{OpenTicketArgs: open, Personal: ledgerapi.Personal{Salt: salt, Contact: "secret@example.com"}}, false},
		{"ticket without salt", &ledgerapi.OpenTicketRequest{OpenTicketArgs: open, Personal: ledgerapi.Personal{Message: "secret help"}}, false},
		{"ticket with a bad priority", &ledgerapi.OpenTicketRequest{OpenTicketArgs: care.OpenTicketArgs{ID: "T1", Merchant: "Org2MSP", Category: "delivery", Priority: "asap"}, Personal: ledgerapi.Personal{Salt: salt, Message: "secret help"}}, false},
		{"response", &ledgerapi.RespondTicketRequest{IDArgs: care.IDArgs{ID: "T1"}, Personal: ledgerapi.Personal{Salt: salt, Message: "secret answer"}}, true},
		{"response with contact", &ledgerapi.RespondTicketRequest{IDArgs: care.IDArgs{ID: "T1"}, Personal: ledgerapi.Personal{Salt: salt, Message: "secret", Contact: "secret@example.com"}}, false},
		{"resolution without message", &ledgerapi.TicketStepRequest{IDArgs: care.IDArgs{ID: "T1"}}, true},
		{"resolution with a salt alone", &ledgerapi.TicketStepRequest{IDArgs: care.IDArgs{ID: "T1"}, Personal: &ledgerapi.Personal{Salt: salt}}, false},
	} {
		err := ledgerapi.Validate(tc.req)
		if tc.ok != (err == nil) {
			t.Errorf("%s: %v", tc.name, err)
		}
		var e *cxlerr.Error
		if err != nil && (!errors.As(err, &e) || e.Code != cxlerr.Invalid || strings.Contains(e.Message, "secret")) {
			t.Errorf("%s: %#v, want an INVALID *Error without the data", tc.name, err)
		}
	}
}
