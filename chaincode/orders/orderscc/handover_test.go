package orderscc_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode"
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/loyalty"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gs1"
)

// brand registers the products whose lots and items the orders ship.
var brand = who{"BrandMSP", "clerk", "client", "brand"}

// shipped is the GTIN-14 of the product the tests ship.
var shipped = "0950600013435" + string(gs1.CheckDigit("0950600013435"))

// sscc is a valid SSCC; badSSCC has the wrong check digit.
var (
	sscc    = "10614141123456789" + string(gs1.CheckDigit("10614141123456789"))
	badSSCC = "10614141123456789" + string('0'+('1'+gs1.CheckDigit("10614141123456789")-'0')%10)
)

// assembled is the cxledger chaincode, assembled once: building its metadata takes a second.
var assembled = sync.OnceValues(func() (*chaincode.Chaincode, error) { return chaincode.New("test") })

// chain drives the assembled chaincode, as a peer does, on an env's ledger: every contract
// with the hooks chaincode.Contracts wires between them.
type chain struct {
	*env
	cc *chaincode.Chaincode
	// event is the event of the last committed transaction, tx its ID.
	event ledger.EventPayload
	tx    string
}

// newChain is an env with a brand, lots L1 to L6 of the shipped product held by the carrier
// ship (L2 with items S1 to S3, also with ship), 10000 EUR for alice and bob, and the
// merchant shop's loyalty programme "shop", which earns 1 point per euro on its orders.
func newChain(t *testing.T) *chain {
	t.Helper()
	cc, err := assembled()
	if err != nil {
		t.Fatal(err)
	}
	c := &chain{env: newEnv(t), cc: cc}
	c.grant(brand.msp, ledgertypes.Brand)
	c.ok(brand, "provenance:RegisterProduct", map[string]any{"gtin": shipped, "name": "Kettle"})
	for i := 1; i <= 6; i++ {
		c.ok(brand, "provenance:RegisterLot", map[string]any{"gtin": shipped, "lot": fmt.Sprintf("L%d", i), "quantity": 10})
	}
	c.ok(brand, "provenance:RegisterItems", map[string]any{"gtin": shipped, "lot": "L2", "serials": []string{"S1", "S2", "S3"}})
	for i := 1; i <= 6; i++ {
		c.hand(brand, ship, lot(fmt.Sprintf("L%d", i)))
	}
	for _, s := range []string{"S1", "S2", "S3"} {
		c.hand(brand, ship, item(s))
	}
	c.fund(10_000, alice.account(), bob.account())
	c.ok(shop, "loyalty:CreateProgram", map[string]any{"id": "shop", "name": "Shop points", "unit": "pts", "currency": "EUR",
		"earn": map[string]any{"points": 1, "per": 100}, "expiryDays": 365, "earnOnOrders": true})
	return c
}

// item is the custody subject of the shipped product's item serial.
func item(serial string) map[string]any {
	return map[string]any{"kind": "item", "gtin": shipped, "serial": serial}
}

// lot is the custody subject of the shipped product's lot.
func lot(l string) map[string]any { return map[string]any{"kind": "lot", "gtin": shipped, "lot": l} }

// call runs contract:Fn with args (a JSON string is sent as it is) as w; it commits on
// success and abandons the transaction on error.
func (c *chain) call(w who, fn string, args any) (json.RawMessage, error) {
	c.t.Helper()
	text, ok := args.(string)
	if !ok {
		text = js(args)
	}
	c.stub.AsIdentity(w.id())
	resp := c.cc.Invoke(c.stub.SetArgs(fn, text))
	if resp.Status != 200 {
		c.stub.Begin()
		e, ok := cxlerr.Parse(resp.Message)
		if !ok {
			c.t.Fatalf("%s %s: uncoded error %q", fn, text, resp.Message)
		}
		return nil, e
	}
	c.event, c.tx = ledger.EventPayload{}, c.stub.GetTxID()
	if ev := c.stub.Event(); ev != nil {
		if err := json.Unmarshal(ev.Payload, &c.event); err != nil {
			c.t.Fatal(err)
		}
	}
	c.stub.Commit()
	return resp.Payload, nil
}

func (c *chain) ok(w who, fn string, args any) json.RawMessage {
	c.t.Helper()
	out, err := c.call(w, fn, args)
	if err != nil {
		c.t.Fatalf("%s %v as %s: %v", fn, args, w.account(), err)
	}
	return out
}

