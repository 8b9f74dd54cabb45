package loyaltycc_test

import (
	"strings"
	"testing"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/loyalty"
	"github.com/cxledger/cxledger/cxlerr"
)

func TestDeliveryEarnsAndRefundsTakeBack(t *testing.T) {
	e := newEnv(t)
	e.fund(100000, alice)
	e.place("o-1", alice, acme, 25000)
	e.deliver("o-1", alice)
	var earned loyalty.Earn
	if !e.related(&earned) || earned.Points != 250 || earned.Order != "o-1" || earned.ID != "order:o-1" || earned.Amount != 25000 {
		t.Fatalf("delivery earned %+v", earned)
	}
	if name, _ := e.event(); name != "orders.OrderDelivered" {
		t.Fatalf("event %s: the hook must not emit its own", name)
	}
	e.wantBalance(alice, 250, 0, 0)

	e.refund("o-1", "rf-1", acme, 10000)
	var rev loyalty.Reversal
	if !e.related(&rev) || rev.TakenBack == nil || rev.TakenBack.Points != 100 || rev.TakenBack.FromLots != 100 || rev.TakenBack.Debt != 0 ||
		rev.Refunded != 10000 || rev.OrderRefunded != 10000 {
		t.Fatalf("partial refund reversed %+v", rev)
	}
	e.wantBalance(alice, 150, 0, 0)
	e.refund("o-1", "rf-2", acme, 0)
	if !e.related(&rev) || rev.TakenBack.Points != 150 {
		t.Fatalf("final refund reversed %+v", rev)
	}
	e.wantBalance(alice, 0, 0, 0)

	op := mustDo(e, alice, e.lc.OrderPoints, `{"order":"o-1"}`)
	if op.Earn == nil || op.Earn.TakenBack != 250 || len(op.Earn.Reversals) != 2 || len(op.Reversals) != 2 ||
		op.Reversals[1].TxID != op.Earn.Reversals[1] || len(op.Redemptions) != 0 {
		t.Fatalf("order points %+v", op)
	}
	for _, w := range []who{acme, audit} {
		mustDo(e, w, e.lc.OrderPoints, `{"order":"o-1"}`)
	}
	for _, w := range []who{bob, bistro} {
		fails(e, w, e.lc.OrderPoints, `{"order":"o-1"}`, cxlerr.Forbidden, "may not read this record")
	}
	// A missing order is NOT_FOUND to auditors alone, who could read it.
	fails(e, audit, e.lc.OrderPoints, `{"order":"o-9"}`, cxlerr.NotFound, "order o-9 not found")
	fails(e, alice, e.lc.OrderPoints, `{"order":"o-9"}`, cxlerr.Forbidden, "may not read this record")
	checkHistory(t, e, alice)
}

func TestDeliveryEarnRules(t *testing.T) {
	e := newEnv(t)
	e.fund(100000, alice)
	// Bistro has no orders programme: nothing is earned, nothing related.
	e.place("o-b", alice, bistro, 5000)
	e.deliver("o-b", alice)
	if e.related(&loyalty.Earn{}) {
		t.Fatal("delivery at a merchant without an orders programme earned points")
	}
	// Corner's orders programme earns in USD: an EUR order earns nothing.
	mustDo(e, bank, e.oc.RegisterCurrency, `{"currency":"USD"}`)
	mustDo(e, corner, e.lc.CreateProgram, program("corner-usd", func(p map[string]any) {
		p["currency"], p["earnOnOrders"] = "USD", true
	}))
	e.place("o-c", alice, corner, 5000)
	e.deliver("o-c", alice)
	if e.related(&loyalty.Earn{}) {
		t.Fatal("an EUR order earned USD points")
	}
	// A refund before delivery lowers what the delivery earns on; the
	// refunds after it take back in proportion to what the merchant got.
	e.place("o-1", alice, acme, 20000)
	e.refund("o-1", "rf-0", acme, 5000)
	if e.related(&loyalty.Reversal{}) {
		t.Fatal("a refund of an order without points reversed something")
	}
	e.deliver("o-1", alice)
	var earned loyalty.Earn
	if !e.related(&earned) || earned.Points != 150 || earned.Amount != 15000 {
		t.Fatalf("earned %+v", earned)
	}
	e.refund("o-1", "rf-1", acme, 5000)
	var rev loyalty.Reversal
	if !e.related(&rev) || rev.TakenBack.Points != 50 {
		t.Fatalf("reversed %+v", rev)
	}
	e.refund("o-1", "rf-2", acme, 0)
	if !e.related(&rev) || rev.TakenBack.Points != 100 {
		t.Fatalf("reversed %+v", rev)
	}
	e.wantBalance(alice, 0, 0, 0)
	// A purchase too small for a point earns nothing.
	e.place("o-2", alice, acme, 99)
	e.deliver("o-2", alice)
	if e.related(&loyalty.Earn{}) {
		t.Fatal("99 cents earned a point")
	}
}

