package carecc_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/chaincode/care/carecc"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/chaincode/orders/orderscc"
	"github.com/cxledger/cxledger/cxlerr"
)

// bank is a payment organisation: it reads every order.
var bank = who{"Org6MSP", "teller", "payment"}

// js encodes v as a JSON argument.
func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// ordersRun runs a function of the orders contract oc as w and commits.
func ordersRun[A, R any](e *env, oc *orderscc.Contract, w who, f func(*orderscc.Contract, contractapi.TransactionContextInterface, A) (R, error), args string) R {
	e.t.Helper()
	a, err := ledgertest.Arg[A](args)
	if err != nil {
		e.t.Fatal(err)
	}
	e.stub.AsIdentity(w.id())
	e.stub.SetTransient(nil)
	r, err := f(oc, ledgertest.Context(e.stub), a)
	if err != nil {
		e.t.Fatalf("%s as %s: %v", args, w.account(), err)
	}
	e.stub.Commit()
	return r
}

// refusedAlike checks that f as each of strangers fails for the existing
// record (args of existing) with "<caller> may not read this record", byte
// for byte as for the missing one, naming none of secrets.
func refusedAlike[R any](t *testing.T, e *env, name string, f fn[R], args func(id string) string, transient func() map[string][]byte, existing, missing string, strangers []who, secrets []string) {
	t.Helper()
	for _, w := range strangers {
		_, err := call(e, w, f, args(existing), transient())
		want := "cxl:FORBIDDEN: " + w.account() + " may not read this record"
		if err == nil || err.Error() != want {
			t.Fatalf("%s of %s as %s: %v, want %q", name, existing, w.account(), err, want)
		}
		for _, s := range secrets {
			if s != "" && s != w.msp && strings.Contains(err.Error(), s) {
				t.Fatalf("%s of %s as %s: %q names %q", name, existing, w.account(), err, s)
			}
		}
		if _, other := call(e, w, f, args(missing), transient()); other == nil || other.Error() != err.Error() {
			t.Fatalf("%s as %s: %s answers %v, %s %v: a stranger tells them apart", name, w.account(), missing, other, existing, err)
		}
	}
}

