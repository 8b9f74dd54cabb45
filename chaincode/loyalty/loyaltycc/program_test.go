package loyaltycc_test

import (
	"strings"
	"testing"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

// program returns the argument of a programme like "acme" with id, changed by mod.
func program(id string, mod func(p map[string]any)) string {
	p := acmeProgram()
	p["id"] = id
	p["earnOnOrders"] = false
	if mod != nil {
		mod(p)
	}
	return js(p)
}

func TestCreateProgram(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		by   who
		args string
		code cxlerr.Code
		want string
	}{
		{"auditor is no merchant", audit, program("audit", nil), cxlerr.Forbidden, "the certificate of AuditMSP/inspector does not carry the merchant role"},
		{"auditor carrying merchant", audit.with("auditor,merchant"), program("audit", nil), cxlerr.Forbidden, "organisation AuditMSP does not hold the merchant role"},
		{"customer of a non-merchant org", alice, program("cust", nil), cxlerr.Forbidden, "CustMSP/alice is not staff of CustMSP"},
		{"customer of the merchant", acme.customer(), program("cust", nil), cxlerr.Forbidden, "AcmeMSP/clerk is not staff of AcmeMSP"},
		{"merchant's admin without roles", who{acme.msp, "Admin", "admin", ""}, program("adm", nil), cxlerr.Forbidden, "AcmeMSP/Admin is not staff of AcmeMSP"},
		{"merchant's staff in another role", acme.with("carrier"), program("car", nil), cxlerr.Forbidden, "the certificate of AcmeMSP/clerk does not carry the merchant role"},
		{"peer identity", who{acme.msp, "peer0", "peer", "merchant"}, program("p", nil), cxlerr.Forbidden, "AcmeMSP/peer0 is neither a client nor an admin"},
		{"same ID", corner, program("acme", nil), cxlerr.Conflict, "loyalty programme acme already exists"},
		{"second orders programme", acme, program("acme2", func(p map[string]any) { p["earnOnOrders"] = true }), cxlerr.Conflict, "orders of AcmeMSP already earn points in programme acme"},
		{"bad ID", acme, program("acme pts", nil), cxlerr.Invalid, "id: programme ID"},
		{"no name", acme, program("x", func(p map[string]any) { p["name"] = "" }), cxlerr.Invalid, "name:"},
		{"bad currency", acme, program("x", func(p map[string]any) { p["currency"] = "eur" }), cxlerr.Invalid, `currency "eur"`},
		{"no earn rate", acme, program("x", func(p map[string]any) { p["earn"] = map[string]any{"points": 0, "per": 100} }), cxlerr.Invalid, "earn.points"},
		{"tiers not increasing", acme, program("x", func(p map[string]any) {
			p["earn"] = map[string]any{"points": 1, "per": 100, "tiers": []map[string]any{{"minAmount": 500, "points": 2, "per": 100}, {"minAmount": 500, "points": 3, "per": 100}}}
		}), cxlerr.Invalid, "earn.tiers[1].minAmount: tiers must have strictly increasing"},
		{"multiplier backwards", acme, program("x", func(p map[string]any) {
			p["earn"] = map[string]any{"points": 1, "per": 100, "multipliers": []map[string]any{{"from": t0, "until": t0, "percent": 200}}}
		}), cxlerr.Invalid, "earn.multipliers[0]: from must be set and before until"},
		{"multiplier of zero", acme, program("x", func(p map[string]any) {
			p["earn"] = map[string]any{"points": 1, "per": 100, "multipliers": []map[string]any{{"from": t0, "until": t0.Add(day), "percent": 0}}}
		}), cxlerr.Invalid, "percent: must be 1 to 10000"},
		{"negative expiry", acme, program("x", func(p map[string]any) { p["expiryDays"] = -1 }), cxlerr.Invalid, "expiryDays"},
		{"expiry too long", acme, program("x", func(p map[string]any) { p["expiryDays"] = 3651 }), cxlerr.Invalid, "expiryDays"},
		{"partner twice", acme, program("x", func(p map[string]any) {
			p["partners"] = []map[string]any{{"msp": bistro.msp, "value": 1, "per": 1}, {"msp": bistro.msp, "value": 2, "per": 1}}
		}), cxlerr.Invalid, "partners[1].msp: BistroMSP is listed twice"},
		{"partner is the issuer", acme, program("x", func(p map[string]any) {
			p["partners"] = []map[string]any{{"msp": acme.msp, "value": 1, "per": 1}}
		}), cxlerr.Invalid, "AcmeMSP issues the programme"},
		{"partner is no merchant", acme, program("x", func(p map[string]any) {
			p["partners"] = []map[string]any{{"msp": audit.msp, "value": 1, "per": 1}}
		}), cxlerr.Conflict, "partners[0].msp: AuditMSP does not hold the merchant role"},
		{"partner value zero", acme, program("x", func(p map[string]any) {
			p["partners"] = []map[string]any{{"msp": bistro.msp, "value": 0, "per": 1}}
		}), cxlerr.Invalid, "partners[0].value"},
		{"unknown field", acme, `{"id":"x","owner":"me"}`, cxlerr.Invalid, `unknown field "owner"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			fails(e, tt.by, e.lc.CreateProgram, tt.args, tt.code, tt.want)
		})
	}
	e.t = t
	p2 := mustDo(e, corner, e.lc.CreateProgram, program("corner-club", func(p map[string]any) {
		p["expiryDays"] = 0
		p["partners"] = []map[string]any{{"msp": deli.msp, "value": 3, "per": 1}, {"msp": acme.msp, "value": 1, "per": 1}}
	}))
	if p2.Merchant != corner.msp || len(p2.Partners) != 2 || p2.Partners[0].MSP != acme.msp || p2.CreatedTx == "" {
		t.Fatalf("created %+v, want partners sorted by MSP", p2)
	}
	if name, p := e.event(); name != "loyalty.ProgramCreated" || p.Keys["program"] != "corner-club" || p.Keys["merchant"] != corner.msp {
		t.Fatalf("event %s %+v", name, p)
	}
	got := mustDo(e, alice, e.lc.GetProgram, `{"program":"acme"}`)
	if got.Partners[0].MSP != bistro.msp || got.Partners[0].Accepted == nil || got.Partners[1].Accepted != nil || !got.EarnOnOrders {
		t.Fatalf("GetProgram = %+v", got)
	}
	fails(e, alice, e.lc.GetProgram, `{"program":"nope"}`, cxlerr.NotFound, "loyalty.program nope not found")
}

func TestAcceptPartnership(t *testing.T) {
	e := newEnv(t)
	fails(e, corner, e.lc.AcceptPartnership, `{"program":"acme"}`, cxlerr.Forbidden, "programme acme offers no partnership to CornerMSP")
	fails(e, bistro, e.lc.AcceptPartnership, `{"program":"acme"}`, cxlerr.Conflict, "already exists")
	fails(e, deli, e.lc.AcceptPartnership, `{"program":"nope"}`, cxlerr.NotFound, "not found")
	fails(e, deli.customer(), e.lc.AcceptPartnership, `{"program":"acme"}`, cxlerr.Forbidden, "DeliMSP/clerk is not staff of DeliMSP")
	e.revoke(deli.msp, ledgertypes.Merchant)
	fails(e, deli, e.lc.AcceptPartnership, `{"program":"acme"}`, cxlerr.Forbidden, "DeliMSP does not hold the merchant role")
	e.grant(deli.msp, ledgertypes.Merchant)
	terms := mustDo(e, deli, e.lc.AcceptPartnership, `{"program":"acme"}`)
	if terms.MSP != deli.msp || terms.Accepted == nil || !terms.Accepted.Equal(e.stub.Now()) {
		t.Fatalf("accepted %+v", terms)
	}
	if name, p := e.event(); name != "loyalty.PartnershipAccepted" || p.Keys["msp"] != deli.msp {
		t.Fatalf("event %s %+v", name, p)
	}
}

func TestListPrograms(t *testing.T) {
	e := newEnv(t)
	for _, id := range []string{"b-club", "a-club", "c-club"} {
		mustDo(e, corner, e.lc.CreateProgram, program(id, nil))
	}
	var ids []string
	bookmark := ""
	for {
		page := mustDo(e, alice, e.lc.ListPrograms, js(map[string]any{"pageSize": 3, "bookmark": bookmark}))
		for _, p := range page.Programs {
			ids = append(ids, p.ID)
			if p.ID == "acme" && p.Partners[0].Accepted == nil {
				t.Fatalf("acme listed without Bistro's acceptance: %+v", p)
			}
		}
		if bookmark = page.Bookmark; bookmark == "" {
			break
		}
	}
	if strings.Join(ids, ",") != "a-club,acme,b-club,c-club" {
		t.Fatalf("listed %v", ids)
	}
	fails(e, alice, e.lc.ListPrograms, `{"pageSize":500}`, cxlerr.Invalid, "pageSize")
}
