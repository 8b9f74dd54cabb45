//go:build integration

package test

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/cxlerr"
)

// TestOrders drives the orders contract on the real network, with the roles `cxl network
// up` grants: Org1MSP is the payment provider (issuer of EUR) and the merchant, Org2MSP the
// carrier; Org2MSP/User2 is the customer. It pays for orders that are delivered, missed
// their deadline, and were returned, and checks that every refund happens once.
func TestOrders(t *testing.T) {
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	var (
		bank     = ordersAs(t, "Org1MSP", "Admin")
		merchant = ordersAs(t, "Org1MSP", "User1")
		carrier  = ordersAs(t, "Org2MSP", "User1")
		customer = ordersAs(t, "Org2MSP", "User2")
		account  = ccAccount(t, "Org2MSP", "User2")
	)
	step := func(name string, fn func(t *testing.T)) {
		t.Helper()
		if !t.Run(name, fn) {
			t.FailNow()
		}
	}
	place := func(t *testing.T, id string, amount ledgertypes.Amount, deadline time.Time) {
		t.Helper()
		var o orders.Order
		customer.submit(t, "Place", map[string]any{
			"id": id, "merchant": "Org1MSP", "carrier": "Org2MSP", "amount": amount, "currency": "EUR",
			"deadline": deadline, "returnDays": 7, "items": []map[string]any{{"sku": "kettle", "quantity": 1}},
		}, &o)
		if o.State != orders.StatePlaced || o.Customer != account {
			t.Fatalf("placed %+v", o)
		}
	}

	step("fund the customer", func(t *testing.T) {
		// EUR may already be registered by another test.
		if _, _, err := bank.trySubmit("RegisterCurrency", map[string]any{"currency": "EUR"}); err != nil {
			ccCheckCode(t, "RegisterCurrency", err, cxlerr.Conflict)
		}
		bank.submit(t, "Deposit", map[string]any{"ref": "it-orders-" + run, "currency": "EUR",
			"credits": []map[string]any{{"account": account, "amount": 100_000}}}, nil)
		ordersEventually(t, "the deposit on the customer's peer", func() error {
			return customer.wantBalance(account, func(b ledgertypes.Amount) bool { return b >= 100_000 })
		})
	})

	step("pay, deliver, merchant paid", func(t *testing.T) {
		id := "it-deliver-" + run
		before := customer.balance(t, account)
		place(t, id, 12_000, time.Now().Add(time.Hour))
		if got := customer.balance(t, account); got != before-12_000 {
			t.Fatalf("customer has %d after paying, want %d", got, before-12_000)
		}
		escrow := customer.balance(t, orders.EscrowAccount(id))
		merchantBefore := carrier.balance(t, "Org1MSP")
		var o orders.Order
		carrier.submit(t, "ConfirmDelivery", map[string]any{"id": id}, &o)
		if o.State != orders.StateDelivered || o.Released != 12_000 || o.DeliveredBy != "Org2MSP" || escrow != 12_000 {
			t.Fatalf("delivered %+v, escrow held %d", o, escrow)
		}
		ordersEventually(t, "the merchant paid", func() error {
			return merchant.wantBalance("Org1MSP", func(b ledgertypes.Amount) bool { return b == merchantBefore+12_000 })
		})
		if got := carrier.balance(t, orders.EscrowAccount(id)); got != 0 {
			t.Fatalf("escrow still holds %d", got)
		}
		carrier.wantCode(t, cxlerr.Conflict, "ConfirmDelivery", map[string]any{"id": id})
	})

	step("pay, deadline passes, sweep, customer refunded", func(t *testing.T) {
		id := "it-late-" + run
		before := customer.balance(t, account)
		deadline := time.Now().Add(5 * time.Second)
		place(t, id, 7_000, deadline)
		var sweep orders.OrderSweep
		customer.submit(t, "Sweep", map[string]any{"limit": orders.MaxSweep}, &sweep)
		for _, s := range sweep.Refunded {
			if s.ID == id {
				t.Fatalf("swept %s before its deadline", id)
			}
		}
		time.Sleep(time.Until(deadline) + time.Second)
		carrier.wantCode(t, cxlerr.Expired, "ConfirmDelivery", map[string]any{"id": id})
		// Overdue orders of other tests may be ahead of ours in the deadline index.
		ordersEventually(t, "the sweep to refund "+id, func() error {
			var o orders.Order
			if err := customer.tryEvaluate("GetOrder", map[string]any{"id": id}, &o); err != nil {
				return err
			}
			if o.State == orders.StateRefunded {
				return nil
			}
			if _, _, err := carrier.trySubmit("Sweep", map[string]any{"limit": orders.MaxSweep}); err != nil {
				return err
			}
			return fmt.Errorf("order %s is %s", id, o.State)
		})
		ordersEventually(t, "the customer refunded", func() error {
			return customer.wantBalance(account, func(b ledgertypes.Amount) bool { return b == before })
		})
	})

	step("pay, return, received, refunded; a second refund is refused", func(t *testing.T) {
		id := "it-return-" + run
		before := customer.balance(t, account)
		place(t, id, 5_000, time.Now().Add(time.Hour))
		customer.submit(t, "ConfirmDelivery", map[string]any{"id": id}, nil)
		customer.submit(t, "RequestReturn", map[string]any{"id": id, "reason": "damaged"}, nil)
		var o orders.Order
		ordersEventually(t, "the return request on the merchant's peer", func() error {
			if err := merchant.tryEvaluate("GetOrder", map[string]any{"id": id}, &o); err != nil {
				return err
			}
			if o.State != orders.StateReturning {
				return fmt.Errorf("order %s is %s", id, o.State)
			}
			return nil
		})
		merchant.submit(t, "ReceiveReturn", map[string]any{"id": id}, &o)
		if o.State != orders.StateReturned || o.Refunded != 5_000 {
			t.Fatalf("returned %+v", o)
		}
		ordersEventually(t, "the customer refunded", func() error {
			return customer.wantBalance(account, func(b ledgertypes.Amount) bool { return b == before })
		})
		merchant.wantCode(t, cxlerr.Conflict, "ReceiveReturn", map[string]any{"id": id})
		merchant.wantCode(t, cxlerr.Conflict, "Refund", map[string]any{"id": id, "refundId": "again"})
	})

	step("a refund retried or raced happens once", func(t *testing.T) {
		id := "it-refund-" + run
		before := customer.balance(t, account)
		place(t, id, 3_000, time.Now().Add(time.Hour))
		merchant.submit(t, "Refund", map[string]any{"id": id, "refundId": "r1", "amount": 1_000}, nil)
		merchant.wantCode(t, cxlerr.Conflict, "Refund", map[string]any{"id": id, "refundId": "r1", "amount": 1_000})

		// Two full refunds at once: one commits, the other is refused at endorsement
		// (CONFLICT) or invalidated at commit (an MVCC or phantom read conflict, which a
		// retrying client resubmits into that CONFLICT).
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, errs[i] = merchant.trySubmit("Refund", map[string]any{"id": id, "refundId": "all-" + strconv.Itoa(i)})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			var invalid *ccCommitError
			switch {
			case err == nil:
				ok++
			case errors.As(err, &invalid) && (invalid.Code == peer.TxValidationCode_MVCC_READ_CONFLICT || invalid.Code == peer.TxValidationCode_PHANTOM_READ_CONFLICT):
			default:
				ccCheckCode(t, "concurrent Refund", err, cxlerr.Conflict)
			}
		}
		if ok != 1 {
			t.Fatalf("%d of two concurrent full refunds committed: %v", ok, errs)
		}
		var o orders.Order
		merchant.evaluate(t, "GetOrder", map[string]any{"id": id}, &o)
		if o.State != orders.StateRefunded || o.Refunded != 3_000 || len(o.Refunds) != 2 {
			t.Fatalf("refunded %+v", o)
		}
		merchant.wantCode(t, cxlerr.Conflict, "Refund", map[string]any{"id": id, "refundId": "all-2"})
		ordersEventually(t, "the customer refunded once", func() error {
			return customer.wantBalance(account, func(b ledgertypes.Amount) bool { return b == before })
		})
	})
}

