package orderscc_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/epcis"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/loyalty"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gs1"
)

// receipt is a receiving ObjectEvent at minute min naming order id as its purchase order
// (btt, "" for none), delivered to party (an account or MSP ID, "" for no destination),
// of the shipped product's items serials and lots.
type receipt struct {
	min           int
	btt, order    string
	party         string
	serials, lots []string
	// containers are SSCCs the event names in its epcList.
	containers   []string
	action, step string
}

func (r receipt) String() string {
	var epcs, qs []string
	for _, s := range r.serials {
		epcs = append(epcs, fmt.Sprintf("%q", "urn:epc:id:sgtin:9506000.013435."+s))
	}
	for _, c := range r.containers {
		epcs = append(epcs, fmt.Sprintf("%q", "https://id.gs1.org/00/"+c))
	}
	for _, l := range r.lots {
		qs = append(qs, fmt.Sprintf(`{"epcClass":%q,"quantity":10}`, "urn:epc:class:lgtin:9506000.013435."+l))
	}
	action, step := r.action, r.step
	if action == "" {
		action = "OBSERVE"
	}
	if step == "" {
		step = "receiving"
	}
	s := fmt.Sprintf(`{"type":"ObjectEvent","eventTime":"2026-01-01T10:%02d:00Z","eventTimeZoneOffset":"+00:00","action":%q,"bizStep":%q`, r.min, action, step)
	if len(epcs) > 0 {
		s += `,"epcList":[` + strings.Join(epcs, ",") + `]`
	}
	if len(qs) > 0 {
		s += `,"quantityList":[` + strings.Join(qs, ",") + `]`
	}
	if r.order != "" {
		btt := r.btt
		if btt == "" {
			btt = "po"
		}
		s += fmt.Sprintf(`,"bizTransactionList":[{"type":%q,"bizTransaction":%q}]`, btt, epcis.OrderURI(r.order))
	}
	if r.party != "" {
		s += fmt.Sprintf(`,"destinationList":[{"type":"possessing_party","destination":%q},{"type":"location","destination":"urn:epc:id:sgln:9506000.00002.0"}]`, epcis.PartyURI(r.party))
	}
	return s + "}"
}

// capture has w capture events (each a JSON event) with rollback, or proceed.
func (c *chain) capture(w who, proceed bool, events ...string) (*epcis.CaptureResult, error) {
	c.t.Helper()
	a := epcis.CaptureArgs{Proceed: proceed}
	for _, e := range events {
		a.Events = append(a.Events, json.RawMessage(e))
	}
	raw, err := json.Marshal(a)
	if err != nil {
		c.t.Fatal(err)
	}
	out, err := c.call(w, "epcis:Capture", string(raw))
	if err != nil {
		return nil, err
	}
	var r epcis.CaptureResult
	if err := json.Unmarshal(out, &r); err != nil {
		c.t.Fatal(err)
	}
	return &r, nil
}

func (c *chain) mustCapture(w who, events ...string) *epcis.CaptureResult {
	c.t.Helper()
	r, err := c.capture(w, false, events...)
	if err != nil {
		c.t.Fatalf("capture as %s: %v", w.account(), err)
	}
	return r
}

// capturedDeliveries decodes the deliveries in the last committed event, an epcis.Captured.
func (c *chain) capturedDeliveries() []struct {
	epcis.Delivery
	Related *loyalty.Earn `json:"related"`
} {
	c.t.Helper()
	if c.event.Contract+"."+c.event.Type != "epcis.Captured" {
		c.t.Fatalf("event %s.%s, want epcis.Captured", c.event.Contract, c.event.Type)
	}
	var data struct {
		Deliveries []struct {
			epcis.Delivery
			Related *loyalty.Earn `json:"related"`
		} `json:"deliveries"`
	}
	if err := json.Unmarshal(c.event.Data, &data); err != nil {
		c.t.Fatal(err)
	}
	return data.Deliveries
}

