package orderscc_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/chaincode/orders/orderscc"
	"github.com/cxledger/cxledger/cxlerr"
)

func id(s string) string { return js(map[string]string{"id": s}) }

func refundArgs(order, refundID string, amount ledgertypes.Amount) string {
	a := map[string]any{"id": order, "refundId": refundID}
	if amount != 0 {
		a["amount"] = amount
	}
	return js(a)
}

func TestPlaceMovesMoneyIntoEscrow(t *testing.T) {
	e := newEnv(t)
	e.fund(10_000, alice.account())
	o := mustDo(e, alice, place, js(newOrder("o1", 2_500)))
	if o.State != orders.StatePlaced || o.Customer != alice.account() || o.Merchant != shop.msp || !o.Placed.Equal(t0) || o.Remaining() != 2_500 {
		t.Fatalf("placed %+v", o)
	}
	e.wantBalances(map[string]ledgertypes.Amount{alice.account(): 7_500, orders.EscrowAccount("o1"): 2_500, shop.msp: 0})
	ev := e.event()
	if ev.Type != "OrderPlaced" || ev.Keys["order"] != "o1" || ev.Keys["merchant"] != shop.msp || strings.Contains(string(ev.Data), "alice") {
		t.Fatalf("event %+v %s", ev, ev.Data)
	}
	if !e.hasKey("orders.deadline", "2026-01-04T09:00:00.000000000Z", "o1") || !e.hasKey("orders.merchant", shop.msp, "placed", "2026-01-01T09:00:00.000000000Z", "o1") {
		t.Fatalf("index rows missing: %q", e.stub.Keys())
	}
	// The ID is taken; the refusal says so and nothing of alice's order.
	if _, err := do(e, bob, place, js(newOrder("o1", 1))); err == nil || err.Error() != "cxl:CONFLICT: order ID o1 is taken" {
		t.Fatalf("place on a taken ID: %v", err)
	}
	fails(e, alice, place, js(newOrder("o2", 7_501)), cxlerr.InsufficientFunds, "7500 EUR usable")
}

func TestConfirmDeliveryPaysTheMerchant(t *testing.T) {
	for _, tt := range []struct {
		name string
		by   who
		want string
	}{
		{"by customer", alice, alice.account()},
		{"by carrier", ship, ship.msp},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.fund(10_000, alice.account())
			mustDo(e, alice, place, js(newOrder("o1", 2_500)))
			e.stub.At(t0.Add(time.Hour))
			o := mustDo(e, tt.by, confirm, id("o1"))
			if o.State != orders.StateDelivered || o.Released != 2_500 || o.DeliveredBy != tt.want || o.ReleaseLot == "" ||
				!o.ReturnBy.Equal(t0.Add(time.Hour+14*24*time.Hour)) {
				t.Fatalf("delivered %+v", o)
			}
			e.wantBalances(map[string]ledgertypes.Amount{alice.account(): 7_500, orders.EscrowAccount("o1"): 0, shop.msp: 2_500})
			ev := e.event()
			var data map[string]any
			if err := json.Unmarshal(ev.Data, &data); err != nil {
				t.Fatal(err)
			}
			if ev.Type != "OrderDelivered" || data["released"] != 2500.0 || data["state"] != "delivered" || js(data["related"]) != `{"points":25}` {
				t.Fatalf("event %s %s", ev.Type, ev.Data)
			}
			if got := e.order("o1"); got.State != orders.StateDelivered {
				t.Fatalf("hook changed the stored order: %+v", got)
			}
			if e.hasKey("orders.deadline", "2026-01-04T09:00:00.000000000Z", "o1") || e.hasKey("orders.merchant", shop.msp, "placed", "2026-01-01T09:00:00.000000000Z", "o1") ||
				!e.hasKey("orders.merchant", shop.msp, "delivered", "2026-01-01T09:00:00.000000000Z", "o1") {
				t.Fatalf("index rows not moved: %q", e.stub.Keys())
			}
			fails(e, alice, confirm, id("o1"), cxlerr.Conflict, "cannot confirm delivery of order o1: it is delivered")
		})
	}
}

func TestDeadline(t *testing.T) {
	e := newEnv(t)
	e.fund(10_000, alice.account(), bob.account())
	mustDo(e, alice, place, js(newOrder("a1", 1_000)))
	mustDo(e, bob, place, js(newOrder("b1", 1_000)))
	deadline := t0.Add(72 * time.Hour)

	e.stub.At(deadline)
	r := mustDo(e, carol, sweep, `{}`)
	if len(r.Refunded) != 0 || r.Remaining != 0 || e.lastEvent != nil {
		t.Fatalf("sweep at the deadline: %+v, event %v", r, e.lastEvent)
	}
	o := mustDo(e, ship, confirm, id("a1")) // the deadline itself still counts
	if o.State != orders.StateDelivered {
		t.Fatalf("%+v", o)
	}

	e.stub.At(deadline.Add(time.Nanosecond))
	fails(e, ship, confirm, id("b1"), cxlerr.Expired, "order b1 was due by 2026-01-04T09:00:00Z")
	// The customer may still accept late goods.
	e.stub.AsIdentity(bob.id())
	if _, err := text((*orderscc.Contract).ConfirmDelivery)(e.c, ctxOf(e), id("b1")); err != nil {
		t.Fatal(err)
	}
	e.stub.Begin()
}

func TestSweepBeforeTheDeadlineRefundsNothing(t *testing.T) {
	e := newEnv(t)
	e.fund(10_000, alice.account())
	mustDo(e, alice, place, js(newOrder("o1", 1_000)))
	e.stub.At(t0.Add(71 * time.Hour))
	e.stub.AsIdentity(carol.id())
	r, err := text((*orderscc.Contract).Sweep)(e.c, ctxOf(e), `{}`)
	if err != nil || len(r.Refunded) != 0 || r.Remaining != 0 || r.More {
		t.Fatalf("sweep: %+v %v", r, err)
	}
	if w := e.stub.Writes(); len(w) != 0 || e.stub.Event() != nil {
		t.Fatalf("sweep before the deadline wrote %v", w)
	}
	e.stub.Begin()
	e.wantBalances(map[string]ledgertypes.Amount{alice.account(): 9_000, orders.EscrowAccount("o1"): 1_000})
}

