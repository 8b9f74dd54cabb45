package review

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cli/clitest"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/ledgerapi"
)

func TestReviews(t *testing.T) {
	for _, tr := range clitest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			l := clitest.New(t)
			c := tr.Open(t, l)
			cx := func(newCmd func(*cmdutil.Factory) *cobra.Command, args ...string) clitest.Result {
				return clitest.Run(t, c, newCmd, args...)
			}
			seedOrder(t, c, l)
			l.As(customer)
			var p ledgerapi.Committed[care.Review]
			cx(NewCmdReview, "post", "o1", "--rating", "4", "--text", "Lovely beans", "--json").OK(t).JSON(t, &p)
			if p.Result.Rating != 4 || p.Result.Merchant != "Org1MSP" || strings.Contains(p.Result.Reviewer, "Org2MSP") {
				t.Fatalf("review %+v", p.Result)
			}
			cx(NewCmdReview, "post", "o1", "--rating", "5", "--text", "again").Fails(t, cmdutil.ExitForbidden, "already reviewed")
			cx(NewCmdReview, "post", "o1", "--rating", "9", "--text", "x").Fails(t, cmdutil.ExitUsage, "INVALID")
			cx(NewCmdReview, "post", "o1", "--text", "x").Fails(t, cmdutil.ExitUsage, "missing --rating")
			cx(NewCmdReview, "edit", p.Result.ID, "--rating", "5", "--text", "Even better").OK(t)
			cx(NewCmdReview, "reply", p.Result.ID, "--text", "Thanks").Fails(t, cmdutil.ExitForbidden, "FORBIDDEN")
			l.As(merchant)
			cx(NewCmdReview, "reply", p.Result.ID, "--text", "Thanks").OK(t)
			var d care.ReviewDetail
			cx(NewCmdReview, "show", p.Result.ID, "--json").OK(t).JSON(t, &d)
			if len(d.Entries) != 3 || d.Review.Version != 2 || d.Review.Reply != "Thanks" {
				t.Fatalf("detail %+v", d)
			}
			list := cx(NewCmdReview, "list", "Org1MSP").OK(t)
			if !strings.Contains(list.Stdout, p.Result.ID+"\t5/5\t") || !strings.Contains(list.Stdout, "\ttrue\tEven better") {
				t.Fatalf("list:\n%s", list.Stdout)
			}
			cx(NewCmdReview, "show", "nope").Fails(t, cmdutil.ExitNotFound, "NOT_FOUND")
		})
	}
}

// The merchant's staff and the customer.
var merchant, customer = clitest.User("Org1MSP", "User1"), clitest.Customer("Org2MSP", "User1")

// seedOrder makes Org1MSP a merchant and payment provider and Org2MSP a member, and gives
// Org2MSP/User1 a delivered order o1 from Org1MSP.
func seedOrder(t *testing.T, c cmdutil.Client, l *clitest.Ledger) {
	t.Helper()
	l.Grant(t, "Org1MSP", ledgertypes.Merchant, ledgertypes.Payment)
	l.Grant(t, "Org2MSP", ledgertypes.Carrier)
	run := func(args ...string) { clitest.Run(t, c, orderAndBalance, args...).OK(t) }
	l.As(merchant)
	run("balance", "register-currency", "EUR")
	run("balance", "deposit", "Org2MSP/User1=100", "--currency", "EUR")
	l.As(customer)
	run("order", "place", "o1", "--merchant", "Org1MSP", "--amount", "100", "--currency", "EUR", "--deadline", "7d", "--item", "x:1")
	run("order", "confirm-delivery", "o1")
}
