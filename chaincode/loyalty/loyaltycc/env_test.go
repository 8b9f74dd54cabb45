package loyaltycc_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/loyalty"
	"github.com/cxledger/cxledger/chaincode/loyalty/loyaltycc"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/chaincode/orders/orderscc"
	"github.com/cxledger/cxledger/cxlerr"
)

// who is a caller identity: roles is its certificate's cxl.roles
// attribute, "" for none (a customer).
type who struct{ msp, cn, ou, roles string }

// The consortium of the tests: staff carrying their organisation's role,
// and customers.
var (
	acme   = who{"AcmeMSP", "clerk", "client", "merchant"}     // merchant, issues the "acme" programme
	bistro = who{"BistroMSP", "clerk", "client", "merchant"}   // merchant, accepted partner of "acme"
	deli   = who{"DeliMSP", "clerk", "client", "merchant"}     // merchant, offered partnership, not accepted
	corner = who{"CornerMSP", "clerk", "client", "merchant"}   // merchant, no partner
	audit  = who{"AuditMSP", "inspector", "client", "auditor"} // auditor
	bank   = who{"BankMSP", "teller", "client", "payment"}     // payment provider, issues EUR
	alice  = who{"CustMSP", "alice", "client", ""}
	bob    = who{"CustMSP", "bob", "client", ""}
	carol  = who{"CustMSP", "carol", "client", ""}
)

func (w who) account() string { return w.msp + "/" + w.cn }

// id is the certificate of w.
func (w who) id() ledgertest.Identity {
	id := ledgertest.Identity{MSP: w.msp, CN: w.cn, OU: w.ou}
	if w.roles != "" {
		id = id.WithAttr(ledger.RolesAttr, w.roles)
	}
	return id
}

// customer is w's identity without roles: a customer of w's organisation.
func (w who) customer() who {
	w.roles = ""
	return w
}

// with is w carrying roles instead of its own.
func (w who) with(roles string) who {
	w.roles = roles
	return w
}

// t0 is the stub's starting clock.
var t0 = time.Date(2026, time.January, 1, 9, 0, 0, 0, time.UTC)

// day is a day of transaction time.
const day = 24 * time.Hour

// txFunc is a transaction function bound to its contract.
type txFunc[A, R any] func(contractapi.TransactionContextInterface, A) (R, error)

// invoke runs f with args, the text a client sends, converted as the assembled chaincode
// converts it.
func invoke[A, R any](e *env, f txFunc[A, R], args string) (R, error) {
	a, err := ledgertest.Arg[A](args)
	if err != nil {
		var zero R
		return zero, err
	}
	return f(ledgertest.Context(e.stub), a)
}

// env is a ledger with the consortium's roles, EUR registered by bank and
// the "acme" programme: 1 point per euro, points last 365 days, transfers
// allowed, orders at Acme earn, Bistro accepts 2 points for 1 cent and Deli
// was offered 1 point for 1 cent but has not accepted.
type env struct {
	t    testing.TB
	stub *ledgertest.Stub
	lc   *loyaltycc.Contract
	oc   *orderscc.Contract
	// lastEvent is the event of the last committed transaction.
	lastEvent *peer.ChaincodeEvent
	refs      int
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{t: t, stub: ledgertest.New(), lc: loyaltycc.NewContract(), oc: orderscc.NewContract(loyaltycc.NewOrderHooks())}
	for _, g := range []struct {
		w    who
		role ledgertypes.Role
	}{
		{acme, ledgertypes.Merchant}, {bistro, ledgertypes.Merchant}, {deli, ledgertypes.Merchant}, {corner, ledgertypes.Merchant},
		{audit, ledgertypes.Auditor}, {bank, ledgertypes.Payment},
		// Customers are enrolled with a member's CA, so their accounts name a
		// member organisation: CustMSP stands for it.
		{alice, ledgertypes.Carrier},
	} {
		e.grant(g.w.msp, g.role)
	}
	mustDo(e, bank, e.oc.RegisterCurrency, `{"currency":"EUR"}`)
	mustDo(e, acme, e.lc.CreateProgram, js(acmeProgram()))
	mustDo(e, bistro, e.lc.AcceptPartnership, `{"program":"acme"}`)
	return e
}

