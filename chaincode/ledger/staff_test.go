package ledger_test

import (
	"slices"
	"testing"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

func TestParseStaffRoles(t *testing.T) {
	m, c, b := ledgertypes.Merchant, ledgertypes.Carrier, ledgertypes.Brand
	for _, tt := range []struct {
		value string
		want  []ledgertypes.Role
		ok    bool
	}{
		{"merchant", []ledgertypes.Role{m}, true},
		{"carrier,merchant,brand", []ledgertypes.Role{b, m, c}, true}, // the consortium's order
		{" merchant , carrier\t", []ledgertypes.Role{m, c}, true},
		{",,merchant,", []ledgertypes.Role{m}, true},
		{"merchant,merchant", []ledgertypes.Role{m}, true},
		{"brand,merchant,carrier,payment,auditor,arbiter", ledgertypes.Roles(), true},
		{"", []ledgertypes.Role{}, true},     // a customer's
		{" , ,", []ledgertypes.Role{}, true}, // nothing named
		{"Merchant", []ledgertypes.Role{}, false},
		{"merchant,admin", []ledgertypes.Role{}, false}, // NodeOU admin is no consortium role
		{"merchant;carrier", []ledgertypes.Role{}, false},
		{"merchant carrier", []ledgertypes.Role{}, false},
		{"merchant,\xff", []ledgertypes.Role{}, false},
		{"merchant\ufffd", []ledgertypes.Role{}, false},
		{"mer\x00chant", []ledgertypes.Role{}, false},
	} {
		got, ok := ledger.ParseStaffRoles(tt.value)
		if ok != tt.ok || got == nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseStaffRoles(%q) = %q, %v; want %q, %v", tt.value, got, ok, tt.want, tt.ok)
		}
	}
}

// TestCallerStaffRoles reads the attribute from real certificates: only a
// client or admin identity is staff, and a malformed value makes a
// customer.
func TestCallerStaffRoles(t *testing.T) {
	m := ledgertypes.Merchant
	for _, tt := range []struct {
		name  string
		id    ledgertest.Identity
		want  []ledgertypes.Role
		staff bool
	}{
		{"staff", ledgertest.Staff("ShopMSP", "clerk", ledgertypes.Carrier, m), []ledgertypes.Role{m, ledgertypes.Carrier}, true},
		{"admin with roles", ledgertest.Identity{MSP: "ShopMSP", CN: "Admin", OU: "admin"}.WithRoles(m), []ledgertypes.Role{m}, true},
		{"admin without", ledgertest.Identity{MSP: "ShopMSP", CN: "Admin", OU: "admin"}, []ledgertypes.Role{}, false},
		{"customer", ledgertest.Customer("ShopMSP", "alice"), []ledgertypes.Role{}, false},
		{"empty attribute", ledgertest.Staff("ShopMSP", "alice"), []ledgertypes.Role{}, false},
		{"other attributes only", ledgertest.Customer("ShopMSP", "alice").WithAttr("hf.Type", "client"), []ledgertypes.Role{}, false},
		{"unknown name", ledgertest.Customer("ShopMSP", "clerk").WithAttr(ledger.RolesAttr, "merchant,boss"), []ledgertypes.Role{}, false},
		// encoding/json turns invalid UTF-8 into U+FFFD, a name that is no role.
		{"invalid UTF-8", ledgertest.Identity{MSP: "ShopMSP", CN: "clerk", OU: "client", RawAttrs: []byte("{\"attrs\":{\"cxl.roles\":\"merchant,\xff\"}}")}, []ledgertypes.Role{}, false},
		{"peer", ledgertest.Identity{MSP: "ShopMSP", CN: "peer0", OU: "peer"}.WithRoles(m), []ledgertypes.Role{}, false},
		{"no NodeOU", ledgertest.Identity{MSP: "ShopMSP", CN: "legacy"}.WithRoles(m), []ledgertypes.Role{}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newTx(t, ledgertest.New().AsIdentity(tt.id)).Caller()
			if !slices.Equal(c.StaffRoles, tt.want) || c.StaffRoles == nil || c.IsStaff() != tt.staff {
				t.Fatalf("StaffRoles %q, IsStaff %v; want %q, %v", c.StaffRoles, c.IsStaff(), tt.want, tt.staff)
			}
			if c.StaffOf("ShopMSP", "") != tt.staff || c.StaffOf("OtherMSP", "") || c.ActsForParty("ShopMSP") != tt.staff {
				t.Fatalf("StaffOf/ActsForParty wrong for %+v", c)
			}
			if c.Carries(m) != slices.Contains(tt.want, m) || c.StaffOf("ShopMSP", m) != slices.Contains(tt.want, m) {
				t.Fatalf("Carries(merchant) wrong for %+v", c)
			}
		})
	}
	// An attribute extension that is not JSON is no certificate of Fabric CA's.
	stub := ledgertest.New().AsIdentity(ledgertest.Identity{MSP: "ShopMSP", CN: "clerk", OU: "client", RawAttrs: []byte("merchant")})
	_, err := ledger.NewTx(stub)
	assertCode(t, err, cxlerr.Unauthenticated, "unmarshal attributes from certificate")
}

