//go:build integration

package test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/loyalty"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/cxlerr"
)

// TestLoyalty drives the loyalty contract on the real network. Org1MSP (merchant and payment
// provider) issues a programme that Org2MSP (merchant) accepts as a partner; Org1MSP/User2 is
// the customer. Points earned at Org1 and redeemed at Org2 show up in the statement as Org1
// owing Org2; an order placed with Org1, delivered and refunded through the orders contract
// earns points on delivery and takes them back on the refund, in the orders transactions.
func TestLoyalty(t *testing.T) {
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	var (
		issuer   = loyaltyAs(t, "Org1MSP", "User1", loyalty.Name)
		partner  = loyaltyAs(t, "Org2MSP", "User1", loyalty.Name)
		customer = loyaltyAs(t, "Org1MSP", "User2", loyalty.Name)
		shop     = loyaltyAs(t, "Org1MSP", "User1", orders.Name)
		buyer    = loyaltyAs(t, "Org1MSP", "User2", orders.Name)
		program  = loyaltyProgram(t, issuer, partner)
		start    = time.Now().Add(-time.Minute).UTC()
	)
	var me loyalty.PointsBalance
	customer.evaluate(t, "Balance", map[string]any{"program": program}, &me)
	account := me.Account
	step := func(name string, fn func(t *testing.T)) {
		t.Helper()
		if !t.Run(name, fn) {
			t.FailNow()
		}
	}

	step("earn at the issuer, redeem at the partner, the issuer owes the partner", func(t *testing.T) {
		var earned loyalty.Earn
		issuer.submit(t, "Earn", map[string]any{"program": program, "id": "it-earn-" + run, "account": account, "amount": 50000}, &earned)
		if earned.Points != 500 {
			t.Fatalf("earned %+v", earned)
		}
		partner.wantCode(t, cxlerr.Forbidden, "Redeem", map[string]any{"program": program, "id": "it-steal-" + run, "account": account, "points": 1, "merchant": "Org2MSP"})
		var r loyalty.Redemption
		customer.submit(t, "Redeem", map[string]any{"program": program, "id": "it-redeem-" + run, "account": account, "points": 200, "merchant": "Org2MSP"}, &r)
		if r.Value != 100 || r.Currency != "EUR" {
			t.Fatalf("redemption %+v", r)
		}
		// The partner's peer may commit the block a moment after the customer's.
		eventually(t, 30*time.Second, "the redemption in Org2's statement", func() error {
			var st loyalty.SettlementStatement
			if err := partner.tryEvaluate("Statement", map[string]any{"merchant": "Org2MSP", "counterparty": "Org1MSP", "from": start, "to": time.Now().Add(time.Minute)}, &st); err != nil {
				return err
			}
			found := false
			for _, e := range st.Entries {
				found = found || e.Redemption == r.ID && e.Debtor == "Org1MSP" && e.Creditor == "Org2MSP" && e.Value == 100
			}
			if !found || len(st.Totals) != 1 || st.Totals[0].NetDebtor != "Org1MSP" || st.Totals[0].NetCreditor != "Org2MSP" || st.Totals[0].Receivable < 100 {
				return fmt.Errorf("statement %+v", st)
			}
			return nil
		})
	})

	step("a refunded order reverses its points", func(t *testing.T) {
		ensureEUR(t)
		shop.submit(t, "Deposit", map[string]any{"ref": "it-loyalty-" + run, "currency": "EUR", "credits": []map[string]any{{"account": account, "amount": 30000}}}, nil)
		order := "it-loyalty-" + run
		buyer.submit(t, "Place", map[string]any{
			"id": order, "merchant": "Org1MSP", "amount": 30000, "currency": "EUR",
			"deadline": time.Now().Add(24 * time.Hour), "items": []map[string]any{{"sku": "mug", "quantity": 1}},
		}, nil)
		before := customer.balance(t, program)
		buyer.submit(t, "ConfirmDelivery", map[string]any{"id": order}, nil)
		if got := customer.balance(t, program); got.Available != before.Available+300 {
			t.Fatalf("after delivery %d points available, want %d", got.Available, before.Available+300)
		}
		shop.submit(t, "Refund", map[string]any{"id": order, "refundId": "all"}, nil)
		if got := customer.balance(t, program); got.Available != before.Available {
			t.Fatalf("after the refund %d points available, want %d", got.Available, before.Available)
		}
		var op loyalty.OrderPoints
		customer.evaluate(t, "OrderPoints", map[string]any{"order": order}, &op)
		if op.Earn == nil || op.Earn.Points != 300 || op.Earn.TakenBack != 300 || len(op.Reversals) != 1 ||
			op.Reversals[0].TakenBack == nil || op.Reversals[0].TakenBack.Points != 300 || op.Earn.Reversals[0] != op.Reversals[0].TxID {
			t.Fatalf("order points %+v", op)
		}
	})
}

