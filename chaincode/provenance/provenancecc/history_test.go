package provenancecc_test

import (
	"testing"

	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/chaincode/provenance/provenancecc"
	"github.com/cxledger/cxledger/cxlerr"
)

func TestHistory(t *testing.T) {
	e := newEnv(t)
	seedSupplyChain(e)
	e.as(roaster, "shipping")
	must(e, text((*provenancecc.Contract).OfferCustody), j(obj{"kind": "item", "gtin": pack, "serial": "S1", "to": shop, "location": "Dock 4"}))
	e.as(shop, "clerk")
	must(e, text((*provenancecc.Contract).AcceptCustody), j(obj{"kind": "item", "gtin": pack, "serial": "S1"}))
	e.as(farm, "quality")
	must(e, text((*provenancecc.Contract).RecallLot), j(obj{"gtin": beans, "lot": "B1", "reason": "mould"}))
	history := text((*provenancecc.Contract).History)

	e.as(audit, "reader")
	tests := []struct {
		name    string
		args    string
		want    int
		inspect func(*testing.T, *provenance.ProvenanceHistory)
	}{
		{"product", j(obj{"kind": "product", "gtin": beans}), 1, func(t *testing.T, h *provenance.ProvenanceHistory) {
			if h.Versions[0].Product == nil || h.Versions[0].Product.Name != "Green beans" || h.Versions[0].Lot != nil {
				t.Fatalf("%+v", h.Versions[0])
			}
		}},
		{"lot, newest first", j(obj{"kind": "lot", "gtin": beans, "lot": "B1"}), 2, func(t *testing.T, h *provenance.ProvenanceHistory) {
			if h.Versions[0].Lot.Recall == nil || h.Versions[1].Lot.Recall != nil || h.Versions[0].TxID == h.Versions[1].TxID {
				t.Fatalf("%+v", h.Versions)
			}
		}},
		{"item", j(obj{"kind": "item", "gtin": pack, "serial": "S1"}), 1, func(t *testing.T, h *provenance.ProvenanceHistory) {
			if h.Versions[0].Item == nil || h.Versions[0].Item.Lot != "P1" {
				t.Fatalf("%+v", h.Versions[0])
			}
		}},
		{"item custody", j(obj{"kind": "item-custody", "gtin": pack, "serial": "S1"}), 3, func(t *testing.T, h *provenance.ProvenanceHistory) {
			c := h.Versions[0].Custody
			if c == nil || c.Holder != shop || c.Kind != "item" || c.Lot != "P1" || c.Serial != "S1" || h.Versions[1].Custody.Offer == nil {
				t.Fatalf("%+v", h.Versions)
			}
		}},
		{"lot custody", j(obj{"kind": "lot-custody", "gtin": beans, "lot": "B1"}), 3, func(t *testing.T, h *provenance.ProvenanceHistory) {
			c := h.Versions[0].Custody
			if c == nil || c.Holder != roaster || c.Kind != "lot" || c.Serial != "" || h.Versions[2].Custody.Holder != farm {
				t.Fatalf("%+v", h.Versions)
			}
		}},
		{"never registered", j(obj{"kind": "product", "gtin": gtin("400000000001")}), 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := check(t, e, history, tt.args, "", "")
			if len(h.Versions) != tt.want || h.Versions == nil || h.Bookmark != "" {
				t.Fatalf("%d versions, bookmark %q", len(h.Versions), h.Bookmark)
			}
			if tt.inspect != nil {
				tt.inspect(t, h)
			}
		})
	}

	t.Run("pages", func(t *testing.T) {
		h, _ := check(t, e, history, j(obj{"kind": "lot-custody", "gtin": beans, "lot": "B1", "pageSize": 2}), "", "")
		if len(h.Versions) != 2 || h.Bookmark != "2" {
			t.Fatalf("page 1: %d versions, bookmark %q", len(h.Versions), h.Bookmark)
		}
		h, _ = check(t, e, history, j(obj{"kind": "lot-custody", "gtin": beans, "lot": "B1", "pageSize": 2, "bookmark": h.Bookmark}), "", "")
		if len(h.Versions) != 1 || h.Bookmark != "" || h.Versions[0].Custody.Holder != farm {
			t.Fatalf("page 2: %+v", h)
		}
	})

	for _, tt := range []struct {
		name string
		args string
		code cxlerr.Code
		want string
	}{
		{"unknown kind", j(obj{"kind": "pallet", "gtin": beans}), cxlerr.Invalid, `kind: "pallet" is not one of product, lot, item, lot-custody, item-custody`},
		{"lot without lot number", j(obj{"kind": "lot", "gtin": beans}), cxlerr.Invalid, "lot: lot number"},
		{"item-custody of an unknown item", j(obj{"kind": "item-custody", "gtin": pack, "serial": "S9"}), cxlerr.NotFound, "item " + pack + "/S9 not found"},
		{"page too large", j(obj{"kind": "product", "gtin": beans, "pageSize": 201}), cxlerr.Invalid, "pageSize"},
		{"bad bookmark", j(obj{"kind": "product", "gtin": beans, "bookmark": "x"}), cxlerr.Invalid, "not a history bookmark"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			check(t, e, history, tt.args, tt.code, tt.want)
		})
	}
}
