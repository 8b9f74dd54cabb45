package order

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/cli/clitest"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/ledgerapi"
)

func TestNewCmdPlace(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		check   func(t *testing.T, o *PlaceOptions)
		wantErr string
	}{
		{name: "everything", args: []string{"o1", "--merchant", "Org2MSP", "--amount", "2500", "--currency", "EUR", "--deadline", "2030-01-02",
			"--item", "beans:2", "--item", "mug:1:09506000134352:S1,S2", "--carrier", "Org3MSP", "--arbiter", "Org1MSP", "--return-days", "14"},
			check: func(t *testing.T, o *PlaceOptions) {
				want := ledgerapi.PlaceOrderRequest{ID: "o1", Merchant: "Org2MSP", Amount: 2500, Currency: "EUR",
					Deadline: time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC), Carrier: "Org3MSP", Arbiter: "Org1MSP", ReturnDays: 14,
					Items: []orders.OrderItem{{SKU: "beans", Quantity: 2}, {SKU: "mug", Quantity: 1, GTIN: "09506000134352", Serials: []string{"S1", "S2"}}}}
				if !reflect.DeepEqual(o.Request, want) {
					t.Fatalf("request %+v\nwant %+v", o.Request, want)
				}
			}},
		{name: "relative deadline", args: []string{"o1", "--merchant", "M", "--amount", "1", "--currency", "EUR", "--deadline", "7d", "--item", "a:1"},
			check: func(t *testing.T, o *PlaceOptions) {
				if d := time.Until(o.Request.Deadline); d < 6*24*time.Hour || d > 7*24*time.Hour {
					t.Fatalf("deadline %v is not about 7 days away", o.Request.Deadline)
				}
			}},
		{name: "missing flags", args: []string{"o1", "--merchant", "M"}, wantErr: "missing --amount, --currency, --deadline, --item"},
		{name: "decimal amount", args: []string{"o1", "--merchant", "M", "--amount", "12.50", "--currency", "EUR", "--deadline", "7d", "--item", "a:1"}, wantErr: "whole number of minor units"},
		{name: "bad item", args: []string{"o1", "--merchant", "M", "--amount", "1", "--currency", "EUR", "--deadline", "7d", "--item", "a"}, wantErr: "SKU:QUANTITY"},
		{name: "zero quantity", args: []string{"o1", "--merchant", "M", "--amount", "1", "--currency", "EUR", "--deadline", "7d", "--item", "a:0"}, wantErr: "positive"},
		{name: "bad deadline", args: []string{"o1", "--merchant", "M", "--amount", "1", "--currency", "EUR", "--deadline", "soon", "--item", "a:1"}, wantErr: "--deadline"},
		{name: "no ID", args: []string{"--merchant", "M"}, wantErr: "missing ID"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := clitest.Factory(t, nil)
			var got *PlaceOptions
			r := clitest.Exec(t, f, NewCmdPlace(f, func(o *PlaceOptions) error { got = o; return nil }), tc.args...)
			if tc.wantErr != "" {
				r.Fails(t, cmdutil.ExitUsage, tc.wantErr)
				return
			}
			r.OK(t)
			tc.check(t, got)
		})
	}
}

// Staff of the organisations, and the customer.
var (
	org1, org3 = clitest.User("Org1MSP", "User1"), clitest.User("Org3MSP", "User1")
	customer   = clitest.Customer("Org2MSP", "User1")
)

