package orderscc_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/chaincode/orders/orderscc"
	"github.com/cxledger/cxledger/cxlerr"
)

// who is a caller identity: roles is its certificate's cxl.roles
// attribute, "" for none (a customer).
type who struct{ msp, cn, ou, roles string }

// The consortium of the tests: one organisation per role, its staff
// carrying it, and customers.
var (
	bank   = who{"BankMSP", "teller", "client", "payment"}   // payment, issuer of EUR
	bank2  = who{"Bank2MSP", "teller", "client", "payment"}  // payment, issuer of USD
	shop   = who{"ShopMSP", "clerk", "client", "merchant"}   // merchant
	mall   = who{"MallMSP", "clerk", "client", "merchant"}   // merchant
	ship   = who{"ShipMSP", "driver", "client", "carrier"}   // carrier
	ship2  = who{"Ship2MSP", "driver", "client", "carrier"}  // carrier too
	judge  = who{"JudgeMSP", "referee", "client", "arbiter"} // arbiter
	judge2 = who{"Judge2MSP", "referee", "client", "arbiter"}
	audit  = who{"AuditMSP", "inspector", "client", "auditor"} // auditor: reads every order
	alice  = who{"CustMSP", "alice", "client", ""}
	bob    = who{"CustMSP", "bob", "client", ""}
	carol  = who{"CustMSP", "carol", "client", ""}
	peerID = who{"CustMSP", "peer0", "peer", ""}
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

// fn is a transaction function of the contract taking its argument as the text a client
// sends.
type fn[R any] func(*orderscc.Contract, contractapi.TransactionContextInterface, string) (R, error)

// text adapts a transaction function to take its argument as the text a client sends,
// converted as the assembled chaincode converts it.
func text[A, R any](f func(*orderscc.Contract, contractapi.TransactionContextInterface, A) (R, error)) fn[R] {
	return func(c *orderscc.Contract, ctx contractapi.TransactionContextInterface, args string) (R, error) {
		a, err := ledgertest.Arg[A](args)
		if err != nil {
			var zero R
			return zero, err
		}
		return f(c, ctx, a)
	}
}

var (
	registerCurrency = text((*orderscc.Contract).RegisterCurrency)
	deposit          = text((*orderscc.Contract).Deposit)
	withdraw         = text((*orderscc.Contract).Withdraw)
	consolidate      = text((*orderscc.Contract).Consolidate)
	place            = text((*orderscc.Contract).Place)
	confirm          = text((*orderscc.Contract).ConfirmDelivery)
	refund           = text((*orderscc.Contract).Refund)
	requestReturn    = text((*orderscc.Contract).RequestReturn)
	receiveReturn    = text((*orderscc.Contract).ReceiveReturn)
	openDispute      = text((*orderscc.Contract).OpenDispute)
	resolve          = text((*orderscc.Contract).ResolveDispute)
	sweep            = text((*orderscc.Contract).Sweep)
	getOrder         = text((*orderscc.Contract).GetOrder)
	customerOrders   = text((*orderscc.Contract).CustomerOrders)
	merchantOrders   = text((*orderscc.Contract).MerchantOrders)
	balanceOf        = text((*orderscc.Contract).Balance)
)

// env is a ledger with the test consortium's roles granted and EUR
// registered by bank.
type env struct {
	t     testing.TB
	stub  *ledgertest.Stub
	c     *orderscc.Contract
	hooks *recorder
	// lastEvent is the event of the last committed transaction.
	lastEvent *peer.ChaincodeEvent
	// refs counts the deposits fund made.
	refs int
}

func newEnv(t testing.TB) *env {
	t.Helper()
	h := &recorder{}
	e := &env{t: t, stub: ledgertest.New(), c: orderscc.NewContract(h), hooks: h}
	for _, g := range []struct {
		w    who
		role ledgertypes.Role
	}{
		{bank, ledgertypes.Payment}, {bank2, ledgertypes.Payment}, {shop, ledgertypes.Merchant}, {mall, ledgertypes.Merchant},
		{ship, ledgertypes.Carrier}, {ship2, ledgertypes.Carrier}, {judge, ledgertypes.Arbiter}, {judge2, ledgertypes.Arbiter},
		{audit, ledgertypes.Auditor},
		// Customers are enrolled with a member's CA, so their accounts name a
		// member organisation: CustMSP stands for it.
		{alice, ledgertypes.Carrier},
	} {
		e.grant(g.w.msp, g.role)
	}
	mustDo(e, bank, registerCurrency, `{"currency":"EUR"}`)
	mustDo(e, bank2, registerCurrency, `{"currency":"USD"}`)
	return e
}

// grant gives msp role, proposed by one admin and approved by another.
func (e *env) grant(msp string, role ledgertypes.Role) {
	e.t.Helper()
	for _, admin := range []string{"AdminAMSP", "AdminBMSP"} {
		e.stub.As(admin, "admin", "admin")
		tx, err := ledger.NewTx(e.stub)
		if err != nil {
			e.t.Fatal(err)
		}
		op := ledger.ProposeRole
		if admin == "AdminBMSP" {
			op = ledger.ApproveRole
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
	for i, admin := range []string{"AdminAMSP", "AdminBMSP"} {
		e.stub.As(admin, "admin", "admin")
		tx, err := ledger.NewTx(e.stub)
		if err != nil {
			e.t.Fatal(err)
		}
		op := ledger.RevokeRole
		if i == 1 {
			op = ledger.ApproveRole
		}
		if _, err := op(tx, msp, role); err != nil {
			e.t.Fatal(err)
		}
		e.stub.Commit()
	}
}

// do runs f as w in one transaction: committed on success, abandoned on failure.
func do[R any](e *env, w who, f fn[R], args string) (R, error) {
	e.stub.AsIdentity(w.id())
	r, err := f(e.c, ledgertest.Context(e.stub), args)
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

func mustDo[R any](e *env, w who, f fn[R], args string) R {
	e.t.Helper()
	r, err := do(e, w, f, args)
	if err != nil {
		e.t.Fatalf("%s: %v", args, err)
	}
	return r
}

// fails checks that f as w fails with code and a message containing want,
// and writes nothing.
func fails[R any](e *env, w who, f fn[R], args string, code cxlerr.Code, want string) {
	e.t.Helper()
	e.stub.AsIdentity(w.id())
	_, err := f(e.c, ledgertest.Context(e.stub), args)
	e.stub.Begin()
	if err == nil {
		e.t.Fatalf("%s as %s: no error, want %s containing %q", args, w.account(), code, want)
	}
	if cxlerr.CodeOf(err) != code || !strings.Contains(err.Error(), want) {
		e.t.Fatalf("%s as %s: error %q, want %s containing %q", args, w.account(), err, code, want)
	}
}

// ctxOf returns a transaction context over the env's stub.
func ctxOf(e *env) contractapi.TransactionContextInterface { return ledgertest.Context(e.stub) }

// js encodes v as a JSON argument.
func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// fund deposits amount EUR into each account under a fresh reference.
func (e *env) fund(amount ledgertypes.Amount, accounts ...string) {
	e.t.Helper()
	credits := []map[string]any{}
	for _, a := range accounts {
		credits = append(credits, map[string]any{"account": a, "amount": amount})
	}
	e.refs++
	mustDo(e, bank, deposit, js(map[string]any{"ref": "dep-" + strconv.Itoa(e.refs), "currency": "EUR", "credits": credits}))
}

// order is the argument of Place with sensible defaults.
type order struct {
	ID         string             `json:"id"`
	Merchant   string             `json:"merchant"`
	Amount     ledgertypes.Amount `json:"amount"`
	Currency   string             `json:"currency"`
	Deadline   time.Time          `json:"deadline"`
	Items      []orders.OrderItem `json:"items"`
	Carrier    string             `json:"carrier,omitempty"`
	Arbiter    string             `json:"arbiter,omitempty"`
	ReturnDays int                `json:"returnDays,omitempty"`
}

func newOrder(id string, amount ledgertypes.Amount) order {
	return order{
		ID: id, Merchant: shop.msp, Amount: amount, Currency: "EUR",
		Deadline: t0.Add(72 * time.Hour), Items: []orders.OrderItem{{SKU: "beans-1kg", Quantity: 2}},
		Carrier: ship.msp, Arbiter: judge.msp, ReturnDays: 14,
	}
}

// balance returns the committed balance of account in EUR, read from the lots.
func (e *env) balance(account string) ledgertypes.Amount {
	return e.balances("eur")[account]
}

// balances sums the committed lots of a currency book by owner.
func (e *env) balances(currency string) map[string]ledgertypes.Amount {
	e.t.Helper()
	out := map[string]ledgertypes.Amount{}
	for _, k := range e.stub.Keys() {
		objectType, parts, err := e.stub.SplitCompositeKey(k)
		if err != nil || objectType != orders.Book(currency) {
			continue
		}
		var l ledger.Lot
		if err := json.Unmarshal(e.stub.State(k), &l); err != nil {
			e.t.Fatal(err)
		}
		if l.Amount <= 0 || l.Owner != parts[0] || l.Unit != strings.ToUpper(currency) {
			e.t.Fatalf("bad lot %s: %+v", ledger.DescribeKey(k), l)
		}
		out[l.Owner] += l.Amount
	}
	return out
}

// wantBalances checks committed EUR balances.
func (e *env) wantBalances(want map[string]ledgertypes.Amount) {
	e.t.Helper()
	got := e.balances("eur")
	for account, amount := range want {
		if got[account] != amount {
			e.t.Fatalf("balance of %s = %d, want %d (all: %v)", account, got[account], amount, got)
		}
	}
}

// order reads an order as a query, as an auditor, who reads every order.
func (e *env) order(id string) *orders.Order {
	e.t.Helper()
	return mustDo(e, audit, getOrder, js(map[string]string{"id": id}))
}

// event decodes the event of the last committed transaction.
func (e *env) event() ledger.EventPayload {
	e.t.Helper()
	if e.lastEvent == nil {
		e.t.Fatal("no event")
	}
	var p ledger.EventPayload
	if err := json.Unmarshal(e.lastEvent.Payload, &p); err != nil {
		e.t.Fatal(err)
	}
	if e.lastEvent.EventName != p.Contract+"."+p.Type || p.Contract != "orders" {
		e.t.Fatalf("event %s payload %s", e.lastEvent.EventName, e.lastEvent.Payload)
	}
	return p
}

// hasKey reports whether the committed state has a composite key.
func (e *env) hasKey(objectType string, parts ...string) bool {
	k, err := shim.CreateCompositeKey(objectType, parts)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.stub.State(k) != nil
}

// recorder is a Hooks that records its calls and returns what related says.
type recorder struct {
	delivered []string
	refunded  []string
	err       error
	emit      bool
}

func (r *recorder) OrderDelivered(tx *ledger.Tx, o *orders.Order) (any, error) {
	r.delivered = append(r.delivered, o.ID)
	if r.err != nil {
		return nil, r.err
	}
	o.State = "tampered"
	return map[string]any{"points": int64(o.Released) / 100}, nil
}

func (r *recorder) OrderRefunded(tx *ledger.Tx, o *orders.Order, refunded ledgertypes.Amount) (any, error) {
	r.refunded = append(r.refunded, o.ID+":"+refunded.String())
	if r.err != nil {
		return nil, r.err
	}
	if r.emit {
		if err := ledger.Emit(tx, ledger.Event{Contract: "loyalty", Type: "PointsReversed"}); err != nil {
			return nil, err
		}
	}
	return map[string]any{"reversed": int64(refunded) / 100}, nil
}