// TestReceivingEventDelivers: the carrier's receiving event naming the order, at its
// customer, of the whole shipment, delivers the order in the capture's transaction: the
// escrow goes to the merchant, the loyalty programme earns, the result and the event say
// so; the same event again, another receiving event, the customer's confirmation and the
// custody handover all find it delivered and move nothing.
func TestReceivingEventDelivers(t *testing.T) {
	c := newChain(t)
	c.place(alice, "o1", 2500, ship, map[string]any{"gtin": shipped, "lot": "L1", "sscc": sscc})
	ev := receipt{order: "o1", party: alice.account(), lots: []string{"L1"}}.String()
	r := c.mustCapture(ship, ev)
	capture := c.tx
	if len(r.Captured) != 1 || len(r.Deliveries) != 1 || r.Deliveries[0] != (epcis.Delivery{Index: 0, Hash: r.Captured[0], Order: "o1", Released: true, Amount: 2500, Currency: "EUR"}) {
		t.Fatalf("result %+v", r)
	}
	if ds := c.capturedDeliveries(); len(ds) != 1 || !ds[0].Released || ds[0].Related == nil || ds[0].Related.Points != 25 || c.event.Keys["order"] != "o1" {
		t.Fatalf("event %s %v", c.event.Data, c.event.Keys)
	}
	c.wantBalances(map[string]ledgertypes.Amount{alice.account(): 7500, orders.EscrowAccount("o1"): 0, shop.msp: 2500})
	if p := c.points(alice); p != 25 {
		t.Fatalf("alice has %d points, want 25", p)
	}
	o := c.order("o1")
	if o.State != orders.StateDelivered || o.UpdatedTx != capture || o.DeliveredBy != ship.msp || o.Released != 2500 || o.ReturnBy == nil {
		t.Fatalf("order %+v", o)
	}

	// The same event again is a duplicate: nothing captured, nothing delivered.
	r = c.mustCapture(ship, ev)
	if len(r.Captured) != 0 || len(r.Duplicates) != 1 || len(r.Deliveries) != 0 {
		t.Fatalf("replay %+v", r)
	}
	// Another receiving event is recorded and says why it released nothing.
	r = c.mustCapture(ship, receipt{min: 1, order: "o1", party: alice.account(), lots: []string{"L1"}}.String())
	if len(r.Captured) != 1 || len(r.Deliveries) != 1 || r.Deliveries[0].Released || r.Deliveries[0].Reason != "order o1 is delivered, not awaiting delivery" {
		t.Fatalf("second receiving event %+v", r)
	}
	c.fails(alice, "orders:ConfirmDelivery", map[string]string{"id": "o1"}, cxlerr.Conflict, "it is delivered")
	c.fails(ship, "orders:ConfirmDelivery", map[string]string{"id": "o1"}, cxlerr.Conflict, "it is delivered")
	if got := c.hand(ship, alice, lot("L1")); got.Delivery == nil || got.Delivery.Released || got.Delivery.Reason != "order o1 is delivered, not awaiting delivery" {
		t.Fatalf("handover after the receiving event: %+v", got.Delivery)
	}
	c.wantBalances(map[string]ledgertypes.Amount{shop.msp: 2500, orders.EscrowAccount("o1"): 0})
	if p := c.points(alice); p != 25 {
		t.Fatalf("alice has %d points, want the 25 of one delivery", p)
	}
}

// TestReceivingEventAfterOtherDeliveries: whichever comes first of the customer's
// confirmation, the custody handover and the receiving event delivers; the others move
// nothing. A shipment of items is delivered by an event naming all of them, with others.
func TestReceivingEventAfterOtherDeliveries(t *testing.T) {
	c := newChain(t)
	c.place(alice, "o2", 1000, ship, map[string]any{"gtin": shipped, "lot": "L2"})
	c.ok(alice, "orders:ConfirmDelivery", map[string]string{"id": "o2"})
	c.place(alice, "o3", 700, ship, map[string]any{"gtin": shipped, "lot": "L3"})
	c.hand(ship, alice, lot("L3"))
	c.wantBalances(map[string]ledgertypes.Amount{shop.msp: 1700})
	r := c.mustCapture(ship,
		receipt{order: "o2", party: alice.account(), lots: []string{"L2"}}.String(),
		receipt{order: "o3", party: alice.account(), lots: []string{"L3"}}.String())
	if len(r.Deliveries) != 2 || r.Deliveries[0].Reason != "order o2 is delivered, not awaiting delivery" ||
		r.Deliveries[1].Reason != "order o3 is delivered, not awaiting delivery" || r.Deliveries[1].Index != 1 {
		t.Fatalf("deliveries %+v", r.Deliveries)
	}
	c.wantBalances(map[string]ledgertypes.Amount{shop.msp: 1700})
	if p := c.points(alice); p != 17 {
		t.Fatalf("alice has %d points, want 17", p)
	}

	c.place(bob, "o4", 3000, ship, map[string]any{"gtin": shipped, "serials": []string{"S1", "S2"}})
	r = c.mustCapture(ship, receipt{order: "o4", party: bob.account(), serials: []string{"S3", "S2", "S1"}}.String())
	if len(r.Deliveries) != 1 || !r.Deliveries[0].Released || r.Deliveries[0].Amount != 3000 {
		t.Fatalf("items: %+v", r.Deliveries)
	}
	c.wantBalances(map[string]ledgertypes.Amount{shop.msp: 4700, orders.EscrowAccount("o4"): 0})
}

