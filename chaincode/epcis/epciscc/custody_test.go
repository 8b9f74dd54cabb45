package epciscc_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/chaincode/epcis"
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/chaincode/provenance/provenancecc"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gs1"
)

// move is an ObjectEvent OBSERVE with bizStep step at minute min naming beans items
// serials and lots, with destinationList dest (raw JSON members, none when empty).
func move(step string, min int, serials, lots []string, dest ...string) string {
	var epcs, qs []string
	for _, s := range serials {
		epcs = append(epcs, fmt.Sprintf("%q", "urn:epc:id:sgtin:9506000.013435."+s))
	}
	for _, l := range lots {
		qs = append(qs, fmt.Sprintf(`{"epcClass":%q,"quantity":1}`, "urn:epc:class:lgtin:9506000.013435."+l))
	}
	s := fmt.Sprintf(`{"type":"ObjectEvent","eventTime":"2026-03-04T08:%02d:00Z","eventTimeZoneOffset":"+00:00","action":"OBSERVE","bizStep":%q`, min, step)
	if len(epcs) > 0 {
		s += `,"epcList":[` + strings.Join(epcs, ",") + `]`
	}
	if len(qs) > 0 {
		s += `,"quantityList":[` + strings.Join(qs, ",") + `]`
	}
	if len(dest) > 0 {
		s += `,"destinationList":[` + strings.Join(dest, ",") + `]`
	}
	return s + "}"
}

// to is a destinationList member of type typ naming a cxledger party; at names a location.
func to(typ, party string) string {
	return fmt.Sprintf(`{"type":%q,"destination":%q}`, typ, epcis.PartyURI(party))
}

const at = `{"type":"location","destination":"urn:epc:id:sgln:9506000.00002.0"}`

