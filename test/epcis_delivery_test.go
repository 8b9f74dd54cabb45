//go:build integration

package test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/epcis"
	"github.com/cxledger/cxledger/chaincode/loyalty"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/gateway/store"
	"github.com/cxledger/cxledger/gs1"
)

// epcisReceiving is an EPCIS document of one receiving ObjectEvent at minute min naming
// order id as its purchase order, delivered to party, of the lot class lotClass.
func epcisReceiving(min int, id, party, lotClass string) string {
	ev := fmt.Sprintf(`{"type":"ObjectEvent","eventTime":"2026-03-05T10:%02d:00Z","eventTimeZoneOffset":"+00:00",
	  "quantityList":[{"epcClass":%q,"quantity":1}],"action":"OBSERVE","bizStep":"receiving","disposition":"in_progress",
	  "bizTransactionList":[{"type":"urn:epcglobal:cbv:btt:po","bizTransaction":%q}],
	  "destinationList":[{"type":"possessing_party","destination":%q}]}`, min, lotClass, epcis.OrderURI(id), epcis.PartyURI(party))
	return `{"@context":"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld","type":"EPCISDocument","schemaVersion":"2.0",
	  "creationDate":"2026-03-05T10:00:00Z","epcisBody":{"eventList":[` + ev + `]}}`
}