// TestReceivingEventTwiceInOneCapture: two receiving events of one capture naming the same
// order deliver it once; the second says which event did.
func TestReceivingEventTwiceInOneCapture(t *testing.T) {
	c := newChain(t)
	c.place(alice, "o5", 900, ship, map[string]any{"gtin": shipped, "lot": "L5"})
	ev := receipt{order: "o5", party: alice.account(), lots: []string{"L5"}}
	r := c.mustCapture(ship, ev.String(), receipt{min: 5, order: "o5", party: alice.account(), lots: []string{"L5"}}.String())
	if len(r.Captured) != 2 || len(r.Deliveries) != 2 || !r.Deliveries[0].Released ||
		r.Deliveries[1].Released || r.Deliveries[1].Reason != "order o5 is delivered by events[0] of this capture" {
		t.Fatalf("deliveries %+v", r.Deliveries)
	}
	c.wantBalances(map[string]ledgertypes.Amount{shop.msp: 900, orders.EscrowAccount("o5"): 0})
	if p := c.points(alice); p != 9 {
		t.Fatalf("alice has %d points, want 9", p)
	}
}

// TestReceivingEventMismatches: a receiving event that is not the order's delivery is
// recorded, releases nothing and says why; to a capturer who may not read the order it
// names nothing of it.
func TestReceivingEventMismatches(t *testing.T) {
	c := newChain(t)
	c.place(alice, "m1", 500, ship, map[string]any{"gtin": shipped, "lot": "L1"})
	c.place(alice, "m2", 600, ship, map[string]any{"gtin": shipped, "serials": []string{"S1", "S2"}})
	noShipment := c.placeArgs("m3", 700, ship, nil)
	delete(noShipment, "shipment")
	c.ok(alice, "orders:Place", noShipment)
	hidden := "the event names no order its capturer may read"
	for k, tc := range []struct {
		name    string
		by      who
		r       receipt
		order   string
		reason  string
		proceed bool
	}{
		{"the merchant captures", shop, receipt{order: "m1", party: alice.account(), lots: []string{"L1"}}, "m1",
			"the event is captured by ShopMSP, not by the order's carrier ShipMSP", false},
		{"another carrier captures", ship2, receipt{order: "m1", party: alice.account(), lots: []string{"L1"}}, "", hidden, false},
		{"an unknown order", ship, receipt{order: "nosuch", party: alice.account(), lots: []string{"L1"}}, "", hidden, false},
		{"not an order ID", ship, receipt{order: "m1!", party: alice.account(), lots: []string{"L1"}}, "",
			`urn:cxledger:order:<id> does not name an order: id: "m1!": only letters, digits, '.', '_' and '-' allowed`, false},
		{"another lot", ship, receipt{order: "m1", party: alice.account(), lots: []string{"L4"}}, "m1",
			"the event does not name lot " + shipped + "/L1, order m1's shipment, in its quantityList", false},
		{"an item of the lot", ship, receipt{order: "m1", party: alice.account(), serials: []string{"S3"}}, "m1",
			"the event does not name lot " + shipped + "/L1, order m1's shipment, in its quantityList", false},
		{"not all the items", ship, receipt{order: "m2", party: alice.account(), serials: []string{"S2", "S3"}}, "m2",
			"the event names 1 of the 2 items of order m2's shipment", false},
		{"other items", ship, receipt{order: "m2", party: alice.account(), serials: []string{"S3", "U1"}}, "m2",
			"the event names 0 of the 2 items of order m2's shipment", true},
		{"another customer", ship, receipt{order: "m1", party: bob.account(), lots: []string{"L1"}}, "m1",
			"the event's destinationList does not name the order's customer (urn:cxledger:party:<customer account>) as owning_party or possessing_party", false},
		{"no destination", ship, receipt{order: "m1", lots: []string{"L1"}}, "m1",
			"the event's destinationList does not name the order's customer (urn:cxledger:party:<customer account>) as owning_party or possessing_party", false},
		{"no shipment", ship, receipt{order: "m3", party: alice.account(), lots: []string{"L1"}}, "m3",
			"order m3 names no shipment for the event to match; ConfirmDelivery delivers it", false},
		{"the carrier's staff without the carrier role", ship.with("brand"), receipt{order: "m1", party: alice.account(), lots: []string{"L1"}}, "m1",
			"the capturer ShipMSP/driver does not carry the carrier role", false},
	} {
		// Each its own event: the event hash leaves out who captures it.
		tc.r.min = 10 + k
		if tc.by.roles == "brand" {
			// The carrier's organisation also holds the brand role, so this staff may capture.
			c.grant(ship.msp, ledgertypes.Brand)
		}
		r, err := c.capture(tc.by, tc.proceed, tc.r.String())
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want := epcis.Delivery{Index: 0, Hash: r.Captured[0], Order: tc.order, Reason: tc.reason}
		if len(r.Captured) != 1 || len(r.Deliveries) != 1 || r.Deliveries[0] != want {
			t.Fatalf("%s: result %+v, want delivery %+v", tc.name, r, want)
		}
		if ds := c.capturedDeliveries(); len(ds) != 1 || ds[0].Delivery != want || ds[0].Related != nil {
			t.Fatalf("%s: event %s", tc.name, c.event.Data)
		}
		if strings.Contains(string(c.event.Data), "alice") || tc.order == "" && (strings.Contains(js(r), "alice") || strings.Contains(js(r), "m1\"")) {
			t.Fatalf("%s: a capturer who may not read the order learns of it: %s", tc.name, js(r))
		}
		c.wantBalances(map[string]ledgertypes.Amount{shop.msp: 0, orders.EscrowAccount("m1"): 500, orders.EscrowAccount("m2"): 600, orders.EscrowAccount("m3"): 700})
	}
	// Another business transaction type, or an order named otherwise, is no proof.
	r := c.mustCapture(ship,
		receipt{min: 30, btt: "inv", order: "m1", party: alice.account(), lots: []string{"L1"}}.String(),
		strings.Replace(receipt{min: 31, order: "m1", party: alice.account(), lots: []string{"L1"}}.String(), "urn:cxledger:order:", "urn:other:order:", 1),
		receipt{min: 32, order: "m1", party: alice.account(), lots: []string{"L1"}, action: "ADD"}.String(),
		receipt{min: 33, order: "m1", party: alice.account(), lots: []string{"L1"}, step: "shipping"}.String())
	if len(r.Captured) != 4 || len(r.Deliveries) != 0 {
		t.Fatalf("events that are no proof of delivery: %+v", r)
	}
	// After the deadline, the carrier's proof is too late.
	c.stub.At(t0.Add(73 * time.Hour))
	r = c.mustCapture(ship, receipt{min: 40, order: "m1", party: alice.account(), lots: []string{"L1"}}.String())
	if len(r.Deliveries) != 1 || r.Deliveries[0].Released || !strings.Contains(r.Deliveries[0].Reason, "order m1 was due by 2026-01-04T09:00:00Z; the carrier's proof at") {
		t.Fatalf("after the deadline: %+v", r.Deliveries)
	}
	c.wantBalances(map[string]ledgertypes.Amount{shop.msp: 0, orders.EscrowAccount("m1"): 500})
	for _, id := range []string{"m1", "m2", "m3"} {
		if o := c.order(id); o.State != orders.StatePlaced {
			t.Fatalf("order %s is %s", id, o.State)
		}
	}
}

