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
	grant(t, stub, "AuditMSP", ledgertypes.Auditor)
	grant(t, stub, "BankMSP", ledgertypes.Payment)
	grant(t, stub, "ShopMSP", ledgertypes.Merchant)
	r := ledger.Readers{Parties: []string{"CustMSP/alice", "ShopMSP", ""}, Roles: []ledgertypes.Role{ledgertypes.Payment}}
	admin := func(msp string) ledgertest.Identity { return ledgertest.Identity{MSP: msp, CN: "Admin", OU: "admin"} }

	for _, c := range []struct {
		id ledgertest.Identity
		ok bool
	}{
		{ledgertest.Customer("CustMSP", "alice"), true},                                                       // the customer
		{ledgertest.Staff("CustMSP", "alice", ledgertypes.Merchant), true},                                    // the account, whatever it carries
		{ledgertest.Staff("ShopMSP", "clerk", ledgertypes.Carrier), true},                                     // the organisation's staff, any role
		{admin("ShopMSP").WithRoles(ledgertypes.Merchant), true},                                              // and its admin with roles
		{ledgertest.Staff("BankMSP", "teller", ledgertypes.Payment), true},                                    // holds a role the record names
		{ledgertest.Staff("AuditMSP", "inspector", ledgertypes.Auditor), true},                                // auditor
		{admin("AuditMSP").WithRoles(ledgertypes.Auditor), true},                                              // auditor's admin with the role
		{ledgertest.Customer("CustMSP", "bob"), false},                                                        // another customer of the same organisation
		{ledgertest.Customer("OtherMSP", "alice"), false},                                                     // the same name in another organisation
		{ledgertest.Customer("ShopMSP", "shopper"), false},                                                    // a customer of the party organisation
		{admin("ShopMSP"), false},                                                                             // its admin without roles
		{ledgertest.Customer("BankMSP", "saver"), false},                                                      // a customer of the payment organisation
		{ledgertest.Staff("BankMSP", "clerk", ledgertypes.Merchant), false},                                   // its staff without the payment role
		{ledgertest.Customer("AuditMSP", "visitor"), false},                                                   // a customer of the auditor
		{ledgertest.Staff("AuditMSP", "clerk", ledgertypes.Brand), false},                                     // its staff without the auditor role
		{ledgertest.Staff("CustMSP", "carol", ledgertypes.Payment, ledgertypes.Auditor), false},               // roles its organisation lacks
		{ledgertest.Identity{MSP: "ShopMSP", CN: "peer0", OU: "peer"}.WithRoles(ledgertypes.Merchant), false}, // the organisation's peer
		{ledgertest.Identity{MSP: "AuditMSP", CN: "peer0", OU: "peer"}.WithRoles(ledgertypes.Auditor), false}, // an auditor's peer
		{ledgertest.Identity{MSP: "CustMSP", CN: "alice", OU: "peer"}, false},                                 // a node named like the customer
	} {
		stub.AsIdentity(c.id)
		err := ledger.RequireReader(newTx(t, stub), r)
		who := c.id.MSP + "/" + c.id.CN
		if c.ok && err != nil {
			t.Errorf("%s (%s %v): %v", who, c.id.OU, c.id.Attrs, err)
		}
		if !c.ok {
			want := "FORBIDDEN: " + who + " may not read this record"
			if cxlerr.CodeOf(err) != cxlerr.Forbidden || err.Error() != want {
				t.Errorf("%s (%s %v): %v, want %q", who, c.id.OU, c.id.Attrs, err, want)
			}
		}
	}
	// Without the role in the record's readers, its holders read nothing;
	// a record without parties (a missing one) only role holders and auditors.
	stub.AsIdentity(ledgertest.Staff("BankMSP", "teller", ledgertypes.Payment))
	assertCode(t, ledger.RequireReader(newTx(t, stub), ledger.Readers{Parties: r.Parties}), cxlerr.Forbidden, "BankMSP/teller may not read this record")
	stub.AsIdentity(ledgertest.Customer("CustMSP", "alice"))
	assertCode(t, ledger.RequireReader(newTx(t, stub), ledger.Readers{Roles: r.Roles}), cxlerr.Forbidden, "CustMSP/alice may not read this record")
	stub.AsIdentity(ledgertest.Staff("AuditMSP", "inspector", ledgertypes.Auditor))
	if err := ledger.RequireReader(newTx(t, stub), ledger.Readers{}); err != nil {
		t.Fatalf("auditor reads a record without parties: %v", err)
	}
}