func TestSweepRefundsOverdueOrders(t *testing.T) {
	e := newEnv(t)
	e.fund(10_000, alice.account(), bob.account(), carol.account())
	// Deadlines: a1 < b1 < a2 < c1 < c2 (delivered) < b2 (not yet due).
	for i, p := range []struct {
		w  who
		id string
		h  int
	}{{alice, "a1", 10}, {bob, "b1", 11}, {alice, "a2", 12}, {carol, "c1", 13}, {carol, "c2", 14}, {bob, "b2", 100}} {
		o := newOrder(p.id, ledgertypes.Amount(100*(i+1)))
		o.Deadline = t0.Add(time.Duration(p.h) * time.Hour)
		mustDo(e, p.w, place, js(o))
	}
	mustDo(e, carol, confirm, id("c2"))
	e.stub.At(t0.Add(50 * time.Hour))

	// Limit 3: a1 and b1 are refunded; a2 is alice's second and waits.
	r := mustDo(e, judge, sweep, `{"limit":3}`)
	if got := sweptIDs(r); !slices.Equal(got, []string{"a1", "b1"}) || r.Remaining != 2 || r.More {
		t.Fatalf("first sweep %v %+v", got, r)
	}
	ev := e.event()
	if ev.Type != "OrdersSwept" || !strings.Contains(string(ev.Data), `"related":{"reversed":1}`) || !strings.Contains(string(ev.Data), `"remaining":2`) {
		t.Fatalf("event %s %s", ev.Type, ev.Data)
	}
	r = mustDo(e, judge, sweep, `{}`)
	if got := sweptIDs(r); !slices.Equal(got, []string{"a2", "c1"}) || r.Remaining != 0 {
		t.Fatalf("second sweep %v %+v", got, r)
	}
	r = mustDo(e, judge, sweep, `{}`)
	if len(r.Refunded) != 0 || e.lastEvent != nil {
		t.Fatalf("third sweep %+v", r)
	}
	e.wantBalances(map[string]ledgertypes.Amount{
		alice.account(): 10_000, bob.account(): 10_000 - 600, carol.account(): 10_000 - 500,
		orders.EscrowAccount("a1"): 0, orders.EscrowAccount("b2"): 600, shop.msp: 500,
	})
	for _, o := range []string{"a1", "b1", "a2", "c1"} {
		if got := e.order(o); got.State != orders.StateRefunded || got.Refunded != got.Amount || got.Refunds[0].By != "sweep" {
			t.Fatalf("order %s: %+v", o, got)
		}
	}
	if want := []string{"a1:100", "b1:200", "a2:300", "c1:400"}; !slices.Equal(e.hooks.refunded, want) {
		t.Fatalf("refund hooks %v, want %v", e.hooks.refunded, want)
	}
	// Only b2 is left in the deadline index.
	left := 0
	for _, k := range e.stub.Keys() {
		if typ, _, _ := e.stub.SplitCompositeKey(k); typ == "orders.deadline" {
			left++
		}
	}
	if left != 1 {
		t.Fatalf("%d deadline rows left, want 1", left)
	}
}

func sweptIDs(r *orders.OrderSweep) []string {
	ids := []string{}
	for _, o := range r.Refunded {
		ids = append(ids, o.ID)
	}
	return ids
}

func TestSweepCountsWhatRemains(t *testing.T) {
	e := newEnv(t)
	customers := []who{}
	for i := range 5 {
		customers = append(customers, who{"CustMSP", "c" + string(rune('a'+i)), "client", ""})
	}
	for _, c := range customers {
		e.fund(1_000, c.account())
		o := newOrder("o-"+c.cn, 100)
		o.Deadline = t0.Add(time.Hour)
		mustDo(e, c, place, js(o))
	}
	e.stub.At(t0.Add(2 * time.Hour))
	r := mustDo(e, carol, sweep, `{"limit":2}`)
	if len(r.Refunded) != 2 || r.Remaining != 3 || r.More {
		t.Fatalf("sweep %+v", r)
	}
}

func TestRefundBeforeDelivery(t *testing.T) {
	e := newEnv(t)
	e.fund(10_000, alice.account())
	mustDo(e, alice, place, js(newOrder("o1", 3_000)))

	o := mustDo(e, shop, refund, js(map[string]any{"id": "o1", "refundId": "r1", "amount": 1_000, "reason": "out-of-stock"}))
	if o.State != orders.StatePlaced || o.Refunded != 1_000 || o.Remaining() != 2_000 || len(o.Refunds) != 1 || o.Refunds[0].Reason != "out-of-stock" {
		t.Fatalf("partial refund %+v", o)
	}
	if e.event().Type != "OrderPartiallyRefunded" {
		t.Fatalf("event %s", e.event().Type)
	}
	e.wantBalances(map[string]ledgertypes.Amount{alice.account(): 8_000, orders.EscrowAccount("o1"): 2_000})
	fails(e, shop, refund, refundArgs("o1", "r1", 500), cxlerr.Conflict, "refund r1 of order o1 was already made")
	fails(e, shop, refund, refundArgs("o1", "r2", 2_001), cxlerr.Conflict, "amount: 2001 is more than the 2000 EUR of order o1 not yet refunded")

	o = mustDo(e, shop, refund, refundArgs("o1", "r2", 0))
	if o.State != orders.StateRefunded || o.Refunded != 3_000 {
		t.Fatalf("full refund %+v", o)
	}
	if e.event().Type != "OrderRefunded" {
		t.Fatalf("event %s", e.event().Type)
	}
	e.wantBalances(map[string]ledgertypes.Amount{alice.account(): 10_000, orders.EscrowAccount("o1"): 0})

	// Double refund, release after refund, sweep after refund.
	fails(e, shop, refund, refundArgs("o1", "r2", 0), cxlerr.Conflict, "refund r2 of order o1 was already made")
	fails(e, shop, refund, refundArgs("o1", "r3", 0), cxlerr.Conflict, "cannot refund order o1: it is refunded")
	fails(e, alice, confirm, id("o1"), cxlerr.Conflict, "cannot confirm delivery of order o1: it is refunded")
	fails(e, ship, confirm, id("o1"), cxlerr.Conflict, "it is refunded")
	e.stub.At(t0.Add(100 * time.Hour))
	if r := mustDo(e, carol, sweep, `{}`); len(r.Refunded) != 0 {
		t.Fatalf("sweep refunded a refunded order: %+v", r)
	}
	e.wantBalances(map[string]ledgertypes.Amount{alice.account(): 10_000, shop.msp: 0})
}

func TestRefundAfterRelease(t *testing.T) {
	e := newEnv(t)
	e.fund(10_000, alice.account(), bob.account())
	mustDo(e, alice, place, js(newOrder("o1", 3_000)))
	mustDo(e, bob, place, js(newOrder("o2", 4_000)))
	mustDo(e, alice, confirm, id("o1"))
	mustDo(e, bob, confirm, id("o2"))

	// The escrow is empty and the deadline row gone: the sweep finds nothing,
	// and the delivery cannot happen again.
	e.stub.At(t0.Add(100 * time.Hour))
	if r := mustDo(e, carol, sweep, `{}`); len(r.Refunded) != 0 {
		t.Fatalf("sweep refunded a delivered order: %+v", r)
	}
	fails(e, ship, confirm, id("o1"), cxlerr.Conflict, "it is delivered")
	fails(e, shop, receiveReturn, id("o1"), cxlerr.Conflict, "cannot receive the return of order o1: it is delivered")

	// A merchant refund after delivery comes out of the merchant's money,
	// from the lot that paid for the order, read by key.
	e.stub.AsIdentity(shop.id())
	o, err := text((*orderscc.Contract).Refund)(e.c, ctxOf(e), refundArgs("o1", "goodwill", 1_000))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range e.stub.Writes() {
		if typ, parts, _ := e.stub.SplitCompositeKey(w.Key); typ == orders.Book("EUR") && parts[0] == shop.msp && w.Op == "delete" && parts[1] != e.order("o1").ReleaseLot {
			t.Fatalf("refund spent lot %s, not the order's lot", parts[1])
		}
	}
	e.lastEvent = e.stub.Event()
	e.stub.Commit()
	if o.State != orders.StateDelivered || o.Refunded != 1_000 || o.ReleaseLot == "" {
		t.Fatalf("refund after delivery %+v", o)
	}
	e.wantBalances(map[string]ledgertypes.Amount{alice.account(): 8_000, shop.msp: 6_000})
	fails(e, shop, refund, refundArgs("o1", "goodwill", 0), cxlerr.Conflict, "refund goodwill of order o1 was already made")

	// Once the merchant withdrew the order's lot, a refund comes from its
	// balance: INSUFFICIENT_FUNDS while that is empty.
	mustDo(e, bank, withdraw, `{"ref":"w1","account":"ShopMSP","currency":"EUR","amount":6000}`)
	fails(e, shop, refund, refundArgs("o1", "r2", 0), cxlerr.InsufficientFunds, "ShopMSP has nothing usable")
	e.fund(2_000, shop.msp)
	o = mustDo(e, shop, refund, refundArgs("o1", "r2", 0))
	if o.State != orders.StateRefunded || o.Refunded != 3_000 || o.ReleaseLot != "" {
		t.Fatalf("refund from the balance %+v", o)
	}
	e.wantBalances(map[string]ledgertypes.Amount{alice.account(): 10_000, shop.msp: 0})
	fails(e, shop, refund, refundArgs("o1", "r3", 0), cxlerr.Conflict, "it is refunded")
}