// TestRefundOfSpentPoints: when a refund takes back points the customer
// already spent, the rest becomes a debt, which is paid first from the
// customer's next redemption or transfer.
func TestRefundOfSpentPoints(t *testing.T) {
	e := newEnv(t)
	e.fund(100000, alice)
	e.place("o-1", alice, acme, 30000)
	e.deliver("o-1", alice) // 300 points
	e.redeem("red-1", alice, 250, bistro)
	e.refund("o-1", "rf-1", acme, 0)
	var rev loyalty.Reversal
	if !e.related(&rev) || rev.TakenBack.Points != 300 || rev.TakenBack.FromLots != 50 || rev.TakenBack.Debt != 250 {
		t.Fatalf("reversed %+v", rev)
	}
	e.wantBalance(alice, 0, 0, 250)
	checkHistory(t, e, alice)

	// Later earns are not touched (earning stays a blind write), but the
	// debt comes off what is available.
	e.earn("r-1", alice, 40000) // 400 points
	e.wantBalance(alice, 150, 0, 250)
	fails(e, alice, e.lc.Redeem, js(map[string]any{"program": "acme", "id": "red-2", "account": alice.account(), "points": 151, "merchant": acme.msp}),
		cxlerr.InsufficientFunds, "151 points of programme acme requested and a debt of 250 to pay first")
	r := e.redeem("red-2", alice, 150, acme)
	if r.DebtPaid != 250 || r.Points != 150 || len(r.Portions) != 1 || r.Portions[0].Points != 150 {
		t.Fatalf("redemption %+v", r)
	}
	e.wantBalance(alice, 0, 0, 0)
	checkHistory(t, e, alice)

	// A transfer pays the debt first too.
	e.place("o-2", alice, acme, 10000)
	e.deliver("o-2", alice) // 100 points
	e.redeem("red-3", alice, 100, acme)
	e.refund("o-2", "rf-1", acme, 0)
	e.earn("r-2", alice, 30000)
	e.wantBalance(alice, 200, 0, 100)
	tr := mustDo(e, alice, e.lc.Transfer, js(map[string]any{"program": "acme", "id": "t-1", "account": alice.account(), "to": bob.account(), "points": 200}))
	if tr.DebtPaid != 100 {
		t.Fatalf("transfer %+v", tr)
	}
	e.wantBalance(alice, 0, 0, 0)
	e.wantBalance(bob, 200, 0, 0)
	checkHistory(t, e, alice)
}

