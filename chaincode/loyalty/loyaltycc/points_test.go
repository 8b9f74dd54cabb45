package loyaltycc_test

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/loyalty"
	"github.com/cxledger/cxledger/cxlerr"
)

func TestEarn(t *testing.T) {
	e := newEnv(t)
	got := e.earn("r-1", alice, 1299)
	if got.Points != 12 || got.Amount != 1299 || got.Currency != "EUR" || got.Expires == nil ||
		!got.Expires.Equal(t0.AddDate(0, 0, 365)) || got.Lot == "" || got.TxID == "" {
		t.Fatalf("earned %+v", got)
	}
	if name, p := e.event(); name != "loyalty.PointsEarned" || p.Keys["program"] != "acme" || p.Keys["earn"] != "r-1" {
		t.Fatalf("event %s %+v", name, p)
	}
	grant := mustDo(e, acme, e.lc.Earn, js(map[string]any{"program": "acme", "id": "goodwill-1", "account": alice.account(), "points": 500}))
	if grant.Points != 500 || grant.Amount != 0 {
		t.Fatalf("granted %+v", grant)
	}
	e.wantBalance(alice, 512, 0, 0)

	earn := func(args map[string]any) string {
		a := map[string]any{"program": "acme", "id": "r-2", "account": alice.account(), "amount": 1000}
		for k, v := range args {
			if v == nil {
				delete(a, k)
			} else {
				a[k] = v
			}
		}
		return js(a)
	}
	fails(e, bistro, e.lc.Earn, earn(nil), cxlerr.Forbidden, "BistroMSP/clerk may not award points of programme acme: only AcmeMSP may")
	fails(e, alice, e.lc.Earn, earn(nil), cxlerr.Forbidden, "only AcmeMSP may")
	fails(e, acme, e.lc.Earn, earn(map[string]any{"id": "r-1"}), cxlerr.Conflict, "earn r-1 of programme acme already exists")
	fails(e, acme, e.lc.Earn, earn(map[string]any{"id": "order:o-1"}), cxlerr.Invalid, "kept for order deliveries")
	fails(e, acme, e.lc.Earn, earn(map[string]any{"amount": 99}), cxlerr.Conflict, "earns no points")
	fails(e, acme, e.lc.Earn, earn(map[string]any{"points": 5}), cxlerr.Invalid, "exactly one of amount")
	fails(e, acme, e.lc.Earn, earn(map[string]any{"amount": nil}), cxlerr.Invalid, "exactly one of amount")
	fails(e, acme, e.lc.Earn, earn(map[string]any{"amount": -5}), cxlerr.Invalid, "amount")
	fails(e, acme, e.lc.Earn, earn(map[string]any{"account": "alice"}), cxlerr.Invalid, "account")
	fails(e, acme, e.lc.Earn, earn(map[string]any{"program": "nope"}), cxlerr.NotFound, "loyalty.program nope not found")
	e.revoke(acme.msp, ledgertypes.Merchant)
	fails(e, acme, e.lc.Earn, earn(nil), cxlerr.Forbidden, "AcmeMSP does not hold the merchant role")
}

func TestEarnOverflow(t *testing.T) {
	e := newEnv(t)
	mustDo(e, corner, e.lc.CreateProgram, program("huge", func(p map[string]any) {
		p["earn"] = map[string]any{"points": math.MaxInt64, "per": 1}
	}))
	fails(e, corner, e.lc.Earn, js(map[string]any{"program": "huge", "id": "x", "account": alice.account(), "amount": 2}),
		cxlerr.Invalid, "points earned: 2 * 9223372036854775807 / 1 overflows")
	// The point expiring first is spent first, so the redemption below sums
	// 1 and then MaxInt64, whatever the order of the lots' IDs.
	mustDo(e, corner, e.lc.Earn, js(map[string]any{"program": "huge", "id": "b", "account": alice.account(), "points": 1}))
	e.stub.At(e.stub.Now().Add(time.Hour))
	mustDo(e, corner, e.lc.Earn, js(map[string]any{"program": "huge", "id": "a", "account": alice.account(), "points": math.MaxInt64}))
	// The account now holds more than an Amount can count: a spend that
	// would sum past it, and the balance, are refused rather than wrapped.
	fails(e, alice, e.lc.Balance, `{"program":"huge"}`, cxlerr.Internal, "overflow")
	fails(e, alice, e.lc.Redeem, js(map[string]any{"program": "huge", "id": "r", "account": alice.account(), "points": math.MaxInt64, "merchant": corner.msp}),
		cxlerr.Internal, "overflow")
}

