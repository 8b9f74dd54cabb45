package balance

import (
	"reflect"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/cli/clitest"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/ledgerapi"
)

func TestNewCmdDeposit(t *testing.T) {
	f, _, _ := clitest.Factory(t, nil)
	var got *DepositOptions
	clitest.Exec(t, f, NewCmdDeposit(f, func(o *DepositOptions) error { got = o; return nil }),
		"Org1MSP/User1=100", "Org2MSP=5", "--currency", "EUR", "--ref", "r1").OK(t)
	want := []orders.TransferEntry{{Account: "Org1MSP/User1", Amount: 100}, {Account: "Org2MSP", Amount: 5}}
	if !reflect.DeepEqual(got.Credits, want) || got.Ref != "r1" || got.Currency != "EUR" {
		t.Fatalf("options %+v", got)
	}
	for _, args := range [][]string{{"Org1MSP/User1", "--currency", "EUR"}, {"a=1.5", "--currency", "EUR"}, {"a=1"}, {}} {
		r := clitest.Exec(t, f, NewCmdDeposit(f, func(*DepositOptions) error { return nil }), args...)
		if r.Code != cmdutil.ExitUsage {
			t.Errorf("%v: exit %d (%v), want 2", args, r.Code, r.Err)
		}
	}
}

func TestDepositShowWithdraw(t *testing.T) {
	for _, tr := range clitest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			l := clitest.New(t)
			l.Grant(t, "Org1MSP", ledgertypes.Payment)
			l.Grant(t, "Org2MSP", ledgertypes.Merchant)
			c := tr.Open(t, l)
			cx := func(args ...string) clitest.Result { return clitest.Run(t, c, NewCmdBalance, args...) }
			cx("register-currency", "EUR").OK(t)
			cx("register-currency", "EUR").Fails(t, cmdutil.ExitConflict, "CONFLICT")
			var d ledgerapi.Committed[orders.SettlementTransfer]
			cx("deposit", "Org2MSP/User1=10000", "--currency", "EUR", "--idempotency-key", "bank-17", "--json").OK(t).JSON(t, &d)
			if d.Result.Ref != "bank-17" || d.Result.Total != 10000 {
				t.Fatalf("the reference defaults to the key: %+v", d.Result)
			}
			// The same key again: the same transfer, not a second deposit.
			cx("deposit", "Org2MSP/User1=10000", "--currency", "EUR", "--idempotency-key", "bank-17").OK(t)
			var b orders.SettlementBalance
			cx("show", "Org2MSP/User1", "--currency", "EUR", "--json").OK(t).JSON(t, &b)
			if b.Balance != 10000 {
				t.Fatalf("balance %d after one deposit sent twice", b.Balance)
			}
			cx("withdraw", "Org2MSP/User1", "--amount", "20000", "--currency", "EUR").Fails(t, cmdutil.ExitConflict, "INSUFFICIENT_FUNDS")
			cx("withdraw", "Org2MSP/User1", "--amount", "4000", "--currency", "EUR", "--ref", "payout-1").OK(t)
			show := cx("show", "Org2MSP/User1", "--currency", "EUR").OK(t)
			if !strings.Contains(show.Stdout, "balance:\t6000 EUR\n") {
				t.Fatalf("show:\n%s", show.Stdout)
			}
			cx("show", "--currency", "EUR").Fails(t, cmdutil.ExitUsage, "give the ACCOUNT")
			cx("show", "Org2MSP/User1", "--currency", "USD").Fails(t, cmdutil.ExitNotFound, "NOT_FOUND")
			l.As(clitest.User("Org2MSP", "User1"))
			cx("deposit", "Org2MSP/User1=1", "--currency", "EUR").Fails(t, cmdutil.ExitForbidden, "FORBIDDEN")
			cx("show", "Org2MSP/User1", "--currency", "EUR").OK(t)
			// A balance is for its holder, payment and auditors: not for another
			// customer of the same organisation.
			l.As(clitest.User("Org2MSP", "User2"))
			cx("show", "Org2MSP/User1", "--currency", "EUR").Fails(t, cmdutil.ExitForbidden, "FORBIDDEN")
			list := cx("currencies").OK(t)
			if list.Stdout != "EUR\tOrg1MSP\t6000\t"+l.Now().Format("2006-01-02T15:04:05Z07:00")+"\n" {
				t.Fatalf("currencies %q", list.Stdout)
			}
		})
	}
}