func TestReturn(t *testing.T) {
	for _, tt := range []struct {
		name string
		by   who
	}{{"received by merchant", shop}, {"received by carrier", ship}} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.fund(10_000, alice.account())
			mustDo(e, alice, place, js(newOrder("o1", 3_000)))
			mustDo(e, alice, confirm, id("o1"))
			e.stub.At(t0.Add(13 * 24 * time.Hour))
			o := mustDo(e, alice, requestReturn, `{"id":"o1","reason":"damaged"}`)
			if o.State != orders.StateReturning || e.event().Type != "ReturnRequested" || !strings.Contains(string(e.event().Data), `"reason":"damaged"`) {
				t.Fatalf("return requested %+v %s", o, e.event().Data)
			}
			fails(e, alice, requestReturn, id("o1"), cxlerr.Conflict, "cannot return order o1: it is returning")
			mustDo(e, shop, refund, refundArgs("o1", "shipping", 500))
			o = mustDo(e, tt.by, receiveReturn, id("o1"))
			if o.State != orders.StateReturned || o.Refunded != 3_000 || len(o.Refunds) != 2 || o.Refunds[1].Amount != 2_500 || o.Refunds[1].By != tt.by.msp {
				t.Fatalf("returned %+v", o)
			}
			ev := e.event()
			if ev.Type != "ReturnReceived" || !strings.Contains(string(ev.Data), `"refunded":2500`) {
				t.Fatalf("event %s %s", ev.Type, ev.Data)
			}
			e.wantBalances(map[string]ledgertypes.Amount{alice.account(): 10_000, shop.msp: 0})
			fails(e, shop, receiveReturn, id("o1"), cxlerr.Conflict, "it is returned")
			fails(e, shop, refund, refundArgs("o1", "again", 0), cxlerr.Conflict, "cannot refund order o1: it is returned")
			if !slices.Equal(e.hooks.refunded, []string{"o1:500", "o1:2500"}) {
				t.Fatalf("hooks %v", e.hooks.refunded)
			}
		})
	}
}

func TestReturnWindow(t *testing.T) {
	e := newEnv(t)
	e.fund(10_000, alice.account())
	mustDo(e, alice, place, js(newOrder("o1", 1_000)))
	none := newOrder("o2", 1_000)
	none.ReturnDays = 0
	mustDo(e, alice, place, js(none))
	mustDo(e, alice, confirm, id("o1"))
	mustDo(e, alice, confirm, id("o2"))
	fails(e, alice, requestReturn, id("o2"), cxlerr.Expired, "order o2 takes no returns")
	fails(e, alice, openDispute, id("o2"), cxlerr.Expired, "order o2 takes no returns, so a dispute is too late")
	e.stub.At(t0.Add(14 * 24 * time.Hour))
	fails(e, alice, requestReturn, id("o1"), cxlerr.Expired, "the return window of order o1 closed at 2026-01-15T09:00:00Z")
	fails(e, alice, openDispute, id("o1"), cxlerr.Expired, "closed at")
}

func TestDispute(t *testing.T) {
	e := newEnv(t)
	e.fund(10_000, alice.account(), bob.account())
	mustDo(e, alice, place, js(newOrder("o1", 3_000)))
	mustDo(e, bob, place, js(newOrder("o2", 2_000)))
	fails(e, alice, openDispute, id("o1"), cxlerr.Conflict, "cannot dispute order o1: it is placed")
	mustDo(e, alice, confirm, id("o1"))
	mustDo(e, bob, confirm, id("o2"))

	o := mustDo(e, alice, openDispute, `{"id":"o1","reason":"not-as-described"}`)
	if o.State != orders.StateDisputed || o.Dispute.OpenedBy != alice.account() || o.Dispute.From != orders.StateDelivered {
		t.Fatalf("disputed %+v", o)
	}
	if ev := e.event(); ev.Type != "DisputeOpened" || strings.Contains(string(ev.Data), alice.cn) {
		t.Fatalf("event %s %s", ev.Type, ev.Data)
	}
	fails(e, shop, refund, refundArgs("o1", "r1", 0), cxlerr.Conflict, "it is disputed")
	fails(e, alice, openDispute, id("o1"), cxlerr.Conflict, "it is disputed")
	fails(e, judge, resolve, `{"id":"o1","refund":3001}`, cxlerr.Conflict, "refund: 3001 is more than the 3000")
	o = mustDo(e, judge, resolve, `{"id":"o1","refund":1200}`)
	if o.State != orders.StateResolved || o.Dispute.Refund != 1_200 || o.Dispute.Resolved == nil || o.Refunded != 1_200 {
		t.Fatalf("resolved %+v", o)
	}
	if ev := e.event(); ev.Type != "DisputeResolved" || !strings.Contains(string(ev.Data), `"related":{"reversed":12}`) {
		t.Fatalf("event %s %s", ev.Type, ev.Data)
	}
	fails(e, judge, resolve, `{"id":"o1","refund":0}`, cxlerr.Conflict, "it is resolved")

	// The merchant disputes a return; the arbiter awards nothing.
	mustDo(e, bob, requestReturn, id("o2"))
	o = mustDo(e, shop, openDispute, id("o2"))
	if o.Dispute.OpenedBy != shop.msp || o.Dispute.From != orders.StateReturning {
		t.Fatalf("disputed %+v", o)
	}
	o = mustDo(e, judge, resolve, `{"id":"o2","refund":0}`)
	if o.State != orders.StateResolved || o.Refunded != 0 {
		t.Fatalf("resolved %+v", o)
	}
	e.wantBalances(map[string]ledgertypes.Amount{alice.account(): 8_200, bob.account(): 8_000, shop.msp: 3_800})

	noArbiter := newOrder("o3", 100)
	noArbiter.Arbiter = ""
	mustDo(e, alice, place, js(noArbiter))
	mustDo(e, alice, confirm, id("o3"))
	fails(e, alice, openDispute, id("o3"), cxlerr.Conflict, "order o3 names no arbiter")
}