func TestRefundRestoresRedeemedPoints(t *testing.T) {
	e := newEnv(t)
	e.fund(100000, alice, bob)
	e.earn("r-1", alice, 100000) // 1000 points, expire t0+365d
	e.at(100 * day)
	e.earn("r-2", alice, 50000) // 500 points, expire t0+465d
	e.place("o-b", alice, bistro, 8000)
	bobs := e.place("o-bob", bob, bistro, 8123)
	e.place("o-a", alice, acme, 8000)

	against := func(id string, w who, points ledgertypes.Amount, m who, order string) string {
		return js(map[string]any{"program": "acme", "id": id, "account": w.account(), "points": points, "merchant": m.msp, "order": order})
	}
	// Against bob's order alice is refused as against a missing one, byte
	// for byte, and learns nothing of bob's order.
	_, err := do(e, alice, e.lc.Redeem, against("x", alice, 10, bistro, "o-bob"))
	if err == nil || err.Error() != "cxl:FORBIDDEN: CustMSP/alice may not read this record" {
		t.Fatalf("redeem against bob's order: %v", err)
	}
	for _, s := range []string{bob.account(), "8123", "EUR", bobs.PlacedTx} {
		if strings.Contains(err.Error(), s) {
			t.Fatalf("redeem against bob's order: %q names %q", err, s)
		}
	}
	if _, missing := do(e, alice, e.lc.Redeem, against("x", alice, 10, bistro, "o-zz")); missing == nil || missing.Error() != err.Error() {
		t.Fatalf("redeem against a missing order: %v, against bob's: %v", missing, err)
	}
	// The order's readers get the precise errors: its customer, and an
	// auditor, who reads every order, NOT_FOUND of a missing one.
	fails(e, alice, e.lc.Redeem, against("x", alice, 10, bistro, "o-a"), cxlerr.Conflict, "order o-a is with AcmeMSP, not BistroMSP")
	fails(e, audit, e.lc.Redeem, against("x", audit, 10, bistro, "o-zz"), cxlerr.NotFound, "order o-zz not found")
	fails(e, audit, e.lc.Redeem, against("x", audit, 10, bistro, "o-bob"), cxlerr.Forbidden, "order o-bob is not an order of AuditMSP/inspector")

	r := mustDo(e, alice, e.lc.Redeem, against("red-1", alice, 1200, bistro, "o-b"))
	if r.Value != 600 || r.OrderRemaining != 8000 || len(r.Portions) != 2 || r.Portions[0].Points != 1000 || r.Portions[1].Points != 200 {
		t.Fatalf("redemption %+v", r)
	}
	statement := func() *loyalty.SettlementStatement {
		return mustDo(e, acme, e.lc.Statement, js(map[string]any{"merchant": acme.msp, "counterparty": bistro.msp, "from": t0, "to": t0.Add(366 * day)}))
	}
	if st := statement(); st.Totals[0].Payable != 600 || st.Totals[0].Net != 600 || st.Totals[0].NetDebtor != acme.msp {
		t.Fatalf("statement %+v", st)
	}

	// A quarter refunded: a quarter of the points back, latest-expiring
	// first, and a quarter of the settlement value reversed. (A day later,
	// so the statement lists it after the redemption whatever the order of
	// the transaction IDs.)
	e.at(101 * day)
	e.refund("o-b", "rf-1", bistro, 2000)
	var rev loyalty.Reversal
	if !e.related(&rev) || rev.TakenBack != nil || len(rev.Restored) != 1 {
		t.Fatalf("reversal %+v", rev)
	}
	if res := rev.Restored[0]; res.Points != 300 || res.Minted != 300 || res.Forfeited != 0 || res.ValueReversed != 150 {
		t.Fatalf("restored %+v", res)
	}
	e.wantBalance(alice, 600, 0, 0)
	if b := e.balance(alice); !b.NextExpiry.Equal(t0.AddDate(0, 0, 365)) {
		t.Fatalf("restored points lost their expiry: %+v", b)
	}

	// The rest refunded after the first lot expired: those points are
	// forfeited, the settlement is fully reversed.
	e.at(365 * day)
	e.refund("o-b", "rf-2", bistro, 0)
	if !e.related(&rev) {
		t.Fatal("no reversal")
	}
	if res := rev.Restored[0]; res.Points != 900 || res.Minted != 0 || res.Forfeited != 900 || res.ValueReversed != 450 {
		t.Fatalf("restored %+v", res)
	}
	e.wantBalance(alice, 500, 100, 0)
	st := statement()
	if tot := st.Totals[0]; tot.Payable != 600 || tot.Receivable != 600 || tot.Net != 0 || tot.NetDebtor != "" || len(st.Entries) != 3 {
		t.Fatalf("statement after refunds %+v", st)
	}
	if st.Entries[1].Kind != loyalty.SettlementReversal || st.Entries[1].Debtor != bistro.msp || st.Entries[1].Creditor != acme.msp {
		t.Fatalf("reversal entry %+v", st.Entries[1])
	}
	fails(e, alice, e.lc.Redeem, against("red-2", alice, 10, bistro, "o-b"), cxlerr.Conflict, "cannot redeem points against order o-b: it is refunded")
	op := mustDo(e, bistro, e.lc.OrderPoints, `{"order":"o-b"}`)
	if op.Earn != nil || len(op.Redemptions) != 1 || op.Redemptions[0].Restored != 1200 || op.Redemptions[0].ValueReversed != 600 || len(op.Reversals) != 2 {
		t.Fatalf("order points %+v", op)
	}
	checkHistory(t, e, alice)
}