func (c *chain) fails(w who, fn string, args any, code cxlerr.Code, want string) error {
	c.t.Helper()
	_, err := c.call(w, fn, args)
	if cxlerr.CodeOf(err) != code || !strings.Contains(fmt.Sprint(err), want) {
		c.t.Fatalf("%s %v as %s: error %v, want %s containing %q", fn, args, w.account(), err, code, want)
	}
	return err
}

// hand has from offer custody of subject to to (an organisation or a customer account) and
// to accept it, and returns the acceptance's result.
func (c *chain) hand(from, to who, subject map[string]any) provenance.Custody {
	c.t.Helper()
	receiver := to.msp
	if to.ou == "client" && to.msp == "CustMSP" {
		receiver = to.account()
	}
	offer := map[string]any{"to": receiver, "location": "door"}
	for k, v := range subject {
		offer[k] = v
	}
	c.ok(from, "provenance:OfferCustody", offer)
	var got provenance.Custody
	if err := json.Unmarshal(c.ok(to, "provenance:AcceptCustody", subject), &got); err != nil {
		c.t.Fatal(err)
	}
	return got
}

// place has w place order id of amount EUR with shop, carried by carrier, naming shipment.
func (c *chain) place(w who, id string, amount int, carrier who, shipment map[string]any) orders.Order {
	c.t.Helper()
	var o orders.Order
	if err := json.Unmarshal(c.ok(w, "orders:Place", c.placeArgs(id, amount, carrier, shipment)), &o); err != nil {
		c.t.Fatal(err)
	}
	return o
}

func (c *chain) placeArgs(id string, amount int, carrier who, shipment map[string]any) map[string]any {
	return map[string]any{"id": id, "merchant": shop.msp, "amount": amount, "currency": "EUR",
		"deadline": t0.Add(72 * time.Hour), "items": []map[string]any{{"sku": "kettle", "quantity": 1}},
		"carrier": carrier.msp, "shipment": shipment}
}

// points is alice's available balance in the shop programme.
func (c *chain) points(w who) ledgertypes.Amount {
	c.t.Helper()
	var b loyalty.PointsBalance
	if err := json.Unmarshal(c.ok(w, "loyalty:Balance", map[string]any{"program": "shop"}), &b); err != nil {
		c.t.Fatal(err)
	}
	return b.Available
}

// eventDelivery decodes the delivery in the last committed event, a CustodyAccepted.
func (c *chain) eventDelivery() (delivery *struct {
	provenance.Delivery
	Related *loyalty.Earn `json:"related"`
}) {
	c.t.Helper()
	if c.event.Contract+"."+c.event.Type != "provenance.CustodyAccepted" {
		c.t.Fatalf("event %s.%s, want provenance.CustodyAccepted", c.event.Contract, c.event.Type)
	}
	var data struct {
		Delivery *struct {
			provenance.Delivery
			Related *loyalty.Earn `json:"related"`
		} `json:"delivery"`
	}
	if err := json.Unmarshal(c.event.Data, &data); err != nil {
		c.t.Fatal(err)
	}
	return data.Delivery
}