// TestEPCISProofOfDelivery: the carrier's receiving event, captured through the gateway's
// /epcis/capture, naming the order at its customer with the order's lot, delivers the
// order in the capture's transaction: the merchant is paid, the customer earns points, the
// capture job says so. Events that do not match (another lot, captured by the merchant)
// are recorded and release nothing, the job says why; the same event again, another
// receiving event and the customer's confirmation change nothing. Org1MSP is the brand,
// the merchant and the EUR issuer, Org2MSP the carrier, Org2MSP/User2 the customer.
func TestEPCISProofOfDelivery(t *testing.T) {
	g := gwStart(t)
	run := fmt.Sprintf("%010d", time.Now().UnixNano()%1e10)
	gtin, lot, other, id := gwGTIN(run+"31"), "PD"+run[4:], "PX"+run[4:], "pod-"+gwRun()
	const brand, merchant, carrier, customer = "org1-user1", "org1-user1", "org2-user1", "org2-user2"
	account := gwAccount(t, "Org2MSP", "User2")
	ensureEUR(t)
	program := loyaltyProgram(t, loyaltyAs(t, "Org1MSP", "User1", loyalty.Name), loyaltyAs(t, "Org2MSP", "User1", loyalty.Name))
	g.post(t, "/v1/orders/deposits", "org1-admin", map[string]any{"ref": "pod-" + run, "currency": "EUR",
		"credits": []map[string]any{{"account": account, "amount": 5_000}}}, 200)

	g.post(t, "/v1/provenance/products", brand, map[string]any{"gtin": gtin, "name": "Proof-of-delivery kettle"}, 200)
	for _, l := range []string{lot, other} {
		g.post(t, "/v1/provenance/lots", brand, map[string]any{"gtin": gtin, "lot": l, "quantity": 1}, 200)
		g.post(t, "/v1/provenance/custody/offers", brand, map[string]any{"kind": "lot", "gtin": gtin, "lot": l, "to": "Org2MSP", "location": "warehouse"}, 200)
		g.post(t, "/v1/provenance/custody/acceptances", carrier, map[string]any{"kind": "lot", "gtin": gtin, "lot": l}, 200)
	}
	place := map[string]any{"id": id, "merchant": "Org1MSP", "amount": 2_000, "currency": "EUR", "carrier": "Org2MSP",
		"deadline": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "items": []map[string]any{{"sku": "kettle", "quantity": 1}},
		"shipment": map[string]any{"gtin": gtin, "lot": lot}}
	g.post(t, "/v1/orders/orders", customer, place, 200)

	balance := func() int64 {
		t.Helper()
		var b orders.SettlementBalance
		gwDecode(t, g.get(t, "/v1/orders/balance?account=Org1MSP&currency=EUR", merchant, 200).body, &b)
		return int64(b.Balance)
	}
	points := func() int64 {
		t.Helper()
		var b loyalty.PointsBalance
		gwDecode(t, g.get(t, "/v1/loyalty/programs/"+program+"/balance", customer, 200).body, &b)
		return int64(b.Available)
	}
	order := func() orders.Order {
		t.Helper()
		var o orders.Order
		gwDecode(t, g.get(t, "/v1/orders/orders/"+id, customer, 200).body, &o)
		return o
	}
	paid, earned := balance(), points()
	class := func(l string) string { return "https://id.gs1.org/01/" + gtin + "/10/" + l }
	wantJob := func(name string, job store.CaptureJob, want store.CaptureDelivery) {
		t.Helper()
		want.Hash = ""
		if !job.Success || job.Captured != 1 || len(job.Deliveries) != 1 {
			t.Fatalf("%s: job %+v", name, job)
		}
		got := job.Deliveries[0]
		got.Hash = ""
		if got != want {
			t.Fatalf("%s: delivery %+v, want %+v", name, got, want)
		}
	}

	// Another lot: recorded, nothing released, the job says why.
	wantJob("another lot", epcisCapture(t, g, carrier, epcisReceiving(1, id, account, class(other))), store.CaptureDelivery{Order: id,
		Reason: "the event does not name lot " + gtin + "/" + lot + ", order " + id + "'s shipment, in its quantityList"})
	// The merchant is no carrier.
	wantJob("by the merchant", epcisCapture(t, g, merchant, epcisReceiving(2, id, account, class(lot))), store.CaptureDelivery{Order: id,
		Reason: "the event is captured by Org1MSP, not by the order's carrier Org2MSP"})
	if o := order(); o.State != orders.StatePlaced || balance() != paid || points() != earned {
		t.Fatalf("after the mismatching events: order %s, paid %d (was %d), points %d (were %d)", o.State, balance(), paid, points(), earned)
	}

	// The carrier's proof of delivery.
	doc := epcisReceiving(3, id, account, class(lot))
	job := epcisCapture(t, g, carrier, doc)
	wantJob("the proof", job, store.CaptureDelivery{Order: id, Released: true, Amount: 2_000, Currency: "EUR"})
	o := order()
	if o.State != orders.StateDelivered || o.Released != 2_000 || o.DeliveredBy != "Org2MSP" || o.UpdatedTx != job.TransactionID {
		t.Fatalf("order after the proof %+v (capture %s)", o, job.TransactionID)
	}
	if got := balance(); got != paid+2_000 {
		t.Fatalf("merchant balance %d, want %d + 2000", got, paid)
	}
	if got := points(); got != earned+20 {
		t.Fatalf("customer points %d, want %d + 20", got, earned)
	}

	// Exactly once: the same event, another receiving event, the customer's confirmation.
	if job := epcisCapture(t, g, carrier, doc); !job.Success || job.Captured != 0 || job.Duplicates != 1 || len(job.Deliveries) != 0 {
		t.Fatalf("the proof again: %+v", job)
	}
	wantJob("another proof", epcisCapture(t, g, carrier, epcisReceiving(4, id, account, class(lot))), store.CaptureDelivery{Order: id,
		Reason: "order " + id + " is delivered, not awaiting delivery"})
	r := g.post(t, "/v1/orders/deliveries", customer, map[string]string{"id": id}, 409)
	if !strings.Contains(string(r.body), "delivered") {
		t.Fatalf("confirmation after the proof: %s", r.body)
	}
	if got, pts := balance(), points(); got != paid+2_000 || pts != earned+20 {
		t.Fatalf("after the repeats: paid %d, want %d; points %d, want %d", got, paid+2_000, pts, earned+20)
	}
}

// epcisMove is an EPCIS document of one ObjectEvent OBSERVE with bizStep step at minute min
// of the lot class lotClass, to the cxledger party (none when empty) at a location.
func epcisMove(step string, min int, lotClass, party string) string {
	dest := ""
	if party != "" {
		dest = fmt.Sprintf(`,"destinationList":[{"type":"possessing_party","destination":%q},{"type":"location","destination":"urn:epc:id:sgln:9506000.00002.0"}]`, epcis.PartyURI(party))
	}
	ev := fmt.Sprintf(`{"type":"ObjectEvent","eventTime":"2026-03-06T10:%02d:00Z","eventTimeZoneOffset":"+00:00",
	  "quantityList":[{"epcClass":%q,"quantity":1}],"action":"OBSERVE","bizStep":%q%s}`, min, lotClass, step, dest)
	return `{"@context":"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld","type":"EPCISDocument","schemaVersion":"2.0",
	  "creationDate":"2026-03-06T10:00:00Z","epcisBody":{"eventList":[` + ev + `]}}`
}

