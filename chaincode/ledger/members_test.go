package ledger_test

import (
	"testing"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

// TestMembershipFollowsRolesInForce checks that an organisation is a member
// exactly while it holds a role in force: not while a role is only
// proposed, still while a revocation is only proposed, no longer once its
// last role is revoked.
func TestMembershipFollowsRolesInForce(t *testing.T) {
	stub := ledgertest.New()
	member := func(msp string) error {
		t.Helper()
		stub.As("Org1MSP", "alice", "client")
		return ledger.RequireMember(newTx(t, stub), "to", msp)
	}
	assertCode(t, member("Org9MSP"), cxlerr.NotFound, "to: organisation Org9MSP is not a member of the consortium")

	mustStep := func(msp string, op func(*ledger.Tx, string, ledgertypes.Role) (ledgertypes.RoleGrant, error), role ledgertypes.Role) {
		t.Helper()
		if _, err := roleStep(t, stub, msp, op, "Org9MSP", role); err != nil {
			t.Fatal(err)
		}
	}
	mustStep("Org9MSP", ledger.ProposeRole, ledgertypes.Carrier)
	assertCode(t, member("Org9MSP"), cxlerr.NotFound, "not a member")
	mustStep("Org2MSP", ledger.ApproveRole, ledgertypes.Carrier)
	if err := member("Org9MSP"); err != nil {
		t.Fatalf("a carrier is not a member: %v", err)
	}
	mustStep("Org2MSP", ledger.RevokeRole, ledgertypes.Carrier)
	if err := member("Org9MSP"); err != nil {
		t.Fatalf("a role being revoked is still in force: %v", err)
	}
	mustStep("Org1MSP", ledger.ApproveRole, ledgertypes.Carrier)
	assertCode(t, member("Org9MSP"), cxlerr.NotFound, "not a member")

	assertCode(t, member("Org9 MSP"), cxlerr.Invalid, "to: MSP ID")
	assertCode(t, member(""), cxlerr.Invalid, "to: MSP ID")
}

func TestRequireMemberAccountChecksTheOrganisation(t *testing.T) {
	stub := ledgertest.New()
	if _, err := roleStep(t, stub, "Org2MSP", ledger.ProposeRole, "Org2MSP", ledgertypes.Merchant); err != nil {
		t.Fatal(err)
	}
	if _, err := roleStep(t, stub, "Org1MSP", ledger.ApproveRole, "Org2MSP", ledgertypes.Merchant); err != nil {
		t.Fatal(err)
	}
	stub.As("Org1MSP", "alice", "client")
	tx := newTx(t, stub)
	if err := ledger.RequireMemberAccount(tx, "account", "Org2MSP/bob"); err != nil {
		t.Fatal(err)
	}
	if err := ledger.RequireMemberParty(tx, "to", "Org2MSP"); err != nil {
		t.Fatal(err)
	}
	assertCode(t, ledger.RequireMemberAccount(tx, "account", "Org2MSPX/bob"), cxlerr.NotFound, "account: organisation Org2MSPX is not a member")
	assertCode(t, ledger.RequireMemberParty(tx, "to", "Org2MSPX"), cxlerr.NotFound, "to: organisation Org2MSPX is not a member")
	assertCode(t, ledger.RequireMemberAccount(tx, "account", "Org2MSP"), cxlerr.Invalid, "account: account \"Org2MSP\": want <MSP ID>/<name>")
	assertCode(t, ledger.RequireMemberAccount(tx, "account", "Org2MSP/ bob"), cxlerr.Invalid, "account: account name")
}
