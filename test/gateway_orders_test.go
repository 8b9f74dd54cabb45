//go:build integration

package test

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/cxlerr"
)

// gwAccount is the ledger account "<MSP ID>/<common name>" of a user of the test network.
func gwAccount(t testing.TB, msp, user string) string {
	t.Helper()
	raw, err := os.ReadFile(h.org(t, msp).Users[user].Cert)
	block, _ := pem.Decode(raw)
	if err != nil || block == nil {
		t.Fatalf("certificate of %s %s: %v", msp, user, err)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return msp + "/" + cert.Subject.CommonName
}

// gwRun is a short identifier of this test run, for IDs the ledger keeps once.
var gwRun = sync.OnceValue(func() string { return fmt.Sprintf("%x", time.Now().UnixNano()%(1<<40)) })

// gwCode is a three-letter currency code that no other run of this network took: its
// letters come from the run's time.
func gwCode(salt int64) string {
	n := time.Now().UnixNano()/1000 + salt*7919
	return string([]byte{'Q', byte('A' + n%26), byte('A' + n/26%26)})
}

// gwMoney registers, once per run, a currency issued by Org1MSP (the payment provider) for
// the tests that need money, through the service.
var gwMoney = sync.OnceValues(func() (string, error) {
	for i := int64(0); i < 20; i++ {
		code := gwCode(i + 100)
		r, err := gwSvc.call("POST", "/v1/orders/currencies", "org1-admin", "money-"+code+"-"+gwRun(), map[string]string{"currency": code})
		if err != nil || r.status == 200 {
			return code, err
		}
	}
	return "", fmt.Errorf("no free currency code")
})

// gwFund deposits amount into account in the run's currency and returns the currency.
func gwFund(t testing.TB, g *gwService, account string, amount int64) string {
	t.Helper()
	code, err := gwMoney()
	if err != nil {
		t.Fatal(err)
	}
	ref := fmt.Sprintf("fund-%s-%d", gwRun(), time.Now().UnixNano())
	g.post(t, "/v1/orders/deposits", "org1-admin", map[string]any{"ref": ref, "currency": code,
		"credits": []map[string]any{{"account": account, "amount": amount}}}, 200)
	return code
}

// TestGatewayOrders walks orders through every orders endpoint of the service with the roles
// the network grants (Org1MSP pays out and sells and arbitrates, Org2MSP carries and sells;
// Org2MSP/User2 is the customer), each with its main refusal.
func TestGatewayOrders(t *testing.T) {
	g := gwStart(t)
	run := gwRun()
	const bank, shop, carrier, customer, stranger = "org1-admin", "org1-user1", "org2-user1", "org2-user2", "org1-user3"
	account := gwAccount(t, "Org2MSP", "User2")

	var code string
	for i := int64(0); ; i++ {
		code = gwCode(i)
		r := g.do(t, "POST", "/v1/orders/currencies", bank, "cur-"+code+"-"+run, map[string]string{"currency": code})
		if r.status == 200 {
			var c orders.SettlementCurrency
			gwDecode(t, r.committed(t).Result, &c)
			if c.Code != code || c.Issuer != "Org1MSP" {
				t.Fatalf("currency %+v", c)
			}
			break
		}
		if r.wantError(t, 409, cxlerr.Conflict, "register a taken code"); i > 20 {
			t.Fatal("no free currency code")
		}
	}
	g.post(t, "/v1/orders/currencies", bank, map[string]string{"currency": code}, 409)
	g.post(t, "/v1/orders/currencies", carrier, map[string]string{"currency": "QZZ"}, 403)

	var tr orders.SettlementTransfer
	deposit := map[string]any{"ref": "dep-" + run, "currency": code, "credits": []map[string]any{{"account": account, "amount": 100_000}}}
	gwDecode(t, g.post(t, "/v1/orders/deposits", bank, deposit, 200).committed(t).Result, &tr)
	if tr.Total != 100_000 || tr.Outstanding != 100_000 {
		t.Fatalf("deposit %+v", tr)
	}
	g.post(t, "/v1/orders/deposits", bank, deposit, 409)
	withdraw := map[string]any{"ref": "wd-" + run, "account": account, "currency": code, "amount": 1_000}
	gwDecode(t, g.post(t, "/v1/orders/withdrawals", bank, withdraw, 200).committed(t).Result, &tr)
	if tr.Kind != "withdrawal" || tr.Outstanding != 99_000 {
		t.Fatalf("withdrawal %+v", tr)
	}
	withdraw["ref"], withdraw["amount"] = "wd2-"+run, 1_000_000
	g.post(t, "/v1/orders/withdrawals", bank, withdraw, 409).wantError(t, 409, cxlerr.InsufficientFunds, "withdraw too much")

	balance := func(who, acct string) orders.SettlementBalance {
		t.Helper()
		var b orders.SettlementBalance
		gwDecode(t, g.get(t, "/v1/orders/balance?account="+strings.ReplaceAll(acct, "/", "%2F")+"&currency="+code, who, 200).body, &b)
		return b
	}
	if b := balance(customer, account); b.Balance != 99_000 {
		t.Fatalf("balance %+v", b)
	}
	g.get(t, "/v1/orders/balance?account=nobody!&currency="+code, customer, 400)
	var currencies []orders.SettlementCurrency
	gwDecode(t, g.get(t, "/v1/orders/currencies", customer, 200).body, &currencies)
	found := false
	for _, c := range currencies {
		found = found || c.Code == code && c.Outstanding == 99_000
	}
	if !found {
		t.Fatalf("currencies %+v lack %s", currencies, code)
	}
	g.get(t, "/v1/orders/currencies", "", 401)

	place := func(id, merchant string, amount int64, extra map[string]any) map[string]any {
		o := map[string]any{"id": id, "merchant": merchant, "amount": amount, "currency": code, "returnDays": 7,
			"deadline": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "items": []map[string]any{{"sku": "kettle", "quantity": 1}}}
		for k, v := range extra {
			o[k] = v
		}
		return o
	}
	returned, disputed := "gw-ret-"+run, "gw-dis-"+run
	var o orders.Order
	gwDecode(t, g.post(t, "/v1/orders/orders", customer, place(returned, "Org1MSP", 12_000, map[string]any{"carrier": "Org2MSP"}), 200).committed(t).Result, &o)
	if o.State != orders.StatePlaced || o.Customer != account {
		t.Fatalf("placed %+v", o)
	}
	g.post(t, "/v1/orders/orders", customer, place("gw-big-"+run, "Org1MSP", 10_000_000, nil), 409).
		wantError(t, 409, cxlerr.InsufficientFunds, "an order above the balance")
	gwDecode(t, g.get(t, "/v1/orders/orders/"+returned, customer, 200).body, &o)
	if o.ID != returned || o.Amount != 12_000 {
		t.Fatalf("order %+v", o)
	}
	g.get(t, "/v1/orders/orders/gw-none-"+run, customer, 404)

	gwDecode(t, g.post(t, "/v1/orders/deliveries", carrier, map[string]string{"id": returned}, 200).committed(t).Result, &o)
	if o.State != orders.StateDelivered || o.DeliveredBy != "Org2MSP" {
		t.Fatalf("delivered %+v", o)
	}
	g.post(t, "/v1/orders/deliveries", carrier, map[string]string{"id": returned}, 409)
	g.post(t, "/v1/orders/return-requests", shop, map[string]string{"id": returned, "reason": "damaged"}, 403)
	gwDecode(t, g.post(t, "/v1/orders/return-requests", customer, map[string]string{"id": returned, "reason": "damaged"}, 200).committed(t).Result, &o)
	if o.State != orders.StateReturning {
		t.Fatalf("return requested %+v", o)
	}
	refund := map[string]any{"id": returned, "refundId": "shipping", "amount": 500, "reason": "shipping-cost"}
	g.post(t, "/v1/orders/refunds", customer, refund, 403)
	gwDecode(t, g.post(t, "/v1/orders/refunds", shop, refund, 200).committed(t).Result, &o)
	if o.Refunded != 500 {
		t.Fatalf("refunded %+v", o)
	}
	g.post(t, "/v1/orders/refunds", shop, refund, 409)
	gwDecode(t, g.post(t, "/v1/orders/return-receipts", carrier, map[string]string{"id": returned}, 200).committed(t).Result, &o)
	if o.State != orders.StateReturned || o.Refunded != 12_000 {
		t.Fatalf("return received %+v", o)
	}
	g.post(t, "/v1/orders/return-receipts", carrier, map[string]string{"id": returned}, 409)

	g.post(t, "/v1/orders/orders", customer, place(disputed, "Org2MSP", 3_000, map[string]any{"arbiter": "Org1MSP"}), 200)
	g.post(t, "/v1/orders/deliveries", customer, map[string]string{"id": disputed}, 200)
	g.post(t, "/v1/orders/disputes", stranger, map[string]string{"id": disputed}, 403)
	gwDecode(t, g.post(t, "/v1/orders/disputes", customer, map[string]string{"id": disputed, "reason": "not-as-described"}, 200).committed(t).Result, &o)
	if o.State != orders.StateDisputed {
		t.Fatalf("disputed %+v", o)
	}
	g.post(t, "/v1/orders/dispute-resolutions", carrier, map[string]any{"id": disputed, "refund": 1_000}, 403)
	gwDecode(t, g.post(t, "/v1/orders/dispute-resolutions", shop, map[string]any{"id": disputed, "refund": 1_000}, 200).committed(t).Result, &o)
	if o.State != orders.StateResolved || o.Refunded != 1_000 {
		t.Fatalf("resolved %+v", o)
	}

	var sweep orders.OrderSweep
	gwDecode(t, g.post(t, "/v1/orders/sweeps", stranger, map[string]int{"limit": 5}, 200).committed(t).Result, &sweep)
	g.post(t, "/v1/orders/sweeps", stranger, map[string]int{"limit": 5000}, 400)
	var cons orders.Consolidation
	consolidate := map[string]string{"account": account, "currency": code}
	g.post(t, "/v1/orders/consolidations", carrier, consolidate, 403)
	gwDecode(t, g.post(t, "/v1/orders/consolidations", customer, consolidate, 200).committed(t).Result, &cons)
	if cons.Account != account || cons.Merged < 1 {
		t.Fatalf("consolidation %+v", cons)
	}
	if b := balance(customer, account); b.Balance != 99_000-12_000-3_000+12_000+1_000 || b.Lots != 1 {
		t.Fatalf("balance after all %+v", b)
	}

	var page orders.OrderPage
	gwDecode(t, g.get(t, "/v1/orders/customer-orders?pageSize=100", customer, 200).body, &page)
	if !gwHasOrder(page, returned) {
		t.Fatalf("the customer's orders lack %s: %+v", returned, page)
	}
	g.get(t, "/v1/orders/customer-orders?customer=nobody", customer, 400)
	gwDecode(t, g.get(t, "/v1/orders/merchant-orders?merchant=Org1MSP&state=returned&pageSize=100", shop, 200).body, &page)
	for page.Bookmark != "" && !gwHasOrder(page, returned) {
		gwDecode(t, g.get(t, "/v1/orders/merchant-orders?merchant=Org1MSP&state=returned&pageSize=100&bookmark="+page.Bookmark, shop, 200).body, &page)
	}
	if !gwHasOrder(page, returned) {
		t.Fatalf("Org1MSP's returned orders lack %s", returned)
	}
	g.get(t, "/v1/orders/merchant-orders?merchant=Org1MSP&state=lost", shop, 400)
}

func gwHasOrder(page orders.OrderPage, id string) bool {
	for _, o := range page.Orders {
		if o.ID == id {
			return true
		}
	}
	return false
}