// funded is a ledger where Org1MSP is a payment provider and a merchant, Org2MSP a member
// whose customer Org2MSP/User1 holds 10000 of currency EUR (issued by Org1MSP), and Org3MSP
// an arbiter, as Org1MSP/User1.
func funded(t *testing.T, tr clitest.Transport) (*clitest.Ledger, func(newCmd func(*cmdutil.Factory) *cobra.Command, args ...string) clitest.Result) {
	t.Helper()
	l := clitest.New(t)
	l.Grant(t, "Org1MSP", ledgertypes.Payment, ledgertypes.Merchant)
	l.Grant(t, "Org2MSP", ledgertypes.Carrier)
	l.Grant(t, "Org3MSP", ledgertypes.Arbiter)
	c := tr.Open(t, l)
	cx := func(newCmd func(*cmdutil.Factory) *cobra.Command, args ...string) clitest.Result {
		return clitest.Run(t, c, newCmd, args...)
	}
	balance := func(f *cmdutil.Factory) *cobra.Command {
		cmd := &cobra.Command{Use: "balance"}
		cmd.AddCommand(newBalanceFixture(f)...)
		return cmd
	}
	cx(balance, "register-currency", "EUR").OK(t)
	cx(balance, "deposit", "Org2MSP/User1=10000", "--currency", "EUR").OK(t)
	return l, cx
}

func TestOrderRefundedOnce(t *testing.T) {
	for _, tr := range clitest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			l, cx := funded(t, tr)
			l.As(customer)
			var c ledgerapi.Committed[orders.Order]
			cx(NewCmdOrder, "place", "o1", "--merchant", "Org1MSP", "--amount", "2500", "--currency", "EUR", "--deadline", "7d",
				"--item", "beans:2", "--json").OK(t).JSON(t, &c)
			if c.Result.State != orders.StatePlaced || c.Result.Customer != "Org2MSP/User1" {
				t.Fatalf("placed %+v", c.Result)
			}
			cx(NewCmdOrder, "place", "o2", "--merchant", "Org1MSP", "--amount", "99999", "--currency", "EUR", "--deadline", "7d",
				"--item", "beans:2").Fails(t, cmdutil.ExitConflict, "INSUFFICIENT_FUNDS")

			l.As(org1)
			first := cx(NewCmdOrder, "refund", "o1", "--amount", "1000", "--reason", "damaged", "--idempotency-key", "rf-1", "--json").OK(t)
			var r1, r2 ledgerapi.Committed[orders.Order]
			first.JSON(t, &r1)
			if r1.Result.Refunded != 1000 || r1.Result.Refunds[0].ID != "rf-1" || r1.Result.State != orders.StatePlaced {
				t.Fatalf("refund %+v", r1.Result)
			}
			cx(NewCmdOrder, "refund", "o1", "--amount", "1000", "--reason", "damaged", "--idempotency-key", "rf-1", "--json").OK(t).JSON(t, &r2)
			if r2.TransactionID != r1.TransactionID || r2.Result.Refunded != 1000 {
				t.Fatalf("the retry applied again: %s vs %s, refunded %d", r2.TransactionID, r1.TransactionID, r2.Result.Refunded)
			}
			if n := len(l.CallsOf(&ledgerapi.OrdersRefund.Operation)); n != 1 {
				t.Fatalf("Refund ran %d times", n)
			}
			// The refund ID is the contract's exactly-once handle, whatever the key.
			cx(NewCmdOrder, "refund", "o1", "--amount", "1000", "--refund-id", "rf-1").Fails(t, cmdutil.ExitConflict, "CONFLICT")
			// A key that is no valid ID gives a hashed refund ID.
			var r3 ledgerapi.Committed[orders.Order]
			cx(NewCmdOrder, "refund", "o1", "--idempotency-key", "key/with:odd+chars", "--json").OK(t).JSON(t, &r3)
			if r3.Result.State != orders.StateRefunded || !strings.HasPrefix(r3.Result.Refunds[1].ID, "k-") {
				t.Fatalf("rest refunded %+v", r3.Result)
			}
			cx(NewCmdOrder, "refund", "o1", "--amount", "1").Fails(t, cmdutil.ExitConflict, "refunded")
			cx(NewCmdOrder, "show", "nope").Fails(t, cmdutil.ExitNotFound, "NOT_FOUND")
			show := cx(NewCmdOrder, "show", "o1").OK(t)
			if !strings.Contains(show.Stdout, "state:\trefunded\n") || !strings.Contains(show.Stdout, "refund:\trf-1: 1000 EUR by Org1MSP (damaged)") {
				t.Fatalf("show:\n%s", show.Stdout)
			}
			// Only the parties, payment and auditors read an order: another
			// customer of the customer's organisation and an arbiter the order
			// does not name are refused, alike for an order that exists and one
			// that does not, and the refusal names nothing of the order.
			for _, stranger := range []ledgertest.Identity{clitest.User("Org2MSP", "User2"), org3} {
				l.As(stranger)
				for _, id := range []string{"o1", "nope"} {
					r := cx(NewCmdOrder, "show", id)
					r.Fails(t, cmdutil.ExitForbidden, "FORBIDDEN")
					if msg := r.Err.Error() + r.Stderr; strings.Contains(msg, "Org2MSP/User1") || strings.Contains(msg, "Org1MSP") || strings.Contains(msg, id) {
						t.Fatalf("the refusal of %s names the order: %s", id, msg)
					}
				}
				cx(NewCmdOrder, "list", "--customer", "Org2MSP/User1").Fails(t, cmdutil.ExitForbidden, "FORBIDDEN")
				cx(NewCmdOrder, "list", "--merchant", "Org1MSP").Fails(t, cmdutil.ExitForbidden, "FORBIDDEN")
			}
			l.As(customer)
			cx(NewCmdOrder, "show", "o1").OK(t)
			cx(NewCmdOrder, "list").OK(t)
		})
	}
}

