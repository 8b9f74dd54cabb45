package ledger_test

import (
	"slices"
	"testing"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

// roleStep runs one role operation as the admin of msp and commits it when
// it succeeds.
func roleStep(t *testing.T, stub *ledgertest.Stub, msp string, op func(*ledger.Tx, string, ledgertypes.Role) (ledgertypes.RoleGrant, error), target string, role ledgertypes.Role) (ledgertypes.RoleGrant, error) {
	t.Helper()
	stub.As(msp, "Admin@"+msp, "admin")
	g, err := op(newTx(t, stub), target, role)
	if err != nil {
		stub.Begin()
		return g, err
	}
	stub.Commit()
	return g, nil
}

func hasRole(t *testing.T, stub *ledgertest.Stub, msp string, role ledgertypes.Role) bool {
	t.Helper()
	ok, err := ledger.OrgHasRole(newTx(t, stub), msp, role)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestRoleLifecycle(t *testing.T) {
	stub := ledgertest.New()
	g, err := roleStep(t, stub, "Org1MSP", ledger.ProposeRole, "Org1MSP", ledgertypes.Brand)
	if err != nil || g.Status != ledgertypes.RoleProposed || g.ProposedBy != "Org1MSP" || g.UpdatedTx == "" {
		t.Fatalf("propose = %+v, %v", g, err)
	}
	if hasRole(t, stub, "Org1MSP", ledgertypes.Brand) {
		t.Fatal("a proposed role is in force")
	}
	_, err = roleStep(t, stub, "Org1MSP", ledger.ApproveRole, "Org1MSP", ledgertypes.Brand)
	assertCode(t, err, cxlerr.Forbidden, "Org1MSP proposed this change; an admin of another organisation must approve it")

	g, err = roleStep(t, stub, "Org2MSP", ledger.ApproveRole, "Org1MSP", ledgertypes.Brand)
	if err != nil || g.Status != ledgertypes.RoleActive || !slices.Equal(g.GrantedBy, []string{"Org1MSP", "Org2MSP"}) || g.ProposedBy != "" {
		t.Fatalf("approve = %+v, %v", g, err)
	}
	if !hasRole(t, stub, "Org1MSP", ledgertypes.Brand) || hasRole(t, stub, "Org1MSP", ledgertypes.Merchant) || hasRole(t, stub, "Org2MSP", ledgertypes.Brand) {
		t.Fatal("OrgHasRole after approval")
	}

	g, err = roleStep(t, stub, "Org2MSP", ledger.RevokeRole, "Org1MSP", ledgertypes.Brand)
	if err != nil || g.Status != ledgertypes.RoleRevoking || g.ProposedBy != "Org2MSP" {
		t.Fatalf("revoke = %+v, %v", g, err)
	}
	if !hasRole(t, stub, "Org1MSP", ledgertypes.Brand) {
		t.Fatal("a role is lost before the revocation is approved")
	}
	_, err = roleStep(t, stub, "Org2MSP", ledger.ApproveRole, "Org1MSP", ledgertypes.Brand)
	assertCode(t, err, cxlerr.Forbidden, "Org2MSP proposed this change")

	g, err = roleStep(t, stub, "Org3MSP", ledger.ApproveRole, "Org1MSP", ledgertypes.Brand)
	if err != nil || g.Status != ledgertypes.RoleRevoked {
		t.Fatalf("approve revocation = %+v, %v", g, err)
	}
	if hasRole(t, stub, "Org1MSP", ledgertypes.Brand) {
		t.Fatal("revoked role still in force")
	}
	grants, err := ledger.ListRoles(newTx(t, stub))
	if err != nil || len(grants) != 0 {
		t.Fatalf("ListRoles = %+v, %v", grants, err)
	}
}

func TestRoleErrors(t *testing.T) {
	stub := ledgertest.New()
	mustStep := func(msp string, op func(*ledger.Tx, string, ledgertypes.Role) (ledgertypes.RoleGrant, error), target string, role ledgertypes.Role) {
		t.Helper()
		if _, err := roleStep(t, stub, msp, op, target, role); err != nil {
			t.Fatal(err)
		}
	}
	mustStep("Org1MSP", ledger.ProposeRole, "Org1MSP", ledgertypes.Brand)
	mustStep("Org2MSP", ledger.ApproveRole, "Org1MSP", ledgertypes.Brand)
	mustStep("Org1MSP", ledger.ProposeRole, "Org2MSP", ledgertypes.Carrier)
	mustStep("Org3MSP", ledger.ProposeRole, "Org3MSP", ledgertypes.Auditor)
	mustStep("Org1MSP", ledger.RevokeRole, "Org1MSP", ledgertypes.Brand)

	tests := []struct {
		name   string
		msp    string
		op     func(*ledger.Tx, string, ledgertypes.Role) (ledgertypes.RoleGrant, error)
		target string
		role   ledgertypes.Role
		code   cxlerr.Code
		want   string
	}{
		{"propose twice", "Org2MSP", ledger.ProposeRole, "Org2MSP", ledgertypes.Carrier, cxlerr.Conflict, "role carrier of Org2MSP is already proposed by Org1MSP"},
		{"propose held role", "Org2MSP", ledger.ProposeRole, "Org1MSP", ledgertypes.Brand, cxlerr.Conflict, "Org1MSP already holds the brand role"},
		{"approve unknown", "Org2MSP", ledger.ApproveRole, "Org9MSP", ledgertypes.Brand, cxlerr.NotFound, "no proposal for the brand role of Org9MSP"},
		{"revoke unknown", "Org2MSP", ledger.RevokeRole, "Org9MSP", ledgertypes.Brand, cxlerr.NotFound, "Org9MSP has no brand role to revoke"},
		{"revoke twice", "Org2MSP", ledger.RevokeRole, "Org1MSP", ledgertypes.Brand, cxlerr.Conflict, "already proposed by Org1MSP"},
		{"withdraw someone else's proposal", "Org2MSP", ledger.RevokeRole, "Org3MSP", ledgertypes.Auditor, cxlerr.Forbidden, "only Org3MSP, which proposed the auditor role of Org3MSP, can withdraw"},
		{"invalid role", "Org2MSP", ledger.ProposeRole, "Org2MSP", ledgertypes.Role("king"), cxlerr.Invalid, `role "king"`},
		{"invalid msp", "Org2MSP", ledger.ProposeRole, "Org 2", ledgertypes.Brand, cxlerr.Invalid, "msp: MSP ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := roleStep(t, stub, tt.msp, tt.op, tt.target, tt.role)
			assertCode(t, err, tt.code, tt.want)
		})
	}

	for _, op := range []func(*ledger.Tx, string, ledgertypes.Role) (ledgertypes.RoleGrant, error){ledger.ProposeRole, ledger.ApproveRole, ledger.RevokeRole} {
		stub.As("Org2MSP", "bob", "client")
		_, err := op(newTx(t, stub), "Org2MSP", ledgertypes.Merchant)
		assertCode(t, err, cxlerr.Forbidden, "bob is not an admin of Org2MSP")
	}

	g, err := roleStep(t, stub, "Org3MSP", ledger.RevokeRole, "Org3MSP", ledgertypes.Auditor)
	if err != nil || g.Status != ledgertypes.RoleWithdrawn {
		t.Fatalf("withdraw = %+v, %v", g, err)
	}
	grants, err := ledger.ListRoles(newTx(t, stub))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range grants {
		got = append(got, g.MSP+":"+string(g.Role)+":"+string(g.Status))
	}
	if !slices.Equal(got, []string{"Org1MSP:brand:revoking", "Org2MSP:carrier:proposed"}) {
		t.Fatalf("ListRoles = %q", got)
	}
}

func TestRequireRole(t *testing.T) {
	stub := ledgertest.New()
	if _, err := roleStep(t, stub, "Org1MSP", ledger.ProposeRole, "Org1MSP", ledgertypes.Brand); err != nil {
		t.Fatal(err)
	}
	if _, err := roleStep(t, stub, "Org2MSP", ledger.ApproveRole, "Org1MSP", ledgertypes.Brand); err != nil {
		t.Fatal(err)
	}
	stub.AsIdentity(ledgertest.Staff("Org1MSP", "alice", ledgertypes.Brand, ledgertypes.Auditor))
	if err := ledger.RequireRole(newTx(t, stub), ledgertypes.Brand); err != nil {
		t.Fatal(err)
	}
	assertCode(t, ledger.RequireRole(newTx(t, stub), ledgertypes.Auditor), cxlerr.Forbidden, "organisation Org1MSP does not hold the auditor role")
	assertCode(t, ledger.RequireRole(newTx(t, stub), ledgertypes.Merchant), cxlerr.Forbidden, "the certificate of Org1MSP/alice does not carry the merchant role")
	stub.AsIdentity(ledgertest.Staff("Org2MSP", "bob", ledgertypes.Brand))
	assertCode(t, ledger.RequireRole(newTx(t, stub), ledgertypes.Brand), cxlerr.Forbidden, "organisation Org2MSP does not hold the brand role")
	// The roles administration is the admins' alone, without the attribute,
	// which does not make a client an admin.
	stub.AsIdentity(ledgertest.Identity{MSP: "Org1MSP", CN: "Admin", OU: "admin"})
	assertCode(t, ledger.RequireRole(newTx(t, stub), ledgertypes.Brand), cxlerr.Forbidden, "Org1MSP/Admin is not staff of Org1MSP")
	if _, err := ledger.ProposeRole(newTx(t, stub), "Org3MSP", ledgertypes.Merchant); err != nil {
		t.Fatalf("an admin without roles proposes: %v", err)
	}
	stub.Begin()
	stub.AsIdentity(ledgertest.Staff("Org1MSP", "alice", ledgertypes.Brand, ledgertypes.Merchant, ledgertypes.Auditor))
	for _, op := range []func(*ledger.Tx, string, ledgertypes.Role) (ledgertypes.RoleGrant, error){ledger.ProposeRole, ledger.ApproveRole, ledger.RevokeRole} {
		_, err := op(newTx(t, stub), "Org3MSP", ledgertypes.Merchant)
		assertCode(t, err, cxlerr.Forbidden, "alice is not an admin of Org1MSP")
	}
}

func TestParseRole(t *testing.T) {
	for _, r := range []ledgertypes.Role{ledgertypes.Brand, ledgertypes.Merchant, ledgertypes.Carrier, ledgertypes.Payment, ledgertypes.Auditor, ledgertypes.Arbiter} {
		if got, err := ledgertypes.ParseRole(string(r)); err != nil || got != r {
			t.Fatalf("ParseRole(%q) = %q, %v", r, got, err)
		}
	}
	_, err := ledgertypes.ParseRole("Brand")
	assertCode(t, err, cxlerr.Invalid, `role "Brand"`)
}