// TestReceivingEventFrontRun: another member that captures a copy of the carrier's
// receiving event first records the event (its delivery refused), but cannot make the
// carrier's own capture of it a duplicate that delivers nothing: the carrier's capture is
// a duplicate of the event and still its proof of delivery. A repeat by the carrier is a
// duplicate only.
func TestReceivingEventFrontRun(t *testing.T) {
	c := newChain(t)
	c.place(alice, "f1", 800, ship, map[string]any{"gtin": shipped, "lot": "L6"})
	ev := receipt{order: "f1", party: alice.account(), lots: []string{"L6"}}.String()
	r := c.mustCapture(shop, ev)
	if len(r.Captured) != 1 || len(r.Deliveries) != 1 || r.Deliveries[0].Released {
		t.Fatalf("the merchant's copy: %+v", r)
	}
	c.wantBalances(map[string]ledgertypes.Amount{shop.msp: 0, orders.EscrowAccount("f1"): 800})
	r = c.mustCapture(ship, ev)
	if len(r.Captured) != 0 || len(r.Duplicates) != 1 || len(r.Deliveries) != 1 || !r.Deliveries[0].Released || r.Deliveries[0].Amount != 800 {
		t.Fatalf("the carrier's capture after the merchant's: %+v", r)
	}
	c.wantBalances(map[string]ledgertypes.Amount{shop.msp: 800, orders.EscrowAccount("f1"): 0})
	for _, w := range []who{ship, shop} {
		r = c.mustCapture(w, ev)
		if len(r.Duplicates) != 1 || len(r.Captured) != 0 || len(r.Deliveries) > 0 && r.Deliveries[0].Released {
			t.Fatalf("a repeat by %s: %+v", w.account(), r)
		}
	}
	c.wantBalances(map[string]ledgertypes.Amount{shop.msp: 800, orders.EscrowAccount("f1"): 0})
	if p := c.points(alice); p != 8 {
		t.Fatalf("alice has %d points, want 8", p)
	}
}