func TestRedeem(t *testing.T) {
	e := newEnv(t)
	e.earn("r-1", alice, 10000) // 100 points, expire t0+365d
	e.at(10 * day)
	e.earn("r-2", alice, 5000) // 50 points, expire t0+375d

	redeem := func(id string, w who, account string, points ledgertypes.Amount, m who) string {
		return js(map[string]any{"program": "acme", "id": id, "account": account, "points": points, "merchant": m.msp})
	}
	fails(e, bob, e.lc.Redeem, redeem("x", bob, alice.account(), 10, acme), cxlerr.Forbidden, "CustMSP/bob may not redeem the points of CustMSP/alice")
	fails(e, acme, e.lc.Redeem, redeem("x", acme, alice.account(), 10, acme), cxlerr.Forbidden, "AcmeMSP/clerk may not redeem the points of CustMSP/alice")
	fails(e, alice, e.lc.Redeem, redeem("x", alice, alice.account(), 10, corner), cxlerr.Forbidden, "CornerMSP is not a partner of programme acme")
	fails(e, alice, e.lc.Redeem, redeem("x", alice, alice.account(), 10, deli), cxlerr.Forbidden, "DeliMSP has not accepted the terms of programme acme")
	fails(e, alice, e.lc.Redeem, redeem("x", alice, alice.account(), 151, acme), cxlerr.InsufficientFunds, "150 acme usable")
	fails(e, alice, e.lc.Redeem, redeem("x", alice, alice.account(), 0, acme), cxlerr.Invalid, "points")

	// At the issuer: no settlement, the soonest-expiring points go first.
	r := e.redeem("red-1", alice, 120, acme)
	if r.Value != 0 || r.Rate != nil || len(r.Portions) != 2 || r.Portions[0].Points != 100 || r.Portions[1].Points != 20 ||
		!r.Portions[0].Expires.Equal(t0.AddDate(0, 0, 365)) {
		t.Fatalf("redemption %+v", r)
	}
	if name, p := e.event(); name != "loyalty.PointsRedeemed" || p.Keys["redemption"] != "red-1" || p.Keys["merchant"] != acme.msp {
		t.Fatalf("event %s %+v", name, p)
	}
	b := e.balance(alice)
	if b.Available != 30 || b.NextExpiry == nil || !b.NextExpiry.Equal(t0.AddDate(0, 0, 375)) || b.Lots != 1 {
		t.Fatalf("balance after redeeming %+v", b)
	}
	fails(e, alice, e.lc.Redeem, redeem("red-1", alice, alice.account(), 1, acme), cxlerr.Conflict, "redemption red-1 of programme acme already exists")

	// At a partner: the issuer owes it 1 cent per 2 points, rounded down.
	r = e.redeem("red-2", alice, 25, bistro)
	if r.Value != 12 || r.Currency != "EUR" || r.Rate == nil || r.Rate.Per != 2 {
		t.Fatalf("partner redemption %+v", r)
	}
	st := mustDo(e, bistro, e.lc.Statement, js(map[string]any{"merchant": bistro.msp, "counterparty": acme.msp, "from": t0, "to": t0.Add(30 * day)}))
	if len(st.Totals) != 1 || st.Totals[0].Receivable != 12 || st.Totals[0].NetDebtor != acme.msp || st.Totals[0].Net != 12 || len(st.Entries) != 1 {
		t.Fatalf("statement %+v", st)
	}

	// A partner that loses the merchant role no longer takes points.
	e.revoke(bistro.msp, ledgertypes.Merchant)
	fails(e, alice, e.lc.Redeem, redeem("red-3", alice, alice.account(), 1, bistro), cxlerr.NotFound, "merchant: organisation BistroMSP is not a member of the consortium")
}

