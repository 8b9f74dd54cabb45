package orderscc_test

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"hash"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/chaincode/orders/orderscc"
	"github.com/cxledger/cxledger/cxlerr"
)

// The fuzz test decodes its input into a sequence of operations, runs them
// against the contract and against a simple model of balances and order
// states, and after every operation checks that the two agree on what
// succeeded, with which error code, and on every balance; that money is
// conserved (the lots of a currency sum to its outstanding amount, which
// only deposits and withdrawals change); that no lot is negative; and that
// no order is paid out twice. It then runs the same operations on a fresh
// ledger and checks that every write, result and event is byte-identical.

// Operation kinds.
const (
	opDeposit = iota
	opWithdraw
	opPlace
	opConfirm
	opRefund
	opRequestReturn
	opReceiveReturn
	opOpenDispute
	opResolve
	opSweep
	opAdvance
	opConsolidate
	opRetry
)

// opTable maps an input byte to an operation kind: bytes 0 to 12 name the
// kinds in order (the seeds use them so), the rest weight the order
// transitions, so that random input reaches returns and disputes.
var opTable = []int{
	opDeposit, opWithdraw, opPlace, opConfirm, opRefund, opRequestReturn, opReceiveReturn,
	opOpenDispute, opResolve, opSweep, opAdvance, opConsolidate, opRetry,
	opDeposit, opDeposit, opPlace, opPlace, opPlace, opConfirm, opConfirm, opConfirm,
	opRefund, opRequestReturn, opRequestReturn, opReceiveReturn, opOpenDispute, opOpenDispute,
	opResolve, opResolve, opWithdraw, opRetry, opSweep,
}

var (
	fuzzCustomers = []who{alice, bob, carol}
	fuzzMerchants = []who{shop, mall}
	fuzzIssuers   = map[string]who{"EUR": bank, "USD": bank2}
	fuzzCurrency  = []string{"EUR", "USD"}
)

// op is one decoded operation; the model and the contract both run it.
type op struct {
	kind     int
	actor    who
	order    string // the order placed, or acted on once pickOrder chose it
	pick     int    // chooses the order acted on
	merchant who
	currency string
	account  string
	amount   ledgertypes.Amount // 0 for a Refund of everything remaining
	deadline time.Time
	carrier  bool
	arbiter  bool
	days     int
	ref      string
	limit    int
	hours    int
}

// bytesReader hands out the fuzz input a byte at a time, then zeros.
type bytesReader struct {
	data []byte
}

func (r *bytesReader) next() int {
	if len(r.data) == 0 {
		return 0
	}
	b := r.data[0]
	r.data = r.data[1:]
	return int(b)
}

// mOrder is the model of an order.
type mOrder struct {
	id, customer, merchant, currency string
	carrier, arbiter                 bool
	amount, refunded, released       ledgertypes.Amount
	state                            orders.State
	deadline, returnBy               time.Time
	days                             int
	refundIDs                        map[string]bool
}

// model is the in-memory model: balances by currency and account, the
// outstanding amounts, and the orders.
type model struct {
	now         time.Time
	bal         map[string]map[string]ledgertypes.Amount
	outstanding map[string]ledgertypes.Amount
	orders      []*mOrder
	byID        map[string]*mOrder
	refs        map[string]bool
}

func newModel() *model {
	return &model{
		now:         t0,
		bal:         map[string]map[string]ledgertypes.Amount{"EUR": {}, "USD": {}},
		outstanding: map[string]ledgertypes.Amount{},
		byID:        map[string]*mOrder{},
		refs:        map[string]bool{},
	}
}

// transfer moves amount between accounts of the model.
func (m *model) transfer(currency, from, to string, amount ledgertypes.Amount) {
	m.bal[currency][from] -= amount
	m.bal[currency][to] += amount
}