// TestHandoverReleasesEscrow: the customer's acceptance of the order's lot from its carrier
// delivers the order in the acceptance's own transaction: the escrow goes to the merchant,
// the loyalty programme earns, the result and the event say so, and a later confirmation
// finds the order delivered.
func TestHandoverReleasesEscrow(t *testing.T) {
	c := newChain(t)
	c.place(alice, "o1", 2500, ship, map[string]any{"gtin": shipped, "lot": "L1", "sscc": sscc})
	c.wantBalances(map[string]ledgertypes.Amount{alice.account(): 7500, orders.EscrowAccount("o1"): 2500, shop.msp: 0})

	got := c.hand(ship, alice, lot("L1"))
	if got.Holder != alice.account() || got.Delivery == nil ||
		*got.Delivery != (provenance.Delivery{Order: "o1", Released: true, Amount: 2500, Currency: "EUR"}) {
		t.Fatalf("custody %+v, delivery %+v", got, got.Delivery)
	}
	acceptance := c.tx
	if d := c.eventDelivery(); d == nil || d.Delivery != *got.Delivery || d.Related == nil || d.Related.Points != 25 || c.event.Keys["order"] != "o1" {
		t.Fatalf("event %s: delivery %+v", c.event.Data, d)
	}
	c.wantBalances(map[string]ledgertypes.Amount{alice.account(): 7500, orders.EscrowAccount("o1"): 0, shop.msp: 2500})
	if p := c.points(alice); p != 25 {
		t.Fatalf("alice has %d points, want 25", p)
	}
	o := c.order("o1")
	if o.State != orders.StateDelivered || o.UpdatedTx != acceptance || o.DeliveredBy != alice.account() || o.Released != 2500 ||
		o.ReturnBy == nil || o.Shipment == nil || o.Shipment.SSCC != sscc {
		t.Fatalf("order after the handover %+v", o)
	}
	// Exactly once: the confirmation finds it delivered and changes nothing.
	c.fails(alice, "orders:ConfirmDelivery", map[string]string{"id": "o1"}, cxlerr.Conflict, "it is delivered")
	c.fails(ship, "orders:ConfirmDelivery", map[string]string{"id": "o1"}, cxlerr.Conflict, "it is delivered")
	c.wantBalances(map[string]ledgertypes.Amount{shop.msp: 2500})
	if p := c.points(alice); p != 25 {
		t.Fatalf("alice has %d points after the confirmations, want 25", p)
	}
	// The lot is free to ship again: handed back and on, it finds the delivered order.
	c.hand(alice, ship, lot("L1"))
	if got := c.hand(ship, alice, lot("L1")); got.Delivery == nil || got.Delivery.Released || got.Delivery.Reason != "order o1 is delivered, not awaiting delivery" {
		t.Fatalf("second handover: %+v", got.Delivery)
	}
	c.wantBalances(map[string]ledgertypes.Amount{shop.msp: 2500})
	// The acceptance wrote the orders and loyalty keys under the chaincode's policy alone:
	// only the custody key carries a key-level policy.
	for _, k := range c.stub.Keys() {
		if p, _ := c.stub.GetStateValidationParameter(k); p != nil && !strings.Contains(k, "provenance.") {
			t.Errorf("%s has a key-level endorsement policy", ledger.DescribeKey(k))
		}
	}
}

// TestHandoverOfItemsReleasesOnTheLast: a shipment of items is delivered by the acceptance
// that leaves the customer holding all of them.
func TestHandoverOfItemsReleasesOnTheLast(t *testing.T) {
	c := newChain(t)
	c.place(alice, "o2", 3000, ship, map[string]any{"gtin": shipped, "serials": []string{"S1", "S2"}})
	if got := c.hand(ship, alice, item("S2")); got.Delivery == nil || got.Delivery.Released ||
		got.Delivery.Reason != "1 of the 2 items of order o2's shipment are with the customer" {
		t.Fatalf("first item: %+v", got.Delivery)
	}
	c.wantBalances(map[string]ledgertypes.Amount{orders.EscrowAccount("o2"): 3000, shop.msp: 0})
	// An item that is not in the shipment names no order.
	if got := c.hand(ship, alice, item("S3")); got.Delivery != nil {
		t.Fatalf("an item of no order: %+v", got.Delivery)
	}
	if got := c.hand(ship, alice, item("S1")); got.Delivery == nil || !got.Delivery.Released || got.Delivery.Amount != 3000 {
		t.Fatalf("last item: %+v", got.Delivery)
	}
	c.wantBalances(map[string]ledgertypes.Amount{orders.EscrowAccount("o2"): 0, shop.msp: 3000})
	if o := c.order("o2"); o.State != orders.StateDelivered || o.UpdatedTx != c.tx {
		t.Fatalf("order %+v", o)
	}
}

// TestHandoverAfterConfirmation: the customer's own confirmation still delivers; the
// handover that follows finds the order delivered and releases nothing.
func TestHandoverAfterConfirmation(t *testing.T) {
	c := newChain(t)
	c.place(alice, "o3", 1000, ship, map[string]any{"gtin": shipped, "lot": "L3"})
	c.ok(alice, "orders:ConfirmDelivery", map[string]string{"id": "o3"})
	c.wantBalances(map[string]ledgertypes.Amount{shop.msp: 1000})
	if got := c.hand(ship, alice, lot("L3")); got.Delivery == nil || got.Delivery.Released || got.Delivery.Order != "o3" ||
		!strings.Contains(got.Delivery.Reason, "is delivered") {
		t.Fatalf("handover after the confirmation: %+v", got.Delivery)
	}
	if d := c.eventDelivery(); d == nil || d.Released || d.Related != nil {
		t.Fatalf("event delivery %+v", d)
	}
	c.wantBalances(map[string]ledgertypes.Amount{shop.msp: 1000, orders.EscrowAccount("o3"): 0})
	if p := c.points(alice); p != 10 {
		t.Fatalf("alice has %d points, want the 10 of one delivery", p)
	}
}