// TestMoneyTransitionsWriteTheOrderKey checks what makes every payout and
// refund happen once under concurrency: each one writes the order's key
// after reading it, so of two transactions endorsed on the same version
// Fabric commits one and invalidates the other (MVCC), and a retry of the
// loser finds the new state and fails with CONFLICT.
func TestMoneyTransitionsWriteTheOrderKey(t *testing.T) {
	orderKey, _ := shim.CreateCompositeKey("orders.order", []string{"o1"})
	type step struct {
		name string
		w    who
		run  func(e *env) error
	}
	call := func(f fn[*orders.Order], args string) func(e *env) error {
		return func(e *env) error { _, err := f(e.c, ctxOf(e), args); return err }
	}
	prepare := func(t *testing.T, to ...step) *env {
		e := newEnv(t)
		e.fund(10_000, alice.account())
		mustDo(e, alice, place, js(newOrder("o1", 3_000)))
		for _, s := range to {
			e.stub.AsIdentity(s.w.id())
			if err := s.run(e); err != nil {
				t.Fatal(err)
			}
			e.stub.Commit()
		}
		return e
	}
	deliver := step{"deliver", alice, call(confirm, id("o1"))}
	ret := step{"return", alice, call(requestReturn, id("o1"))}
	dispute := step{"dispute", alice, call(openDispute, id("o1"))}
	for _, tt := range []struct {
		before []step
		step   step
	}{
		{nil, deliver},
		{nil, step{"refund part", shop, call(refund, refundArgs("o1", "r1", 10))}},
		{nil, step{"refund all", shop, call(refund, refundArgs("o1", "r1", 0))}},
		{[]step{deliver}, step{"refund after delivery", shop, call(refund, refundArgs("o1", "r1", 10))}},
		{[]step{deliver, ret}, step{"receive return", ship, call(receiveReturn, id("o1"))}},
		{[]step{deliver, dispute}, step{"resolve", judge, call(resolve, `{"id":"o1","refund":5}`)}},
		{nil, step{"sweep", carol, func(e *env) error {
			e.stub.At(t0.Add(1000 * time.Hour))
			_, err := text((*orderscc.Contract).Sweep)(e.c, ctxOf(e), `{}`)
			return err
		}}},
	} {
		t.Run(tt.step.name, func(t *testing.T) {
			e := prepare(t, tt.before...)
			e.stub.AsIdentity(tt.step.w.id())
			if err := tt.step.run(e); err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(e.stub.Writes(), func(w ledgertest.Write) bool { return w.Key == orderKey && w.Op == "put" }) {
				t.Fatalf("%s does not write the order key", tt.step.name)
			}
			e.stub.Commit()
			// The same call again, as a retry after commit, is refused.
			e.stub.AsIdentity(tt.step.w.id())
			err := tt.step.run(e)
			if tt.step.name == "sweep" {
				if err != nil || len(e.stub.Writes()) != 0 {
					t.Fatalf("second sweep: %v, writes %v", err, e.stub.Writes())
				}
				return
			}
			if tt.step.name == "refund part" || tt.step.name == "refund after delivery" {
				if cxlerr.CodeOf(err) != cxlerr.Conflict || !strings.Contains(err.Error(), "refund r1 of order o1 was already made") {
					t.Fatalf("retry: %v", err)
				}
				return
			}
			if cxlerr.CodeOf(err) != cxlerr.Conflict {
				t.Fatalf("retry: %v, want CONFLICT", err)
			}
		})
	}
}