// decodeOps turns the fuzz input into at most 200 operations.
func decodeOps(data []byte) []op {
	r := &bytesReader{data: data}
	var ops []op
	placed := 0
	for len(r.data) > 0 && len(ops) < 200 {
		kind := opTable[r.next()%len(opTable)]
		o := op{kind: kind}
		switch kind {
		case opDeposit, opWithdraw:
			o.currency = fuzzCurrency[r.next()%2]
			holders := []who{alice, bob, carol, shop, mall, alice, bob, carol}
			h := holders[r.next()%len(holders)]
			o.account = h.account()
			if h.cn == "clerk" {
				o.account = h.msp
			}
			o.amount = ledgertypes.Amount(1 + r.next()*r.next())
			if kind == opWithdraw {
				o.amount = ledgertypes.Amount(1 + r.next()*8)
			}
			o.actor = fuzzIssuers[o.currency]
			o.ref = fmt.Sprintf("t%d", len(ops))
		case opPlace:
			o.actor = fuzzCustomers[r.next()%3]
			o.merchant = fuzzMerchants[r.next()%2]
			o.currency = fuzzCurrency[r.next()%4/3] // mostly EUR
			o.amount = ledgertypes.Amount(1 + r.next()*8)
			o.hours = 1 + r.next()%96
			flags := r.next()
			o.carrier, o.arbiter = flags&1 != 0, flags&2 != 0
			o.days = flags >> 2 % 8
			o.order = fmt.Sprintf("o%03d", placed)
			placed++
		case opConfirm, opRefund, opRequestReturn, opReceiveReturn, opOpenDispute, opResolve:
			o.pick = r.next()
			o.actor = who{msp: strconv.Itoa(r.next())} // resolved against the order when run
			o.amount = ledgertypes.Amount(r.next() * 4)
			o.ref = fmt.Sprintf("r%d", r.next()%4)
		case opSweep:
			o.limit = 1 + r.next()%5
			o.actor = carol
		case opAdvance:
			o.hours = 1 + r.next()%36
		case opConsolidate:
			holders := []who{alice, bob, carol, shop, mall}
			h := holders[r.next()%len(holders)]
			o.actor, o.account, o.currency = h, h.account(), fuzzCurrency[r.next()%2]
			if h.cn == "clerk" {
				o.account = h.msp
			}
		}
		ops = append(ops, o)
	}
	return ops
}

// actorFor resolves the actor of an order transition: mostly the party the
// transition expects, sometimes anyone of the consortium.
func actorFor(o op, mo *mOrder) who {
	selector, _ := strconv.Atoi(o.actor.msp)
	customer := who{"CustMSP", mo.customer[len("CustMSP/"):], "client", ""}
	merchant := shop
	if mo.merchant == mall.msp {
		merchant = mall
	}
	other := alice
	if customer == alice {
		other = bob
	}
	everyone := []who{customer, merchant, ship, ship2, judge, other, mall, shop}
	if selector%4 == 0 {
		return everyone[selector/4%len(everyone)]
	}
	switch o.kind {
	case opConfirm:
		if selector%2 == 0 {
			return ship
		}
		return customer
	case opRefund:
		return merchant
	case opRequestReturn:
		return customer
	case opReceiveReturn:
		if selector%2 == 0 {
			return ship
		}
		return merchant
	case opOpenDispute:
		if selector%2 == 0 {
			return merchant
		}
		return customer
	default:
		return judge
	}
}