// TestHandoverMismatches: a handover that is not the order's delivery releases nothing and
// says why, and the custody still moves.
func TestHandoverMismatches(t *testing.T) {
	c := newChain(t)
	escrowed := func(id string, amount ledgertypes.Amount) {
		t.Helper()
		c.wantBalances(map[string]ledgertypes.Amount{orders.EscrowAccount(id): amount, shop.msp: 0})
		if o := c.order(id); o.State != orders.StatePlaced {
			t.Fatalf("order %s is %s", id, o.State)
		}
	}
	cases := []struct {
		name      string
		lot       string
		carrier   who // the order's carrier
		from, to  who
		subject   map[string]any
		wantOrder string
		reason    string
	}{
		{name: "another carrier", lot: "L4", carrier: ship2, from: ship, to: alice, wantOrder: "m-L4",
			reason: "custody came from ShipMSP, not from the order's carrier Ship2MSP"},
		{name: "another customer", lot: "L5", carrier: ship, from: ship, to: bob,
			reason: "the receiver is not the customer of the order naming this shipment"},
		{name: "to an organisation", lot: "L6", carrier: ship, from: ship, to: shop, wantOrder: "m-L6",
			reason: "the receiver is not the order's customer"},
		{name: "an item of a lot shipment", lot: "L2", carrier: ship, from: ship, to: alice, subject: item("S1"), wantOrder: "m-L2",
			reason: "order m-L2 ships lot " + shipped + "/L2 whole; one of its items handed over alone does not deliver it"},
	}
	for _, tc := range cases {
		id := "m-" + tc.lot
		c.place(alice, id, 500, tc.carrier, map[string]any{"gtin": shipped, "lot": tc.lot})
		subject := tc.subject
		if subject == nil {
			subject = lot(tc.lot)
		}
		got := c.hand(tc.from, tc.to, subject)
		want := provenance.Delivery{Order: tc.wantOrder, Reason: tc.reason}
		if got.Delivery == nil || *got.Delivery != want {
			t.Fatalf("%s: delivery %+v, want %+v", tc.name, got.Delivery, want)
		}
		if d := c.eventDelivery(); d == nil || d.Delivery != want {
			t.Fatalf("%s: event %s", tc.name, c.event.Data)
		}
		escrowed(id, 500)
	}
	// A refunded order releases nothing either.
	c.place(alice, "m-L3", 700, ship, map[string]any{"gtin": shipped, "lot": "L3"})
	c.ok(shop, "orders:Refund", map[string]any{"id": "m-L3", "refundId": "r1"})
	if got := c.hand(ship, alice, lot("L3")); got.Delivery == nil || got.Delivery.Reason != "order m-L3 is refunded, not awaiting delivery" {
		t.Fatalf("refunded: %+v", got.Delivery)
	}
	// A carrier that lost its role releases nothing.
	c.place(alice, "m-L1", 800, ship, map[string]any{"gtin": shipped, "lot": "L1"})
	c.revoke(ship.msp, ledgertypes.Carrier)
	if got := c.hand(ship, alice, lot("L1")); got.Delivery == nil || got.Delivery.Reason != "the order's carrier ShipMSP no longer holds the carrier role" {
		t.Fatalf("carrier without its role: %+v", got.Delivery)
	}
	escrowed("m-L1", 800)
	c.wantBalances(map[string]ledgertypes.Amount{shop.msp: 0})
}

