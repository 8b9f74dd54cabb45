package orderscc_test

import (
	"testing"

	"github.com/cxledger/cxledger/cxlerr"
)

// TestCustomerOfAMember follows a customer enrolled with the payment
// organisation's CA: it does everything a customer does with its own
// account and orders, and nothing for its organisation.
func TestCustomerOfAMember(t *testing.T) {
	e := newEnv(t)
	saver := who{bank.msp, "saver", "client", ""}
	e.fund(1_000, saver.account(), alice.account())
	mustDo(e, alice, place, js(newOrder("a1", 100)))

	// It deposits nothing, even into its own account, and nothing changes.
	before := mustDo(e, audit, balanceOf, `{"account":"BankMSP/saver","currency":"EUR"}`)
	fails(e, saver, deposit, `{"ref":"mint","currency":"EUR","credits":[{"account":"BankMSP/saver","amount":1000000}]}`, cxlerr.Forbidden,
		"BankMSP/saver is not staff of BankMSP")
	fails(e, saver, withdraw, `{"ref":"cash","account":"CustMSP/alice","currency":"EUR","amount":1}`, cxlerr.Forbidden, "BankMSP/saver is not staff of BankMSP")
	fails(e, saver, registerCurrency, `{"currency":"GBP"}`, cxlerr.Forbidden, "BankMSP/saver is not staff of BankMSP")
	if after := mustDo(e, audit, balanceOf, `{"account":"BankMSP/saver","currency":"EUR"}`); after.Balance != before.Balance || after.Balance != 1_000 {
		t.Fatalf("balance %d before, %d after the refused deposit", before.Balance, after.Balance)
	}
	if b := mustDo(e, bank, balanceOf, `{"account":"BankMSP","currency":"EUR"}`); b.Balance != 0 {
		t.Fatalf("the organisation's account holds %d", b.Balance)
	}

	// It reads nothing of another customer's, though its organisation reads every order.
	for _, r := range []struct {
		f    fn[any]
		args string
	}{
		{anyFn(getOrder), id("a1")},
		{anyFn(customerOrders), `{"customer":"CustMSP/alice"}`},
		{anyFn(balanceOf), `{"account":"CustMSP/alice","currency":"EUR"}`},
		{anyFn(balanceOf), `{"account":"BankMSP","currency":"EUR"}`},
		{anyFn(balanceOf), `{"account":"escrow:a1","currency":"EUR"}`},
		{anyFn(merchantOrders), `{"merchant":"ShopMSP"}`},
	} {
		fails(e, saver, r.f, r.args, cxlerr.Forbidden, "BankMSP/saver may not read this record")
	}

	// Its own orders are its own: place, read, confirm, return, dispute.
	mustDo(e, saver, place, js(newOrder("s1", 300)))
	mustDo(e, saver, place, js(newOrder("s2", 300)))
	if o := mustDo(e, saver, getOrder, id("s1")); o.Customer != saver.account() {
		t.Fatalf("order %+v", o)
	}
	if p := mustDo(e, saver, customerOrders, `{}`); len(p.Orders) != 2 {
		t.Fatalf("own orders %+v", p)
	}
	mustDo(e, saver, confirm, id("s1"))
	mustDo(e, saver, requestReturn, `{"id":"s1","reason":"too-big"}`)
	mustDo(e, saver, confirm, id("s2"))
	mustDo(e, saver, openDispute, `{"id":"s2","reason":"broken"}`)
	if b := mustDo(e, saver, balanceOf, `{"account":"BankMSP/saver","currency":"EUR"}`); b.Balance != 400 {
		t.Fatalf("own balance %+v", b)
	}
	// ...but not the merchant's side of them.
	fails(e, saver, refund, refundArgs("s1", "self", 0), cxlerr.Forbidden, "only the merchant ShopMSP refunds order s1")
	fails(e, saver, receiveReturn, id("s1"), cxlerr.Forbidden, "only the merchant ShopMSP or the order's carrier")
}