// predict returns the error code the contract must give for o, "" for
// success, and applies the operation to the model when it succeeds. lots
// is the number of lots of o.account, for Consolidate.
func (m *model) predict(o op, actor who, lots int) cxlerr.Code {
	switch o.kind {
	case opDeposit:
		if m.refs[o.ref] {
			return cxlerr.Conflict
		}
		m.refs[o.ref] = true
		m.bal[o.currency][o.account] += o.amount
		m.outstanding[o.currency] += o.amount
		return ""
	case opWithdraw:
		if m.refs[o.ref] {
			return cxlerr.Conflict
		}
		if m.bal[o.currency][o.account] < o.amount {
			return cxlerr.InsufficientFunds
		}
		m.refs[o.ref] = true
		m.bal[o.currency][o.account] -= o.amount
		m.outstanding[o.currency] -= o.amount
		return ""
	case opPlace:
		if !o.deadline.After(m.now) {
			return cxlerr.Invalid
		}
		if m.byID[o.order] != nil {
			return cxlerr.Conflict
		}
		customer := actor.account()
		if m.bal[o.currency][customer] < o.amount {
			return cxlerr.InsufficientFunds
		}
		mo := &mOrder{
			id: o.order, customer: customer, merchant: o.merchant.msp, currency: o.currency,
			carrier: o.carrier, arbiter: o.arbiter, amount: o.amount, state: orders.StatePlaced,
			deadline: o.deadline, days: o.days, refundIDs: map[string]bool{},
		}
		m.orders = append(m.orders, mo)
		m.byID[mo.id] = mo
		m.transfer(o.currency, customer, orders.EscrowAccount(mo.id), o.amount)
		return ""
	case opSweep:
		return m.sweep(o.limit)
	case opConsolidate:
		if lots < 2 {
			return cxlerr.Conflict
		}
		return ""
	}
	mo := m.byID[o.order]
	isCustomer := actor.account() == mo.customer
	isMerchant := actor.msp == mo.merchant
	isCarrier := mo.carrier && actor == ship
	remaining := mo.amount - mo.refunded
	escrow := orders.EscrowAccount(mo.id)
	switch o.kind {
	case opConfirm:
		switch {
		case !isCustomer && !isCarrier:
			return cxlerr.Forbidden
		case mo.state != orders.StatePlaced:
			return cxlerr.Conflict
		case !isCustomer && m.now.After(mo.deadline):
			return cxlerr.Expired
		}
		m.transfer(mo.currency, escrow, mo.merchant, remaining)
		mo.released = remaining
		mo.state = orders.StateDelivered
		mo.returnBy = m.now.Add(time.Duration(mo.days) * 24 * time.Hour)
	case opRefund:
		amount := o.amount
		if amount == 0 {
			amount = remaining
		}
		switch {
		case !isMerchant:
			return cxlerr.Forbidden
		case mo.refundIDs[o.ref]:
			return cxlerr.Conflict
		case mo.state != orders.StatePlaced && mo.state != orders.StateDelivered && mo.state != orders.StateReturning:
			return cxlerr.Conflict
		case len(mo.refundIDs) >= orders.MaxRefunds:
			return cxlerr.Conflict
		case amount > remaining:
			return cxlerr.Conflict
		}
		from := escrow
		if mo.state != orders.StatePlaced {
			from = mo.merchant
		}
		if m.bal[mo.currency][from] < amount {
			return cxlerr.InsufficientFunds
		}
		m.transfer(mo.currency, from, mo.customer, amount)
		mo.refundIDs[o.ref] = true
		mo.refunded += amount
		if mo.refunded == mo.amount {
			mo.state = orders.StateRefunded
		}
	case opRequestReturn:
		switch {
		case !isCustomer:
			return cxlerr.Forbidden
		case mo.state != orders.StateDelivered:
			return cxlerr.Conflict
		case !m.now.Before(mo.returnBy):
			return cxlerr.Expired
		}
		mo.state = orders.StateReturning
	case opReceiveReturn:
		switch {
		case !isMerchant && !isCarrier:
			return cxlerr.Forbidden
		case mo.state != orders.StateReturning:
			return cxlerr.Conflict
		case m.bal[mo.currency][mo.merchant] < remaining:
			return cxlerr.InsufficientFunds
		}
		m.transfer(mo.currency, mo.merchant, mo.customer, remaining)
		mo.refunded = mo.amount
		mo.state = orders.StateReturned
	case opOpenDispute:
		switch {
		case !isCustomer && !isMerchant:
			return cxlerr.Forbidden
		case !mo.arbiter:
			return cxlerr.Conflict
		case mo.state == orders.StateDelivered:
			if !m.now.Before(mo.returnBy) {
				return cxlerr.Expired
			}
		case mo.state != orders.StateReturning:
			return cxlerr.Conflict
		}
		mo.state = orders.StateDisputed
	case opResolve:
		switch {
		case !mo.arbiter || actor != judge:
			return cxlerr.Forbidden
		case mo.state != orders.StateDisputed:
			return cxlerr.Conflict
		case o.amount > remaining:
			return cxlerr.Conflict
		case m.bal[mo.currency][mo.merchant] < o.amount:
			return cxlerr.InsufficientFunds
		}
		m.transfer(mo.currency, mo.merchant, mo.customer, o.amount)
		mo.refunded += o.amount
		mo.state = orders.StateResolved
	}
	return ""
}

// pickOrder chooses the order a transition acts on: mostly one whose state
// the transition leaves, so random input goes deep into the state machine;
// sometimes any order.
func (m *model) pickOrder(o op) string {
	if len(m.orders) == 0 {
		return ""
	}
	from := map[int][]orders.State{
		opConfirm:       {orders.StatePlaced},
		opRefund:        {orders.StatePlaced, orders.StateDelivered, orders.StateReturning},
		opRequestReturn: {orders.StateDelivered},
		opReceiveReturn: {orders.StateReturning},
		opOpenDispute:   {orders.StateDelivered, orders.StateReturning},
		opResolve:       {orders.StateDisputed},
	}[o.kind]
	var fit []*mOrder
	for _, mo := range m.orders {
		if slices.Contains(from, mo.state) {
			fit = append(fit, mo)
		}
	}
	if o.pick < 192 && len(fit) > 0 {
		return fit[o.pick%len(fit)].id
	}
	return m.orders[o.pick%len(m.orders)].id
}