// acmeProgram is the argument that creates the "acme" programme.
func acmeProgram() map[string]any {
	return map[string]any{
		"id": "acme", "name": "Acme Rewards", "unit": "pts", "currency": "EUR",
		"earn": map[string]any{"points": 1, "per": 100}, "expiryDays": 365,
		"transferable": true, "earnOnOrders": true,
		"partners": []map[string]any{{"msp": bistro.msp, "value": 1, "per": 2}, {"msp": deli.msp, "value": 1, "per": 1}},
	}
}

// grant gives msp role, proposed by one admin and approved by another.
func (e *env) grant(msp string, role ledgertypes.Role) {
	e.t.Helper()
	for i, op := range []func(*ledger.Tx, string, ledgertypes.Role) (ledgertypes.RoleGrant, error){ledger.ProposeRole, ledger.ApproveRole} {
		e.stub.As(fmt.Sprintf("Admin%dMSP", i), "admin", "admin")
		tx, err := ledger.NewTx(e.stub)
		if err != nil {
			e.t.Fatal(err)
		}
		if _, err := op(tx, msp, role); err != nil {
			e.t.Fatal(err)
		}
		e.stub.Commit()
	}
}

// revoke removes msp's role.
func (e *env) revoke(msp string, role ledgertypes.Role) {
	e.t.Helper()
	for i, op := range []func(*ledger.Tx, string, ledgertypes.Role) (ledgertypes.RoleGrant, error){ledger.RevokeRole, ledger.ApproveRole} {
		e.stub.As(fmt.Sprintf("Admin%dMSP", i), "admin", "admin")
		tx, err := ledger.NewTx(e.stub)
		if err != nil {
			e.t.Fatal(err)
		}
		if _, err := op(tx, msp, role); err != nil {
			e.t.Fatal(err)
		}
		e.stub.Commit()
	}
}

// at moves the clock to t0 + d.
func (e *env) at(d time.Duration) { e.stub.At(t0.Add(d)) }

// do runs f as w in one transaction: committed on success, abandoned on failure.
func do[A, R any](e *env, w who, f txFunc[A, R], args string) (R, error) {
	e.stub.AsIdentity(w.id())
	r, err := invoke(e, f, args)
	if err != nil {
		e.stub.Begin()
		return r, err
	}
	if n := e.stub.OpenIterators(); n != 0 {
		e.t.Fatalf("%d iterators left open", n)
	}
	e.lastEvent = e.stub.Event()
	e.stub.Commit()
	return r, nil
}

func mustDo[A, R any](e *env, w who, f txFunc[A, R], args string) R {
	e.t.Helper()
	r, err := do(e, w, f, args)
	if err != nil {
		e.t.Fatalf("%s as %s: %v", args, w.account(), err)
	}
	return r
}

// fails checks that f as w fails with code and a message containing want.
func fails[A, R any](e *env, w who, f txFunc[A, R], args string, code cxlerr.Code, want string) {
	e.t.Helper()
	e.stub.AsIdentity(w.id())
	_, err := invoke(e, f, args)
	e.stub.Begin()
	if err == nil {
		e.t.Fatalf("%s as %s: no error, want %s containing %q", args, w.account(), code, want)
	}
	if cxlerr.CodeOf(err) != code || !strings.Contains(err.Error(), want) {
		e.t.Fatalf("%s as %s: error %q, want %s containing %q", args, w.account(), err, code, want)
	}
}

