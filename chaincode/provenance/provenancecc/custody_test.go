package provenancecc_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/chaincode/provenance/provenancecc"
	"github.com/cxledger/cxledger/cxlerr"
)

// TestCustody walks a lot and an item through offers, rejections,
// withdrawals and acceptances, checking every refusal on the way. The steps
// run in order on one ledger.
func TestCustody(t *testing.T) {
	e := newEnv(t)
	e.as(roaster, "planner")
	must(e, text((*provenancecc.Contract).RegisterProduct), j(obj{"gtin": pack, "name": "Coffee 250 g"}))
	must(e, text((*provenancecc.Contract).RegisterLot), j(obj{"gtin": pack, "lot": "P1", "quantity": 2, "location": "Roastery"}))
	must(e, text((*provenancecc.Contract).RegisterItems), j(obj{"gtin": pack, "lot": "P1", "serials": []string{"S1", "S2"}}))

	lot := func(extra obj) string {
		a := obj{"kind": "lot", "gtin": pack, "lot": "P1"}
		for k, v := range extra {
			a[k] = v
		}
		return j(a)
	}
	item := func(serial string, extra obj) string {
		a := obj{"kind": "item", "gtin": pack[1:], "serial": serial}
		for k, v := range extra {
			a[k] = v
		}
		return j(a)
	}
	offer, accept, reject, withdraw := text((*provenancecc.Contract).OfferCustody), text((*provenancecc.Contract).AcceptCustody),
		text((*provenancecc.Contract).RejectCustody), text((*provenancecc.Contract).WithdrawCustodyOffer)

	steps := []struct {
		name       string
		msp, cn    string
		fn         method[*provenance.Custody]
		args       string
		code       cxlerr.Code
		want       string
		wantEvent  string
		wantHolder string
		wantOffer  string
		policy     []string // key-level policy of the subject after the step
	}{
		// A lot goes from the roaster to the carrier, with a false start.
		{name: "offer by a non-holder", msp: carrier, cn: "driver", fn: offer, args: lot(obj{"to": carrier, "location": "Dock 4"}), code: cxlerr.Forbidden, want: "is held by RoasterMSP; CarrierMSP/driver cannot offer it"},
		{name: "offer by a customer of the holder", msp: roaster, cn: "c-88", fn: offer, args: lot(obj{"to": carrier, "location": "Dock 4"}), code: cxlerr.Forbidden, want: "is held by RoasterMSP; RoasterMSP/c-88 cannot offer it"},
		{name: "offer to the holder", msp: roaster, cn: "shipping", fn: offer, args: lot(obj{"to": roaster, "location": "Dock 4"}), code: cxlerr.Conflict, want: "to: RoasterMSP already holds lot"},
		{name: "offer without location", msp: roaster, cn: "shipping", fn: offer, args: lot(obj{"to": carrier}), code: cxlerr.Invalid, want: "location: required"},
		{name: "offer to a bad party", msp: roaster, cn: "shipping", fn: offer, args: lot(obj{"to": "Carrier MSP", "location": "Dock 4"}), code: cxlerr.Invalid, want: "to: MSP ID"},
		{name: "offer to a bad account", msp: roaster, cn: "shipping", fn: offer, args: lot(obj{"to": "CarrierMSP/", "location": "Dock 4"}), code: cxlerr.Invalid, want: "to: account name"},
		{name: "accept without offer", msp: carrier, cn: "driver", fn: accept, args: lot(nil), code: cxlerr.Conflict, want: "no custody offer is pending for lot " + pack + "/P1"},
		{name: "reject without offer", msp: carrier, cn: "driver", fn: reject, args: lot(nil), code: cxlerr.Conflict, want: "no custody offer is pending"},
		{name: "withdraw without offer", msp: roaster, cn: "shipping", fn: withdraw, args: lot(nil), code: cxlerr.Conflict, want: "no custody offer is pending"},
		{name: "offer to the wrong carrier", msp: roaster, cn: "shipping", fn: offer, args: lot(obj{"to": shop, "location": "Dock 4"}), wantEvent: "CustodyOffered", wantHolder: roaster, wantOffer: shop, policy: []string{roaster, shop}},
		{name: "offer while pending", msp: roaster, cn: "shipping", fn: offer, args: lot(obj{"to": carrier, "location": "Dock 4"}), code: cxlerr.Conflict, want: "already offered to ShopMSP"},
		{name: "withdraw by a non-holder", msp: shop, cn: "clerk", fn: withdraw, args: lot(nil), code: cxlerr.Forbidden, want: "ShopMSP/clerk cannot withdraw its offer"},
		{name: "withdraw", msp: roaster, cn: "shipping", fn: withdraw, args: lot(nil), wantEvent: "CustodyOfferWithdrawn", wantHolder: roaster, policy: []string{roaster}},
		{name: "offer to the carrier", msp: roaster, cn: "shipping", fn: offer, args: lot(obj{"to": carrier, "location": "Dock 4"}), wantEvent: "CustodyOffered", wantHolder: roaster, wantOffer: carrier, policy: []string{carrier, roaster}},
		{name: "accept by someone else", msp: shop, cn: "clerk", fn: accept, args: lot(nil), code: cxlerr.Forbidden, want: "is offered to CarrierMSP; ShopMSP/clerk cannot accept it"},
		{name: "reject by someone else", msp: shop, cn: "clerk", fn: reject, args: lot(nil), code: cxlerr.Forbidden, want: "ShopMSP/clerk cannot reject it"},
		{name: "accept by a customer of the receiver", msp: carrier, cn: "c-77", fn: accept, args: lot(nil), code: cxlerr.Forbidden, want: "is offered to CarrierMSP; CarrierMSP/c-77 cannot accept it"},
		{name: "reject by a customer of the receiver", msp: carrier, cn: "c-77", fn: reject, args: lot(nil), code: cxlerr.Forbidden, want: "CarrierMSP/c-77 cannot reject it"},
		{name: "withdraw by a customer of the holder", msp: roaster, cn: "c-88", fn: withdraw, args: lot(nil), code: cxlerr.Forbidden, want: "is held by RoasterMSP; RoasterMSP/c-88 cannot withdraw its offer"},
		{name: "accept by a peer identity", msp: carrier, cn: "peer0", fn: accept, args: lot(nil), code: cxlerr.Forbidden, want: "CarrierMSP/peer0 cannot accept it"},
		{name: "accept", msp: carrier, cn: "driver", fn: accept, args: lot(nil), wantEvent: "CustodyAccepted", wantHolder: carrier, policy: []string{carrier}},
		{name: "accept twice", msp: carrier, cn: "driver", fn: accept, args: lot(nil), code: cxlerr.Conflict, want: "no custody offer is pending"},
		{name: "offer by the old holder", msp: roaster, cn: "shipping", fn: offer, args: lot(obj{"to": shop, "location": "Dock 4"}), code: cxlerr.Forbidden, want: "is held by CarrierMSP"},

		// An item goes to a customer account through a shop, within and across organisations.
		{name: "item offer to the shop", msp: roaster, cn: "shipping", fn: offer, args: item("S1", obj{"to": shop, "location": "Shop, Hamburg"}), wantEvent: "CustodyOffered", wantHolder: roaster, wantOffer: shop, policy: []string{roaster, shop}},
		{name: "item rejected", msp: shop, cn: "clerk", fn: reject, args: item("S1", obj{"reason": "damaged box"}), wantEvent: "CustodyRejected", wantHolder: roaster, policy: []string{roaster}},
		{name: "item offered again", msp: roaster, cn: "shipping", fn: offer, args: item("S1", obj{"to": shop, "location": "Shop, Hamburg"}), wantEvent: "CustodyOffered", wantHolder: roaster, wantOffer: shop, policy: []string{roaster, shop}},
		{name: "item accepted", msp: shop, cn: "clerk", fn: accept, args: item("S1", nil), wantEvent: "CustodyAccepted", wantHolder: shop, policy: []string{shop}},
		{name: "item offered to a customer account", msp: shop, cn: "till", fn: offer, args: item("S1", obj{"to": "ShopMSP/c-4711", "location": "Shop, Hamburg"}), wantEvent: "CustodyOffered", wantHolder: shop, wantOffer: "ShopMSP/c-4711", policy: []string{shop}},
		{name: "another account of the org cannot accept", msp: shop, cn: "c-0815", fn: accept, args: item("S1", nil), code: cxlerr.Forbidden, want: "is offered to ShopMSP/c-4711; ShopMSP/c-0815 cannot accept it"},
		{name: "customer accepts", msp: shop, cn: "c-4711", fn: accept, args: item("S1", nil), wantEvent: "CustodyAccepted", wantHolder: "ShopMSP/c-4711", policy: []string{shop}},
		{name: "the shop no longer acts for the item", msp: shop, cn: "till", fn: offer, args: item("S1", obj{"to": shop, "location": "Returns desk"}), code: cxlerr.Forbidden, want: "is held by ShopMSP/c-4711"},
		{name: "customer returns it", msp: shop, cn: "c-4711", fn: offer, args: item("S1", obj{"to": shop, "location": "Returns desk"}), wantEvent: "CustodyOffered", wantHolder: "ShopMSP/c-4711", wantOffer: shop, policy: []string{shop}},

		// Bad subjects.
		{name: "unknown item", msp: roaster, cn: "shipping", fn: offer, args: item("S9", obj{"to": shop, "location": "x"}), code: cxlerr.NotFound, want: "item " + pack + "/S9 not found"},
		{name: "unknown lot", msp: roaster, cn: "shipping", fn: accept, args: j(obj{"kind": "lot", "gtin": pack, "lot": "P9"}), code: cxlerr.NotFound, want: "lot " + pack + "/P9 not found"},
		{name: "unknown kind", msp: roaster, cn: "shipping", fn: accept, args: j(obj{"kind": "pallet", "gtin": pack, "lot": "P1"}), code: cxlerr.Invalid, want: `kind: "pallet" is not one of lot, item`},
		{name: "item with a lot", msp: roaster, cn: "shipping", fn: accept, args: j(obj{"kind": "item", "gtin": pack, "lot": "P1", "serial": "S1"}), code: cxlerr.Invalid, want: "lot: not used for kind item"},
		{name: "lot with a serial", msp: roaster, cn: "shipping", fn: accept, args: j(obj{"kind": "lot", "gtin": pack, "lot": "P1", "serial": "S1"}), code: cxlerr.Invalid, want: "serial: not used for kind lot"},
		{name: "bad GTIN", msp: roaster, cn: "shipping", fn: accept, args: j(obj{"kind": "lot", "gtin": "123", "lot": "P1"}), code: cxlerr.Invalid, want: "gtin: GTIN"},
		{name: "long reason", msp: shop, cn: "clerk", fn: reject, args: item("S2", obj{"reason": string(make([]byte, 513))}), code: cxlerr.Invalid, want: "reason"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			e.stub.At(e.stub.Now().Add(time.Minute))
			switch {
			case s.cn == "peer0":
				e.stub.AsIdentity(ledgertest.Identity{MSP: s.msp, CN: s.cn, OU: "peer"}.WithRoles(staffRoles[s.msp]))
			case strings.HasPrefix(s.cn, "c-"):
				e.asCustomer(s.msp, s.cn)
			default:
				e.as(s.msp, s.cn)
			}
			if s.code != "" {
				check(t, e, s.fn, s.args, s.code, s.want)
				return
			}
			c, err := s.fn(e.c, ctxOf(e), s.args)
			if err != nil {
				t.Fatal(err)
			}
			p := e.eventPayload()
			if p.Type != s.wantEvent || p.Keys["gtin"] != pack || p.Keys["lot"] != "P1" || !p.Time.Equal(e.stub.Now()) {
				t.Fatalf("event %+v", p)
			}
			var data struct{ Kind, From, To, Location string }
			if err := json.Unmarshal(p.Data, &data); err != nil || data.Location == "" || data.From == "" || data.To == "" {
				t.Fatalf("event data %s: %v", p.Data, err)
			}
			e.stub.Commit()
			if c.Holder != s.wantHolder || (c.Offer == nil) != (s.wantOffer == "") || (c.Offer != nil && c.Offer.To != s.wantOffer) {
				t.Fatalf("custody %+v", c)
			}
			parts := []string{pack, "P1"}
			objectType := "provenance.lotcustody"
			if c.Kind == "item" {
				objectType, parts = "provenance.itemcustody", append(parts, c.Serial)
			}
			if got := e.policyOrgs(objectType, parts...); !slices.Equal(got, s.policy) {
				t.Fatalf("policy %q, want %q", got, s.policy)
			}
		})
	}
}
