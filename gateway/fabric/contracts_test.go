package fabric

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cxledger/cxledger/carecrypt"
	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// TestTransportCarriesTheOperation: an operation is called by its qualified name with the
// request as its one JSON argument, and the contract's result comes back byte for byte,
// from a transaction and from a query.
func TestTransportCarriesTheOperation(t *testing.T) {
	pki := newTestPKI(t)
	// Spacing, key order and a field no Go type has: none of it may be lost.
	const result = `{ "state":"placed",  "id":"o-1","extra":[1, 2.50,"\u00e9"] }`
	fake, p := startFakePeer(t, pki, result)
	c := newTestClient(t, p)
	tr, err := c.Transport("user", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	req := ledgerapi.PlaceOrderRequest{ID: "o-1", Merchant: "Org2MSP", Amount: 500, Currency: "EUR",
		Deadline: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Items: []orders.OrderItem{{SKU: "mug", Quantity: 1}}}
	got, err := tr.Submit(ctx, &ledgerapi.OrdersPlace.Operation, &req)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Result, []byte(result)) || got.TransactionID == "" || got.BlockNumber != 7 {
		t.Fatalf("committed %+v, result %s", got, got.Result)
	}
	raw, err := tr.Evaluate(ctx, &ledgerapi.OrdersGetOrder.Operation, &ledgerapi.OrderRequest{ID: "o-1"})
	if err != nil || !bytes.Equal(raw, []byte(result)) {
		t.Fatalf("evaluated %s, %v", raw, err)
	}
	sent := fake.sent()
	if len(sent) != 2 || sent[0].err != nil || len(sent[0].args) != 2 || sent[0].args[0] != "orders:Place" ||
		sent[1].args[0] != "orders:GetOrder" || sent[1].args[1] != `{"id":"o-1"}` || len(sent[0].transient) != 0 || len(sent[0].orgs) != 0 {
		t.Fatalf("sent %+v", sent)
	}
	var arg ledgerapi.PlaceOrderRequest
	if err := json.Unmarshal([]byte(sent[0].args[1]), &arg); err != nil || arg.ID != req.ID || !arg.Deadline.Equal(req.Deadline) {
		t.Fatalf("argument %s: %v", sent[0].args[1], err)
	}

	// The ledger over the session validates before anything is sent; the session itself
	// trusts its caller to have done so.
	l, err := c.Ledger("user", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Currency = "euro"
	if _, err := l.Orders().Place(ctx, req); cxlerr.CodeOf(err) != cxlerr.Invalid {
		t.Fatalf("invalid currency through the ledger: %v", err)
	}
	if n := len(fake.sent()); n != 2 {
		t.Fatalf("an invalid request reached the peer through the ledger (%d proposals)", n)
	}
	if _, err := tr.Submit(ctx, &ledgerapi.OrdersPlace.Operation, &req); err != nil {
		t.Fatalf("the session validated again: %v", err)
	}

	// A function without argument is called with none, with or without a request.
	for _, req := range []any{nil, &ledgerapi.NoArgs{}} {
		if _, err := tr.Evaluate(ctx, &ledgerapi.OrdersCurrencies.Operation, req); err != nil {
			t.Fatal(err)
		}
		if sp := fake.sent()[len(fake.sent())-1]; !slices.Equal(sp.args, []string{"orders:Currencies"}) {
			t.Fatalf("sent %q", sp.args)
		}
	}
}

// TestTransportRefusesMisuse: an operation that is not of the kind asked for, of an
// unknown kind, or with a request that is not a pointer to its request type, is refused
// before anything reaches a peer, and the refusal says which operation.
func TestTransportRefusesMisuse(t *testing.T) {
	pki := newTestPKI(t)
	fake, p := startFakePeer(t, pki, `{}`)
	tr, err := newTestClient(t, p).Transport("user", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	place := &ledgerapi.OrdersPlace.Operation
	unknown := *place
	unknown.Kind = ledgerapi.Kind(42)
	submit := func(op *ledgerapi.Operation, req any) error {
		_, err := tr.Submit(ctx, op, req)
		return err
	}
	evaluate := func(op *ledgerapi.Operation, req any) error {
		_, err := tr.Evaluate(ctx, op, req)
		return err
	}
	for _, tc := range []struct {
		name string
		err  error
		code cxlerr.Code
	}{
		{"no operation", submit(nil, &ledgerapi.OrderRequest{ID: "o"}), cxlerr.Internal},
		{"unknown kind", submit(&unknown, &ledgerapi.PlaceOrderRequest{ID: "o"}), cxlerr.Internal},
		{"unknown kind evaluated", evaluate(&unknown, &ledgerapi.PlaceOrderRequest{ID: "o"}), cxlerr.Internal},
		{"query submitted", submit(&ledgerapi.OrdersGetOrder.Operation, &ledgerapi.OrderRequest{ID: "o"}), cxlerr.Internal},
		{"transaction evaluated", evaluate(place, &ledgerapi.PlaceOrderRequest{ID: "o"}), cxlerr.Internal},
		{"nil request", submit(place, nil), cxlerr.Invalid},
		{"nil pointer", submit(place, (*ledgerapi.PlaceOrderRequest)(nil)), cxlerr.Invalid},
		{"request by value", submit(place, ledgerapi.PlaceOrderRequest{ID: "o"}), cxlerr.Invalid},
		{"another operation's request", submit(place, &ledgerapi.OrderRequest{ID: "o"}), cxlerr.Invalid},
		{"nil request of a care step", submit(&ledgerapi.CareRespondTicket.Operation, nil), cxlerr.Invalid},
		{"nil request of a query", evaluate(&ledgerapi.CareGetTicket.Operation, nil), cxlerr.Invalid},
	} {
		if cxlerr.CodeOf(tc.err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, tc.err, tc.code)
		}
		if tc.err != nil && tc.name != "no operation" && !strings.Contains(tc.err.Error(), ".") {
			t.Errorf("%s: %v does not name the operation", tc.name, tc.err)
		}
	}
	if calls := fake.log(); len(calls) != 0 {
		t.Fatalf("a refused call reached the peer: %v", calls)
	}

	// A lookup the call needs fails: nothing is submitted, and the lookup's code stays.
	fake.evaluate = func() (*gateway.EvaluateResponse, error) {
		return nil, status.Error(codes.Unknown, "evaluate call to endorser returned error: chaincode response 500, cxl:NOT_FOUND: ticket T9 not found")
	}
	_, err = tr.Submit(ctx, &ledgerapi.CareRespondTicket.Operation, &ledgerapi.RespondTicketRequest{
		IDArgs: care.IDArgs{ID: "T9"}, Personal: ledgerapi.Personal{Salt: []byte("0123456789abcdef"), Message: "m"}})
	if cxlerr.CodeOf(err) != cxlerr.NotFound || !strings.Contains(err.Error(), "care.RespondTicket") {
		t.Fatalf("a step on an unknown ticket: %v", err)
	}
	if calls := fake.log(); !slices.Equal(calls, []string{"evaluate"}) {
		t.Fatalf("peer calls %v: want the lookup only", calls)
	}
}

// TestEndorsers: the caller's organisation first when it is a party, then the parties,
// each once; a transaction with one organisation gets the first other organisation the
// Client knows, a query does not; no parties leaves the choice to the Fabric Gateway.
func TestEndorsers(t *testing.T) {
	pki := newTestPKI(t)
	_, p := startFakePeer(t, pki, `{}`)
	c, err := NewClient("ch", "cc", []Peer{p}, map[string]Identity{
		"a": newTestIdentity(t, "Org2MSP"), "b": newTestIdentity(t, "Org1MSP"), "c": newTestIdentity(t, "Org3MSP"),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s, err := c.session("a", nil)
	if err != nil {
		t.Fatal(err)
	}
	sub, eval := ledgerapi.Submit, ledgerapi.Evaluate
	for _, tc := range []struct {
		name string
		kind ledgerapi.Kind
		cc   ledgerapi.ChaincodeCall
		want []string
	}{
		{"no parties", sub, ledgerapi.ChaincodeCall{}, nil},
		{"caller and merchant", sub, ledgerapi.ChaincodeCall{CallerParty: true, Parties: []string{"Org3MSP"}}, []string{"Org2MSP", "Org3MSP"}},
		{"caller alone, topped up with the first other", sub, ledgerapi.ChaincodeCall{CallerParty: true}, []string{"Org2MSP", "Org1MSP"}},
		{"caller's own query", eval, ledgerapi.ChaincodeCall{CallerParty: true}, []string{"Org2MSP"}},
		{"caller is the merchant", sub, ledgerapi.ChaincodeCall{CallerParty: true, Parties: []string{"Org2MSP"}}, []string{"Org2MSP", "Org1MSP"}},
		{"customer and merchant of one organisation", sub, ledgerapi.ChaincodeCall{Parties: []string{"Org3MSP", "Org3MSP"}}, []string{"Org3MSP", "Org1MSP"}},
		{"the top-up is the first organisation that is not the party", sub, ledgerapi.ChaincodeCall{Parties: []string{"Org1MSP"}}, []string{"Org1MSP", "Org2MSP"}},
		{"two parties in their order", sub, ledgerapi.ChaincodeCall{Parties: []string{"Org3MSP", "Org1MSP", "Org3MSP"}}, []string{"Org3MSP", "Org1MSP"}},
		{"an organisation the Client does not know", sub, ledgerapi.ChaincodeCall{Parties: []string{"Org9MSP"}}, []string{"Org9MSP", "Org1MSP"}},
		{"empty parties are none", sub, ledgerapi.ChaincodeCall{Parties: []string{""}}, nil},
	} {
		if got := s.endorsers(tc.kind, &tc.cc, "Org2MSP"); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	// A Client of one organisation has nobody to add.
	one := newTestClient(t, p)
	s1, err := one.session("user", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := s1.endorsers(sub, &ledgerapi.ChaincodeCall{CallerParty: true}, "Org1MSP"); !slices.Equal(got, []string{"Org1MSP"}) {
		t.Fatalf("one organisation: %v", got)
	}
}

// TestCarePersonalDataIsTransient: personal data reaches the peers as transient data only,
// never in the function's argument or anywhere else in the proposal; a submission carrying it is endorsed by the customer's
// and the merchant's organisations, looked up from the order or the ticket (one more
// organisation when they are the same); personal data is read on the caller's own
// organisation's peers; a review's seed is fresh random transient data.
func TestCarePersonalDataIsTransient(t *testing.T) {
	pki := newTestPKI(t)
	fake, p := startFakePeer(t, pki, `{"id":"T1","state":"open"}`)
	var evaluated string
	fake.evaluate = func() (*gateway.EvaluateResponse, error) {
		return &gateway.EvaluateResponse{Result: &peer.Response{Status: 200, Payload: []byte(evaluated)}}, nil
	}
	c, err := NewClient("ch", "cc", []Peer{p}, map[string]Identity{
		"customer": newTestIdentity(t, "Org1MSP"), "shop": newTestIdentity(t, "Org2MSP"), "other": newTestIdentity(t, "Org3MSP"),
	}, WithTimeouts(Timeouts{Evaluate: 2 * time.Second, Endorse: 2 * time.Second, Submit: 2 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	as := func(name string) ledgerapi.Care {
		l, err := c.Ledger(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		return l.Care()
	}
	ctx := context.Background()
	salt := []byte("0123456789abcdef-salt")
	const message, contact = "secret message", "secret contact"
	last := func() sentProposal {
		t.Helper()
		sent := fake.sent()
		if len(sent) == 0 || sent[len(sent)-1].err != nil {
			t.Fatalf("sent %+v", sent)
		}
		return sent[len(sent)-1]
	}
	checkPersonal := func(what string, sp sentProposal, wantOrgs []string, keys ...string) {
		t.Helper()
		if !slices.Equal(sp.orgs, wantOrgs) {
			t.Errorf("%s endorsed by %v, want %v", what, sp.orgs, wantOrgs)
		}
		if strings.Contains(strings.Join(sp.args, " "), "secret") || bytes.Contains(sp.public, []byte("secret")) || len(sp.public) == 0 {
			t.Errorf("%s: personal data outside the transient data: arguments %q", what, sp.args)
		}
		var got []string
		for k := range sp.transient {
			got = append(got, k)
		}
		slices.Sort(got)
		if !slices.Equal(got, keys) {
			t.Errorf("%s: transient keys %v, want %v", what, got, keys)
		}
	}

	// The merchant's unused ticket keys (the order's lookup reads the same answer).
	priv, err := carecrypt.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pub := carecrypt.EncodePublicKey(priv.PublicKey())
	evaluated = `{"id":"O1","merchant":"Org2MSP","keys":[{"merchant":"Org2MSP","id":"k1","publicKey":"` + pub + `","status":"unused"}]}`
	_, err = as("customer").OpenTicket(ctx, ledgerapi.OpenTicketRequest{
		OpenTicketArgs: care.OpenTicketArgs{ID: "T1", Merchant: "Org2MSP", Category: "delivery", Priority: "high"},
		Personal:       ledgerapi.Personal{Salt: salt, Message: message, Contact: contact},
	})
	if err != nil {
		t.Fatal(err)
	}
	sp := last()
	checkPersonal("a ticket opened", sp, []string{"Org1MSP", "Org2MSP"}, "contact", "contactHash", "key", "message", "messageHash")
	for k, v := range sp.transient {
		if bytes.Contains(v, []byte("secret")) || bytes.Contains(v, salt) {
			t.Fatalf("transient %s holds personal data in clear", k)
		}
	}
	if _, text, err := carecrypt.Open(priv, carecrypt.Context{Merchant: "Org2MSP", KeyID: "k1", Ticket: "T1", Field: "message", Step: 1}, sp.transient["message"]); err != nil || text != message {
		t.Fatalf("the sealed message opens to %q: %v", text, err)
	}

	if _, err := as("customer").OpenTicket(ctx, ledgerapi.OpenTicketRequest{
		OpenTicketArgs: care.OpenTicketArgs{ID: "T2", OrderID: "O1", Category: "delivery", Priority: "high"},
		Personal:       ledgerapi.Personal{Salt: salt, Message: message},
	}); err != nil {
		t.Fatal(err)
	}
	sent := fake.sent()
	if lookup := sent[len(sent)-3]; lookup.args[0] != "orders:GetOrder" {
		t.Fatalf("the order was not looked up: %+v", lookup)
	}
	checkPersonal("a ticket about an order", last(), []string{"Org1MSP", "Org2MSP"}, "key", "message", "messageHash")

	evaluated = `{"ticket":{"id":"T3","customer":"Org2MSP/User9","merchant":"Org2MSP","key":"k1","publicKey":"` + pub + `"}}`
	if _, err := as("shop").RespondTicket(ctx, ledgerapi.RespondTicketRequest{IDArgs: care.IDArgs{ID: "T3"}, Personal: ledgerapi.Personal{Salt: salt, Message: message}}); err != nil {
		t.Fatal(err)
	}
	checkPersonal("a response to a customer of the merchant's own organisation", last(), []string{"Org2MSP", "Org1MSP"}, "key", "message", "messageHash")
	if _, err := as("shop").ResolveTicket(ctx, ledgerapi.TicketStepRequest{IDArgs: care.IDArgs{ID: "T3"}}); err != nil {
		t.Fatal(err)
	}
	checkPersonal("a resolution without a message", last(), nil)

	evaluated = `{"ticket":"T3","merchant":"Org2MSP","sealed":[]}`
	n0 := len(fake.sent())
	if _, err := as("shop").GetTicketPersonalData(ctx, ledgerapi.TicketRequest{ID: "T3"}); cxlerr.CodeOf(err) != cxlerr.Forbidden || len(fake.sent()) != n0 {
		t.Fatalf("personal data read without a vault: %v", err)
	}
	if _, err := as("shop").GetTicketPersonalData(ledgerapi.WithVault(ctx), ledgerapi.TicketRequest{ID: "T3"}); err != nil {
		t.Fatal(err)
	}
	if sp := last(); sp.args[0] != "care:GetTicketPersonalData" || !slices.Equal(sp.orgs, []string{"Org2MSP"}) {
		t.Fatalf("personal data read from %v: %+v", sp.orgs, sp)
	}

	if _, err := as("customer").PostReview(ctx, ledgerapi.PostReviewRequest{OrderID: "O1", Rating: 5, Text: "Good"}); err != nil {
		t.Fatal(err)
	}
	sp = last()
	checkPersonal("a review", sp, nil, "salt")
	if len(sp.transient["salt"]) != 32 {
		t.Fatalf("review seed of %d bytes", len(sp.transient["salt"]))
	}

	n := len(fake.sent())
	_, err = as("shop").RespondTicket(ctx, ledgerapi.RespondTicketRequest{IDArgs: care.IDArgs{ID: "T3"}, Personal: ledgerapi.Personal{Salt: salt, Contact: contact}})
	if e := cxlerr.From(err); e.Code != cxlerr.Invalid || strings.Contains(e.Message, "secret") || len(fake.sent()) != n {
		t.Fatalf("a response without a message: %+v, %d calls", e, len(fake.sent())-n)
	}
}
