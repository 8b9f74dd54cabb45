package provenancecc_test

import (
	"slices"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/provenance/provenancecc"
	"github.com/cxledger/cxledger/cxlerr"
)

func TestVerify(t *testing.T) {
	e := newEnv(t)
	seedSupplyChain(e)
	hop := func(kind, lotOrSerial, from, to, location string) {
		e.t.Helper()
		subject := obj{"kind": kind, "gtin": pack}
		if kind == "lot" {
			subject["lot"] = lotOrSerial
		} else {
			subject["serial"] = lotOrSerial
		}
		e.as(partyMSPOf(from), nameOf(from))
		offer := obj{"to": to, "location": location}
		for k, v := range subject {
			offer[k] = v
		}
		must(e, text((*provenancecc.Contract).OfferCustody), j(offer))
		e.as(partyMSPOf(to), nameOf(to))
		must(e, text((*provenancecc.Contract).AcceptCustody), j(subject))
	}
	hop("lot", "P1", roaster, carrier, "Dock 4")
	hop("item", "S1", roaster, shop, "Shop, Hamburg")
	e.as(shop, "clerk")
	must(e, text((*provenancecc.Contract).OfferCustody), j(obj{"kind": "item", "gtin": pack, "serial": "S1", "to": carrier, "location": "Back door"}))
	must(e, text((*provenancecc.Contract).WithdrawCustodyOffer), j(obj{"kind": "item", "gtin": pack, "serial": "S1"}))
	hop("item", "S1", shop, "ShopMSP/c-4711", "Shop, Hamburg")

	issue := func(msp string, subject obj, id, from, until string) {
		e.as(msp, "quality")
		must(e, text((*provenancecc.Contract).IssueCertificate), j(obj{"subject": subject, "id": id, "type": "organic", "hash": docHash, "validFrom": from, "validUntil": until}))
	}
	now := e.stub.Now()
	past, future := now.Add(-24*time.Hour).Format(time.RFC3339), now.Add(24*time.Hour).Format(time.RFC3339)
	issue(audit, obj{"kind": "lot", "gtin": beans, "lot": "B1"}, "ORG-B1", past, future)
	issue(audit, obj{"kind": "lot", "gtin": beans, "lot": "B2"}, "OLD-B2", "2020-01-01T00:00:00Z", past)
	issue(roaster, obj{"kind": "product", "gtin": pack}, "DECL", past, future)
	issue(roaster, obj{"kind": "product", "gtin": pack}, "NEXT-YEAR", future, "2030-01-01T00:00:00Z")
	issue(roaster, obj{"kind": "item", "gtin": pack, "serial": "S1"}, "AUTH-S1", past, future)
	issue(roaster, obj{"kind": "item", "gtin": pack, "serial": "S2"}, "AUTH-S2", past, future)
	issue(audit, obj{"kind": "lot", "gtin": pack, "lot": "P1"}, "REVOKED", past, future)
	e.as(audit, "quality")
	must(e, text((*provenancecc.Contract).RevokeCertificate), j(obj{"subject": obj{"kind": "lot", "gtin": pack, "lot": "P1"}, "id": "REVOKED", "reason": "error"}))
	verify := text((*provenancecc.Contract).Verify)

	e.as("CustomerMSP", "anyone")
	v, _ := check(t, e, verify, j(obj{"gtin": pack[1:], "serial": "S1"}), "", "")
	if !v.Genuine || v.GTIN != pack || v.Product.Owner != roaster || v.Lot.Lot != "P1" || v.Custody.Holder != "ShopMSP/c-4711" || !v.CheckedAt.Equal(e.stub.Now()) {
		t.Fatalf("verification %+v", v)
	}
	var chain []string
	for _, s := range v.ItemCustody {
		chain = append(chain, s.Holder+"@"+s.Location)
	}
	if !slices.Equal(chain, []string{"RoasterMSP@", "ShopMSP@Shop, Hamburg", "ShopMSP/c-4711@Shop, Hamburg"}) {
		t.Fatalf("item chain %q", chain)
	}
	chain = nil
	for _, s := range v.LotCustody {
		chain = append(chain, s.Holder)
	}
	if !slices.Equal(chain, []string{roaster, carrier}) {
		t.Fatalf("lot chain %q", chain)
	}
	if got := lotNames(v.Upstream); !slices.Equal(got, []string{"R1@1:RoasterMSP", "B1@2:RoasterMSP", "B2@2:RoasterMSP"}) {
		t.Fatalf("upstream %q", got)
	}
	var certs []string
	for _, c := range v.Certificates {
		certs = append(certs, c.ID)
	}
	if !slices.Equal(certs, []string{"DECL", "AUTH-S1", "ORG-B1"}) {
		t.Fatalf("valid certificates %q", certs)
	}
	if v.Recalled || len(v.Recalls) != 0 {
		t.Fatalf("recalls %+v", v.Recalls)
	}

	// A recall upstream and one of the item's own lot both show.
	e.as(farm, "quality")
	must(e, text((*provenancecc.Contract).RecallLot), j(obj{"gtin": beans, "lot": "B2", "reason": "mould"}))
	e.as(roaster, "quality")
	must(e, text((*provenancecc.Contract).RecallLot), j(obj{"gtin": pack, "lot": "P1", "reason": "seal defect"}))
	v, _ = check(t, e, verify, j(obj{"gtin": pack, "serial": "S3"}), "", "")
	var recalls []string
	for _, r := range v.Recalls {
		recalls = append(recalls, r.Lot+":"+r.Reason)
	}
	if !v.Genuine || !v.Recalled || !slices.Equal(recalls, []string{"P1:seal defect", "B2:mould"}) || v.Lot.Recall == nil {
		t.Fatalf("recalls %q, verification %+v", recalls, v)
	}

	for _, tt := range []struct {
		name string
		args string
		code cxlerr.Code
		want string
	}{
		{"bad GTIN", j(obj{"gtin": "09506000134353", "serial": "S1"}), cxlerr.Invalid, "gtin: GTIN"},
		{"bad serial", j(obj{"gtin": pack, "serial": "S 1"}), cxlerr.Invalid, "serial: serial number"},
		{"missing serial", j(obj{"gtin": pack}), cxlerr.Invalid, "serial"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			check(t, e, verify, tt.args, tt.code, tt.want)
		})
	}
	t.Run("unknown serial is an answer", func(t *testing.T) {
		v, _ := check(t, e, verify, j(obj{"gtin": pack, "serial": "FAKE-1"}), "", "")
		if v.Genuine || v.Serial != "FAKE-1" || v.GTIN != pack || v.Product != nil || v.Custody != nil {
			t.Fatalf("verification %+v", v)
		}
	})
	t.Run("unknown product is an answer", func(t *testing.T) {
		v, _ := check(t, e, verify, j(obj{"gtin": gtin("400000000001"), "serial": "S1"}), "", "")
		if v.Genuine {
			t.Fatalf("verification %+v", v)
		}
	})
}

func partyMSPOf(party string) string {
	for i := range len(party) {
		if party[i] == '/' {
			return party[:i]
		}
	}
	return party
}

func nameOf(party string) string {
	if msp := partyMSPOf(party); msp != party {
		return party[len(msp)+1:]
	}
	return "clerk"
}