func TestForbidden(t *testing.T) {
	e := newEnv(t)
	e.fund(10_000, alice.account(), bob.account())
	mustDo(e, alice, place, js(newOrder("placed", 1_000)))
	noCarrier := newOrder("nocarrier", 1_000)
	noCarrier.Carrier = ""
	mustDo(e, alice, place, js(noCarrier))
	mustDo(e, alice, place, js(newOrder("delivered", 1_000)))
	mustDo(e, alice, confirm, id("delivered"))
	mustDo(e, alice, place, js(newOrder("returning", 1_000)))
	mustDo(e, alice, confirm, id("returning"))
	mustDo(e, alice, requestReturn, id("returning"))
	mustDo(e, alice, place, js(newOrder("disputed", 1_000)))
	mustDo(e, alice, confirm, id("disputed"))
	mustDo(e, alice, openDispute, id("disputed"))
	shopAdmin := who{shop.msp, "Admin", "admin", "merchant"}
	shopPeer := who{shop.msp, "peer0", "peer", "merchant"}

	for _, tt := range []struct {
		name string
		w    who
		run  func(e *env, w who)
	}{
		{"register currency without payment role", shop, func(e *env, w who) {
			fails(e, w, registerCurrency, `{"currency":"GBP"}`, cxlerr.Forbidden, "the certificate of ShopMSP/clerk does not carry the payment role (attribute cxl.roles)")
		}},
		{"register currency carrying a role the organisation lacks", shop.with("merchant,payment"), func(e *env, w who) {
			fails(e, w, registerCurrency, `{"currency":"GBP"}`, cxlerr.Forbidden, "organisation ShopMSP does not hold the payment role")
		}},
		{"register currency as a customer of the payment organisation", bank.customer(), func(e *env, w who) {
			fails(e, w, registerCurrency, `{"currency":"GBP"}`, cxlerr.Forbidden, "BankMSP/teller is not staff of BankMSP")
		}},
		{"register currency as peer", who{bank.msp, "peer0", "peer", "payment"}, func(e *env, w who) {
			fails(e, w, registerCurrency, `{"currency":"GBP"}`, cxlerr.Forbidden, "neither a client nor an admin")
		}},
		{"deposit without payment role", shop, func(e *env, w who) {
			fails(e, w, deposit, `{"ref":"x","currency":"EUR","credits":[{"account":"ShopMSP","amount":1}]}`, cxlerr.Forbidden, "does not carry the payment role")
		}},
		{"deposit as a customer of the payment organisation", bank.customer(), func(e *env, w who) {
			fails(e, w, deposit, `{"ref":"x","currency":"EUR","credits":[{"account":"BankMSP/teller","amount":1000000}]}`, cxlerr.Forbidden,
				"BankMSP/teller is not staff of BankMSP: its certificate carries no roles (attribute cxl.roles), and a customer does not act for its organisation")
		}},
		{"deposit as the payment organisation's staff with only merchant", bank.with("merchant"), func(e *env, w who) {
			fails(e, w, deposit, `{"ref":"x","currency":"EUR","credits":[{"account":"BankMSP","amount":1}]}`, cxlerr.Forbidden,
				"the certificate of BankMSP/teller does not carry the payment role (attribute cxl.roles)")
		}},
		{"deposit as the payment organisation's admin without the attribute", who{bank.msp, "Admin", "admin", ""}, func(e *env, w who) {
			fails(e, w, deposit, `{"ref":"x","currency":"EUR","credits":[{"account":"BankMSP","amount":1}]}`, cxlerr.Forbidden, "BankMSP/Admin is not staff of BankMSP")
		}},
		{"deposit with a malformed roles attribute", bank.with("payment,treasurer"), func(e *env, w who) {
			fails(e, w, deposit, `{"ref":"x","currency":"EUR","credits":[{"account":"BankMSP","amount":1}]}`, cxlerr.Forbidden,
				"BankMSP/teller is not staff: the cxl.roles attribute of its certificate names something that is not a role")
		}},
		{"consolidate the organisation's account as its customer", shop.customer(), func(e *env, w who) {
			fails(e, w, consolidate, `{"account":"ShopMSP","currency":"EUR"}`, cxlerr.Forbidden, "only the holder of ShopMSP or the issuer")
		}},
		{"consolidate as the issuer's customer", bank.customer(), func(e *env, w who) {
			fails(e, w, consolidate, `{"account":"CustMSP/alice","currency":"EUR"}`, cxlerr.Forbidden, "only the holder of CustMSP/alice or the issuer")
		}},
		{"consolidate as the issuer's staff without payment", bank.with("auditor"), func(e *env, w who) {
			fails(e, w, consolidate, `{"account":"CustMSP/alice","currency":"EUR"}`, cxlerr.Forbidden, "only the holder of CustMSP/alice or the issuer")
		}},
		{"deposit by another issuer", bank2, func(e *env, w who) {
			fails(e, w, deposit, `{"ref":"x","currency":"EUR","credits":[{"account":"ShopMSP","amount":1}]}`, cxlerr.Forbidden, "EUR is issued by BankMSP; Bank2MSP may not")
		}},
		{"withdraw by a customer", alice, func(e *env, w who) {
			fails(e, w, withdraw, `{"ref":"x","account":"CustMSP/alice","currency":"EUR","amount":1}`, cxlerr.Forbidden, "CustMSP/alice is not staff of CustMSP")
		}},
		{"withdraw by a customer of the payment organisation", bank.customer(), func(e *env, w who) {
			fails(e, w, withdraw, `{"ref":"x","account":"ShopMSP","currency":"EUR","amount":1}`, cxlerr.Forbidden, "BankMSP/teller is not staff of BankMSP")
		}},
		{"withdraw by another issuer", bank2, func(e *env, w who) {
			fails(e, w, withdraw, `{"ref":"x","account":"CustMSP/alice","currency":"EUR","amount":1}`, cxlerr.Forbidden, "issued by BankMSP")
		}},
		{"consolidate someone else's account", bob, func(e *env, w who) {
			fails(e, w, consolidate, `{"account":"CustMSP/alice","currency":"EUR"}`, cxlerr.Forbidden, "only the holder of CustMSP/alice or the issuer")
		}},
		{"place as a peer", peerID, func(e *env, w who) {
			fails(e, w, place, js(newOrder("new", 1)), cxlerr.Forbidden, "neither a client nor an admin")
		}},
		{"deliver as merchant", shop, func(e *env, w who) {
			fails(e, w, confirm, id("placed"), cxlerr.Forbidden, "only the customer or the carrier ShipMSP confirm delivery")
		}},
		{"deliver as another customer", bob, func(e *env, w who) {
			fails(e, w, confirm, id("placed"), cxlerr.Forbidden, "CustMSP/bob may not read this record")
		}},
		{"deliver as a carrier not named", ship2, func(e *env, w who) {
			fails(e, w, confirm, id("placed"), cxlerr.Forbidden, "Ship2MSP/driver may not read this record")
		}},
		{"deliver as carrier when none is named", ship, func(e *env, w who) {
			fails(e, w, confirm, id("nocarrier"), cxlerr.Forbidden, "ShipMSP/driver may not read this record")
		}},
		{"deliver as merchant when no carrier is named", shop, func(e *env, w who) {
			fails(e, w, confirm, id("nocarrier"), cxlerr.Forbidden, "only the customer confirms delivery of order nocarrier, which names no carrier")
		}},
		{"deliver as the carrier's peer", who{ship.msp, "peer0", "peer", "carrier"}, func(e *env, w who) {
			fails(e, w, confirm, id("placed"), cxlerr.Forbidden, "ShipMSP/peer0 may not read this record")
		}},
		{"deliver as the carrier's customer", ship.customer(), func(e *env, w who) {
			fails(e, w, confirm, id("placed"), cxlerr.Forbidden, "ShipMSP/driver may not read this record")
		}},
		{"deliver as the carrier's staff without the carrier role", ship.with("merchant"), func(e *env, w who) {
			fails(e, w, confirm, id("placed"), cxlerr.Forbidden, "the certificate of ShipMSP/driver does not carry the carrier role")
		}},
		{"deliver as payment, which reads every order", bank, func(e *env, w who) {
			fails(e, w, confirm, id("placed"), cxlerr.Forbidden, "only the customer or the carrier ShipMSP confirm delivery")
		}},
		{"refund as customer", alice, func(e *env, w who) {
			fails(e, w, refund, refundArgs("placed", "r", 0), cxlerr.Forbidden, "only the merchant ShopMSP refunds order placed")
		}},
		{"refund as another merchant", mall, func(e *env, w who) {
			fails(e, w, refund, refundArgs("placed", "r", 0), cxlerr.Forbidden, "MallMSP/clerk may not read this record")
		}},
		{"refund as the merchant's peer", shopPeer, func(e *env, w who) {
			fails(e, w, refund, refundArgs("placed", "r", 0), cxlerr.Forbidden, "ShopMSP/peer0 may not read this record")
		}},
		{"refund as the merchant's customer", shop.customer(), func(e *env, w who) {
			fails(e, w, refund, refundArgs("placed", "r", 0), cxlerr.Forbidden, "ShopMSP/clerk may not read this record")
		}},
		{"refund as the merchant's staff without the merchant role", shop.with("carrier"), func(e *env, w who) {
			fails(e, w, refund, refundArgs("placed", "r", 0), cxlerr.Forbidden, "the certificate of ShopMSP/clerk does not carry the merchant role")
		}},
		{"refund as the merchant's admin without the attribute", who{shop.msp, "Admin", "admin", ""}, func(e *env, w who) {
			fails(e, w, refund, refundArgs("placed", "r", 0), cxlerr.Forbidden, "ShopMSP/Admin may not read this record")
		}},
		{"refund as an auditor", audit, func(e *env, w who) {
			fails(e, w, refund, refundArgs("placed", "r", 0), cxlerr.Forbidden, "only the merchant ShopMSP refunds order placed")
		}},
		{"refund as carrier", ship, func(e *env, w who) {
			fails(e, w, refund, refundArgs("placed", "r", 0), cxlerr.Forbidden, "only the merchant ShopMSP")
		}},
		{"return as merchant", shop, func(e *env, w who) {
			fails(e, w, requestReturn, id("delivered"), cxlerr.Forbidden, "only the customer returns order delivered")
		}},
		{"return as another customer", bob, func(e *env, w who) {
			fails(e, w, requestReturn, id("delivered"), cxlerr.Forbidden, "CustMSP/bob may not read this record")
		}},
		{"receive return as customer", alice, func(e *env, w who) {
			fails(e, w, receiveReturn, id("returning"), cxlerr.Forbidden, "only the merchant ShopMSP or the order's carrier record the return")
		}},
		{"receive return as the merchant's staff without the merchant role", shop.with("brand"), func(e *env, w who) {
			fails(e, w, receiveReturn, id("returning"), cxlerr.Forbidden, "the certificate of ShopMSP/clerk does not carry the merchant role")
		}},
		{"receive return as another merchant", mall, func(e *env, w who) {
			fails(e, w, receiveReturn, id("returning"), cxlerr.Forbidden, "MallMSP/clerk may not read this record")
		}},
		{"dispute as carrier", ship, func(e *env, w who) {
			fails(e, w, openDispute, id("delivered"), cxlerr.Forbidden, "only the customer or the merchant ShopMSP dispute order delivered")
		}},
		{"dispute as the merchant's staff without the merchant role", shop.with("auditor"), func(e *env, w who) {
			fails(e, w, openDispute, id("delivered"), cxlerr.Forbidden, "the certificate of ShopMSP/clerk does not carry the merchant role")
		}},
		{"dispute as arbiter", judge, func(e *env, w who) {
			fails(e, w, openDispute, id("delivered"), cxlerr.Forbidden, "only the customer or the merchant")
		}},
		{"resolve as merchant", shopAdmin, func(e *env, w who) {
			fails(e, w, resolve, `{"id":"disputed","refund":0}`, cxlerr.Forbidden, "only the order's arbiter resolves")
		}},
		{"resolve as customer", alice, func(e *env, w who) {
			fails(e, w, resolve, `{"id":"disputed","refund":1000}`, cxlerr.Forbidden, "only the order's arbiter resolves")
		}},
		{"resolve as the arbiter's staff without the arbiter role", judge.with("merchant"), func(e *env, w who) {
			fails(e, w, resolve, `{"id":"disputed","refund":0}`, cxlerr.Forbidden, "the certificate of JudgeMSP/referee does not carry the arbiter role")
		}},
		{"resolve as an arbiter not named", judge2, func(e *env, w who) {
			fails(e, w, resolve, `{"id":"disputed","refund":0}`, cxlerr.Forbidden, "Judge2MSP/referee may not read this record")
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			tt.run(e, tt.w)
		})
	}

	// Organisations that lose their role lose its powers.
	e.t = t
	e.revoke(ship.msp, ledgertypes.Carrier)
	fails(e, ship, confirm, id("placed"), cxlerr.Forbidden, "ShipMSP does not hold the carrier role")
	fails(e, ship, receiveReturn, id("returning"), cxlerr.Forbidden, "ShipMSP does not hold the carrier role")
	e.revoke(judge.msp, ledgertypes.Arbiter)
	fails(e, judge, resolve, `{"id":"disputed","refund":0}`, cxlerr.Forbidden, "JudgeMSP does not hold the arbiter role")
	e.revoke(bank.msp, ledgertypes.Payment)
	fails(e, bank, deposit, `{"ref":"x","currency":"EUR","credits":[{"account":"ShopMSP","amount":1}]}`, cxlerr.Forbidden, "BankMSP does not hold the payment role")
	// An admin of the merchant acts for it.
	mustDo(e, shopAdmin, refund, refundArgs("placed", "by-admin", 1))
}