// custody reads the committed custody of s.
func (e *mapEnv) custody(s provenance.SubjectArgs) provenance.Custody {
	e.t.Helper()
	defer e.stub.Begin()
	tx, err := ledger.NewTx(e.stub)
	if err != nil {
		e.t.Fatal(err)
	}
	c, err := provenancecc.ReadCustody(tx, s)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func beansItem(serial string) provenance.SubjectArgs {
	return provenance.SubjectArgs{Kind: provenance.KindItem, GTIN: beans, Serial: serial}
}

func beansLot(lot string) provenance.SubjectArgs {
	return provenance.SubjectArgs{Kind: provenance.KindLot, GTIN: beans, Lot: lot}
}

// TestShippingAndReceivingMoveCustody: the holder's shipping event offers custody of the
// registered lots and items it names to its destination party; the receiver's receiving
// event accepts the offers made to it; lots and items of unregistered products are kept
// whole only.
func TestShippingAndReceivingMoveCustody(t *testing.T) {
	e := newMapEnv(t)
	e.must(e.capture(doc(false, commission(0, "013435", "B1", "S1", "S2", "S3"))))
	r, err := e.capture(doc(false,
		move("shipping", 1, []string{"S1", "S2"}, []string{"B1"}, to("possessing_party", other), to("owning_party", brand), at),
		// An unregistered product: kept whole.
		strings.ReplaceAll(move("shipping", 2, []string{"S1"}, nil, to("possessing_party", other), at), "013435", "013438"),
		// No cxledger destination: kept whole.
		move("shipping", 3, []string{"S3"}, nil, `{"type":"possessing_party","destination":"urn:epc:id:pgln:9506000.00003"}`, at)))
	if err != nil || len(r.Captured) != 3 || len(r.Mapped) != 1 || r.Mapped[0].Index != 0 || strings.Join(r.Mapped[0].Records, ",") != "custody-offered:3" {
		t.Fatalf("shipping: %+v %v", r, err)
	}
	for _, s := range []provenance.SubjectArgs{beansItem("S1"), beansItem("S2"), beansLot("B1")} {
		c := e.custody(s)
		if c.Holder != brand || c.Offer == nil || c.Offer.To != other || c.Offer.Location != "https://id.gs1.org/414/9506000000022" {
			t.Fatalf("%s: %+v %+v", s.Describe(), c, c.Offer)
		}
	}
	if c := e.custody(beansItem("S3")); c.Offer != nil {
		t.Fatalf("S3 offered: %+v", c.Offer)
	}
	// Offered custody now needs both organisations' peers.
	key, _ := e.stub.CreateCompositeKey("provenance.lotcustody", []string{beans, "B1"})
	if p, _ := e.stub.GetStateValidationParameter(key); p == nil {
		t.Fatal("no key-level policy on the offered lot")
	}

	// The brand's own receiving event accepts nothing: nothing is offered to it.
	r, err = e.capture(doc(false, move("receiving", 4, []string{"S1", "S3"}, []string{"B1"})))
	if err != nil || len(r.Mapped) != 0 || len(r.Captured) != 1 {
		t.Fatalf("receiving by the shipper: %+v %v", r, err)
	}
	// The receiver's receiving event accepts the offers made to it.
	e.stub.AsIdentity(staff(other, ledgertypes.Brand))
	r, err = e.capture(doc(false, move("receiving", 5, []string{"S1", "S2", "S3"}, []string{"B1"})))
	if err != nil || len(r.Mapped) != 1 || strings.Join(r.Mapped[0].Records, ",") != "custody-accepted:3" {
		t.Fatalf("receiving: %+v %v", r, err)
	}
	for _, s := range []provenance.SubjectArgs{beansItem("S1"), beansItem("S2"), beansLot("B1")} {
		if c := e.custody(s); c.Holder != other || c.Offer != nil || c.Location != "https://id.gs1.org/414/9506000000022" {
			t.Fatalf("%s after receiving: %+v", s.Describe(), c)
		}
	}
	if c := e.custody(beansItem("S3")); c.Holder != brand {
		t.Fatalf("S3 moved: %+v", c)
	}
	// Received again: a duplicate, and another receiving event finds nothing offered.
	r, err = e.capture(doc(false, move("receiving", 5, []string{"S1", "S2", "S3"}, []string{"B1"})))
	if err != nil || len(r.Duplicates) != 1 || len(r.Mapped) != 0 {
		t.Fatalf("receiving replayed: %+v %v", r, err)
	}
	r, err = e.capture(doc(false, move("receiving", 6, []string{"S1"}, nil)))
	if err != nil || len(r.Mapped) != 0 || len(r.Captured) != 1 {
		t.Fatalf("receiving again: %+v %v", r, err)
	}
}

// TestCustodyMappingRefusals: a shipping event the provenance contract's custody rules
// refuse fails as OfferCustody fails, naming the event; under proceed it is left out whole.
func TestCustodyMappingRefusals(t *testing.T) {
	for _, c := range []struct {
		name   string
		as     string
		events []string
		index  int
		code   cxlerr.Code
		want   string
	}{
		{"not the holder", other, []string{move("shipping", 1, []string{"S1"}, nil, to("possessing_party", other), at)}, 0, cxlerr.Forbidden, "is held by BrandMSP"},
		{"a receiver that is no member", brand, []string{move("shipping", 1, []string{"S1"}, nil, to("possessing_party", "NoMSP"), at)}, 0, cxlerr.NotFound, "NoMSP is not a member"},
		{"to the holder", brand, []string{move("shipping", 1, nil, []string{"B1"}, to("possessing_party", brand), at)}, 0, cxlerr.Conflict, "already holds"},
		{"an unregistered item", brand, []string{move("shipping", 1, []string{"S9"}, nil, to("possessing_party", other), at)}, 0, cxlerr.NotFound, "not found"},
		{"two receivers", brand, []string{move("shipping", 1, []string{"S1"}, nil, to("possessing_party", other), to("possessing_party", audit), at)}, 0, cxlerr.Invalid, "names both"},
		{"no location", brand, []string{move("shipping", 1, []string{"S1"}, nil, to("possessing_party", other))}, 0, cxlerr.Invalid, "says where the handover takes place"},
		{"a party URI naming no party", brand, []string{move("shipping", 1, []string{"S1"}, nil, to("possessing_party", "a%20b/c"), at)}, 0, cxlerr.Invalid, "names no organisation or account"},
		{"shipped twice in one capture", brand, []string{
			move("shipping", 1, nil, []string{"B1"}, to("possessing_party", other), at),
			move("shipping", 2, nil, []string{"B1"}, to("possessing_party", audit), at),
		}, 1, cxlerr.Conflict, "is moved by events[0] of this capture"},
		{"commissioned in the same capture", brand, []string{
			commission(1, "013435", "B1", "S5"),
			move("shipping", 2, []string{"S5"}, nil, to("possessing_party", other), at),
		}, 1, cxlerr.Conflict, "is registered by events[0] of this capture"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newMapEnv(t)
			e.must(e.capture(doc(false, commission(0, "013435", "B1", "S1"))))
			e.stub.AsIdentity(staff(c.as, ledgertypes.Brand))
			_, err := e.capture(doc(false, c.events...))
			if cxlerr.CodeOf(err) != c.code || !strings.Contains(err.Error(), fmt.Sprintf("events[%d]: provenance:", c.index)) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("rollback: %v, want %s naming events[%d] and %q", err, c.code, c.index, c.want)
			}
			r, err := e.capture(doc(true, c.events...))
			if err != nil || len(r.Rejected) != 1 || r.Rejected[0].Index != c.index || len(r.Captured) != len(c.events)-1 {
				t.Fatalf("proceed: %+v %v", r, err)
			}
			for _, s := range []provenance.SubjectArgs{beansItem("S1"), beansLot("B1")} {
				if got := e.custody(s); got.Holder != brand || (got.Offer != nil && c.index == 0) {
					t.Fatalf("%s after the refusal: %+v %+v", s.Describe(), got, got.Offer)
				}
			}
		})
	}
}