// TestRefundNetsRestoredAgainstTakenBack: an order that both earned points
// and had points redeemed against it gives back the redeemed points less
// what it cannot take back of the earned ones.
func TestRefundNetsRestoredAgainstTakenBack(t *testing.T) {
	e := newEnv(t)
	e.fund(100000, alice)
	e.earn("r-1", alice, 50000) // 500 points
	e.place("o-1", alice, acme, 20000)
	mustDo(e, alice, e.lc.Redeem, js(map[string]any{"program": "acme", "id": "red-1", "account": alice.account(), "points": 300, "merchant": acme.msp, "order": "o-1"}))
	e.deliver("o-1", alice) // 200 points
	e.redeem("red-2", alice, 400, acme)
	e.wantBalance(alice, 0, 0, 0)
	e.refund("o-1", "rf-1", acme, 0)
	var rev loyalty.Reversal
	if !e.related(&rev) || rev.TakenBack.Points != 200 || rev.TakenBack.Debt != 200 || len(rev.Restored) != 1 {
		t.Fatalf("reversal %+v", rev)
	}
	if res := rev.Restored[0]; res.Points != 300 || res.DebtPaid != 200 || res.Minted != 100 {
		t.Fatalf("restored %+v", res)
	}
	e.wantBalance(alice, 100, 0, 0)
	checkHistory(t, e, alice)
}

// TestSweptOrderRestoresPoints: the orders contract's sweep of overdue
// orders refunds several orders in one transaction; the points redeemed
// against each come back.
func TestSweptOrderRestoresPoints(t *testing.T) {
	e := newEnv(t)
	e.fund(100000, alice, bob)
	e.earn("r-1", alice, 10000)
	e.earn("r-2", bob, 10000)
	e.place("o-1", alice, acme, 5000)
	e.place("o-2", bob, acme, 5000)
	for i, w := range []who{alice, bob} {
		mustDo(e, w, e.lc.Redeem, js(map[string]any{"program": "acme", "id": "red-" + w.cn, "account": w.account(), "points": 60, "merchant": acme.msp, "order": []string{"o-1", "o-2"}[i]}))
	}
	e.wantBalance(alice, 40, 0, 0)
	e.at(4 * day)
	sw := mustDo(e, bank, e.oc.Sweep, `{}`)
	if len(sw.Refunded) != 2 {
		t.Fatalf("sweep %+v", sw)
	}
	e.wantBalance(alice, 100, 0, 0)
	e.wantBalance(bob, 100, 0, 0)
	checkHistory(t, e, alice)
	checkHistory(t, e, bob)
}
