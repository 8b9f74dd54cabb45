package provenancecc_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/chaincode/provenance/provenancecc"
	"github.com/cxledger/cxledger/cxlerr"
)

func TestRegisterProduct(t *testing.T) {
	manyAttrs := obj{}
	for i := range 33 {
		manyAttrs[strings.Repeat("k", i+1)] = "v"
	}
	tests := []struct {
		name string
		msp  string
		args string
		code cxlerr.Code
		want string
	}{
		{"happy, GTIN-13 normalised", farm, j(obj{"gtin": beans[1:], "name": "Green beans", "attributes": obj{"variety": "Caturra", "origin": "CO"}}), "", ""},
		{"double registration", roaster, j(obj{"gtin": beans, "name": "Mine now"}), cxlerr.Conflict, "product " + beans + " is already registered by FarmMSP"},
		{"no brand role", carrier, j(obj{"gtin": roasted, "name": "X"}), cxlerr.Forbidden, "the certificate of CarrierMSP/planner does not carry the brand role (attribute cxl.roles)"},
		{"no role at all", nobody, j(obj{"gtin": roasted, "name": "X"}), cxlerr.Forbidden, "OtherMSP does not hold the brand role"},
		{"bad check digit", farm, j(obj{"gtin": "09506000134353", "name": "X"}), cxlerr.Invalid, "gtin: GTIN \"09506000134353\" has check digit 3, want 2"},
		{"GTIN with letters", farm, j(obj{"gtin": "0950600013435X", "name": "X"}), cxlerr.Invalid, "only digits"},
		{"GTIN length", farm, j(obj{"gtin": "123", "name": "X"}), cxlerr.Invalid, "8, 12, 13 or 14 digits"},
		{"no name", farm, j(obj{"gtin": roasted}), cxlerr.Invalid, "name: required"},
		{"long name", farm, j(obj{"gtin": roasted, "name": strings.Repeat("n", 201)}), cxlerr.Invalid, "name: 201 bytes"},
		{"control character in name", farm, j(obj{"gtin": roasted, "name": "a\u0007"}), cxlerr.Invalid, "name: unprintable"},
		{"bad attribute key", farm, j(obj{"gtin": roasted, "name": "X", "attributes": obj{"a b": "v"}}), cxlerr.Invalid, `attributes: key "a b"`},
		{"bad attribute value", farm, j(obj{"gtin": roasted, "name": "X", "attributes": obj{"k": "line\nbreak"}}), cxlerr.Invalid, `attributes["k"]: unprintable`},
		{"too many attributes", farm, j(obj{"gtin": roasted, "name": "X", "attributes": manyAttrs}), cxlerr.Invalid, "attributes: 33 entries"},
		{"unknown field", farm, `{"gtin":"` + roasted + `","name":"X","owner":"FarmMSP"}`, cxlerr.Invalid, `unknown field "owner"`},
		{"not an object", farm, `"beans"`, cxlerr.Invalid, "arguments"},
	}
	e := newEnv(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.as(tt.msp, "planner")
			p, ev := check(t, e, text((*provenancecc.Contract).RegisterProduct), tt.args, tt.code, tt.want)
			if tt.code != "" {
				return
			}
			if p.GTIN != beans || p.Owner != farm || p.Attributes["variety"] != "Caturra" || p.RegisteredTx == "" || ev != "provenance.ProductRegistered" {
				t.Fatalf("product %+v, event %q", p, ev)
			}
		})
	}
	// Only the brand's staff carrying brand register, its admin too, and
	// only with the organisation's grant.
	register := text((*provenancecc.Contract).RegisterProduct)
	for _, c := range []struct {
		id   ledgertest.Identity
		want string
	}{
		{ledgertest.Customer(farm, "shopper"), "FarmMSP/shopper is not staff of FarmMSP"},
		{ledgertest.Identity{MSP: farm, CN: "Admin", OU: "admin"}, "FarmMSP/Admin is not staff of FarmMSP"},
		{ledgertest.Staff(farm, "driver", ledgertypes.Carrier), "the certificate of FarmMSP/driver does not carry the brand role"},
		{ledgertest.Staff(carrier, "planner", ledgertypes.Brand), "organisation CarrierMSP does not hold the brand role"},
	} {
		e.stub.AsIdentity(c.id)
		check(t, e, register, j(obj{"gtin": roasted, "name": "X"}), cxlerr.Forbidden, c.want)
	}
	e.stub.AsIdentity(ledgertest.Identity{MSP: farm, CN: "Admin", OU: "admin"}.WithRoles(ledgertypes.Brand))
	must(e, register, j(obj{"gtin": roasted, "name": "By the admin"}))
	e.stub.Begin()
	if _, err := provenancecc.NewContract(nil).RegisterProduct(ledgertest.Context(e.stub.As(farm, "", "client")), provenance.RegisterProductArgs{GTIN: roasted, Name: "X"}); cxlerr.CodeOf(err) != cxlerr.Unauthenticated {
		t.Fatalf("caller without common name: %v", err)
	}
}

