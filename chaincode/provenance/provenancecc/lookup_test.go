package provenancecc_test

import (
	"testing"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/chaincode/provenance/provenancecc"
	"github.com/cxledger/cxledger/cxlerr"
)

// TestLookups: GetProduct, GetLot and GetItem return the current records to any member of the
// channel, NOT_FOUND when absent, and refuse malformed input.
func TestLookups(t *testing.T) {
	e := newEnv(t)
	e.as(farm, "planner")
	must(e, text((*provenancecc.Contract).RegisterProduct), j(obj{"gtin": beans, "name": "Green beans"}))
	must(e, text((*provenancecc.Contract).RegisterLot), j(obj{"gtin": beans, "lot": "B1", "quantity": 10, "unit": "kg"}))
	must(e, text((*provenancecc.Contract).RegisterItems), j(obj{"gtin": beans, "lot": "B1", "serials": []string{"S1"}}))
	must(e, text((*provenancecc.Contract).RecallLot), j(obj{"gtin": beans, "lot": "B1", "reason": "mould"}))
	getProduct := text((*provenancecc.Contract).GetProduct)
	getLot := text((*provenancecc.Contract).GetLot)
	getItem := text((*provenancecc.Contract).GetItem)

	// Any member reads: the owner, another brand, an organisation without a role.
	for _, msp := range []string{farm, roaster, nobody} {
		e.as(msp, "reader")
		p, ev := check(t, e, getProduct, j(obj{"gtin": beans[1:]}), "", "")
		if p.GTIN != beans || p.Owner != farm || p.Name != "Green beans" || ev != "" {
			t.Fatalf("GetProduct as %s: %+v, event %q", msp, p, ev)
		}
		lot, _ := check(t, e, getLot, j(obj{"gtin": beans, "lot": "B1"}), "", "")
		if lot.Lot != "B1" || lot.Quantity != 10 || lot.Recall == nil {
			t.Fatalf("GetLot as %s: %+v", msp, lot)
		}
		item, _ := check(t, e, getItem, j(obj{"gtin": beans, "serial": "S1"}), "", "")
		if item.Serial != "S1" || item.Lot != "B1" || item.Owner != farm {
			t.Fatalf("GetItem as %s: %+v", msp, item)
		}
	}

	e.as(nobody, "reader")
	check(t, e, getProduct, j(obj{"gtin": pack}), cxlerr.NotFound, "product "+pack+" not found")
	check(t, e, getLot, j(obj{"gtin": beans, "lot": "B2"}), cxlerr.NotFound, "lot B2 of product "+beans+" not found")
	check(t, e, getItem, j(obj{"gtin": beans, "serial": "S2"}), cxlerr.NotFound, "item with serial S2 of product "+beans+" not found")

	badCheckDigit := beans[:13] + string('0'+(beans[13]-'0'+1)%10)
	check(t, e, getProduct, j(obj{"gtin": badCheckDigit}), cxlerr.Invalid, "gtin")
	check(t, e, getLot, j(obj{"gtin": badCheckDigit, "lot": "B1"}), cxlerr.Invalid, "gtin")
	check(t, e, getItem, j(obj{"gtin": badCheckDigit, "serial": "S1"}), cxlerr.Invalid, "gtin")
	check(t, e, getLot, j(obj{"gtin": beans}), cxlerr.Invalid, "lot")
	check(t, e, getItem, j(obj{"gtin": beans, "serial": "S 1"}), cxlerr.Invalid, "serial")
	check(t, e, getItem, "{\"gtin\":\""+beans+"\",\"serial\":\"S\xff\"}", cxlerr.Invalid, "not valid UTF-8")
	check(t, e, getLot, j(obj{"gtin": beans, "lot": "B1", "serial": "S1"}), cxlerr.Invalid, `unknown field "serial"`)
	check(t, e, getProduct, `{"gtin":"`+pack+`","gtin":"`+beans+`"}`, cxlerr.Invalid, `duplicate key "gtin"`)

	// A caller without an X.509 identity reads nothing.
	_, err := e.c.GetProduct(ledgertest.Context(ledgertest.New()), provenance.GetProductArgs{GTIN: beans})
	if cxlerr.CodeOf(err) != cxlerr.Unauthenticated {
		t.Fatalf("GetProduct without caller: %v", err)
	}
}