// TestEPCISCustody: custody moves between organisations by EPCIS events on the real
// network, endorsed by both (the custody key's state-based policy): the brand's shipping
// event offers its lot to the carrier, the carrier's receiving event accepts it; the
// carrier's shipping event offers it to the order's customer, whose own acceptance
// delivers the order. Org1MSP is the brand and merchant, Org2MSP the carrier,
// Org2MSP/User2 the customer.
func TestEPCISCustody(t *testing.T) {
	g := gwStart(t)
	run := fmt.Sprintf("%010d", time.Now().UnixNano()%1e10)
	gtin, lot, id := gwGTIN(run+"32"), "CU"+run[4:], "cus-"+gwRun()
	const brand, carrier, customer = "org1-user1", "org2-user1", "org2-user2"
	account := gwAccount(t, "Org2MSP", "User2")
	code := gwFund(t, g, account, 5_000)
	g.post(t, "/v1/provenance/products", brand, map[string]any{"gtin": gtin, "name": "Custody kettle"}, 200)
	g.post(t, "/v1/provenance/lots", brand, map[string]any{"gtin": gtin, "lot": lot, "quantity": 1}, 200)
	class := "https://id.gs1.org/01/" + gtin + "/10/" + lot
	holder := func() provenance.TraceLot {
		t.Helper()
		var l provenance.LotTrace
		gwDecode(t, g.get(t, "/v1/provenance/lots/"+gtin+"/"+lot+"/trace", brand, 200).body, &l)
		return l.Lot
	}
	mapped := func(name string, job store.CaptureJob, want string) {
		t.Helper()
		if !job.Success || job.Captured != 1 || len(job.Mapped) != 1 || strings.Join(job.Mapped[0].Records, ",") != want {
			t.Fatalf("%s: job %+v", name, job)
		}
	}

	mapped("brand ships", epcisCapture(t, g, brand, epcisMove("shipping", 1, class, "Org2MSP")), "custody-offered:1")
	if c := holder(); c.Holder != "Org1MSP" || c.OfferedTo != "Org2MSP" {
		t.Fatalf("after shipping: %+v", c)
	}
	mapped("carrier receives", epcisCapture(t, g, carrier, epcisMove("receiving", 2, class, "")), "custody-accepted:1")
	if c := holder(); c.Holder != "Org2MSP" || c.OfferedTo != "" {
		t.Fatalf("after receiving: %+v", c)
	}

	place := map[string]any{"id": id, "merchant": "Org1MSP", "amount": 1_500, "currency": code, "carrier": "Org2MSP",
		"deadline": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "items": []map[string]any{{"sku": "kettle", "quantity": 1}},
		"shipment": map[string]any{"gtin": gtin, "lot": lot}}
	g.post(t, "/v1/orders/orders", customer, place, 200)
	mapped("carrier ships to the customer", epcisCapture(t, g, carrier, epcisMove("shipping", 3, class, account)), "custody-offered:1")
	var c provenance.Custody
	gwDecode(t, g.post(t, "/v1/provenance/custody/acceptances", customer, map[string]any{"kind": "lot", "gtin": gtin, "lot": lot}, 200).committed(t).Result, &c)
	if c.Holder != account || c.Delivery == nil || !c.Delivery.Released || c.Delivery.Order != id {
		t.Fatalf("the customer's acceptance: %+v %+v", c, c.Delivery)
	}
}

