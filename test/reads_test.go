//go:build integration

package test

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/orders"
)

// TestReadsOnlyByTheParties checks, through the gateway service, that the parties to an
// order read it on the real network: the customer its order, order list and balance, the
// merchant the order and its list, an auditor all three, and only an auditor learns that
// an order is missing. The refusals (a second customer, a stranger, a partner) are checked
// by the contracts' and the CLI's tests: in the default topology every member holds the
// payment or the auditor role, which reads every order while roles are per organisation.
func TestReadsOnlyByTheParties(t *testing.T) {
	g := gwStart(t)
	run := gwRun()
	var grants []struct{ MSP, Role, Status string }
	gwDecode(t, g.get(t, "/v1/consortium/roles", "org1-user1", 200).body, &grants)
	roles := map[string][]string{}
	for _, gr := range grants {
		if gr.Status == "active" || gr.Status == "revoking" {
			roles[gr.MSP] = append(roles[gr.MSP], gr.Role)
		}
	}
	principal := func(msp, user string) string {
		return strings.ToLower(strings.TrimSuffix(msp, "MSP") + "-" + user)
	}
	// The customers: two users of an organisation that reads nothing it is not a
	// party to, when there is one; the merchant and the auditor: any organisation
	// holding those roles.
	var plain, merchant, auditor string
	for _, o := range h.profile.Orgs {
		r := roles[o.MSPID]
		switch {
		case !slices.Contains(r, "payment") && !slices.Contains(r, "auditor") && len(r) > 0 && plain == "":
			plain = o.MSPID
		case slices.Contains(r, "auditor") && auditor == "":
			auditor = o.MSPID
		}
		if slices.Contains(r, "merchant") && merchant == "" {
			merchant = o.MSPID
		}
	}
	if merchant == "" || auditor == "" {
		t.Fatalf("the network has no merchant or no auditor: roles %v", roles)
	}
	customerOrg := plain
	if customerOrg == "" {
		customerOrg = auditor
	}
	customer := principal(customerOrg, "User1")
	shop, inspector := principal(merchant, "User3"), principal(auditor, "User3")
	account := gwAccount(t, customerOrg, "User1")
	code := gwFund(t, g, account, 5_000)

	id := "gw-reads-" + run
	g.post(t, "/v1/orders/orders", customer, map[string]any{"id": id, "merchant": merchant, "amount": 1_000, "currency": code,
		"deadline": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "items": []map[string]any{{"sku": "kettle", "quantity": 1}}}, 200)
	order := "/v1/orders/orders/" + id
	list := "/v1/orders/customer-orders?pageSize=100&customer=" + url.QueryEscape(account)
	balance := "/v1/orders/balance?currency=" + code + "&account=" + url.QueryEscape(account)

	t.Run("the parties and an auditor read", func(t *testing.T) {
		for _, who := range []string{customer, shop, inspector} {
			var o orders.Order
			gwDecode(t, g.get(t, order, who, 200).body, &o)
			if o.ID != id || o.Customer != account {
				t.Fatalf("order as %s: %+v", who, o)
			}
		}
		for _, who := range []string{customer, inspector} {
			var page orders.OrderPage
			gwDecode(t, g.get(t, list, who, 200).body, &page)
			if !gwHasOrder(page, id) {
				t.Fatalf("%s's orders as %s lack %s", account, who, id)
			}
			var b orders.SettlementBalance
			gwDecode(t, g.get(t, balance, who, 200).body, &b)
			if b.Account != account || b.Balance < 4_000 {
				t.Fatalf("balance as %s: %+v", who, b)
			}
		}
		var page orders.OrderPage
		gwDecode(t, g.get(t, "/v1/orders/merchant-orders?pageSize=100&state=placed&merchant="+merchant, shop, 200).body, &page)
		for page.Bookmark != "" && !gwHasOrder(page, id) {
			gwDecode(t, g.get(t, "/v1/orders/merchant-orders?pageSize=100&state=placed&merchant="+merchant+"&bookmark="+url.QueryEscape(page.Bookmark), shop, 200).body, &page)
		}
		if !gwHasOrder(page, id) {
			t.Fatalf("%s's placed orders lack %s", merchant, id)
		}
		// The auditor, who could read it, learns that an order is missing.
		g.get(t, "/v1/orders/orders/gw-reads-none-"+run, inspector, 404)
	})

}
