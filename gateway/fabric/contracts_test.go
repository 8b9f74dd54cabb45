package fabric

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// TestContractCallsCarryTheRequest: a contract function is called by its qualified name
// with the request as its one JSON argument, and an invalid request reaches no peer.
func TestContractCallsCarryTheRequest(t *testing.T) {
	pki := newTestPKI(t)
	fake, p := startFakePeer(t, pki, `{"id":"o-1","state":"placed"}`)
	l := session(t, newTestClient(t, p), nil)
	req := ledgerapi.PlaceOrderRequest{ID: "o-1", Merchant: "Org2MSP", Amount: 500, Currency: "EUR",
		Deadline: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Items: []orders.OrderItem{{SKU: "mug", Quantity: 1}}}
	got, err := l.Orders().Place(context.Background(), req)
	if err != nil || got.Result.ID != "o-1" || got.Result.State != orders.StatePlaced {
		t.Fatalf("place: %+v %v", got, err)
	}
	if _, err := l.Orders().GetOrder(context.Background(), ledgerapi.OrderRequest{ID: "o-1"}); err != nil {
		t.Fatal(err)
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
	req.Currency = "euro"
	if _, err := l.Orders().Place(context.Background(), req); cxlerr.CodeOf(err) != cxlerr.Invalid {
		t.Fatalf("invalid currency: %v", err)
	}
	if n := len(fake.sent()); n != 2 {
		t.Fatalf("an invalid request reached the peer (%d proposals)", n)
	}
}

// TestCarePersonalDataIsTransient: personal data reaches the peers as transient data only,
// never in the function's argument; a submission carrying it is endorsed by the customer's
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
		if strings.Contains(strings.Join(sp.args, " "), "secret") {
			t.Errorf("%s: personal data in the arguments %q", what, sp.args)
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

	_, err = as("customer").OpenTicket(ctx, ledgerapi.OpenTicketRequest{
		OpenTicketArgs: care.OpenTicketArgs{ID: "T1", Merchant: "Org2MSP", Category: "delivery", Priority: "high"},
		Personal:       ledgerapi.Personal{Salt: salt, Message: message, Contact: contact},
	})
	if err != nil {
		t.Fatal(err)
	}
	sp := last()
	checkPersonal("a ticket opened", sp, []string{"Org1MSP", "Org2MSP"}, "contact", "message", "salt")
	if string(sp.transient["message"]) != message || string(sp.transient["contact"]) != contact || string(sp.transient["salt"]) != string(salt) {
		t.Fatalf("transient %q", sp.transient)
	}

	evaluated = `{"id":"O1","merchant":"Org2MSP"}`
	if _, err := as("customer").OpenTicket(ctx, ledgerapi.OpenTicketRequest{
		OpenTicketArgs: care.OpenTicketArgs{ID: "T2", OrderID: "O1", Category: "delivery", Priority: "high"},
		Personal:       ledgerapi.Personal{Salt: salt, Message: message},
	}); err != nil {
		t.Fatal(err)
	}
	sent := fake.sent()
	if lookup := sent[len(sent)-2]; lookup.args[0] != "orders:GetOrder" {
		t.Fatalf("the order was not looked up: %+v", lookup)
	}
	checkPersonal("a ticket about an order", last(), []string{"Org1MSP", "Org2MSP"}, "message", "salt")

	evaluated = `{"ticket":{"id":"T3","customer":"Org2MSP/User9","merchant":"Org2MSP"}}`
	if _, err := as("shop").RespondTicket(ctx, ledgerapi.RespondTicketRequest{IDArgs: care.IDArgs{ID: "T3"}, Personal: ledgerapi.Personal{Salt: salt, Message: message}}); err != nil {
		t.Fatal(err)
	}
	checkPersonal("a response to a customer of the merchant's own organisation", last(), []string{"Org2MSP", "Org1MSP"}, "message", "salt")
	if _, err := as("shop").ResolveTicket(ctx, ledgerapi.TicketStepRequest{IDArgs: care.IDArgs{ID: "T3"}}); err != nil {
		t.Fatal(err)
	}
	checkPersonal("a resolution without a message", last(), nil)

	evaluated = `{"ticket":"T3","merchant":"Org2MSP","texts":[]}`
	if _, err := as("shop").GetTicketPersonalData(ctx, ledgerapi.TicketRequest{ID: "T3"}); err != nil {
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