// TestReceivingEventHostile: an order named in invalid UTF-8 or in a party URI that names
// no member is refused with the whole capture, and a customer captures nothing.
func TestReceivingEventHostile(t *testing.T) {
	c := newChain(t)
	c.place(alice, "h1", 500, ship, map[string]any{"gtin": shipped, "lot": "L1"})
	ev := receipt{order: "h1", party: alice.account(), lots: []string{"L1"}}.String()
	bad := strings.Replace(ev, "urn:cxledger:order:h1", "urn:cxledger:order:h\xff1", 1)
	a := `{"events":[` + bad + `]}`
	if _, err := c.call(ship, "epcis:Capture", a); cxlerr.CodeOf(err) != cxlerr.Invalid || !strings.Contains(err.Error(), "UTF-8") {
		t.Fatalf("invalid UTF-8: %v", err)
	}
	badParty := strings.Replace(ev, epcis.PartyURI(alice.account()), epcis.PartyURI("Cust MSP"), 1)
	badParty = strings.Replace(badParty, "Cust MSP", "Cust%20MSP", 1)
	if _, err := c.capture(ship, false, badParty); cxlerr.CodeOf(err) != cxlerr.Invalid || !strings.Contains(err.Error(), "names no organisation or account") {
		t.Fatalf("a party URI naming no party: %v", err)
	}
	if _, err := c.capture(alice, false, ev); cxlerr.CodeOf(err) != cxlerr.Forbidden {
		t.Fatalf("a customer captures: %v", err)
	}
	if o := c.order("h1"); o.State != orders.StatePlaced {
		t.Fatalf("order %+v", o)
	}
	c.wantBalances(map[string]ledgertypes.Amount{shop.msp: 0, orders.EscrowAccount("h1"): 500})
}

// TestShippingEventToTheCustomer: the carrier's shipping event offers custody of the
// shipment to the customer's account; the customer's acceptance delivers the order, and a
// receiving event after it releases nothing.
func TestShippingEventToTheCustomer(t *testing.T) {
	c := newChain(t)
	c.place(alice, "s1", 1200, ship, map[string]any{"gtin": shipped, "lot": "L6"})
	r := c.mustCapture(ship, receipt{order: "s1", party: alice.account(), lots: []string{"L6"}, step: "shipping"}.String())
	if len(r.Mapped) != 1 || strings.Join(r.Mapped[0].Records, ",") != "custody-offered:1" || len(r.Deliveries) != 0 {
		t.Fatalf("shipping: %+v", r)
	}
	var got provenance.Custody
	if err := json.Unmarshal(c.ok(alice, "provenance:AcceptCustody", lot("L6")), &got); err != nil {
		t.Fatal(err)
	}
	if got.Holder != alice.account() || got.Delivery == nil || !got.Delivery.Released {
		t.Fatalf("acceptance %+v %+v", got, got.Delivery)
	}
	r = c.mustCapture(ship, receipt{min: 1, order: "s1", party: alice.account(), lots: []string{"L6"}}.String())
	if len(r.Deliveries) != 1 || r.Deliveries[0].Reason != "order s1 is delivered, not awaiting delivery" || len(r.Mapped) != 0 {
		t.Fatalf("receiving after the acceptance: %+v", r)
	}
	c.wantBalances(map[string]ledgertypes.Amount{shop.msp: 1200})
}