// ordersClient is an identity using the orders contract.
type ordersClient struct{ ccClient }

func ordersAs(t testing.TB, msp, user string) ordersClient {
	t.Helper()
	return ordersClient{ccAs(t, msp, user, orders.Name).syncing(t)}
}

// balance returns an account's EUR balance as the client's peer sees it.
func (c ordersClient) balance(t testing.TB, account string) ledgertypes.Amount {
	t.Helper()
	var b orders.SettlementBalance
	c.evaluate(t, "Balance", map[string]any{"account": account, "currency": "EUR"}, &b)
	return b.Balance
}

// wantBalance fails unless ok accepts the account's EUR balance.
func (c ordersClient) wantBalance(account string, ok func(ledgertypes.Amount) bool) error {
	var b orders.SettlementBalance
	if err := c.tryEvaluate("Balance", map[string]any{"account": account, "currency": "EUR"}, &b); err != nil {
		return err
	}
	if !ok(b.Balance) {
		return fmt.Errorf("%s holds %d EUR on the peer of %s", account, b.Balance, c.name)
	}
	return nil
}

// ordersEventually retries fn for up to 30 seconds: a peer of the other organisation may
// commit a block a moment after the submitting one.
func ordersEventually(t testing.TB, what string, fn func() error) {
	t.Helper()
	eventually(t, 30*time.Second, what, fn)
}
