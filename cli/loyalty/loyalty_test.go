package loyalty

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/loyalty"
	"github.com/cxledger/cxledger/cli/clitest"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/ledgerapi"
)

func TestNewCmdProgramCreate(t *testing.T) {
	f, _, _ := clitest.Factory(t, nil)
	var got *ProgramCreateOptions
	clitest.Exec(t, f, NewCmdProgramCreate(f, func(o *ProgramCreateOptions) error { got = o; return nil }),
		"club", "--name", "Club", "--unit", "bean", "--currency", "EUR", "--earn", "1/100", "--tier", "10000:2/100",
		"--multiplier", "2025-12-01..2025-12-25:200", "--expiry-days", "365", "--transferable", "--partner", "Org2MSP:1/1").OK(t)
	want := ledgerapi.CreateProgramRequest{ID: "club", Name: "Club", Unit: "bean", Currency: "EUR", ExpiryDays: 365, Transferable: true,
		Earn: loyalty.EarnRule{Points: 1, Per: 100, Tiers: []loyalty.EarnTier{{MinAmount: 10000, Points: 2, Per: 100}},
			Multipliers: []loyalty.EarnMultiplier{{From: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2025, 12, 25, 0, 0, 0, 0, time.UTC), Percent: 200}}},
		Partners: []ledgerapi.PartnerOffer{{MSP: "Org2MSP", Value: 1, Per: 1}}}
	if !reflect.DeepEqual(got.Request, want) {
		t.Fatalf("request %+v\nwant %+v", got.Request, want)
	}
	for _, bad := range [][]string{
		{"club", "--name", "C", "--unit", "u", "--currency", "EUR", "--earn", "1"},
		{"club", "--name", "C", "--unit", "u", "--currency", "EUR", "--earn", "1/100", "--tier", "x"},
		{"club", "--name", "C", "--unit", "u", "--currency", "EUR", "--earn", "1/100", "--multiplier", "2025-01-01:200"},
		{"club", "--name", "C", "--unit", "u", "--currency", "EUR", "--earn", "1/100", "--partner", "Org2MSP"},
		{"club", "--name", "C"},
	} {
		r := clitest.Exec(t, f, NewCmdProgramCreate(f, func(*ProgramCreateOptions) error { return nil }), bad...)
		if r.Code != cmdutil.ExitUsage {
			t.Errorf("%v: exit %d (%v), want 2", bad, r.Code, r.Err)
		}
	}
}

// customer is a customer of Org2MSP.
var customer = clitest.Customer("Org2MSP", "User1")

// members is a ledger where Org1MSP and Org2MSP are merchants and Org3MSP a payment
// provider that issues EUR, as Org1MSP/User1.
func members(t *testing.T) *clitest.Ledger {
	t.Helper()
	l := clitest.New(t)
	l.Grant(t, "Org1MSP", ledgertypes.Merchant)
	l.Grant(t, "Org2MSP", ledgertypes.Merchant)
	l.Grant(t, "Org3MSP", ledgertypes.Payment)
	l.As(clitest.User("Org3MSP", "User1"))
	clitest.Must(t, l, ledgerapi.OrdersRegisterCurrency, ledgerapi.RegisterCurrencyRequest{Currency: "EUR"})
	return l.As(clitest.User("Org1MSP", "User1"))
}

