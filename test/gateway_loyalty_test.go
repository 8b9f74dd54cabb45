//go:build integration

package test

import (
	"net/url"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/loyalty"
	"github.com/cxledger/cxledger/cxlerr"
)

// TestGatewayLoyalty runs a programme through every loyalty endpoint of the service: Org1MSP
// issues it, Org2MSP accepts to be its partner, Org1MSP/User2 earns, redeems at the partner
// and transfers; each endpoint also shows its main refusal.
func TestGatewayLoyalty(t *testing.T) {
	g := gwStart(t)
	run := gwRun()
	const issuer, partner, customer, stranger = "org1-user1", "org2-user1", "org1-user2", "org1-user3"
	account, friend := gwAccount(t, "Org1MSP", "User2"), gwAccount(t, "Org1MSP", "User3")
	program := "gw-" + run
	start := time.Now().Add(-time.Minute).UTC()

	ensureEUR(t)
	create := map[string]any{"id": program, "name": "Gateway Rewards", "unit": "pts", "currency": "EUR",
		"earn": map[string]any{"points": 1, "per": 100}, "expiryDays": 365, "transferable": true,
		"partners": []map[string]any{{"msp": "Org2MSP", "value": 1, "per": 2}}}
	var p loyalty.Program
	gwDecode(t, g.post(t, "/v1/loyalty/programs", issuer, create, 200).committed(t).Result, &p)
	if p.ID != program || p.Merchant != "Org1MSP" || len(p.Partners) != 1 {
		t.Fatalf("programme %+v", p)
	}
	g.post(t, "/v1/loyalty/programs", issuer, create, 409)
	g.post(t, "/v1/loyalty/partnerships", issuer, map[string]string{"program": program}, 403)
	var terms loyalty.PartnerTerms
	gwDecode(t, g.post(t, "/v1/loyalty/partnerships", partner, map[string]string{"program": program}, 200).committed(t).Result, &terms)
	if terms.MSP != "Org2MSP" || terms.Accepted == nil {
		t.Fatalf("partner terms %+v", terms)
	}
	g.post(t, "/v1/loyalty/partnerships", partner, map[string]string{"program": program}, 409)

	earn := map[string]any{"program": program, "id": "earn-" + run, "account": account, "amount": 50_000}
	g.post(t, "/v1/loyalty/earns", partner, earn, 403)
	var e loyalty.Earn
	gwDecode(t, g.post(t, "/v1/loyalty/earns", issuer, earn, 200).committed(t).Result, &e)
	if e.Points != 500 {
		t.Fatalf("earned %+v", e)
	}
	redeem := map[string]any{"program": program, "id": "redeem-" + run, "account": account, "points": 200, "merchant": "Org2MSP"}
	g.post(t, "/v1/loyalty/redemptions", partner, redeem, 403)
	var r loyalty.Redemption
	gwDecode(t, g.post(t, "/v1/loyalty/redemptions", customer, redeem, 200).committed(t).Result, &r)
	if r.Value != 100 || r.Merchant != "Org2MSP" {
		t.Fatalf("redemption %+v", r)
	}
	redeem["id"], redeem["points"] = "redeem-big-"+run, 100_000
	g.post(t, "/v1/loyalty/redemptions", customer, redeem, 409).wantError(t, 409, cxlerr.InsufficientFunds, "redeem more than the balance")
	transfer := map[string]any{"program": program, "id": "give-" + run, "account": account, "to": friend, "points": 50}
	g.post(t, "/v1/loyalty/transfers", stranger, transfer, 403)
	var tr loyalty.PointsTransfer
	gwDecode(t, g.post(t, "/v1/loyalty/transfers", customer, transfer, 200).committed(t).Result, &tr)
	if tr.Points != 50 || tr.To != friend {
		t.Fatalf("transfer %+v", tr)
	}
	var sweep loyalty.ExpirySweep
	gwDecode(t, g.post(t, "/v1/loyalty/expiries", issuer, map[string]any{"program": program, "accounts": []string{account}}, 200).committed(t).Result, &sweep)
	g.post(t, "/v1/loyalty/expiries", issuer, map[string]any{"program": program, "accounts": []string{}}, 400)

	gwDecode(t, g.get(t, "/v1/loyalty/programs/"+program, customer, 200).body, &p)
	if len(p.Partners) != 1 || p.Partners[0].Accepted == nil {
		t.Fatalf("programme after acceptance %+v", p)
	}
	g.get(t, "/v1/loyalty/programs/gw-none-"+run, customer, 404)
	found := false
	for bookmark := ""; !found; {
		var page loyalty.ProgramPage
		gwDecode(t, g.get(t, "/v1/loyalty/programs?pageSize=100&bookmark="+url.QueryEscape(bookmark), customer, 200).body, &page)
		for _, q := range page.Programs {
			found = found || q.ID == program
		}
		if bookmark = page.Bookmark; bookmark == "" {
			break
		}
	}
	if !found {
		t.Fatalf("programme %s not listed", program)
	}
	g.get(t, "/v1/loyalty/programs?pageSize=0", customer, 400)

	var b loyalty.PointsBalance
	gwDecode(t, g.get(t, "/v1/loyalty/programs/"+program+"/balance?soonDays=30", customer, 200).body, &b)
	if b.Account != account || b.Available != 250 {
		t.Fatalf("balance %+v", b)
	}
	g.get(t, "/v1/loyalty/programs/"+program+"/balance?account=nobody", customer, 400)
	var hist loyalty.PointsHistory
	gwDecode(t, g.get(t, "/v1/loyalty/programs/"+program+"/history?account="+url.QueryEscape(account), issuer, 200).body, &hist)
	if len(hist.Entries) < 3 {
		t.Fatalf("history %+v", hist)
	}
	g.get(t, "/v1/loyalty/programs/bad%20id/history", customer, 400)

	statement := "/v1/loyalty/statement?merchant=Org2MSP&counterparty=Org1MSP&from=" + start.Format(time.RFC3339) + "&to="
	var st loyalty.SettlementStatement
	gwDecode(t, g.get(t, statement+time.Now().Add(time.Minute).UTC().Format(time.RFC3339), partner, 200).body, &st)
	found = false
	for _, entry := range st.Entries {
		found = found || entry.Redemption == r.ID && entry.Debtor == "Org1MSP" && entry.Creditor == "Org2MSP"
	}
	if !found {
		t.Fatalf("statement %+v lacks redemption %s", st, r.ID)
	}
	g.get(t, statement+start.Add(400*24*time.Hour).Format(time.RFC3339), partner, 400)

	currency := gwFund(t, g, account, 5_000)
	order := "gw-loyalty-" + run
	g.post(t, "/v1/orders/orders", customer, map[string]any{"id": order, "merchant": "Org1MSP", "amount": 1_000, "currency": currency,
		"deadline": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "items": []map[string]any{{"sku": "mug", "quantity": 1}}}, 200)
	var op loyalty.OrderPoints
	gwDecode(t, g.get(t, "/v1/loyalty/orders/"+order+"/points", customer, 200).body, &op)
	if op.Order != order || op.Earn != nil {
		t.Fatalf("points of an undelivered order %+v", op)
	}
	// A missing order's points are NOT_FOUND only to auditors (Org2MSP), who could read
	// them; anyone else, its would-be customer too, is refused as for an order not theirs.
	g.get(t, "/v1/loyalty/orders/gw-none-"+run+"/points", customer, 403)
	g.get(t, "/v1/loyalty/orders/gw-none-"+run+"/points", partner, 404)
}