// sweep refunds, in the model, what Sweep must refund.
func (m *model) sweep(limit int) cxlerr.Code {
	var due []*mOrder
	for _, mo := range m.orders {
		if mo.state == orders.StatePlaced && m.now.After(mo.deadline) {
			due = append(due, mo)
		}
	}
	slices.SortFunc(due, func(a, b *mOrder) int {
		return cmp.Or(a.deadline.Compare(b.deadline), cmp.Compare(a.id, b.id))
	})
	seen := map[string]bool{}
	for _, mo := range due[:min(limit, len(due))] {
		if seen[mo.customer] {
			continue
		}
		seen[mo.customer] = true
		m.transfer(mo.currency, orders.EscrowAccount(mo.id), mo.customer, mo.amount-mo.refunded)
		mo.refunded = mo.amount
		mo.state = orders.StateRefunded
	}
	return ""
}

// fuzzRun runs ops on a fresh ledger and returns a digest of every write,
// result and event.
func fuzzRun(t *testing.T, ops []op) []byte {
	e := newEnv(t)
	m := newModel()
	digest := sha256.New()
	var last *op                                // the last operation run, which opRetry runs again
	paid := map[string]ledgertypes.Amount{}     // what events say escrows released, by order
	refunded := map[string]ledgertypes.Amount{} // what events say went back, by order
	for i, o := range ops {
		if o.kind == opRetry {
			if last == nil {
				continue
			}
			o = *last
		}
		if o.kind == opAdvance {
			m.now = m.now.Add(time.Duration(o.hours) * time.Hour)
			e.stub.At(m.now)
			continue
		}
		switch o.kind {
		case opConfirm, opRefund, opRequestReturn, opReceiveReturn, opOpenDispute, opResolve:
			if o.order == "" {
				if o.order = m.pickOrder(o); o.order == "" {
					continue // no order placed yet
				}
			}
		}
		if o.kind == opPlace && o.deadline.IsZero() {
			o.deadline = m.now.Add(time.Duration(o.hours) * time.Hour)
		}
		if o.kind != opSweep {
			last = &o
		}
		actor := o.actor
		if mo := m.byID[o.order]; mo != nil && o.kind != opPlace {
			actor = actorFor(o, mo)
		}
		lots := 0
		if o.kind == opConsolidate {
			lots = countLots(e, o.currency, o.account)
		}
		var sweptBefore []string
		if o.kind == opSweep {
			sweptBefore = m.refundedIDs()
		}
		want := m.predict(o, actor, lots)
		name, args := o.call()
		res, ev, err := fuzzExec(e, digest, actor, name, args)
		if got := cxlerr.CodeOf(err); got != want {
			t.Fatalf("op %d %s %s as %s: got %v, model wants %q", i, name, args, actor.account(), err, want)
		}
		if o.kind == opSweep && err == nil {
			checkSweep(t, m, sweptBefore, res)
		}
		if ev != nil {
			countPayouts(t, *ev, paid, refunded)
		}
		checkInvariants(t, e, m, i, paid, refunded)
	}
	return digest.Sum(nil)
}

// call names the contract function of o and its JSON argument.
func (o op) call() (string, string) {
	switch o.kind {
	case opDeposit:
		return "Deposit", js(map[string]any{"ref": o.ref, "currency": o.currency, "credits": []map[string]any{{"account": o.account, "amount": o.amount}}})
	case opWithdraw:
		return "Withdraw", js(map[string]any{"ref": o.ref, "account": o.account, "currency": o.currency, "amount": o.amount})
	case opPlace:
		a := newOrder(o.order, o.amount)
		a.Merchant, a.Currency, a.Deadline, a.ReturnDays = o.merchant.msp, o.currency, o.deadline, o.days
		a.Carrier, a.Arbiter = "", ""
		if o.carrier {
			a.Carrier = ship.msp
		}
		if o.arbiter {
			a.Arbiter = judge.msp
		}
		return "Place", js(a)
	case opConfirm:
		return "ConfirmDelivery", id(o.order)
	case opRefund:
		return "Refund", refundArgs(o.order, o.ref, o.amount)
	case opRequestReturn:
		return "RequestReturn", id(o.order)
	case opReceiveReturn:
		return "ReceiveReturn", id(o.order)
	case opOpenDispute:
		return "OpenDispute", id(o.order)
	case opResolve:
		return "ResolveDispute", js(map[string]any{"id": o.order, "refund": o.amount})
	case opSweep:
		return "Sweep", js(map[string]int{"limit": o.limit})
	default:
		return "Consolidate", js(map[string]string{"account": o.account, "currency": o.currency})
	}
}