func TestRegisterLot(t *testing.T) {
	e := newEnv(t)
	e.as(farm, "planner")
	must(e, text((*provenancecc.Contract).RegisterProduct), j(obj{"gtin": beans, "name": "Green beans"}))
	must(e, text((*provenancecc.Contract).RegisterLot), j(obj{"gtin": beans, "lot": "B0", "quantity": 5}))
	e.as(roaster, "planner")
	must(e, text((*provenancecc.Contract).RegisterProduct), j(obj{"gtin": roasted, "name": "Roasted"}))
	must(e, text((*provenancecc.Contract).RegisterLot), j(obj{"gtin": roasted, "lot": "R0", "quantity": 5}))
	tooMany := []obj{}
	for i := range 101 {
		tooMany = append(tooMany, obj{"gtin": beans, "lot": strings.Repeat("x", i%20+1) + string(rune('a'+i/20))})
	}

	tests := []struct {
		name string
		msp  string
		args string
		code cxlerr.Code
		want string
	}{
		{"happy with input", roaster, j(obj{"gtin": roasted, "lot": "R1", "quantity": 800, "unit": "kg", "location": "Roastery, Hamburg",
			"attributes": obj{"profile": "medium"}, "inputs": []obj{{"gtin": roasted, "lot": "R0"}}}), "", ""},
		{"double registration", roaster, j(obj{"gtin": roasted, "lot": "R1", "quantity": 1}), cxlerr.Conflict, "lot " + roasted + "/R1 is already registered"},
		{"no brand role", carrier, j(obj{"gtin": roasted, "lot": "R9", "quantity": 1}), cxlerr.Forbidden, "CarrierMSP/planner does not carry the brand role"},
		{"other brand's product", farm, j(obj{"gtin": roasted, "lot": "R9", "quantity": 1}), cxlerr.Forbidden, "product " + roasted + " belongs to RoasterMSP, not FarmMSP"},
		{"input held by another org", roaster, j(obj{"gtin": roasted, "lot": "R9", "quantity": 1, "inputs": []obj{{"gtin": beans, "lot": "B0"}}}), cxlerr.Forbidden, "inputs[0]: lot " + beans + "/B0 is held by FarmMSP"},
		{"unknown product", roaster, j(obj{"gtin": pack, "lot": "P1", "quantity": 1}), cxlerr.NotFound, "product " + pack + " not found"},
		{"unknown input", roaster, j(obj{"gtin": roasted, "lot": "R9", "quantity": 1, "inputs": []obj{{"gtin": roasted, "lot": "R0"}, {"gtin": beans, "lot": "NOPE"}}}), cxlerr.NotFound, "inputs[1]: lot " + beans + "/NOPE not found"},
		{"zero quantity", roaster, j(obj{"gtin": roasted, "lot": "R9", "quantity": 0}), cxlerr.Invalid, "quantity: must be positive"},
		{"fractional quantity", roaster, `{"gtin":"` + roasted + `","lot":"R9","quantity":1.5}`, cxlerr.Invalid, "quantity: want an integer"},
		{"bad lot number", roaster, j(obj{"gtin": roasted, "lot": "R 9", "quantity": 1}), cxlerr.Invalid, "lot: lot number \"R 9\""},
		{"long lot number", roaster, j(obj{"gtin": roasted, "lot": strings.Repeat("9", 21), "quantity": 1}), cxlerr.Invalid, "1 to 20 characters"},
		{"bad unit", roaster, j(obj{"gtin": roasted, "lot": "R9", "quantity": 1, "unit": "k g"}), cxlerr.Invalid, "unit"},
		{"bad location", roaster, j(obj{"gtin": roasted, "lot": "R9", "quantity": 1, "location": "a\tb"}), cxlerr.Invalid, "location: unprintable"},
		{"self input", roaster, j(obj{"gtin": roasted, "lot": "R9", "quantity": 1, "inputs": []obj{{"gtin": roasted[1:], "lot": "R9"}}}), cxlerr.Invalid, "inputs[0]: a lot cannot be its own input"},
		{"duplicate input", roaster, j(obj{"gtin": roasted, "lot": "R9", "quantity": 1, "inputs": []obj{{"gtin": roasted, "lot": "R0"}, {"gtin": roasted[1:], "lot": "R0"}}}), cxlerr.Invalid, "inputs[1]: duplicate of inputs[0]"},
		{"bad input GTIN", roaster, j(obj{"gtin": roasted, "lot": "R9", "quantity": 1, "inputs": []obj{{"gtin": "1", "lot": "R0"}}}), cxlerr.Invalid, "inputs[0].gtin"},
		{"too many inputs", roaster, j(obj{"gtin": roasted, "lot": "R9", "quantity": 1, "inputs": tooMany}), cxlerr.Invalid, "inputs: 101 lots, more than 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.as(tt.msp, "planner")
			var writes []ledgertest.Write
			if tt.code == "" {
				// Capture the write set before check commits it.
				lot, err := text((*provenancecc.Contract).RegisterLot)(e.c, ledgertest.Context(e.stub), tt.args)
				if err != nil {
					t.Fatal(err)
				}
				writes = e.stub.Writes()
				if e.stub.Event().EventName != "provenance.LotRegistered" {
					t.Fatalf("event %v", e.stub.Event())
				}
				e.stub.Commit()
				if lot.Owner != roaster || lot.Quantity != 800 || lot.Unit != "kg" || len(lot.Inputs) != 1 || lot.Recall != nil {
					t.Fatalf("lot %+v", lot)
				}
				var types []string
				for _, w := range writes {
					objectType, _, _ := e.stub.SplitCompositeKey(w.Key)
					types = append(types, objectType)
				}
				if !slices.Equal(types, []string{"provenance.child", "provenance.lot", "provenance.lotcustody"}) {
					t.Fatalf("writes to %q", types)
				}
				if orgs := e.policyOrgs("provenance.lotcustody", roasted, "R1"); !slices.Equal(orgs, []string{roaster}) {
					t.Fatalf("custody policy %q", orgs)
				}
				return
			}
			check(t, e, text((*provenancecc.Contract).RegisterLot), tt.args, tt.code, tt.want)
		})
	}
}