// TestPlaceChecksTheShipment: the named lot or items must be registered, a shipment needs a
// carrier, and no two orders awaiting delivery name the same goods; hostile shipments are
// INVALID and write nothing.
func TestPlaceChecksTheShipment(t *testing.T) {
	c := newChain(t)
	// place has w place order id naming shipment, lot L1 if nil.
	place := func(w who, id string, shipment any) error {
		t.Helper()
		args := c.placeArgs(id, 100, ship, map[string]any{"gtin": shipped, "lot": "L1"})
		if shipment != nil {
			args["shipment"] = shipment
		}
		_, err := c.call(w, "orders:Place", args)
		return err
	}
	wantErr := func(err error, code cxlerr.Code, want string) {
		t.Helper()
		if cxlerr.CodeOf(err) != code || !strings.Contains(fmt.Sprint(err), want) {
			t.Fatalf("error %v, want %s containing %q", err, code, want)
		}
	}
	wantErr(place(alice, "x1", map[string]any{"gtin": shipped, "lot": "NOLOT"}), cxlerr.NotFound, "shipment: lot NOLOT of product "+shipped+" not found")
	wantErr(place(alice, "x1", map[string]any{"gtin": shipped, "serials": []string{"S1", "NOPE"}}), cxlerr.NotFound, "shipment: item with serial NOPE")
	wantErr(place(alice, "x1", map[string]any{"gtin": shipped, "lot": "L1", "serials": []string{"S1"}}), cxlerr.Invalid, "not both")
	wantErr(place(alice, "x1", map[string]any{"gtin": shipped}), cxlerr.Invalid, "name a lot or 1 to 500 serials")
	wantErr(place(alice, "x1", map[string]any{"gtin": "12345", "lot": "L1"}), cxlerr.Invalid, "shipment.gtin")
	wantErr(place(alice, "x1", map[string]any{"gtin": shipped, "lot": "L1", "sscc": badSSCC}), cxlerr.Invalid, "shipment.sscc")
	wantErr(place(alice, "x1", map[string]any{"gtin": shipped, "serials": []string{"S1", "S1"}}), cxlerr.Invalid, "listed twice")
	wantErr(place(alice, "x1", map[string]any{"gtin": shipped, "lot": "L 1"}), cxlerr.Invalid, "shipment.lot")
	many := make([]string, orders.MaxShipmentSerials+1)
	for i := range many {
		many[i] = fmt.Sprintf("S%d", i)
	}
	wantErr(place(alice, "x1", map[string]any{"gtin": shipped, "serials": many}), cxlerr.Invalid, "501 serials, more than 500")
	noCarrier := c.placeArgs("x1", 100, ship, map[string]any{"gtin": shipped, "lot": "L1"})
	delete(noCarrier, "carrier")
	c.fails(alice, "orders:Place", noCarrier, cxlerr.Invalid, "shipment: needs the carrier")
	bad := strings.Replace(js(c.placeArgs("x1", 100, ship, map[string]any{"gtin": shipped, "lot": "LOTX"})), "LOTX", "L\xff", 1)
	c.fails(alice, "orders:Place", bad, cxlerr.Invalid, "UTF-8")
	if c.hasKey("orders.order", "x1") {
		t.Fatal("a refused placement wrote the order")
	}

	// A GTIN-13 names the same product as its GTIN-14.
	o := c.place(alice, "a1", 100, ship, map[string]any{"gtin": shipped[1:], "lot": "L1"})
	if o.Shipment.GTIN != shipped {
		t.Fatalf("shipment GTIN %q, want %q", o.Shipment.GTIN, shipped)
	}
	// Another customer cannot name goods an order awaiting delivery names, and learns nothing
	// of that order; nor can it deliver or read the order.
	err := place(bob, "b1", nil)
	wantErr(err, cxlerr.Conflict, "lot "+shipped+"/L1 is already the shipment of another order awaiting delivery")
	if strings.Contains(err.Error(), "a1") || strings.Contains(err.Error(), "alice") {
		t.Fatalf("the refusal names alice's order: %v", err)
	}
	c.fails(bob, "orders:ConfirmDelivery", map[string]string{"id": "a1"}, cxlerr.Forbidden, "may not read")
	c.fails(bob, "orders:GetOrder", map[string]string{"id": "a1"}, cxlerr.Forbidden, "may not read")
	// Once that order is delivered, the goods can be ordered again.
	c.ok(alice, "orders:ConfirmDelivery", map[string]string{"id": "a1"})
	if err := place(bob, "b1", nil); err != nil {
		t.Fatalf("order goods whose order was delivered: %v", err)
	}
	c.hand(ship, bob, lot("L1"))
	if d := c.eventDelivery(); d == nil || !d.Released || d.Order != "b1" {
		t.Fatalf("bob's delivery %+v", d)
	}
}