func TestExpiredPointsCannotBeSpent(t *testing.T) {
	e := newEnv(t)
	e.earn("r-1", alice, 10000) // 100 points, expire t0+365d
	e.at(300 * day)
	e.earn("r-2", alice, 1000) // 10 points, expire t0+665d
	b := mustDo(e, alice, e.lc.Balance, `{"program":"acme","soonDays":90}`)
	if b.Available != 110 || b.ExpiringSoon != 100 || b.Expired != 0 {
		t.Fatalf("before expiry %+v", b)
	}
	e.at(365 * day) // the first lot expires at exactly this instant
	e.wantBalance(alice, 10, 100, 0)
	fails(e, alice, e.lc.Redeem, js(map[string]any{"program": "acme", "id": "x", "account": alice.account(), "points": 11, "merchant": acme.msp}),
		cxlerr.InsufficientFunds, "10 acme usable")
	fails(e, alice, e.lc.Transfer, js(map[string]any{"program": "acme", "id": "x", "account": alice.account(), "to": bob.account(), "points": 11}),
		cxlerr.InsufficientFunds, "10 acme usable")
	e.redeem("red-1", alice, 10, acme)
	e.wantBalance(alice, 0, 100, 0)
}

func TestTransfer(t *testing.T) {
	e := newEnv(t)
	e.earn("r-1", alice, 10000)
	e.at(5 * day)
	e.earn("r-2", alice, 10000)
	transfer := func(id, from, to string, points ledgertypes.Amount) string {
		return js(map[string]any{"program": "acme", "id": id, "account": from, "to": to, "points": points})
	}
	fails(e, bob, e.lc.Transfer, transfer("t", alice.account(), bob.account(), 10), cxlerr.Forbidden, "CustMSP/bob may not transfer the points of CustMSP/alice")
	fails(e, alice, e.lc.Transfer, transfer("t", alice.account(), alice.account(), 10), cxlerr.Invalid, "to: a transfer needs another account")
	fails(e, alice, e.lc.Transfer, transfer("t", alice.account(), bob.account(), 201), cxlerr.InsufficientFunds, "200 acme usable")

	tr := mustDo(e, alice, e.lc.Transfer, transfer("t-1", alice.account(), bob.account(), 150))
	if tr.From != alice.account() || tr.To != bob.account() || len(tr.Portions) != 2 || tr.Portions[0].Points != 100 {
		t.Fatalf("transfer %+v", tr)
	}
	if name, p := e.event(); name != "loyalty.PointsTransferred" || p.Keys["transfer"] != "t-1" {
		t.Fatalf("event %s %+v", name, p)
	}
	fails(e, alice, e.lc.Transfer, transfer("t-1", alice.account(), bob.account(), 1), cxlerr.Conflict, "transfer t-1 of programme acme already exists")
	e.wantBalance(alice, 50, 0, 0)
	// The points keep their expiry: Bob's first 100 expire with Alice's first lot.
	e.at(365 * day)
	e.wantBalance(bob, 50, 100, 0)
	h := mustDo(e, bob, e.lc.History, `{"program":"acme"}`)
	if len(h.Entries) != 1 || h.Entries[0].Type != loyalty.EntryTransferredIn || h.Entries[0].Credited != 150 || h.Entries[0].Counterparty != alice.account() {
		t.Fatalf("history of bob %+v", h)
	}

	mustDo(e, corner, e.lc.CreateProgram, program("closed", func(p map[string]any) { p["transferable"] = false }))
	mustDo(e, corner, e.lc.Earn, js(map[string]any{"program": "closed", "id": "e", "account": alice.account(), "points": 10}))
	fails(e, alice, e.lc.Transfer, js(map[string]any{"program": "closed", "id": "t", "account": alice.account(), "to": bob.account(), "points": 5}),
		cxlerr.Forbidden, "programme closed does not allow transfers")
}

