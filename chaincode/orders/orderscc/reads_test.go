package orderscc_test

import (
	"strings"
	"testing"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/cxledger/cxledger/chaincode/orders/orderscc"
	"github.com/cxledger/cxledger/cxlerr"
)

// Callers that read nothing of alice's order o1 (merchant shop, carrier
// ship, arbiter judge).
var (
	// dave is a customer of an organisation that is not a member.
	dave = who{"OtherMSP", "dave", "client", ""}
	// shopPeer is a peer of the merchant: not a client or admin identity.
	shopPeer = who{"ShopMSP", "peer0", "peer", "merchant"}
	// unroled are identities of the parties' and readers' organisations
	// that are not their staff in the role that reads: customers of each,
	// the merchant's admin without the roles attribute, payment staff
	// without payment, auditor staff without auditor. They read only what
	// names their own account.
	unroled = []who{shop.customer(), ship.customer(), judge.customer(), bank.customer(), audit.customer(),
		{shop.msp, "Admin", "admin", ""}, bank.with("merchant"), audit.with("brand")}
)

// TestReadsOnlyByTheParties checks every read function of the contract:
// the record's parties, payment organisations and auditors read it; any
// other caller (another customer of the same or of another organisation,
// a merchant, carrier or arbiter not named on the order, a peer identity)
// is FORBIDDEN with the same message for an existing record as for a
// missing one, naming nothing of the record.
func TestReadsOnlyByTheParties(t *testing.T) {
	e := newEnv(t)
	e.fund(1_000, alice.account(), bob.account())
	mustDo(e, alice, place, js(newOrder("o1", 100)))
	mustDo(e, bob, place, js(newOrder("b1", 100)))
	mustDo(e, bank, deposit, `{"ref":"shop-1","currency":"EUR","credits":[{"account":"ShopMSP","amount":7}]}`)
	// What the record names: a refusal names none of it but the caller.
	secrets := []string{"o1", alice.account(), shop.msp, ship.msp, judge.msp, "escrow:"}

	type read struct {
		name, args, missing string // missing: the same read of a record that does not exist
		f                   fn[any]
		allowed, refused    []who
	}
	reads := []read{
		{"GetOrder", id("o1"), id("o-none"), anyFn(getOrder),
			[]who{alice, shop, ship, judge, bank, bank2, audit},
			[]who{bob, carol, dave, mall, ship2, judge2, peerID, shopPeer}},
		{"CustomerOrders", js(map[string]string{"customer": alice.account()}), js(map[string]string{"customer": "CustMSP/nobody"}), anyFn(customerOrders),
			[]who{alice, bank, audit},
			[]who{bob, dave, shop, mall, ship, judge, shopPeer}},
		{"MerchantOrders", `{"merchant":"ShopMSP"}`, `{"merchant":"NoShopMSP"}`, anyFn(merchantOrders),
			[]who{shop, bank, audit},
			[]who{alice, bob, dave, mall, ship, judge, shopPeer}},
		{"Balance of a customer", `{"account":"CustMSP/alice","currency":"EUR"}`, `{"account":"CustMSP/nobody","currency":"EUR"}`, anyFn(balanceOf),
			[]who{alice, bank, bank2, audit},
			[]who{bob, dave, shop, ship, judge, peerID}},
		{"Balance of an organisation", `{"account":"ShopMSP","currency":"EUR"}`, `{"account":"NoShopMSP","currency":"EUR"}`, anyFn(balanceOf),
			[]who{shop, bank, audit},
			[]who{alice, dave, mall, ship, shopPeer}},
		{"Balance of an escrow", `{"account":"escrow:o1","currency":"EUR"}`, `{"account":"escrow:o-none","currency":"EUR"}`, anyFn(balanceOf),
			[]who{alice, shop, ship, judge, bank, audit},
			[]who{bob, dave, mall, ship2, judge2, shopPeer}},
	}
	for _, r := range reads {
		t.Run(r.name, func(t *testing.T) {
			e.t = t
			for _, w := range r.allowed {
				mustDo(e, w, r.f, r.args)
			}
			for _, w := range append(r.refused, unroled...) {
				_, err := do(e, w, r.f, r.args)
				if cxlerr.CodeOf(err) != cxlerr.Forbidden {
					t.Fatalf("%s as %s: %v, want FORBIDDEN", r.args, w.account(), err)
				}
				for _, s := range secrets {
					if s != w.msp && s != w.account() && strings.Contains(err.Error(), s) {
						t.Fatalf("%s as %s: %q names %q of the record", r.args, w.account(), err, s)
					}
				}
				_, missing := do(e, w, r.f, r.missing)
				if missing == nil || missing.Error() != err.Error() {
					t.Fatalf("%s as %s: missing record answers %v, existing one %v: a stranger tells them apart", r.name, w.account(), missing, err)
				}
			}
		})
	}
	e.t = t

	// A missing order is NOT_FOUND only to those who read every order; to
	// its would-be customer it is as forbidden as anyone else's.
	fails(e, audit, getOrder, id("o-none"), cxlerr.NotFound, "order o-none not found")
	fails(e, bank, getOrder, id("o-none"), cxlerr.NotFound, "order o-none not found")
	fails(e, alice, getOrder, id("o-none"), cxlerr.Forbidden, "CustMSP/alice may not read this record")
	if b := mustDo(e, audit, balanceOf, `{"account":"escrow:o-none","currency":"EUR"}`); b.Balance != 0 {
		t.Fatalf("escrow of a missing order: %+v", b)
	}
	// A reader still gets INVALID and NOT_FOUND for what the request gets wrong.
	fails(e, alice, balanceOf, `{"account":"CustMSP/alice","currency":"GBP"}`, cxlerr.NotFound, "unknown currency GBP")

	// What the allowed readers see is the record.
	if o := mustDo(e, ship, getOrder, id("o1")); o.Customer != alice.account() || len(o.Items) != 1 {
		t.Fatalf("carrier reads %+v", o)
	}
	if p := mustDo(e, alice, customerOrders, `{}`); len(p.Orders) != 1 || p.Orders[0].ID != "o1" {
		t.Fatalf("alice's own orders %+v", p)
	}
	if p := mustDo(e, shop, merchantOrders, `{"merchant":"ShopMSP"}`); len(p.Orders) != 2 {
		t.Fatalf("shop's orders %+v", p)
	}
	if b := mustDo(e, shop, balanceOf, `{"account":"ShopMSP","currency":"EUR"}`); b.Balance != 7 {
		t.Fatalf("shop's balance %+v", b)
	}
	if b := mustDo(e, judge, balanceOf, `{"account":"escrow:o1","currency":"EUR"}`); b.Balance != 100 {
		t.Fatalf("escrow of o1 %+v", b)
	}
	// Currencies stays open to every caller.
	e.stub.AsIdentity(dave.id())
	if list, err := e.c.Currencies(ctxOf(e)); err != nil || len(list) != 2 {
		t.Fatalf("currencies as a stranger: %+v %v", list, err)
	}
	e.stub.Begin()
}

// anyFn erases a function's result type, for tables of reads.
func anyFn[R any](f fn[R]) fn[any] {
	return func(c *orderscc.Contract, ctx contractapi.TransactionContextInterface, args string) (any, error) {
		return f(c, ctx, args)
	}
}