func TestRegisterItems(t *testing.T) {
	e := newEnv(t)
	e.as(roaster, "planner")
	must(e, text((*provenancecc.Contract).RegisterProduct), j(obj{"gtin": pack, "name": "Coffee 250 g"}))
	must(e, text((*provenancecc.Contract).RegisterLot), j(obj{"gtin": pack, "lot": "P1", "quantity": 500}))
	must(e, text((*provenancecc.Contract).RegisterLot), j(obj{"gtin": pack, "lot": "P2", "quantity": 5}))
	must(e, text((*provenancecc.Contract).OfferCustody), j(obj{"kind": "lot", "gtin": pack, "lot": "P2", "to": carrier, "location": "Dock 4"}))
	e.as(carrier, "driver")
	must(e, text((*provenancecc.Contract).AcceptCustody), j(obj{"kind": "lot", "gtin": pack, "lot": "P2"}))
	e.as(farm, "planner")
	must(e, text((*provenancecc.Contract).RegisterProduct), j(obj{"gtin": beans, "name": "Green beans"}))

	tests := []struct {
		name string
		msp  string
		args string
		code cxlerr.Code
		want string
	}{
		{"500 items", roaster, j(obj{"gtin": pack, "lot": "P1", "serials": serials("S", 1, 500)}), "", ""},
		{"already registered", roaster, j(obj{"gtin": pack, "lot": "P1", "serials": []string{"T1", "S7"}}), cxlerr.Conflict, "serials[1]: item " + pack + "/S7 is already registered"},
		{"no brand role", carrier, j(obj{"gtin": pack, "lot": "P2", "serials": []string{"T1"}}), cxlerr.Forbidden, "does not carry the brand role"},
		{"other brand's product", farm, j(obj{"gtin": pack, "lot": "P1", "serials": []string{"T1"}}), cxlerr.Forbidden, "belongs to RoasterMSP"},
		{"lot held elsewhere", roaster, j(obj{"gtin": pack, "lot": "P2", "serials": []string{"T1"}}), cxlerr.Forbidden, "lot " + pack + "/P2 is held by CarrierMSP"},
		{"unknown lot", roaster, j(obj{"gtin": pack, "lot": "P9", "serials": []string{"T1"}}), cxlerr.NotFound, "lot " + pack + "/P9 not found"},
		{"unknown product", roaster, j(obj{"gtin": roasted, "lot": "R1", "serials": []string{"T1"}}), cxlerr.NotFound, "product " + roasted + " not found"},
		{"no serials", roaster, j(obj{"gtin": pack, "lot": "P1", "serials": []string{}}), cxlerr.Invalid, "serials: want 1 to 500 serial numbers, got 0"},
		{"501 serials", roaster, j(obj{"gtin": pack, "lot": "P1", "serials": serials("U", 1, 501)}), cxlerr.Invalid, "got 501"},
		{"duplicate serial", roaster, j(obj{"gtin": pack, "lot": "P1", "serials": []string{"T1", "T2", "T1"}}), cxlerr.Invalid, "serials[2]: duplicate of serials[0]"},
		{"bad serial", roaster, j(obj{"gtin": pack, "lot": "P1", "serials": []string{"T1", "T 2"}}), cxlerr.Invalid, "serials[1]: serial number"},
		{"bad lot", roaster, j(obj{"gtin": pack, "lot": "", "serials": []string{"T1"}}), cxlerr.Invalid, "lot: lot number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.as(tt.msp, "planner")
			r, ev := check(t, e, text((*provenancecc.Contract).RegisterItems), tt.args, tt.code, tt.want)
			if tt.code != "" {
				return
			}
			if len(r.Serials) != 500 || r.Holder != roaster || ev != "provenance.ItemsRegistered" {
				t.Fatalf("result %d serials, holder %s, event %q", len(r.Serials), r.Holder, ev)
			}
			if orgs := e.policyOrgs("provenance.itemcustody", pack, "P1", "S499"); !slices.Equal(orgs, []string{roaster}) {
				t.Fatalf("item custody policy %q", orgs)
			}
		})
	}
}