// fuzzExec runs one transaction as w and adds its result, writes and event
// to digest. It returns the result as JSON and the event.
func fuzzExec(e *env, digest hash.Hash, w who, name, args string) (string, *ledger.EventPayload, error) {
	e.stub.AsIdentity(w.id())
	var out any
	var err error
	ctx := ctxOf(e)
	switch name {
	case "Deposit":
		out, err = text((*orderscc.Contract).Deposit)(e.c, ctx, args)
	case "Withdraw":
		out, err = text((*orderscc.Contract).Withdraw)(e.c, ctx, args)
	case "Place":
		out, err = text((*orderscc.Contract).Place)(e.c, ctx, args)
	case "ConfirmDelivery":
		out, err = text((*orderscc.Contract).ConfirmDelivery)(e.c, ctx, args)
	case "Refund":
		out, err = text((*orderscc.Contract).Refund)(e.c, ctx, args)
	case "RequestReturn":
		out, err = text((*orderscc.Contract).RequestReturn)(e.c, ctx, args)
	case "ReceiveReturn":
		out, err = text((*orderscc.Contract).ReceiveReturn)(e.c, ctx, args)
	case "OpenDispute":
		out, err = text((*orderscc.Contract).OpenDispute)(e.c, ctx, args)
	case "ResolveDispute":
		out, err = text((*orderscc.Contract).ResolveDispute)(e.c, ctx, args)
	case "Sweep":
		out, err = text((*orderscc.Contract).Sweep)(e.c, ctx, args)
	case "Consolidate":
		out, err = text((*orderscc.Contract).Consolidate)(e.c, ctx, args)
	}
	fmt.Fprintf(digest, "%s %s %s\n", w.account(), name, args)
	if err != nil {
		fmt.Fprintf(digest, "error %s\n", err)
		e.stub.Begin()
		return "", nil, err
	}
	result, jerr := json.Marshal(out)
	if jerr != nil {
		e.t.Fatal(jerr)
	}
	fmt.Fprintf(digest, "result %s\n", result)
	for _, wr := range e.stub.Writes() {
		fmt.Fprintf(digest, "write %q %s %q\n", wr.Key, wr.Op, wr.Value)
	}
	var payload *ledger.EventPayload
	if ev := e.stub.Event(); ev != nil {
		fmt.Fprintf(digest, "event %s %q\n", ev.EventName, ev.Payload)
		payload = new(ledger.EventPayload)
		if err := json.Unmarshal(ev.Payload, payload); err != nil {
			e.t.Fatal(err)
		}
	}
	e.stub.Commit()
	return string(result), payload, nil
}

// countPayouts adds what an event says was released to merchants and
// refunded to customers, by order, and fails when an order is released twice.
func countPayouts(t *testing.T, ev ledger.EventPayload, paid, refunded map[string]ledgertypes.Amount) {
	t.Helper()
	var data struct {
		Released ledgertypes.Amount `json:"released"`
		Refunded ledgertypes.Amount `json:"refunded"`
		Orders   []struct {
			ID       string             `json:"id"`
			Refunded ledgertypes.Amount `json:"refunded"`
		} `json:"orders"`
	}
	if err := json.Unmarshal(ev.Data, &data); err != nil {
		t.Fatal(err)
	}
	order := ev.Keys["order"]
	if data.Released > 0 {
		if paid[order] > 0 {
			t.Fatalf("order %s released to the merchant twice: %s", order, ev.Data)
		}
		paid[order] = data.Released
	}
	refunded[order] += data.Refunded
	for _, o := range data.Orders {
		refunded[o.ID] += o.Refunded
	}
}

func (m *model) refundedIDs() []string {
	var ids []string
	for _, mo := range m.orders {
		if mo.state == orders.StateRefunded {
			ids = append(ids, mo.id)
		}
	}
	return ids
}

// checkSweep checks that Sweep refunded the orders the model refunded.
func checkSweep(t *testing.T, m *model, before []string, result string) {
	t.Helper()
	var r orders.OrderSweep
	if err := json.Unmarshal([]byte(result), &r); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, id := range m.refundedIDs() {
		if !slices.Contains(before, id) {
			want = append(want, id)
		}
	}
	got := sweptIDs(&r)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Fatalf("sweep refunded %v, model %v", got, want)
	}
}