// BenchmarkLoyaltyConcurrentEarns submits 200 earns to one customer at once, b.N times,
// and fails on any MVCC or phantom read conflict: earning is a blind write of a new lot.
// It reports committed transactions per second and the customer's balance is checked to
// have grown by exactly what was earned.
func BenchmarkLoyaltyConcurrentEarns(b *testing.B) {
	const concurrent = 200
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	issuer := loyaltyAs(b, "Org1MSP", "User1", loyalty.Name)
	customer := loyaltyAs(b, "Org1MSP", "User3", loyalty.Name)
	program := loyaltyProgram(b, issuer, loyaltyAs(b, "Org2MSP", "User1", loyalty.Name))
	before := customer.balance(b, program)
	var elapsed time.Duration
	codes := map[peer.TxValidationCode]int{}
	b.ResetTimer()
	for i := range b.N {
		results := make(chan peer.TxValidationCode, concurrent)
		start := time.Now()
		for j := range concurrent {
			go func() {
				raw, _ := json.Marshal(map[string]any{"program": program, "id": fmt.Sprintf("bench-%s-%d-%d", run, i, j), "account": before.Account, "points": 1})
				_, commit, err := issuer.contract.SubmitAsync("Earn", client.WithArguments(string(raw)))
				if err != nil {
					b.Errorf("submit: %v", err)
					results <- peer.TxValidationCode_INVALID_OTHER_REASON
					return
				}
				st, err := commit.Status()
				if err != nil {
					b.Errorf("commit status: %v", err)
					results <- peer.TxValidationCode_INVALID_OTHER_REASON
					return
				}
				results <- st.Code
			}()
		}
		for range concurrent {
			codes[<-results]++
		}
		elapsed += time.Since(start)
	}
	b.StopTimer()
	if codes[peer.TxValidationCode_MVCC_READ_CONFLICT] > 0 || codes[peer.TxValidationCode_PHANTOM_READ_CONFLICT] > 0 || codes[peer.TxValidationCode_VALID] != concurrent*b.N {
		b.Fatalf("validation codes %v, want %d VALID", codes, concurrent*b.N)
	}
	b.ReportMetric(float64(concurrent*b.N)/elapsed.Seconds(), "tx/s")
	eventually(b, 30*time.Second, "the customer's balance", func() error {
		if got := customer.balance(b, program); got.Available != before.Available+ledgertypes.Amount(concurrent*b.N) {
			return fmt.Errorf("available %d, want %d", got.Available, before.Available+ledgertypes.Amount(concurrent*b.N))
		}
		return nil
	})
}

// loyaltyProgram returns the ID of a programme issued by Org1MSP whose orders earn in it
// and which Org2MSP accepted: the one an earlier run on this network created, or a new one
// (a merchant has at most one programme its orders earn in).
func loyaltyProgram(t testing.TB, issuer, partner loyaltyClient) string {
	t.Helper()
	id := ""
	bookmark := ""
	for {
		var page loyalty.ProgramPage
		issuer.evaluate(t, "ListPrograms", map[string]any{"bookmark": bookmark, "pageSize": 200}, &page)
		for _, p := range page.Programs {
			if p.Merchant == "Org1MSP" && p.EarnOnOrders {
				id = p.ID
			}
		}
		if bookmark = page.Bookmark; bookmark == "" {
			break
		}
	}
	if id == "" {
		ensureEUR(t)
		id = "it-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		args := map[string]any{
			"id": id, "name": "Integration Rewards", "unit": "pts", "currency": "EUR",
			"earn": map[string]any{"points": 1, "per": 100}, "expiryDays": 365, "earnOnOrders": true,
			"partners": []map[string]any{{"msp": "Org2MSP", "value": 1, "per": 2}},
		}
		// The first transaction across organisations may fail while gossip settles.
		eventually(t, 60*time.Second, "CreateProgram", func() error {
			_, _, err := issuer.trySubmit("CreateProgram", args)
			if e, ok := ccChaincodeError(err); ok && e.Code == cxlerr.Conflict {
				return nil // an earlier attempt committed
			}
			return err
		})
	}
	eventually(t, 30*time.Second, "AcceptPartnership", func() error {
		_, _, err := partner.trySubmit("AcceptPartnership", map[string]any{"program": id})
		if e, ok := ccChaincodeError(err); ok && e.Code == cxlerr.Conflict {
			return nil // accepted before
		}
		return err
	})
	// Redemptions are endorsed by Org1's peer too: wait until it sees the acceptance.
	eventually(t, 30*time.Second, "the acceptance at Org1", func() error {
		var p loyalty.Program
		if err := issuer.tryEvaluate("GetProgram", map[string]any{"program": id}, &p); err != nil {
			return err
		}
		if len(p.Partners) != 1 || p.Partners[0].Accepted == nil {
			return fmt.Errorf("partners %+v", p.Partners)
		}
		return nil
	})
	return id
}

// loyaltyClient is one identity's handle on a contract of the chaincode.
type loyaltyClient struct{ ccClient }

func loyaltyAs(t testing.TB, msp, user, contract string) loyaltyClient {
	t.Helper()
	return loyaltyClient{ccAs(t, msp, user, contract).syncing(t)}
}

// balance returns the caller's own balance in a programme.
func (c loyaltyClient) balance(t testing.TB, program string) loyalty.PointsBalance {
	t.Helper()
	var b loyalty.PointsBalance
	c.evaluate(t, "Balance", map[string]any{"program": program}, &b)
	return b
}

// ensureEUR registers the settlement currency EUR, which the loyalty tests' programmes and
// orders use (a programme's currency must be registered), unless another test already did;
// Org1MSP is the payment provider.
func ensureEUR(t testing.TB) {
	t.Helper()
	bank := loyaltyAs(t, "Org1MSP", "User1", orders.Name)
	if _, _, err := bank.trySubmit("RegisterCurrency", map[string]any{"currency": "EUR"}); err != nil {
		ccCheckCode(t, "RegisterCurrency", err, cxlerr.Conflict)
	}
}