// TestCustomersLotIsNotTheBrands checks that a brand's staff do not use what
// a customer of their own organisation holds: not as an input, not to
// serialise; the customer does not act for the brand either.
func TestCustomersLotIsNotTheBrands(t *testing.T) {
	e := newEnv(t)
	e.as(roaster, "planner")
	must(e, text((*provenancecc.Contract).RegisterProduct), j(obj{"gtin": roasted, "name": "Roasted"}))
	must(e, text((*provenancecc.Contract).RegisterProduct), j(obj{"gtin": pack, "name": "Pack"}))
	must(e, text((*provenancecc.Contract).RegisterLot), j(obj{"gtin": roasted, "lot": "R1", "quantity": 5}))
	must(e, text((*provenancecc.Contract).OfferCustody), j(obj{"kind": "lot", "gtin": roasted, "lot": "R1", "to": roaster + "/c-9", "location": "Shop"}))
	e.asCustomer(roaster, "c-9")
	must(e, text((*provenancecc.Contract).AcceptCustody), j(obj{"kind": "lot", "gtin": roasted, "lot": "R1"}))
	check(t, e, text((*provenancecc.Contract).RegisterLot), j(obj{"gtin": pack, "lot": "P1", "quantity": 1}), cxlerr.Forbidden, "RoasterMSP/c-9 is not staff of RoasterMSP")

	e.as(roaster, "planner")
	check(t, e, text((*provenancecc.Contract).RegisterLot), j(obj{"gtin": pack, "lot": "P1", "quantity": 1, "inputs": []obj{{"gtin": roasted, "lot": "R1"}}}),
		cxlerr.Forbidden, "inputs[0]: lot "+roasted+"/R1 is held by RoasterMSP/c-9; only its holder can use it as an input")
	check(t, e, text((*provenancecc.Contract).RegisterItems), j(obj{"gtin": roasted, "lot": "R1", "serials": []string{"S1"}}),
		cxlerr.Forbidden, "is held by RoasterMSP/c-9; serialise items while your organisation holds the lot")
}