// countLots counts the committed lots of an account.
func countLots(e *env, currency, account string) int {
	n := 0
	for _, k := range e.stub.Keys() {
		typ, parts, err := e.stub.SplitCompositeKey(k)
		if err == nil && typ == orders.Book(currency) && parts[0] == account {
			n++
		}
	}
	return n
}

// checkInvariants compares the ledger with the model after operation i,
// and both with what the events said was paid out.
func checkInvariants(t *testing.T, e *env, m *model, i int, paid, refunded map[string]ledgertypes.Amount) {
	t.Helper()
	for _, cur := range fuzzCurrency {
		got := e.balances(cur) // also fails on a lot that is not positive
		var sum ledgertypes.Amount
		for account, amount := range got {
			sum += amount
			if amount != m.bal[cur][account] {
				t.Fatalf("after op %d: %s balance of %s = %d, model %d", i, cur, account, amount, m.bal[cur][account])
			}
		}
		for account, amount := range m.bal[cur] {
			if amount < 0 {
				t.Fatalf("after op %d: model balance of %s is negative", i, account)
			}
			if amount != got[account] {
				t.Fatalf("after op %d: %s balance of %s = %d, model %d", i, cur, account, got[account], amount)
			}
		}
		key, _ := shim.CreateCompositeKey("orders.supply", []string{cur})
		var supply struct{ Outstanding ledgertypes.Amount }
		if err := json.Unmarshal(e.stub.State(key), &supply); err != nil {
			t.Fatal(err)
		}
		if sum != supply.Outstanding || sum != m.outstanding[cur] {
			t.Fatalf("after op %d: %s lots sum to %d, outstanding %d, deposits - withdrawals %d", i, cur, sum, supply.Outstanding, m.outstanding[cur])
		}
	}
	for _, mo := range m.orders {
		key, _ := shim.CreateCompositeKey("orders.order", []string{mo.id})
		var o orders.Order
		if err := json.Unmarshal(e.stub.State(key), &o); err != nil {
			t.Fatal(err)
		}
		if o.State != mo.state || o.Refunded != mo.refunded || o.Released != mo.released {
			t.Fatalf("after op %d: order %s is %s refunded %d released %d; model %s %d %d", i, mo.id, o.State, o.Refunded, o.Released, mo.state, mo.refunded, mo.released)
		}
		if o.Refunded > o.Amount || o.Released > o.Amount || paid[mo.id] != o.Released || refunded[mo.id] != o.Refunded {
			t.Fatalf("after op %d: order %s paid out more than once or more than its amount: %+v; events released %d, refunded %d",
				i, mo.id, o, paid[mo.id], refunded[mo.id])
		}
	}
}

// fuzzSeeds are operation sequences the normal test run covers; the files
// in testdata/fuzz/FuzzOrders add more.
var fuzzSeeds = [][]byte{
	// deposit EUR to alice, place, confirm by customer, refund, return, receive.
	{opDeposit, 0, 0, 200, 200, opPlace, 0, 0, 0, 10, 20, 0x0f, opConfirm, 0, 1, 0, 0, opRequestReturn, 0, 1, 0, 0, opReceiveReturn, 0, 3, 0, 0, opRetry},
	// deposits, two orders, time passes, sweep, retried refunds.
	{opDeposit, 0, 1, 100, 100, opPlace, 1, 0, 0, 5, 3, 1, opPlace, 1, 1, 0, 6, 2, 3, opAdvance, 10, opSweep, 4, opRefund, 1, 1, 5, 1, opRetry, opSweep, 0},
	// dispute and resolution, merchant withdrawal forcing a refund from the balance.
	{opDeposit, 0, 2, 255, 255, opPlace, 2, 1, 0, 30, 50, 0x0e, opConfirm, 0, 1, 0, 0, opWithdraw, 0, 4, 10, 10, opOpenDispute, 0, 1, 0, 0, opResolve, 0, 3, 50, 0, opRetry, opConsolidate, 2, 0},
}

func FuzzOrders(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ops := decodeOps(data)
		first := fuzzRun(t, slices.Clone(ops))
		if second := fuzzRun(t, slices.Clone(ops)); !bytes.Equal(first, second) {
			t.Fatal("the same operations on a fresh ledger gave different writes, results or events")
		}
	})
}