func TestExpirySweep(t *testing.T) {
	e := newEnv(t)
	e.earn("r-1", alice, 10000)
	e.earn("r-2", bob, 5000)
	e.at(200 * day)
	e.earn("r-3", alice, 2000)
	sweep := func(accounts ...who) string {
		list := []string{}
		for _, a := range accounts {
			list = append(list, a.account())
		}
		return js(map[string]any{"program": "acme", "accounts": list})
	}
	got := mustDo(e, acme, e.lc.ExpirePoints, sweep(alice, bob))
	if got.Points != 0 || len(got.Accounts) != 0 || e.lastEvent != nil {
		t.Fatalf("sweep before expiry %+v, event %v", got, e.lastEvent)
	}
	e.at(400 * day)
	fails(e, alice, e.lc.ExpirePoints, sweep(bob), cxlerr.Forbidden, "CustMSP/alice may not expire points of other customers")
	fails(e, bistro, e.lc.ExpirePoints, sweep(bob), cxlerr.Forbidden, "only AcmeMSP may")
	fails(e, acme, e.lc.ExpirePoints, sweep(bob, bob), cxlerr.Invalid, "listed twice")
	fails(e, acme, e.lc.ExpirePoints, `{"program":"acme","accounts":[]}`, cxlerr.Invalid, "give 1 to 50 accounts")

	got = mustDo(e, bob, e.lc.ExpirePoints, sweep(bob))
	if got.Points != 50 || len(got.Accounts) != 1 {
		t.Fatalf("bob's own sweep %+v", got)
	}
	if name, p := e.event(); name != "loyalty.PointsExpired" || p.Keys["program"] != "acme" {
		t.Fatalf("event %s %+v", name, p)
	}
	got = mustDo(e, acme, e.lc.ExpirePoints, sweep(alice, bob))
	if got.Points != 100 || len(got.Accounts) != 1 || got.Accounts[0].Account != alice.account() {
		t.Fatalf("merchant sweep %+v", got)
	}
	e.wantBalance(alice, 20, 0, 0)
	e.wantBalance(bob, 0, 0, 0)
	h := mustDo(e, alice, e.lc.History, `{"program":"acme"}`)
	last := h.Entries[len(h.Entries)-1]
	if last.Type != loyalty.EntryExpired || last.Debited != 100 {
		t.Fatalf("history %+v", h.Entries)
	}
}

func TestQueriesInvalid(t *testing.T) {
	e := newEnv(t)
	fails(e, alice, e.lc.Balance, `{"program":"acme","soonDays":400}`, cxlerr.Invalid, "soonDays")
	fails(e, alice, e.lc.History, `{"program":"acme","bookmark":"zz"}`, cxlerr.Invalid, "bookmark")
}

func TestHistoryPages(t *testing.T) {
	e := newEnv(t)
	for i := range 5 {
		e.at(time.Duration(i) * day)
		e.earn("r-"+string(rune('a'+i)), alice, 1000)
	}
	var earns []string
	bookmark := ""
	for {
		h := mustDo(e, alice, e.lc.History, js(map[string]any{"program": "acme", "pageSize": 2, "bookmark": bookmark}))
		for _, en := range h.Entries {
			earns = append(earns, en.Earn)
		}
		if bookmark = h.Bookmark; bookmark == "" {
			break
		}
	}
	want := []string{"r-a", "r-b", "r-c", "r-d", "r-e"}
	if js(earns) != js(want) {
		t.Fatalf("history %v, want %v", earns, want)
	}
}

// The history entries of an account sum to its state: credited minus
// debited is its lots, debt added minus paid its debt.
func checkHistory(t *testing.T, e *env, w who) {
	t.Helper()
	var credited, debited, added, paid ledgertypes.Amount
	bookmark := ""
	for {
		h := mustDo(e, w, e.lc.History, js(map[string]any{"program": "acme", "pageSize": 200, "bookmark": bookmark}))
		for _, en := range h.Entries {
			credited += en.Credited
			debited += en.Debited
			added += en.DebtAdded
			paid += en.DebtPaid
		}
		if bookmark = h.Bookmark; bookmark == "" {
			break
		}
	}
	b := e.balance(w)
	if credited-debited != b.Unexpired+b.Expired || added-paid != b.Debt {
		raw, _ := json.Marshal(b)
		t.Fatalf("history of %s: credited %d debited %d, debt +%d -%d; balance %s", w.account(), credited, debited, added, paid, raw)
	}
}
