package fabric

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/orders"
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
	if _, err := l.Orders().Place(context.Background(), req); ledgerapi.ErrorCode(err) != ledgerapi.Invalid {
		t.Fatalf("invalid currency: %v", err)
	}
	if n := len(fake.sent()); n != 2 {
		t.Fatalf("an invalid request reached the peer (%d proposals)", n)
	}
}