func TestOrderSteps(t *testing.T) {
	for _, tr := range clitest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			l, cx := funded(t, tr)
			l.As(customer)
			cx(NewCmdOrder, "place", "o1", "--merchant", "Org1MSP", "--amount", "2500", "--currency", "EUR", "--deadline", "7d",
				"--item", "beans:2", "--arbiter", "Org3MSP", "--return-days", "14").OK(t)
			cx(NewCmdOrder, "confirm-delivery", "o1").OK(t)
			cx(NewCmdOrder, "confirm-delivery", "o1").Fails(t, cmdutil.ExitConflict, "is delivered")
			cx(NewCmdOrder, "return", "o1", "--reason", "wrong-item").OK(t)
			cx(NewCmdOrder, "return", "o1", "--reason", "Wrong Item").Fails(t, cmdutil.ExitUsage, "INVALID")
			cx(NewCmdOrder, "dispute", "o1", "--reason", "never-came-back").OK(t)
			l.As(org3)
			var c ledgerapi.Committed[orders.Order]
			cx(NewCmdOrder, "resolve", "o1", "--refund", "500", "--json").OK(t).JSON(t, &c)
			if c.Result.State != orders.StateResolved || c.Result.Dispute.Refund != 500 {
				t.Fatalf("resolved %+v", c.Result)
			}
			cx(NewCmdOrder, "resolve", "o1").Fails(t, cmdutil.ExitUsage, "missing --refund")
			cx(NewCmdOrder, "receive-return", "o1").Fails(t, cmdutil.ExitForbidden, "only the merchant")
			l.As(org1)
			cx(NewCmdOrder, "receive-return", "o1").Fails(t, cmdutil.ExitConflict, "resolved")

			var page orders.OrderPage
			cx(NewCmdOrder, "list", "--merchant", "Org1MSP", "--state", "resolved", "--json").OK(t).JSON(t, &page)
			if len(page.Orders) != 1 || page.Orders[0].ID != "o1" {
				t.Fatalf("merchant's resolved orders %+v", page)
			}
			list := cx(NewCmdOrder, "list", "--customer", "Org2MSP/User1").OK(t)
			if list.Stdout != "o1\tresolved\tOrg2MSP/User1\tOrg1MSP\t2500 EUR\t500 EUR\t"+c.Result.Deadline.Format(time.RFC3339Nano)+"\n" {
				t.Fatalf("list:\n%q", list.Stdout)
			}
			cx(NewCmdOrder, "list", "--state", "placed").Fails(t, cmdutil.ExitUsage, "only with --merchant")
		})
	}
}

