package ledger_test

import (
	"testing"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

// TestRequireReader checks the one rule of who reads a record: its parties
// (a customer account by that identity, an organisation by its clients and
// admins), holders of the roles the record names, and auditors; no one
// else, with a message naming only the caller.
func TestRequireReader(t *testing.T) {
	stub := ledgertest.New()
	grant := func(msp string, role ledgertypes.Role) {
		t.Helper()
		for _, step := range []struct {
			by string
			op func(*ledger.Tx, string, ledgertypes.Role) (ledgertypes.RoleGrant, error)
		}{{"AdminAMSP", ledger.ProposeRole}, {"AdminBMSP", ledger.ApproveRole}} {
			if _, err := roleStep(t, stub, step.by, step.op, msp, role); err != nil {
				t.Fatal(err)
			}
		}
	}
	grant("AuditMSP", ledgertypes.Auditor)
	grant("BankMSP", ledgertypes.Payment)
	grant("ShopMSP", ledgertypes.Merchant)
	r := ledger.Readers{Parties: []string{"CustMSP/alice", "ShopMSP", ""}, Roles: []ledgertypes.Role{ledgertypes.Payment}}

	for _, c := range []struct {
		msp, cn, ou string
		ok          bool
	}{
		{"CustMSP", "alice", "client", true},     // the customer
		{"ShopMSP", "clerk", "client", true},     // the organisation's client
		{"ShopMSP", "Admin", "admin", true},      // and its admin
		{"BankMSP", "teller", "client", true},    // holds a role the record names
		{"AuditMSP", "inspector", "admin", true}, // auditor
		{"CustMSP", "bob", "client", false},      // another customer of the same organisation
		{"OtherMSP", "alice", "client", false},   // the same name in another organisation
		{"ShopMSP", "peer0", "peer", false},      // the organisation's peer
		{"AuditMSP", "peer0", "peer", false},     // an auditor's peer
	} {
		stub.As(c.msp, c.cn, c.ou)
		err := ledger.RequireReader(newTx(t, stub), r)
		if c.ok && err != nil {
			t.Errorf("%s/%s (%s): %v", c.msp, c.cn, c.ou, err)
		}
		if !c.ok {
			want := "FORBIDDEN: " + c.msp + "/" + c.cn + " may not read this record"
			if cxlerr.CodeOf(err) != cxlerr.Forbidden || err.Error() != want {
				t.Errorf("%s/%s (%s): %v, want %q", c.msp, c.cn, c.ou, err, want)
			}
		}
	}
	// Without the role in the record's readers, its holders read nothing;
	// a record without parties (a missing one) only role holders and auditors.
	stub.As("BankMSP", "teller", "client")
	assertCode(t, ledger.RequireReader(newTx(t, stub), ledger.Readers{Parties: r.Parties}), cxlerr.Forbidden, "BankMSP/teller may not read this record")
	stub.As("CustMSP", "alice", "client")
	assertCode(t, ledger.RequireReader(newTx(t, stub), ledger.Readers{Roles: r.Roles}), cxlerr.Forbidden, "CustMSP/alice may not read this record")
	stub.As("AuditMSP", "inspector", "client")
	if err := ledger.RequireReader(newTx(t, stub), ledger.Readers{}); err != nil {
		t.Fatalf("auditor reads a record without parties: %v", err)
	}
}
