//go:build integration

package test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/ledgerapi"
)

// TestGatewayDeliveryByHandover: an order naming a lot as its shipment is delivered by the
// customer's acceptance of the lot from the order's carrier, through the service: the
// escrow reaches the merchant in the acceptance's own transaction, so in its block, and a
// later confirmation finds the order delivered. Org1MSP is the brand and the merchant,
// Org2MSP the carrier, Org2MSP/User2 the customer.
func TestGatewayDeliveryByHandover(t *testing.T) {
	g := gwStart(t)
	run := fmt.Sprintf("%010d", time.Now().UnixNano()%1e10)
	gtin, lot, id := gwGTIN(run+"03"), "DL"+run[4:], "gw-ship-"+gwRun()
	const brand, merchant, carrier, customer = "org1-user1", "org1-user1", "org2-user1", "org2-user2"
	account := gwAccount(t, "Org2MSP", "User2")
	code := gwFund(t, g, account, 5_000)

	g.post(t, "/v1/provenance/products", brand, map[string]any{"gtin": gtin, "name": "Delivered kettle"}, 200)
	g.post(t, "/v1/provenance/lots", brand, map[string]any{"gtin": gtin, "lot": lot, "quantity": 1}, 200)
	subject := map[string]any{"kind": "lot", "gtin": gtin, "lot": lot}
	offer := func(to, location string) map[string]any {
		return map[string]any{"kind": "lot", "gtin": gtin, "lot": lot, "to": to, "location": location}
	}
	g.post(t, "/v1/provenance/custody/offers", brand, offer("Org2MSP", "warehouse"), 200)
	g.post(t, "/v1/provenance/custody/acceptances", carrier, subject, 200)

	balance := func() int64 {
		t.Helper()
		var b orders.SettlementBalance
		gwDecode(t, g.get(t, "/v1/orders/balance?account=Org1MSP&currency="+code, merchant, 200).body, &b)
		return int64(b.Balance)
	}
	place := map[string]any{"id": id, "merchant": "Org1MSP", "amount": 2_000, "currency": code, "carrier": "Org2MSP",
		"deadline": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "items": []map[string]any{{"sku": "kettle", "quantity": 1}},
		"shipment": map[string]any{"gtin": gtin, "lot": "NO" + lot}}
	g.post(t, "/v1/orders/orders", customer, place, 404)
	place["shipment"] = map[string]any{"gtin": gtin, "lot": lot}
	var o orders.Order
	gwDecode(t, g.post(t, "/v1/orders/orders", customer, place, 200).committed(t).Result, &o)
	if o.State != orders.StatePlaced || o.Shipment == nil || o.Shipment.Lot != lot {
		t.Fatalf("placed %+v", o)
	}
	before := balance()

	g.post(t, "/v1/provenance/custody/offers", carrier, offer(account, "front door"), 200)
	accepted := g.post(t, "/v1/provenance/custody/acceptances", customer, subject, 200).committed(t)
	var custody provenance.Custody
	gwDecode(t, accepted.Result, &custody)
	want := provenance.Delivery{Order: id, Released: true, Amount: 2_000, Currency: code}
	if custody.Holder != account || custody.Delivery == nil || *custody.Delivery != want {
		t.Fatalf("acceptance %+v, delivery %+v", custody, custody.Delivery)
	}

	gwDecode(t, g.get(t, "/v1/orders/orders/"+id, customer, 200).body, &o)
	if o.State != orders.StateDelivered || o.Released != 2_000 || o.UpdatedTx != accepted.TransactionID {
		t.Fatalf("order after the acceptance %+v (acceptance %s)", o, accepted.TransactionID)
	}
	var st ledgerapi.TransactionStatus
	gwDecode(t, g.get(t, "/v1/transactions/"+o.UpdatedTx, customer, 200).body, &st)
	if st.BlockNumber != accepted.BlockNumber || st.ValidationCode != "VALID" {
		t.Fatalf("the delivery's transaction %+v, the acceptance's block %d", st, accepted.BlockNumber)
	}
	if after := balance(); after != before+2_000 {
		t.Fatalf("merchant balance %d, want %d + 2000", after, before)
	}
	r := g.post(t, "/v1/orders/deliveries", customer, map[string]string{"id": id}, 409)
	if !strings.Contains(string(r.body), "delivered") {
		t.Fatalf("second delivery: %s", r.body)
	}
	if after := balance(); after != before+2_000 {
		t.Fatalf("merchant balance %d after the refused confirmation, want %d", after, before+2_000)
	}
}
