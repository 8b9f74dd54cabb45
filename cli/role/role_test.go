package role

import (
	"strings"
	"testing"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cli/clitest"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/ledgerapi"
)

func TestRoles(t *testing.T) {
	for _, tr := range clitest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			l := clitest.New(t)
			c := tr.Open(t, l)
			cx := func(args ...string) clitest.Result { return clitest.Run(t, c, NewCmdRole, args...) }
			// Only admins propose.
			cx("propose", "Org3MSP", "auditor").Fails(t, cmdutil.ExitForbidden, "FORBIDDEN")
			l.As(clitest.Admin("Org1MSP"))
			var g ledgerapi.Committed[ledgertypes.RoleGrant]
			cx("propose", "Org3MSP", "Auditor", "--json").OK(t).JSON(t, &g)
			if g.Result.Role != ledgertypes.Auditor || g.Result.Status != ledgertypes.RoleProposed || g.Result.ProposedBy != "Org1MSP" {
				t.Fatalf("proposed %+v", g.Result)
			}
			cx("propose", "Org3MSP", "auditor").Fails(t, cmdutil.ExitConflict, "CONFLICT")
			// The proposer's organisation cannot approve its own proposal.
			cx("approve", "Org3MSP", "auditor").Fails(t, cmdutil.ExitForbidden, "another organisation")
			l.As(clitest.Admin("Org2MSP"))
			r := cx("approve", "Org3MSP", "auditor").OK(t)
			if !strings.Contains(r.Stderr, "approved role auditor of Org3MSP: now active") {
				t.Fatalf("approve said %q", r.Stderr)
			}
			cx("approve", "Org3MSP", "carrier").Fails(t, cmdutil.ExitNotFound, "NOT_FOUND")
			cx("propose", "Org3MSP", "wizard").Fails(t, cmdutil.ExitUsage, "want one of brand, merchant")
			cx("propose", "Org3MSP").Fails(t, cmdutil.ExitUsage, "missing ROLE")
			list := cx("list").OK(t)
			if list.Stdout != "Org3MSP\tauditor\tactive\t\tOrg1MSP,Org2MSP\t"+l.Now().Format("2006-01-02T15:04:05Z07:00")+"\n" {
				t.Fatalf("list %q", list.Stdout)
			}
			var grants []ledgertypes.RoleGrant
			cx("list", "--json").OK(t).JSON(t, &grants)
			if len(grants) != 1 {
				t.Fatalf("grants %+v", grants)
			}
		})
	}
}