// TestEPCISDeliveryBySSCC: the carrier packs the order's lot into the order's SSCC with an
// AggregationEvent; its receiving event naming only that SSCC then delivers the order.
func TestEPCISDeliveryBySSCC(t *testing.T) {
	g := gwStart(t)
	run := fmt.Sprintf("%010d", time.Now().UnixNano()%1e10)
	gtin, lot, id := gwGTIN(run+"33"), "SC"+run[4:], "sscc-"+gwRun()
	// Extension digit 0, company prefix 9506000, serial reference from the run.
	sscc := "09506000" + run[1:]
	sscc += string(gs1.CheckDigit(sscc))
	const brand, carrier, customer = "org1-user1", "org2-user1", "org2-user2"
	account := gwAccount(t, "Org2MSP", "User2")
	code := gwFund(t, g, account, 5_000)
	g.post(t, "/v1/provenance/products", brand, map[string]any{"gtin": gtin, "name": "Packed kettle"}, 200)
	g.post(t, "/v1/provenance/lots", brand, map[string]any{"gtin": gtin, "lot": lot, "quantity": 1}, 200)
	g.post(t, "/v1/provenance/custody/offers", brand, map[string]any{"kind": "lot", "gtin": gtin, "lot": lot, "to": "Org2MSP", "location": "warehouse"}, 200)
	g.post(t, "/v1/provenance/custody/acceptances", carrier, map[string]any{"kind": "lot", "gtin": gtin, "lot": lot}, 200)
	place := map[string]any{"id": id, "merchant": "Org1MSP", "amount": 700, "currency": code, "carrier": "Org2MSP",
		"deadline": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "items": []map[string]any{{"sku": "kettle", "quantity": 1}},
		"shipment": map[string]any{"gtin": gtin, "lot": lot, "sscc": sscc}}
	g.post(t, "/v1/orders/orders", customer, place, 200)

	wrap := func(ev string) string {
		return `{"@context":"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld","type":"EPCISDocument","schemaVersion":"2.0",
		  "creationDate":"2026-03-07T10:00:00Z","epcisBody":{"eventList":[` + ev + `]}}`
	}
	receiving := wrap(fmt.Sprintf(`{"type":"ObjectEvent","eventTime":"2026-03-07T11:00:00Z","eventTimeZoneOffset":"+00:00",
	  "epcList":["urn:epc:id:sscc:9506000.%s"],"action":"OBSERVE","bizStep":"receiving",
	  "bizTransactionList":[{"type":"https://ref.gs1.org/cbv/BTT-po","bizTransaction":%q}],
	  "destinationList":[{"type":"owning_party","destination":%q}]}`, "0"+sscc[8:17], epcis.OrderURI(id), epcis.PartyURI(account)))
	// Before the packing, the SSCC holds nothing on the ledger.
	job := epcisCapture(t, g, carrier, receiving)
	if !job.Success || len(job.Deliveries) != 1 || job.Deliveries[0].Released || !strings.Contains(job.Deliveries[0].Reason, "does not record lot") {
		t.Fatalf("before the packing: %+v", job)
	}
	pack := wrap(fmt.Sprintf(`{"type":"AggregationEvent","eventTime":"2026-03-07T10:30:00Z","eventTimeZoneOffset":"+00:00",
	  "parentID":"https://id.gs1.org/00/%s","childQuantityList":[{"epcClass":"https://id.gs1.org/01/%s/10/%s","quantity":1}],
	  "action":"ADD","bizStep":"packing"}`, sscc, gtin, lot))
	if job := epcisCapture(t, g, carrier, pack); !job.Success || len(job.Mapped) != 1 || strings.Join(job.Mapped[0].Records, ",") != "packed:1" {
		t.Fatalf("packing: %+v", job)
	}
	var tr provenance.LotTrace
	gwDecode(t, g.get(t, "/v1/provenance/lots/"+gtin+"/"+lot+"/trace", brand, 200).body, &tr)
	if tr.Lot.PackedInto != "https://id.gs1.org/00/"+sscc {
		t.Fatalf("trace after the packing: %+v", tr.Lot)
	}
	job = epcisCapture(t, g, carrier, strings.Replace(receiving, "11:00:00Z", "11:05:00Z", 1))
	if !job.Success || len(job.Deliveries) != 1 || !job.Deliveries[0].Released || job.Deliveries[0].Amount != 700 {
		t.Fatalf("receiving the SSCC: %+v", job)
	}
	var o orders.Order
	gwDecode(t, g.get(t, "/v1/orders/orders/"+id, customer, 200).body, &o)
	if o.State != orders.StateDelivered || o.UpdatedTx != job.TransactionID {
		t.Fatalf("order %+v", o)
	}
}