func TestInvalid(t *testing.T) {
	e := newEnv(t)
	e.fund(10_000, alice.account())
	mustDo(e, alice, place, js(newOrder("placed", 1_000)))
	e.stub.At(t0.Add(time.Hour))
	with := func(change func(o *order)) string {
		o := newOrder("new", 100)
		change(&o)
		return js(o)
	}
	placeCases := []struct {
		name, args, want string
	}{
		{"zero amount", with(func(o *order) { o.Amount = 0 }), "amount: must be a positive number"},
		{"negative amount", with(func(o *order) { o.Amount = -5 }), "amount: must be a positive number"},
		{"overflowing amount", strings.Replace(with(func(o *order) { o.Amount = 1 }), `"amount":1,`, `"amount":9223372036854775808,`, 1), "amount: want an integer"},
		{"fractional amount", strings.Replace(with(func(o *order) { o.Amount = 1 }), `"amount":1,`, `"amount":1.5,`, 1), "amount: want an integer"},
		{"malformed currency", with(func(o *order) { o.Currency = "eur" }), `currency "eur": want three upper-case letters`},
		{"deadline in the past", with(func(o *order) { o.Deadline = t0 }), "deadline: 2026-01-01T09:00:00Z is not after the transaction time 2026-01-01T10:00:00Z"},
		{"deadline now", with(func(o *order) { o.Deadline = t0.Add(time.Hour) }), "is not after the transaction time"},
		{"deadline too far", with(func(o *order) { o.Deadline = t0.Add(3 * 366 * 24 * time.Hour) }), "more than 732 days after"},
		{"no deadline", strings.Replace(with(func(o *order) {}), `"deadline":"2026-01-04T09:00:00Z",`, "", 1), "deadline: required"},
		{"malformed deadline", strings.Replace(with(func(o *order) {}), `"2026-01-04T09:00:00Z"`, `"tomorrow"`, 1), "arguments"},
		{"bad order ID", with(func(o *order) { o.ID = "a/b" }), `id: "a/b": only letters`},
		{"empty order ID", with(func(o *order) { o.ID = "" }), "id: want 1 to 64"},
		{"bad merchant", with(func(o *order) { o.Merchant = "Shop MSP" }), "merchant: MSP ID"},
		{"merchant as arbiter", with(func(o *order) { o.Arbiter = shop.msp }), "arbiter: the merchant ShopMSP cannot arbitrate its own order"},
		{"no items", with(func(o *order) { o.Items = nil }), "items: want 1 to 100, got 0"},
		{"zero quantity", with(func(o *order) { o.Items[0].Quantity = 0 }), "items[0].quantity: want 1 to 1000000"},
		{"bad sku", with(func(o *order) { o.Items[0].SKU = "a b" }), `items[0].sku: "a b"`},
		{"bad gtin", with(func(o *order) { o.Items[0].GTIN = "123" }), `items[0].gtin: "123"`},
		{"serials without gtin", with(func(o *order) { o.Items[0].Serials = []string{"S1"} }), "items[0].serials: need the gtin"},
		{"more serials than items", with(func(o *order) { o.Items[0].GTIN = "09506000134352"; o.Items[0].Serials = []string{"S1", "S2", "S3"} }), "items[0].serials: 3 serials"},
		{"duplicate serial", with(func(o *order) { o.Items[0].GTIN = "09506000134352"; o.Items[0].Serials = []string{"S1", "S1"} }), "items[0].serials[1]: S1 is listed twice"},
		{"negative return window", with(func(o *order) { o.ReturnDays = -1 }), "returnDays: want 0 to 365"},
		{"long return window", with(func(o *order) { o.ReturnDays = 366 }), "returnDays: want 0 to 365"},
		{"unknown field", strings.Replace(with(func(o *order) {}), `{`, `{"tip":1,`, 1), `unknown field "tip"`},
		{"not JSON", "order", "invalid JSON"},
	}
	for _, tt := range placeCases {
		t.Run("place/"+tt.name, func(t *testing.T) {
			e.t = t
			fails(e, alice, place, tt.args, cxlerr.Invalid, tt.want)
		})
	}
	// What only the ledger can refuse is not INVALID.
	e.t = t
	fails(e, alice, place, with(func(o *order) { o.Currency = "GBP" }), cxlerr.NotFound, "currency: unknown currency GBP")
	fails(e, alice, place, with(func(o *order) { o.Merchant = "NobodyMSP" }), cxlerr.NotFound, "merchant: organisation NobodyMSP is not a member of the consortium")
	fails(e, alice, place, with(func(o *order) { o.Carrier = "ShipMSPX" }), cxlerr.NotFound, "carrier: organisation ShipMSPX is not a member")
	fails(e, alice, place, with(func(o *order) { o.Arbiter = "Org9MSP" }), cxlerr.NotFound, "arbiter: organisation Org9MSP is not a member")
	fails(e, alice, place, with(func(o *order) { o.Carrier = shop.msp }), cxlerr.Conflict, "carrier: ShopMSP does not hold the carrier role")
	fails(e, alice, place, with(func(o *order) { o.Arbiter = ship.msp }), cxlerr.Conflict, "arbiter: ShipMSP does not hold the arbiter role")
	fails(e, shop, refund, `{"id":"placed","refundId":"r","amount":1001}`, cxlerr.Conflict, "amount: 1001 is more than the 1000")
	other := []struct {
		name string
		w    who
		f    fn[*orders.Order]
		args string
		want string
	}{
		{"refund zero", shop, refund, `{"id":"placed","refundId":"r","amount":0}`, "amount: must be a positive number"},
		{"refund negative", shop, refund, `{"id":"placed","refundId":"r","amount":-1}`, "amount: must be a positive number"},
		{"refund without ID", shop, refund, `{"id":"placed"}`, "refundId: want 1 to 64"},
		{"refund free-text reason", shop, refund, `{"id":"placed","refundId":"r","reason":"Alice Smith complained"}`, "reason:"},
		{"resolve without refund", judge, resolve, `{"id":"placed"}`, "refund: required"},
		{"resolve negative refund", judge, resolve, `{"id":"placed","refund":-1}`, "refund: must not be negative"},
		{"confirm without ID", alice, confirm, `{}`, "id: want 1 to 64"},
		{"return long reason", alice, requestReturn, js(map[string]string{"id": "placed", "reason": strings.Repeat("x", 33)}), "reason: 33 bytes"},
	}
	for _, tt := range other {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			fails(e, tt.w, tt.f, tt.args, cxlerr.Invalid, tt.want)
		})
	}
	e.t = t
	// A missing order is NOT_FOUND to those who read every order only (see
	// TestWritesRefuseStrangersAlike).
	fails(e, audit, confirm, id("missing"), cxlerr.NotFound, "order missing not found")
	fails(e, carol, sweep, `{"limit":101}`, cxlerr.Invalid, "limit: want 1 to 100")
	fails(e, carol, sweep, `{"limit":-1}`, cxlerr.Invalid, "limit: want 1 to 100")
	fails(e, carol, merchantOrders, `{"merchant":"ShopMSP","state":"lost"}`, cxlerr.Invalid, `state: "lost" is not one of`)
	fails(e, carol, customerOrders, `{"customer":"alice"}`, cxlerr.Invalid, "customer: account")
	fails(e, carol, customerOrders, `{"pageSize":201}`, cxlerr.Invalid, "pageSize")
	fails(e, alice, balanceOf, `{"account":"CustMSP/alice","currency":"GBP"}`, cxlerr.NotFound, "unknown currency GBP")
}