// js encodes v as a JSON argument.
func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// event returns the type and payload of the last committed transaction's event.
func (e *env) event() (string, ledger.EventPayload) {
	e.t.Helper()
	if e.lastEvent == nil {
		return "", ledger.EventPayload{}
	}
	var p ledger.EventPayload
	if err := json.Unmarshal(e.lastEvent.Payload, &p); err != nil {
		e.t.Fatal(err)
	}
	return e.lastEvent.EventName, p
}

// earn has acme award points to w for a purchase of amount cents.
func (e *env) earn(id string, w who, amount ledgertypes.Amount) *loyalty.Earn {
	e.t.Helper()
	return mustDo(e, acme, e.lc.Earn, js(map[string]any{"program": "acme", "id": id, "account": w.account(), "amount": amount}))
}

// redeem has w redeem points at merchant m.
func (e *env) redeem(id string, w who, points ledgertypes.Amount, m who) *loyalty.Redemption {
	e.t.Helper()
	return mustDo(e, w, e.lc.Redeem, js(map[string]any{"program": "acme", "id": id, "account": w.account(), "points": points, "merchant": m.msp}))
}

// balance returns w's balance in "acme", as w asks for it.
func (e *env) balance(w who) *loyalty.PointsBalance {
	e.t.Helper()
	return mustDo(e, w, e.lc.Balance, `{"program":"acme"}`)
}

// wantBalance checks w's available, expired points and debt in "acme".
func (e *env) wantBalance(w who, available, expired, debt ledgertypes.Amount) {
	e.t.Helper()
	b := e.balance(w)
	if b.Available != available || b.Expired != expired || b.Debt != debt {
		e.t.Fatalf("balance of %s: available %d, expired %d, debt %d; want %d, %d, %d (%+v)",
			w.account(), b.Available, b.Expired, b.Debt, available, expired, debt, b)
	}
}

// fund deposits amount EUR cents into each account.
func (e *env) fund(amount ledgertypes.Amount, accounts ...who) {
	e.t.Helper()
	credits := []map[string]any{}
	for _, a := range accounts {
		credits = append(credits, map[string]any{"account": a.account(), "amount": amount})
	}
	e.refs++
	mustDo(e, bank, e.oc.Deposit, js(map[string]any{"ref": fmt.Sprintf("dep-%d", e.refs), "currency": "EUR", "credits": credits}))
}

// place has w place an order of amount cents with merchant m, due in three days.
func (e *env) place(id string, w, m who, amount ledgertypes.Amount) *orders.Order {
	e.t.Helper()
	return mustDo(e, w, e.oc.Place, js(map[string]any{
		"id": id, "merchant": m.msp, "amount": amount, "currency": "EUR",
		"deadline": e.stub.Now().Add(3 * day), "items": []map[string]any{{"sku": "mug", "quantity": 1}},
	}))
}

// deliver has the customer w confirm an order delivered.
func (e *env) deliver(id string, w who) *orders.Order {
	e.t.Helper()
	return mustDo(e, w, e.oc.ConfirmDelivery, js(map[string]string{"id": id}))
}

// refund has merchant m refund amount cents of an order (0 for the rest).
func (e *env) refund(id, refundID string, m who, amount ledgertypes.Amount) *orders.Order {
	e.t.Helper()
	args := map[string]any{"id": id, "refundId": refundID}
	if amount > 0 {
		args["amount"] = amount
	}
	return mustDo(e, m, e.oc.Refund, js(args))
}

// related decodes the "related" data of the last orders event into v and
// reports whether there was any.
func (e *env) related(v any) bool {
	e.t.Helper()
	_, p := e.event()
	var data struct {
		Related json.RawMessage `json:"related"`
	}
	if err := json.Unmarshal(p.Data, &data); err != nil {
		e.t.Fatal(err)
	}
	if len(data.Related) == 0 {
		return false
	}
	if err := json.Unmarshal(data.Related, v); err != nil {
		e.t.Fatal(err)
	}
	return true
}