// TestReceivingLeavesOthersOffers: a receiving event accepts only offers made to the
// capturer's organisation: not one made to another organisation, nor one made to an
// account (that account's own AcceptCustody takes it).
func TestReceivingLeavesOthersOffers(t *testing.T) {
	e := newMapEnv(t)
	e.must(e.capture(doc(false, commission(0, "013435", "B1", "S1", "S2"))))
	account := other + "/u"
	e.must(e.capture(doc(false,
		move("shipping", 1, []string{"S1"}, nil, to("possessing_party", audit), at),
		move("shipping", 2, []string{"S2"}, nil, to("owning_party", account), at))))
	e.stub.AsIdentity(staff(other, ledgertypes.Brand))
	r, err := e.capture(doc(false, move("receiving", 3, []string{"S1", "S2"}, nil)))
	if err != nil || len(r.Mapped) != 0 {
		t.Fatalf("receiving: %+v %v", r, err)
	}
	if c := e.custody(beansItem("S1")); c.Holder != brand || c.Offer == nil || c.Offer.To != audit {
		t.Fatalf("S1: %+v", c)
	}
	if c := e.custody(beansItem("S2")); c.Holder != brand || c.Offer == nil || c.Offer.To != account {
		t.Fatalf("S2: %+v", c)
	}
	// The account accepts it itself.
	e.stub.AsIdentity(staff(other, ledgertypes.Brand))
	if _, err := e.p.AcceptCustody(ledgertest.Context(e.stub), provenance.CustodyArgs{SubjectArgs: beansItem("S2")}); err != nil {
		t.Fatal(err)
	}
	e.stub.Commit()
	if c := e.custody(beansItem("S2")); c.Holder != account {
		t.Fatalf("S2 after AcceptCustody: %+v", c)
	}
}

// pallet is the Digital Link URI of the test SSCC, as the event parser writes a parentID.
const pallet = "https://id.gs1.org/00/095060000000000015"

// aggregate is an AggregationEvent with action at minute min into parent of beans items
// serials and lots (no children when both are empty).
func aggregate(action string, min int, parent string, serials, lots []string) string {
	var epcs, qs []string
	for _, s := range serials {
		epcs = append(epcs, fmt.Sprintf("%q", "urn:epc:id:sgtin:9506000.013435."+s))
	}
	for _, l := range lots {
		qs = append(qs, fmt.Sprintf(`{"epcClass":%q,"quantity":1}`, "urn:epc:class:lgtin:9506000.013435."+l))
	}
	s := fmt.Sprintf(`{"type":"AggregationEvent","eventTime":"2026-03-05T08:%02d:00Z","eventTimeZoneOffset":"+00:00","action":%q,"bizStep":"packing","parentID":%q`, min, action, parent)
	if len(epcs) > 0 {
		s += `,"childEPCs":[` + strings.Join(epcs, ",") + `]`
	}
	if len(qs) > 0 {
		s += `,"childQuantityList":[` + strings.Join(qs, ",") + `]`
	}
	return s + "}"
}