// TestReceivingEventNamesTheSSCC: a receiving event naming only the order's SSCC delivers
// the order when the ledger records the shipment packed into that SSCC (the carrier's
// aggregation); otherwise it says why.
func TestReceivingEventNamesTheSSCC(t *testing.T) {
	c := newChain(t)
	c.place(alice, "p1", 800, ship, map[string]any{"gtin": shipped, "serials": []string{"S1", "S2"}, "sscc": sscc})
	pack := fmt.Sprintf(`{"type":"AggregationEvent","eventTime":"2026-01-01T09:30:00Z","eventTimeZoneOffset":"+00:00","action":"ADD","bizStep":"packing",
	  "parentID":"https://id.gs1.org/00/%s","childEPCs":["urn:epc:id:sgtin:9506000.013435.S1"]}`, sscc)
	r := c.mustCapture(ship, pack)
	if len(r.Mapped) != 1 || strings.Join(r.Mapped[0].Records, ",") != "packed:1" {
		t.Fatalf("pack: %+v", r)
	}
	r = c.mustCapture(ship, receipt{min: 1, order: "p1", party: alice.account(), containers: []string{sscc}}.String())
	if len(r.Deliveries) != 1 || r.Deliveries[0].Released ||
		r.Deliveries[0].Reason != "the event names 1 of the 2 items of order p1's shipment, itself or packed into its SSCC "+sscc {
		t.Fatalf("half packed: %+v", r.Deliveries)
	}
	// The item not packed, named beside the SSCC, completes the shipment.
	r = c.mustCapture(ship, receipt{min: 2, order: "p1", party: alice.account(), containers: []string{sscc}, serials: []string{"S2"}}.String())
	if len(r.Deliveries) != 1 || !r.Deliveries[0].Released || r.Deliveries[0].Amount != 800 {
		t.Fatalf("SSCC and the other item: %+v", r.Deliveries)
	}
	c.wantBalances(map[string]ledgertypes.Amount{shop.msp: 800, orders.EscrowAccount("p1"): 0})

	// A lot whose order's SSCC holds nothing on the ledger.
	other := "00" + sscc[2:17]
	other += string(gs1.CheckDigit(other))
	c.place(alice, "p2", 300, ship, map[string]any{"gtin": shipped, "lot": "L3", "sscc": other})
	r = c.mustCapture(ship, receipt{min: 3, order: "p2", party: alice.account(), containers: []string{other}}.String())
	if len(r.Deliveries) != 1 || r.Deliveries[0].Released ||
		r.Deliveries[0].Reason != "the event names SSCC "+other+", order p2's, but the ledger does not record lot "+shipped+"/L3, its shipment, packed into it" {
		t.Fatalf("SSCC holding nothing: %+v", r.Deliveries)
	}
	// Packed, the lot is delivered by its SSCC.
	c.mustCapture(ship, fmt.Sprintf(`{"type":"AggregationEvent","eventTime":"2026-01-01T09:40:00Z","eventTimeZoneOffset":"+00:00","action":"ADD",
	  "parentID":"https://id.gs1.org/00/%s","childQuantityList":[{"epcClass":"urn:epc:class:lgtin:9506000.013435.L3","quantity":10}]}`, other))
	r = c.mustCapture(ship, receipt{min: 4, order: "p2", party: alice.account(), containers: []string{other}}.String())
	if len(r.Deliveries) != 1 || !r.Deliveries[0].Released {
		t.Fatalf("packed lot by its SSCC: %+v", r.Deliveries)
	}
	c.wantBalances(map[string]ledgertypes.Amount{shop.msp: 1100, orders.EscrowAccount("p2"): 0})
}