func TestEarnAndRedeem(t *testing.T) {
	for _, tr := range clitest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			l := members(t)
			c := tr.Open(t, l)
			cx := func(args ...string) clitest.Result { return clitest.Run(t, c, NewCmdLoyalty, args...) }
			cx("program", "create", "club", "--name", "Club", "--unit", "bean", "--currency", "EUR", "--earn", "1/100",
				"--expiry-days", "365", "--transferable", "--partner", "Org2MSP:1/1").OK(t)
			var p loyalty.Program
			cx("program", "show", "club", "--json").OK(t).JSON(t, &p)
			if p.Merchant != "Org1MSP" || len(p.Partners) != 1 {
				t.Fatalf("programme %+v", p)
			}
			cx("program", "show", "nope").Fails(t, cmdutil.ExitNotFound, "NOT_FOUND")

			var e ledgerapi.Committed[loyalty.Earn]
			cx("earn", "club", "Org2MSP/User1", "--amount", "2550", "--idempotency-key", "sale-1", "--json").OK(t).JSON(t, &e)
			if e.Result.Points != 25 || e.Result.ID != "sale-1" {
				t.Fatalf("earn %+v", e.Result)
			}
			cx("earn", "club", "Org2MSP/User1", "--amount", "2550", "--idempotency-key", "sale-1").OK(t)
			cx("earn", "club", "Org2MSP/User1", "--points", "5", "--id", "sale-1").Fails(t, cmdutil.ExitConflict, "CONFLICT")
			cx("earn", "club", "Org2MSP/User1").Fails(t, cmdutil.ExitUsage, "--amount")
			cx("earn", "club", "Org2MSP/User1", "--amount", "1", "--points", "1").Fails(t, cmdutil.ExitUsage, "choose one")

			l.As(customer)
			cx("earn", "club", "Org2MSP/User1", "--points", "5").Fails(t, cmdutil.ExitForbidden, "FORBIDDEN")
			var b loyalty.PointsBalance
			cx("balance", "club", "--json").OK(t).JSON(t, &b)
			if b.Available != 25 || b.Account != "Org2MSP/User1" {
				t.Fatalf("balance %+v", b)
			}
			// Without a Fabric profile cxl cannot tell whose account a key acts for.
			cx("redeem", "club", "--points", "10", "--merchant", "Org1MSP").Fails(t, cmdutil.ExitUsage, "give --account")
			cx("redeem", "club", "--points", "10", "--merchant", "Org1MSP", "--account", "Org2MSP/User1", "--idempotency-key", "r1").OK(t)
			cx("redeem", "club", "--points", "10", "--merchant", "Org1MSP", "--account", "Org2MSP/User1", "--idempotency-key", "r1").OK(t)
			cx("redeem", "club", "--points", "100", "--merchant", "Org1MSP", "--account", "Org2MSP/User1").Fails(t, cmdutil.ExitConflict, "INSUFFICIENT_FUNDS")
			l.Advance(time.Minute)
			cx("transfer", "club", "--to", "Org3MSP/User1", "--points", "5", "--account", "Org2MSP/User1").OK(t)
			cx("balance", "club", "--json").OK(t).JSON(t, &b)
			if b.Available != 10 {
				t.Fatalf("after redeeming 10 once and giving 5: %d", b.Available)
			}
			var h loyalty.PointsHistory
			cx("history", "club", "--json").OK(t).JSON(t, &h)
			var kinds []string
			for _, en := range h.Entries {
				kinds = append(kinds, en.Type)
			}
			if strings.Join(kinds, ",") != "earned,redeemed,transferred-out" {
				t.Fatalf("history %v", kinds)
			}
			text := cx("history", "club").OK(t)
			if !strings.Contains(text.Stdout, "\tredeemed\t\t10\tr1\tOrg1MSP\t") {
				t.Fatalf("history text:\n%s", text.Stdout)
			}
			// A statement is for the merchants' staff, not for a customer of one of them.
			cx("statement", "Org1MSP", "Org2MSP", "--from", "2025-01-01", "--to", "2025-12-31").Fails(t, cmdutil.ExitForbidden, "FORBIDDEN")
			l.As(clitest.User("Org2MSP", "Clerk"))
			var st loyalty.SettlementStatement
			cx("statement", "Org1MSP", "Org2MSP", "--from", "2025-01-01", "--to", "2025-12-31", "--json").OK(t).JSON(t, &st)
			if st.Merchant != "Org1MSP" {
				t.Fatalf("statement %+v", st)
			}
			cx("statement", "Org1MSP", "Org2MSP", "--from", "2025-01-01").Fails(t, cmdutil.ExitUsage, "missing --to")
			// Points are for their holder, the issuer and auditors; a statement for
			// the two merchants and auditors. A payment provider is none of them.
			l.As(clitest.User("Org3MSP", "User1"))
			cx("balance", "club", "Org2MSP/User1").Fails(t, cmdutil.ExitForbidden, "FORBIDDEN")
			cx("history", "club", "Org2MSP/User1").Fails(t, cmdutil.ExitForbidden, "FORBIDDEN")
			cx("statement", "Org1MSP", "Org2MSP", "--from", "2025-01-01", "--to", "2025-12-31").Fails(t, cmdutil.ExitForbidden, "FORBIDDEN")
			l.As(clitest.User("Org1MSP", "User1"))
			cx("balance", "club", "Org2MSP/User1").OK(t)
		})
	}
}

// A redemption with a Fabric-like client takes the identity's own account.
type withAccount struct{ cmdutil.Client }

func (withAccount) Account() string { return "Org2MSP/User1" }

func TestRedeemWithYourOwnAccount(t *testing.T) {
	l := members(t)
	c := clitest.InProcess(t, l)
	clitest.Run(t, c, NewCmdLoyalty, "program", "create", "club", "--name", "Club", "--unit", "bean", "--currency", "EUR", "--earn", "1/1").OK(t)
	clitest.Run(t, c, NewCmdLoyalty, "earn", "club", "Org2MSP/User1", "--points", "5").OK(t)
	l.As(customer)
	var r ledgerapi.Committed[loyalty.Redemption]
	clitest.Run(t, withAccount{c}, NewCmdLoyalty, "redeem", "club", "--points", "3", "--merchant", "Org1MSP", "--json").OK(t).JSON(t, &r)
	if r.Result.Account != "Org2MSP/User1" {
		t.Fatalf("redeemed from %q", r.Result.Account)
	}
}

// What a sale earns is the contract's rule, tiers included.
func TestEarnFollowsTheTiers(t *testing.T) {
	for _, tr := range clitest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			l := members(t)
			c := tr.Open(t, l)
			cx := func(args ...string) clitest.Result { return clitest.Run(t, c, NewCmdLoyalty, args...) }
			cx("program", "create", "club", "--name", "Club", "--unit", "bean", "--currency", "EUR", "--earn", "1/100",
				"--tier", "10000:2/100").OK(t)
			for amount, want := range map[string]int64{"9900": 99, "20000": 400} {
				var e ledgerapi.Committed[loyalty.Earn]
				cx("earn", "club", "Org2MSP/User1", "--amount", amount, "--json").OK(t).JSON(t, &e)
				if int64(e.Result.Points) != want {
					t.Errorf("a sale of %s earned %d, want %d", amount, e.Result.Points, want)
				}
			}
		})
	}
}