func TestSweepAll(t *testing.T) {
	for _, tr := range clitest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			l, cx := funded(t, tr)
			l.As(customer)
			for _, id := range []string{"a", "b", "c"} {
				cx(NewCmdOrder, "place", id, "--merchant", "Org1MSP", "--amount", "100", "--currency", "EUR",
					"--deadline", l.Now().Add(time.Hour).Format(time.RFC3339), "--item", "x:1").OK(t)
			}
			l.Advance(2 * time.Hour)
			var s Swept
			cx(NewCmdOrder, "sweep", "--all", "--limit", "2", "--idempotency-key", "sw", "--json").OK(t).JSON(t, &s)
			// The contract refunds one order per customer in a transaction.
			if len(s.Refunded) != 3 || len(s.Transactions) != 3 {
				t.Fatalf("swept %+v", s)
			}
			// The same sweep again: its transactions replay, nothing is refunded twice.
			var again Swept
			cx(NewCmdOrder, "sweep", "--all", "--limit", "2", "--idempotency-key", "sw", "--json").OK(t).JSON(t, &again)
			if !reflect.DeepEqual(again, s) || len(l.CallsOf(&ledgerapi.OrdersSweep.Operation)) != 3 {
				t.Fatalf("replayed sweep %+v (%d calls)", again, len(l.CallsOf(&ledgerapi.OrdersSweep.Operation)))
			}
			cx(NewCmdOrder, "sweep", "--limit", "500").Fails(t, cmdutil.ExitUsage, "--limit")
		})
	}
}

// hourly is a clock that moves on an hour at every look, so that a command that resolved
// its times anew on a retry would send another request.
func hourly(from time.Time) func() time.Time {
	return func() time.Time {
		from = from.Add(time.Hour)
		return from
	}
}

// A relative deadline is resolved once per idempotency key: repeating the command word for
// word replays the first outcome instead of failing with IDEMPOTENCY_MISMATCH.
func TestRetriedPlaceIsTheSameRequest(t *testing.T) {
	for _, tr := range clitest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			l, _ := funded(t, tr)
			l.As(customer)
			f, _, _ := clitest.Factory(t, tr.Open(t, l))
			f.Now = hourly(l.Now())
			place := []string{"place", "o1", "--merchant", "Org1MSP", "--amount", "100", "--currency", "EUR", "--deadline", "7d",
				"--item", "x:1", "--idempotency-key", "place-o1", "--json"}
			var first, again ledgerapi.Committed[orders.Order]
			clitest.Exec(t, f, NewCmdOrder(f), place...).OK(t).JSON(t, &first)
			clitest.Exec(t, f, NewCmdOrder(f), place[:len(place)-1]...).OK(t)
			clitest.Exec(t, f, NewCmdOrder(f), place...).OK(t).JSON(t, &again)
			if again.TransactionID != first.TransactionID || !again.Result.Deadline.Equal(first.Result.Deadline) {
				t.Fatalf("the retry is another request: %s %v, first %s %v", again.TransactionID, again.Result.Deadline, first.TransactionID, first.Result.Deadline)
			}
			if n := len(l.CallsOf(&ledgerapi.OrdersPlace.Operation)); n != 1 {
				t.Fatalf("Place ran %d times", n)
			}
			// Another command line under the key resolves anew: another request.
			other := append(slices.Clone(place[:len(place)-1]), "--return-days", "7")
			clitest.Exec(t, f, NewCmdOrder(f), other...).Fails(t, cmdutil.ExitConflict, "IDEMPOTENCY_MISMATCH")
		})
	}
}