// TestActsFor checks the one rule of acting for an organisation: staff of
// it, carrying the role, the organisation holding the role; each refusal
// says what is missing, naming the caller and the role.
func TestActsFor(t *testing.T) {
	stub := ledgertest.New()
	grant(t, stub, "BankMSP", ledgertypes.Payment)
	grant(t, stub, "ShopMSP", ledgertypes.Merchant)
	pay := ledgertypes.Payment
	admin := ledgertest.Identity{MSP: "BankMSP", CN: "Admin", OU: "admin"}
	for _, tt := range []struct {
		name    string
		id      ledgertest.Identity
		msp     string
		role    ledgertypes.Role
		want    string // "" for success
		noGrant string // RequireStaff's answer, when it differs
	}{
		{"staff with the role", ledgertest.Staff("BankMSP", "teller", pay), "BankMSP", pay, "", ""},
		{"admin with the role", admin.WithRoles(pay), "BankMSP", pay, "", ""},
		{"any staff", ledgertest.Staff("BankMSP", "clerk", ledgertypes.Auditor), "BankMSP", "", "", ""},
		{"customer of the organisation", ledgertest.Customer("BankMSP", "alice"), "BankMSP", pay,
			"BankMSP/alice is not staff of BankMSP: its certificate carries no roles (attribute cxl.roles), and a customer does not act for its organisation", ""},
		{"customer, any role", ledgertest.Customer("BankMSP", "alice"), "BankMSP", "", "BankMSP/alice is not staff of BankMSP", ""},
		{"admin without the attribute", admin, "BankMSP", pay, "BankMSP/Admin is not staff of BankMSP", ""},
		{"staff with another role", ledgertest.Staff("BankMSP", "clerk", ledgertypes.Merchant), "BankMSP", pay,
			"the certificate of BankMSP/clerk does not carry the payment role (attribute cxl.roles)", ""},
		{"malformed attribute", ledgertest.Customer("BankMSP", "clerk").WithAttr(ledger.RolesAttr, "payment,teller"), "BankMSP", pay,
			"BankMSP/clerk is not staff: the cxl.roles attribute of its certificate names something that is not a role, so it gives none", ""},
		{"another organisation's staff", ledgertest.Staff("ShopMSP", "clerk", pay), "BankMSP", pay, "ShopMSP/clerk does not act for BankMSP", ""},
		{"role the organisation lacks", ledgertest.Staff("ShopMSP", "clerk", pay), "ShopMSP", pay, "organisation ShopMSP does not hold the payment role", "-"},
		{"peer carrying the role", ledgertest.Identity{MSP: "BankMSP", CN: "peer0", OU: "peer"}.WithRoles(pay), "BankMSP", pay, "BankMSP/peer0 is neither a client nor an admin and does not act for BankMSP", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stub.AsIdentity(tt.id)
			tx := newTx(t, stub)
			check := func(what string, err error, want string) {
				t.Helper()
				if want == "" || want == "-" {
					if err != nil {
						t.Fatalf("%s: %v", what, err)
					}
					return
				}
				assertCode(t, err, cxlerr.Forbidden, want)
			}
			check("ActsFor", ledger.ActsFor(tx, tt.msp, tt.role), tt.want)
			noGrant := tt.want
			if tt.noGrant != "" {
				noGrant = tt.noGrant
			}
			check("RequireStaff", ledger.RequireStaff(tx, tt.msp, tt.role), noGrant)
			if tt.msp == tt.id.MSP && tt.role != "" {
				check("RequireRole", ledger.RequireRole(tx, tt.role), tt.want)
				held, err := ledger.HoldsRole(tx, tt.role)
				if err != nil || held != (tt.want == "") {
					t.Fatalf("HoldsRole = %v, %v", held, err)
				}
			}
		})
	}
}

// grant gives msp role, proposed and approved by admins of two other
// organisations, who need no roles attribute for it.
func grant(t *testing.T, stub *ledgertest.Stub, msp string, role ledgertypes.Role) {
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