// TestOrderWritesRefuseStrangersAlike runs OpenTicket and PostReview on
// the real orders contract's state: a caller who may not read bob's order
// is refused alike for it and for a missing order, learning nothing of
// it; its readers get NOT_FOUND and the precise refusals; bob uses it.
func TestOrderWritesRefuseStrangersAlike(t *testing.T) {
	e := newEnv(t)
	e.c = carecc.NewContract()
	e.grant(bank.msp, ledgertypes.Payment)
	oc := orderscc.NewContract(nil)
	ordersRun(e, oc, bank, (*orderscc.Contract).RegisterCurrency, `{"currency":"EUR"}`)
	ordersRun(e, oc, bank, (*orderscc.Contract).Deposit, js(map[string]any{"ref": "d1", "currency": "EUR", "credits": []map[string]any{{"account": bob.account(), "amount": 10_000}}}))
	ordersRun(e, oc, bob, (*orderscc.Contract).Place, js(map[string]any{
		"id": "O-real", "merchant": "Org2MSP", "amount": 7_777, "currency": "EUR",
		"deadline": e.stub.Now().Add(72 * time.Hour), "items": []map[string]any{{"sku": "mug", "quantity": 1}},
	}))
	o := ordersRun(e, oc, bob, (*orderscc.Contract).ConfirmDelivery, id("O-real"))
	secrets := []string{bob.account(), "Org2MSP", "7777", "EUR", o.PlacedTx, o.UpdatedTx, "delivered"}
	strangers := append([]who{alice, rival, stranger}, unroled...)

	ticket := func(order string) string {
		return fmt.Sprintf(`{"id":"T-x","merchant":"Org3MSP","orderId":%q,"category":"delivery","priority":"low"}`, order)
	}
	message := func() map[string][]byte { return e.personal(care.TransientMessage, "where is it?") }
	post := func(order string) string { return review(order, 1, "Never bought it") }
	refusedAlike(t, e, "OpenTicket", openTicket, ticket, message, "O-real", "O-none", strangers, secrets)
	refusedAlike(t, e, "PostReview", postReview, post, func() map[string][]byte { return seed(1) }, "O-real", "O-none", strangers, secrets)

	// The order's readers: auditors and payment organisations learn that a
	// missing order is NOT_FOUND; they and the merchant are told why they
	// may not use bob's.
	for _, w := range []who{auditor, bank} {
		fails(e, w, openTicket, ticket("O-none"), message(), cxlerr.NotFound, "order O-none not found")
		fails(e, w, postReview, post("O-none"), seed(1), cxlerr.NotFound, "order O-none not found")
	}
	fails(e, auditor, openTicket, ticket("O-real"), message(), cxlerr.Forbidden, "order O-real is not an order of Org4MSP/auditor")
	fails(e, auditor, postReview, post("O-real"), seed(1), cxlerr.Forbidden, "only the buyer of order O-real may review it")
	fails(e, agent, postReview, post("O-real"), seed(1), cxlerr.Forbidden, "only the buyer of order O-real may review it")
	fails(e, bob, openTicket, ticket("O-real"), message(), cxlerr.Conflict, "merchant: order O-real is with Org2MSP, not Org3MSP")

	// bob, the customer, opens a ticket about it and reviews it.
	tk := submit(e, bob, openTicket, `{"id":"T-bob","merchant":"Org2MSP","orderId":"O-real","category":"delivery","priority":"low"}`, message())
	if tk.Merchant != "Org2MSP" || tk.OrderID != "O-real" {
		t.Fatalf("bob's ticket %+v", tk)
	}
	if r := submit(e, bob, postReview, review("O-real", 4, "Fine."), seed(1)); r.Merchant != "Org2MSP" || r.Purchase != string(orders.StateDelivered) {
		t.Fatalf("bob's review %+v", r)
	}
}

// TestTicketStepsRefuseStrangersAlike checks every step on a ticket: a
// caller who may not read alice's ticket (a customer of a merchant
// organisation, another merchant, an organisation without a role) is
// refused alike for it and for a missing ticket, learning nothing of it,
// and the ticket stays as it was; an auditor, who could read a missing
// ticket, learns that it is NOT_FOUND.
func TestTicketStepsRefuseStrangersAlike(t *testing.T) {
	e := newEnv(t)
	submit(e, alice, openTicket, openArgs, e.personal(care.TransientMessage, "Broken lid."))
	secrets := []string{alice.account(), "Org2MSP", "open", "delivery", "normal"}
	none := func() map[string][]byte { return nil }
	steps := []struct {
		name string
		f    fn[*care.Ticket]
		args func(id string) string
	}{
		{"AssignTicket", assignTicket, func(s string) string { return fmt.Sprintf(`{"id":%q,"agent":"Org2MSP/agent1"}`, s) }},
		{"RespondTicket", respondTicket, id},
		{"ResolveTicket", resolveTicket, id},
		{"ReopenTicket", reopenTicket, id},
		{"ConfirmTicket", confirmTicket, id},
		{"EraseTicketData", eraseTicketData, id},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			e.t = t
			refusedAlike(t, e, s.name, s.f, s.args, none, "T1", "T9", append([]who{bob, rival, stranger}, unroled...), secrets)
			fails(e, auditor, s.f, s.args("T9"), nil, cxlerr.NotFound, "ticket T9 not found")
			fails(e, agent, s.f, s.args("T9"), nil, cxlerr.Forbidden, "Org2MSP/agent1 may not read this record")
		})
	}
	e.t = t
	if d := query(e, alice, getTicket, id("T1")); d.Ticket.State != care.StateOpen || d.Ticket.Steps != 1 || len(d.Steps) != 1 {
		t.Fatalf("alice's ticket after the refusals: %+v", d.Ticket)
	}
}
