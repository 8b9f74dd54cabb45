package orderscc_test

import (
	"strings"
	"testing"

	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/cxlerr"
)

// TestWritesRefuseStrangersAlike checks every function that takes an
// existing order's ID: a caller who may not read the order (another
// customer, a merchant, carrier or arbiter it does not name, a peer
// identity) is FORBIDDEN with the same bytes for alice's order as for a
// missing one, naming none of the customer, merchant, carrier, arbiter,
// amount or transactions; nothing is written. Its readers still get the
// precise errors: NOT_FOUND of a missing order to payment organisations
// and auditors, the refusals naming the parties and the state errors to
// the parties.
func TestWritesRefuseStrangersAlike(t *testing.T) {
	e := newEnv(t)
	e.fund(10_000, alice.account(), bob.account())
	o := mustDo(e, alice, place, js(newOrder("o1", 4_321)))
	secrets := []string{alice.account(), shop.msp, ship.msp, judge.msp, "4321", "EUR", o.PlacedTx, o.UpdatedTx, "escrow:", "placed"}
	strangers := []who{bob, carol, dave, mall, ship2, judge2, peerID, shopPeer}
	before := e.stub.Keys()

	// leaks fails when a refusal of w names something of alice's order.
	leaks := func(t *testing.T, what string, w who, err error) {
		t.Helper()
		for _, s := range secrets {
			if s != "" && s != w.msp && s != w.account() && strings.Contains(err.Error(), s) {
				t.Fatalf("%s as %s: %q names %q of alice's order", what, w.account(), err, s)
			}
		}
	}

	writes := []struct {
		name string
		f    fn[*orders.Order]
		args func(id string) string
	}{
		{"ConfirmDelivery", confirm, id},
		{"Refund", refund, func(s string) string { return refundArgs(s, "r", 0) }},
		{"Refund of part", refund, func(s string) string { return refundArgs(s, "r", 1) }},
		{"RequestReturn", requestReturn, func(s string) string { return js(map[string]string{"id": s, "reason": "damaged"}) }},
		{"ReceiveReturn", receiveReturn, id},
		{"OpenDispute", openDispute, id},
		{"ResolveDispute", resolve, func(s string) string { return js(map[string]any{"id": s, "refund": 0}) }},
	}
	for _, wr := range writes {
		t.Run(wr.name, func(t *testing.T) {
			e.t = t
			for _, w := range strangers {
				_, err := do(e, w, wr.f, wr.args("o1"))
				want := "cxl:FORBIDDEN: " + w.account() + " may not read this record"
				if err == nil || err.Error() != want {
					t.Fatalf("%s as %s: %v, want %q", wr.name, w.account(), err, want)
				}
				leaks(t, wr.name, w, err)
				if _, missing := do(e, w, wr.f, wr.args("o-none")); missing == nil || missing.Error() != err.Error() {
					t.Fatalf("%s as %s: a missing order answers %v, alice's %v: a stranger tells them apart", wr.name, w.account(), missing, err)
				}
			}
			// A missing order: NOT_FOUND to those who read every order, and
			// FORBIDDEN to a customer, who could not read it if it existed.
			fails(e, bank, wr.f, wr.args("o-none"), cxlerr.NotFound, "order o-none not found")
			fails(e, audit, wr.f, wr.args("o-none"), cxlerr.NotFound, "order o-none not found")
			fails(e, alice, wr.f, wr.args("o-none"), cxlerr.Forbidden, "CustMSP/alice may not read this record")
		})
	}
	e.t = t
	if after := e.stub.Keys(); len(after) != len(before) {
		t.Fatalf("refused writes changed the state: %d keys, then %d", len(before), len(after))
	}
	if got := e.order("o1"); got.State != orders.StatePlaced || got.UpdatedTx != o.UpdatedTx {
		t.Fatalf("alice's order after the refusals: %+v", got)
	}

	// The parties, and those who read every order, get the precise errors.
	fails(e, shop, confirm, id("o1"), cxlerr.Forbidden, "only the customer or the carrier ShipMSP confirm delivery of order o1")
	fails(e, audit, confirm, id("o1"), cxlerr.Forbidden, "only the customer or the carrier ShipMSP confirm delivery of order o1")
	fails(e, alice, refund, refundArgs("o1", "r", 0), cxlerr.Forbidden, "only the merchant ShopMSP refunds order o1")
	fails(e, ship, refund, refundArgs("o1", "r", 0), cxlerr.Forbidden, "only the merchant ShopMSP refunds order o1")
	fails(e, shop, requestReturn, id("o1"), cxlerr.Forbidden, "only the customer returns order o1")
	fails(e, alice, requestReturn, id("o1"), cxlerr.Conflict, "cannot return order o1: it is placed")
	fails(e, alice, receiveReturn, id("o1"), cxlerr.Forbidden, "only the merchant ShopMSP or the order's carrier record the return of order o1")
	fails(e, ship, receiveReturn, id("o1"), cxlerr.Conflict, "cannot receive the return of order o1: it is placed")
	fails(e, judge, openDispute, id("o1"), cxlerr.Forbidden, "only the customer or the merchant ShopMSP dispute order o1")
	fails(e, alice, openDispute, id("o1"), cxlerr.Conflict, "cannot dispute order o1: it is placed")
	fails(e, bank, resolve, `{"id":"o1","refund":0}`, cxlerr.Forbidden, "only the order's arbiter resolves a dispute of order o1")
	fails(e, judge, resolve, `{"id":"o1","refund":0}`, cxlerr.Conflict, "cannot resolve a dispute of order o1: it is placed")
	fails(e, shop, refund, refundArgs("o1", "r", 5_000), cxlerr.Conflict, "amount: 5000 is more than the 4321 EUR of order o1 not yet refunded")

	// Place on a taken ID: CONFLICT naming the ID, the caller's own input,
	// and nothing of the order holding it.
	for _, w := range []who{bob, alice, audit} {
		_, err := do(e, w, place, js(newOrder("o1", 1)))
		if err == nil || err.Error() != "cxl:CONFLICT: order ID o1 is taken" {
			t.Fatalf("place o1 as %s: %v", w.account(), err)
		}
		leaks(t, "Place", w, err)
	}
}