func TestSettlement(t *testing.T) {
	e := newEnv(t)
	fails(e, bank2, registerCurrency, `{"currency":"EUR"}`, cxlerr.Conflict, "currency EUR is already registered by BankMSP")
	fails(e, bank, registerCurrency, `{"currency":"Eur"}`, cxlerr.Invalid, "want three upper-case letters")

	tr := mustDo(e, bank, deposit, `{"ref":"pay-1","currency":"EUR","credits":[{"account":"CustMSP/alice","amount":700},{"account":"ShopMSP","amount":300},{"account":"CustMSP/alice","amount":1}]}`)
	if tr.Kind != "deposit" || tr.Total != 1_001 || tr.Outstanding != 1_001 || tr.Issuer != bank.msp || len(tr.Entries) != 3 {
		t.Fatalf("deposit %+v", tr)
	}
	if ev := e.event(); ev.Type != "Deposited" || ev.Keys["ref"] != "pay-1" || strings.Contains(string(ev.Data), "alice") {
		t.Fatalf("event %+v %s", ev, ev.Data)
	}
	e.wantBalances(map[string]ledgertypes.Amount{alice.account(): 701, shop.msp: 300})
	fails(e, bank, deposit, `{"ref":"pay-1","currency":"EUR","credits":[{"account":"ShopMSP","amount":5}]}`, cxlerr.Conflict, "transfer pay-1 of BankMSP was already made: a deposit of 1001 EUR")
	for _, tt := range []struct{ args, want string }{
		{`{"ref":"d","currency":"EUR","credits":[]}`, "credits: want 1 to 100, got 0"},
		{`{"ref":"d","currency":"EUR","credits":[{"account":"ShopMSP","amount":0}]}`, "credits[0].amount: must be a positive number"},
		{`{"ref":"d","currency":"EUR","credits":[{"account":"ShopMSP","amount":-3}]}`, "credits[0].amount: must be a positive number"},
		{`{"ref":"d","currency":"EUR","credits":[{"account":"escrow:o1","amount":3}]}`, `credits[0].account: "escrow:o1" is an order's escrow`},
		{`{"ref":"d","currency":"EUR","credits":[{"account":"Cust MSP","amount":3}]}`, "credits[0].account: MSP ID"},
		{`{"ref":"d","currency":"EUR","credits":[{"account":"CustMSP/","amount":3}]}`, "credits[0].account: account name: required"},
		{`{"ref":"d","currency":"EUR","credits":[{"account":"ShopMSP","amount":9223372036854775807},{"account":"ShopMSP","amount":1}]}`, "credits: the total overflows at credit 1"},
		{`{"ref":"d d","currency":"EUR","credits":[{"account":"ShopMSP","amount":1}]}`, `ref: "d d"`},
	} {
		fails(e, bank, deposit, tt.args, cxlerr.Invalid, tt.want)
	}
	fails(e, bank, deposit, `{"ref":"d","currency":"EUR","credits":[{"account":"ShopMSP","amount":9223372036854775807}]}`, cxlerr.Conflict, "would take the outstanding 1001 past 9223372036854775807")
	fails(e, bank, deposit, `{"ref":"d","currency":"GBP","credits":[{"account":"ShopMSP","amount":1}]}`, cxlerr.NotFound, "unknown currency GBP")
	fails(e, bank, deposit, `{"ref":"d","currency":"EUR","credits":[{"account":"ShopMSP","amount":1},{"account":"Org9MSP","amount":1}]}`, cxlerr.NotFound, "credits[1].account: organisation Org9MSP is not a member")
	fails(e, bank, deposit, `{"ref":"d","currency":"EUR","credits":[{"account":"ShopMSPX/alice","amount":1}]}`, cxlerr.NotFound, "credits[0].account: organisation ShopMSPX is not a member")
	fails(e, bank, withdraw, `{"ref":"d","account":"Org9MSP/alice","currency":"EUR","amount":1}`, cxlerr.NotFound, "account: organisation Org9MSP is not a member")

	tr = mustDo(e, bank, withdraw, `{"ref":"out-1","account":"CustMSP/alice","currency":"EUR","amount":200}`)
	if tr.Kind != "withdrawal" || tr.Outstanding != 801 || e.event().Type != "Withdrawn" {
		t.Fatalf("withdrawal %+v", tr)
	}
	fails(e, bank, withdraw, `{"ref":"out-1","account":"CustMSP/alice","currency":"EUR","amount":1}`, cxlerr.Conflict, "transfer out-1 of BankMSP was already made")
	fails(e, bank, withdraw, `{"ref":"out-2","account":"CustMSP/alice","currency":"EUR","amount":502}`, cxlerr.InsufficientFunds, "CustMSP/alice has 501 EUR usable")
	fails(e, bank, withdraw, `{"ref":"out-2","account":"escrow:o1","currency":"EUR","amount":1}`, cxlerr.Invalid, "is an order's escrow")
	fails(e, bank, withdraw, `{"ref":"out-2","account":"ShopMSP","currency":"EUR","amount":0}`, cxlerr.Invalid, "amount: must be a positive")

	b := mustDo(e, alice, balanceOf, `{"account":"CustMSP/alice","currency":"EUR"}`)
	if b.Balance != 501 || b.Lots != 2 {
		t.Fatalf("balance %+v", b)
	}
	if b := mustDo(e, audit, balanceOf, `{"account":"escrow:o1","currency":"EUR"}`); b.Balance != 0 || b.Lots != 0 {
		t.Fatalf("escrow balance %+v", b)
	}

	c := mustDo(e, alice, consolidate, `{"account":"CustMSP/alice","currency":"EUR"}`)
	if c.Merged != 2 || c.Amount != 501 || c.More {
		t.Fatalf("consolidation %+v", c)
	}
	if b := mustDo(e, bank, balanceOf, `{"account":"CustMSP/alice","currency":"EUR"}`); b.Balance != 501 || b.Lots != 1 {
		t.Fatalf("balance after consolidation %+v", b)
	}
	fails(e, bank, consolidate, `{"account":"CustMSP/alice","currency":"EUR"}`, cxlerr.Conflict, "nothing to consolidate")
	fails(e, bank, consolidate, `{"account":"escrow:o1","currency":"EUR"}`, cxlerr.Invalid, "is an order's escrow")

	e.stub.AsIdentity(carol.id())
	list, err := e.c.Currencies(ctxOf(e))
	e.stub.Begin()
	if err != nil || len(list) != 2 || list[0].Code != "EUR" || list[0].Outstanding != 801 || list[1].Issuer != bank2.msp {
		t.Fatalf("currencies %+v %v", list, err)
	}
}