// TestAggregationPacks: an aggregation ADD of registered lots and items packs them into
// its parent (custody, its history and the lot's trace show it), DELETE unpacks the
// children it names or, naming none, everything the parent holds; the packing rules are
// the holder's.
func TestAggregationPacks(t *testing.T) {
	e := newMapEnv(t)
	e.must(e.capture(doc(false, commission(0, "013435", "B1", "S1", "S2", "S3"))))
	// The SSCC in its EPC URN form is the same parent as its Digital Link.
	r, err := e.capture(doc(false, aggregate("ADD", 1, "urn:epc:id:sscc:9506000.0000000001", []string{"S1", "S2"}, []string{"B1"})))
	if err != nil || len(r.Mapped) != 1 || strings.Join(r.Mapped[0].Records, ",") != "packed:3" {
		t.Fatalf("pack: %+v %v", r, err)
	}
	for _, s := range []provenance.SubjectArgs{beansItem("S1"), beansItem("S2"), beansLot("B1")} {
		if c := e.custody(s); c.PackedInto != pallet || c.Holder != brand {
			t.Fatalf("%s: %+v", s.Describe(), c)
		}
	}
	tr, err := e.p.Trace(ledgertest.Context(e.stub), provenance.TraceArgs{GTIN: beans, Lot: "B1"})
	e.stub.Begin()
	if err != nil || tr.Lot.PackedInto != pallet || len(tr.Items) != 3 || tr.Items[0].PackedInto != pallet || tr.Items[2].PackedInto != "" {
		t.Fatalf("trace: %+v %v", tr, err)
	}
	v, err := e.p.Verify(ledgertest.Context(e.stub), provenance.VerifyArgs{GTIN: beans, Serial: "S2"})
	e.stub.Begin()
	if err != nil || !v.Genuine || v.Custody == nil || v.Custody.PackedInto != pallet || len(v.ItemCustody) != 1 {
		t.Fatalf("verify: %+v %v", v, err)
	}
	h, err := e.p.History(ledgertest.Context(e.stub), provenance.ProvenanceHistoryArgs{SubjectArgs: provenance.SubjectArgs{Kind: "item-custody", GTIN: beans, Serial: "S1"}})
	e.stub.Begin()
	if err != nil || len(h.Versions) != 2 || h.Versions[0].Custody == nil || h.Versions[0].Custody.PackedInto != pallet || h.Versions[1].Custody.PackedInto != "" {
		t.Fatalf("history: %+v %v", h, err)
	}
	// What is packed goes into no other container before it is unpacked.
	other2 := "https://id.gs1.org/00/09506000000000002" + string(gs1.CheckDigit("09506000000000002"))
	if _, err := e.capture(doc(false, aggregate("ADD", 2, other2, []string{"S1"}, nil))); cxlerr.CodeOf(err) != cxlerr.Conflict || !strings.Contains(err.Error(), "is packed into "+pallet+"; unpack it first") {
		t.Fatalf("pack into a second container: %v", err)
	}
	// Another organisation packs nothing of the brand's; unpacking what is not packed is refused.
	e.stub.AsIdentity(staff(other, ledgertypes.Brand))
	if _, err := e.capture(doc(false, aggregate("ADD", 3, other2, []string{"S3"}, nil))); cxlerr.CodeOf(err) != cxlerr.Forbidden {
		t.Fatalf("another organisation packs: %v", err)
	}
	e.stub.AsIdentity(staff(brand, ledgertypes.Brand))
	if _, err := e.capture(doc(false, aggregate("DELETE", 4, pallet, []string{"S3"}, nil))); cxlerr.CodeOf(err) != cxlerr.Conflict || !strings.Contains(err.Error(), "is not packed into") {
		t.Fatalf("unpack what is not packed: %v", err)
	}
	// Packing and moving custody in one capture conflict.
	if _, err := e.capture(doc(false, aggregate("ADD", 5, pallet, []string{"S3"}, nil), move("shipping", 6, []string{"S3"}, nil, to("possessing_party", other), at))); cxlerr.CodeOf(err) != cxlerr.Conflict || !strings.Contains(err.Error(), "events[0]") {
		t.Fatalf("pack and ship in one capture: %v", err)
	}
	// An offered item is not packed.
	e.must(e.capture(doc(false, move("shipping", 7, []string{"S3"}, nil, to("possessing_party", other), at))))
	if _, err := e.capture(doc(false, aggregate("ADD", 8, pallet, []string{"S3"}, nil))); cxlerr.CodeOf(err) != cxlerr.Conflict || !strings.Contains(err.Error(), "is offered to") {
		t.Fatalf("pack an offered item: %v", err)
	}
	// DELETE naming S1 unpacks it; DELETE naming nothing unpacks the rest.
	r, err = e.capture(doc(false, aggregate("DELETE", 9, pallet, []string{"S1"}, nil)))
	if err != nil || len(r.Mapped) != 1 || strings.Join(r.Mapped[0].Records, ",") != "unpacked:1" || e.custody(beansItem("S1")).PackedInto != "" {
		t.Fatalf("unpack S1: %+v %v", r, err)
	}
	r, err = e.capture(doc(false, aggregate("DELETE", 10, pallet, nil, nil)))
	if err != nil || len(r.Mapped) != 1 || strings.Join(r.Mapped[0].Records, ",") != "unpacked:2" {
		t.Fatalf("unpack all: %+v %v", r, err)
	}
	for _, s := range []provenance.SubjectArgs{beansItem("S2"), beansLot("B1")} {
		if c := e.custody(s); c.PackedInto != "" {
			t.Fatalf("%s still packed: %+v", s.Describe(), c)
		}
	}
	// The empty container: an unpacking of nothing maps to nothing.
	r, err = e.capture(doc(false, aggregate("DELETE", 11, pallet, nil, nil)))
	if err != nil || len(r.Mapped) != 0 || len(r.Captured) != 1 {
		t.Fatalf("unpack an empty container: %+v %v", r, err)
	}
}