func TestConsolidateManyLots(t *testing.T) {
	e := newEnv(t)
	credits := []map[string]any{}
	for range orders.MaxCredits {
		credits = append(credits, map[string]any{"account": shop.msp, "amount": 1})
	}
	for i := range 6 {
		mustDo(e, bank, deposit, js(map[string]any{"ref": "d" + string(rune('0'+i)), "currency": "EUR", "credits": credits}))
	}
	c := mustDo(e, shop, consolidate, `{"account":"ShopMSP","currency":"EUR"}`)
	if c.Merged != orders.MaxConsolidate || !c.More || c.Amount != orders.MaxConsolidate {
		t.Fatalf("first consolidation %+v", c)
	}
	c = mustDo(e, bank, consolidate, `{"account":"ShopMSP","currency":"EUR"}`)
	if c.Merged != 101 || c.More || c.Amount != 600 {
		t.Fatalf("second consolidation %+v", c)
	}
}

func TestQueries(t *testing.T) {
	e := newEnv(t)
	e.fund(10_000, alice.account(), bob.account())
	for i, s := range []struct {
		w        who
		id       string
		merchant who
	}{{alice, "a1", shop}, {bob, "b1", shop}, {alice, "a2", mall}, {alice, "a3", shop}, {alice, "a4", shop}} {
		e.stub.At(t0.Add(time.Duration(i) * time.Minute))
		o := newOrder(s.id, 100)
		o.Merchant = s.merchant.msp
		mustDo(e, s.w, place, js(o))
	}
	mustDo(e, alice, confirm, id("a3"))

	page := mustDo(e, alice, customerOrders, `{"pageSize":2}`)
	if got := orderIDs(page); !slices.Equal(got, []string{"a1", "a2"}) || page.Bookmark == "" {
		t.Fatalf("first page %v %q", got, page.Bookmark)
	}
	page = mustDo(e, bank, customerOrders, js(map[string]any{"customer": alice.account(), "pageSize": 2, "bookmark": page.Bookmark}))
	if got := orderIDs(page); !slices.Equal(got, []string{"a3", "a4"}) || page.Bookmark != "" {
		t.Fatalf("second page %v %q", got, page.Bookmark)
	}
	fails(e, shop, merchantOrders, js(map[string]any{"merchant": shop.msp, "bookmark": "nope"}), cxlerr.Invalid, "bookmark")

	page = mustDo(e, shop, merchantOrders, `{"merchant":"ShopMSP","state":"placed"}`)
	if got := orderIDs(page); !slices.Equal(got, []string{"a1", "b1", "a4"}) {
		t.Fatalf("placed %v", got)
	}
	page = mustDo(e, bank, merchantOrders, `{"merchant":"ShopMSP","state":"delivered"}`)
	if got := orderIDs(page); !slices.Equal(got, []string{"a3"}) || page.Orders[0].State != orders.StateDelivered {
		t.Fatalf("delivered %v", got)
	}
	page = mustDo(e, audit, merchantOrders, `{"merchant":"ShopMSP"}`)
	if got := orderIDs(page); !slices.Equal(got, []string{"a3", "a1", "b1", "a4"}) {
		t.Fatalf("all %v", got)
	}
	if page := mustDo(e, audit, merchantOrders, `{"merchant":"NobodyMSP"}`); page.Orders == nil || len(page.Orders) != 0 {
		t.Fatalf("empty %+v", page)
	}
	if o := e.order("b1"); o.Customer != bob.account() {
		t.Fatalf("GetOrder %+v", o)
	}
}

func orderIDs(p *orders.OrderPage) []string {
	ids := []string{}
	for _, o := range p.Orders {
		ids = append(ids, o.ID)
	}
	return ids
}

// TestFindOrder: FindOrder, for other contracts, finds an order whoever
// calls (it checks no reader), nil when there is none; ReadOrder checks.
func TestFindOrder(t *testing.T) {
	e := newEnv(t)
	e.fund(1_000, alice.account())
	mustDo(e, alice, place, js(newOrder("o1", 100)))
	e.stub.AsIdentity(carol.id())
	tx, err := ledger.NewTx(e.stub)
	if err != nil {
		t.Fatal(err)
	}
	o, err := orderscc.FindOrder(tx, "o1")
	if err != nil || o.Customer != alice.account() || o.Amount != 100 || o.Currency != "EUR" || o.State != orders.StatePlaced {
		t.Fatalf("FindOrder %+v %v", o, err)
	}
	if o, err := orderscc.FindOrder(tx, "o2"); o != nil || err != nil {
		t.Fatalf("missing order: %+v %v", o, err)
	}
	if _, err := orderscc.FindOrder(tx, ""); cxlerr.CodeOf(err) != cxlerr.Invalid {
		t.Fatalf("empty ID: %v", err)
	}
	for _, id := range []string{"o1", "o2"} {
		if _, err := orderscc.ReadOrder(tx, id); cxlerr.CodeOf(err) != cxlerr.Forbidden || cxlerr.From(err).Message != "CustMSP/carol may not read this record" {
			t.Fatalf("ReadOrder of %s as carol: %v", id, err)
		}
	}
}

func TestHooks(t *testing.T) {
	e := newEnv(t)
	e.fund(10_000, alice.account())
	mustDo(e, alice, place, js(newOrder("o1", 1_000)))
	mustDo(e, alice, place, js(newOrder("o2", 1_000)))

	e.hooks.err = cxlerr.Errorf(cxlerr.Conflict, "points of order o1 are locked")
	fails(e, alice, confirm, id("o1"), cxlerr.Conflict, "points of order o1 are locked")
	e.hooks.err = errors.New("disk on fire")
	fails(e, alice, confirm, id("o1"), cxlerr.Internal, "order o1: delivery hook: disk on fire")
	e.hooks.err = nil
	e.hooks.emit = true
	fails(e, shop, refund, refundArgs("o1", "r1", 0), cxlerr.Internal, "transaction already emitted loyalty.PointsReversed")
	e.hooks.emit = false
	e.wantBalances(map[string]ledgertypes.Amount{alice.account(): 8_000, orders.EscrowAccount("o1"): 1_000})

	// Without hooks the contract works the same, with no related data.
	e.c = orderscc.NewContract(nil)
	mustDo(e, alice, confirm, id("o1"))
	if strings.Contains(string(e.event().Data), "related") {
		t.Fatalf("related without hooks: %s", e.event().Data)
	}
	mustDo(e, shop, refund, refundArgs("o2", "r1", 0))
	e.wantBalances(map[string]ledgertypes.Amount{alice.account(): 9_000, shop.msp: 1_000})
}
