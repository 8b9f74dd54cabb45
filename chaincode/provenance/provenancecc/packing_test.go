package provenancecc_test

import (
	"strings"
	"testing"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/chaincode/provenance/provenancecc"
	"github.com/cxledger/cxledger/cxlerr"
)

// TestPackingPlans: packing and unpacking are checked as a whole before anything is
// written; hostile containers and subjects are INVALID; a custody move keeps the packing;
// an offered subject is not packed and a packed one is offered with its container.
func TestPackingPlans(t *testing.T) {
	e := newEnv(t)
	seedSupplyChain(e)
	e.as(roaster, "planner")
	item := func(s string) provenance.SubjectArgs {
		return provenance.SubjectArgs{Kind: provenance.KindItem, GTIN: pack, Serial: s}
	}
	lotP1 := provenance.SubjectArgs{Kind: provenance.KindLot, GTIN: pack, Lot: "P1"}
	const box = "https://id.gs1.org/00/095060000000000015"
	// run plans with the caller's transaction and writes the plan when it succeeds.
	run := func(plan func(*ledger.Tx) (*provenancecc.PackPlan, error)) error {
		t.Helper()
		tx, err := ledger.NewTx(e.stub)
		if err != nil {
			t.Fatal(err)
		}
		p, err := plan(tx)
		if err != nil {
			e.stub.Begin()
			return err
		}
		if err := p.Write(tx); err != nil {
			t.Fatal(err)
		}
		e.stub.Commit()
		return nil
	}
	packInto := func(container string, subs ...provenance.SubjectArgs) error {
		return run(func(tx *ledger.Tx) (*provenancecc.PackPlan, error) { return provenancecc.PlanPack(tx, container, subs) })
	}
	unpackFrom := func(container string, subs ...provenance.SubjectArgs) error {
		return run(func(tx *ledger.Tx) (*provenancecc.PackPlan, error) {
			return provenancecc.PlanUnpack(tx, container, subs)
		})
	}
	custody := func(s provenance.SubjectArgs) provenance.Custody {
		t.Helper()
		defer e.stub.Begin()
		tx, err := ledger.NewTx(e.stub)
		if err != nil {
			t.Fatal(err)
		}
		c, err := provenancecc.ReadCustody(tx, s)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, c := range []struct {
		name      string
		container string
		subject   provenance.SubjectArgs
		code      cxlerr.Code
		want      string
	}{
		{"no container", "", item("S1"), cxlerr.Invalid, "container: required"},
		{"invalid UTF-8", "urn:x:\xff", item("S1"), cxlerr.Invalid, "UTF-8"},
		{"too long", "urn:x:" + strings.Repeat("a", 300), item("S1"), cxlerr.Invalid, "container"},
		{"no such item", box, item("S9"), cxlerr.NotFound, "not found"},
		{"bad subject", box, provenance.SubjectArgs{Kind: "pallet", GTIN: pack}, cxlerr.Invalid, "kind"},
	} {
		if err := packInto(c.container, item("S2"), c.subject); cxlerr.CodeOf(err) != c.code || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("%s: %v, want %s containing %q", c.name, err, c.code, c.want)
		}
	}
	if c := custody(item("S2")); c.PackedInto != "" {
		t.Fatalf("a refused packing packed S2: %+v", c)
	}
	// Another organisation packs nothing it does not hold.
	e.as(farm, "planner")
	if err := packInto(box, item("S1")); cxlerr.CodeOf(err) != cxlerr.Forbidden {
		t.Fatalf("not the holder: %v", err)
	}
	e.as(roaster, "planner")
	if err := packInto(box, item("S1"), lotP1); err != nil {
		t.Fatal(err)
	}
	if err := packInto(box, item("S1")); err != nil {
		t.Fatalf("packed again into the same container: %v", err)
	}
	// Offered with its container, it keeps the packing when accepted.
	must(e, text((*provenancecc.Contract).OfferCustody), j(obj{"kind": "item", "gtin": pack, "serial": "S1", "to": carrier, "location": "dock"}))
	if err := unpackFrom(box, item("S1")); cxlerr.CodeOf(err) != cxlerr.Conflict || !strings.Contains(err.Error(), "is offered to") {
		t.Fatalf("unpack an offered item: %v", err)
	}
	e.as(carrier, "driver")
	must(e, text((*provenancecc.Contract).AcceptCustody), j(obj{"kind": "item", "gtin": pack, "serial": "S1"}))
	if c := custody(item("S1")); c.Holder != carrier || c.PackedInto != box {
		t.Fatalf("after the handover: %+v", c)
	}
	// The carrier unpacks what it holds; everything else of the box stays the roaster's.
	if err := unpackFrom(box, lotP1); cxlerr.CodeOf(err) != cxlerr.Forbidden {
		t.Fatalf("the carrier unpacks the roaster's lot: %v", err)
	}
	if err := unpackFrom(box, item("S1")); err != nil {
		t.Fatal(err)
	}
	e.as(roaster, "planner")
	tx, err := ledger.NewTx(e.stub)
	if err != nil {
		t.Fatal(err)
	}
	contents, err := provenancecc.Contents(tx, box)
	e.stub.Begin()
	if err != nil || len(contents) != 1 || contents[0] != lotP1 {
		t.Fatalf("contents: %+v %v", contents, err)
	}
	if err := unpackFrom(box); err != nil {
		t.Fatal(err)
	}
	if c := custody(lotP1); c.PackedInto != "" {
		t.Fatalf("P1 after unpacking all: %+v", c)
	}
}

// TestCustodyPlans: PlanOffer and PlanAccept validate their arguments as OfferCustody and
// AcceptCustody do, check the same rules, and write and emit nothing until Write, which
// emits nothing either.
func TestCustodyPlans(t *testing.T) {
	e := newEnv(t)
	seedSupplyChain(e)
	e.as(roaster, "planner")
	s := provenance.SubjectArgs{Kind: provenance.KindItem, GTIN: pack, Serial: "S1"}
	tx, err := ledger.NewTx(e.stub)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		a    provenance.OfferCustodyArgs
		code cxlerr.Code
	}{
		{"invalid UTF-8 location", provenance.OfferCustodyArgs{SubjectArgs: s, To: carrier, Location: "dock \xff"}, cxlerr.Invalid},
		{"no location", provenance.OfferCustodyArgs{SubjectArgs: s, To: carrier}, cxlerr.Invalid},
		{"a receiver that is no party", provenance.OfferCustodyArgs{SubjectArgs: s, To: "Carrier MSP", Location: "dock"}, cxlerr.Invalid},
		{"a receiver that is no member", provenance.OfferCustodyArgs{SubjectArgs: s, To: "NoSuchMSP", Location: "dock"}, cxlerr.NotFound},
		{"the holder itself", provenance.OfferCustodyArgs{SubjectArgs: s, To: roaster, Location: "dock"}, cxlerr.Conflict},
	} {
		if _, err := provenancecc.PlanOffer(tx, c.a); cxlerr.CodeOf(err) != c.code {
			t.Fatalf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	if _, err := provenancecc.PlanAccept(tx, provenance.CustodyArgs{SubjectArgs: s}); cxlerr.CodeOf(err) != cxlerr.Conflict {
		t.Fatalf("accept with no offer: %v", err)
	}
	p, err := provenancecc.PlanOffer(tx, provenance.OfferCustodyArgs{SubjectArgs: s, To: carrier, Location: "dock"})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.stub.Writes()) != 0 {
		t.Fatalf("planning wrote %d keys", len(e.stub.Writes()))
	}
	c, err := p.Write(tx)
	if err != nil || c.Offer == nil || c.Offer.To != carrier || c.Holder != roaster {
		t.Fatalf("offer: %+v %v", c, err)
	}
	if e.stub.Event() != nil {
		t.Fatal("a planned offer emitted an event")
	}
	e.stub.Commit()
	// The roaster cannot accept its own offer; the carrier can, without an event.
	tx, _ = ledger.NewTx(e.stub)
	if _, err := provenancecc.PlanAccept(tx, provenance.CustodyArgs{SubjectArgs: s}); cxlerr.CodeOf(err) != cxlerr.Forbidden {
		t.Fatalf("the holder accepts: %v", err)
	}
	e.stub.Begin()
	e.as(carrier, "driver")
	tx, _ = ledger.NewTx(e.stub)
	a, err := provenancecc.PlanAccept(tx, provenance.CustodyArgs{SubjectArgs: s})
	if err != nil {
		t.Fatal(err)
	}
	got, related, err := a.Write(tx, nil)
	if err != nil || got.Holder != carrier || got.Offer != nil || related != nil || e.stub.Event() != nil {
		t.Fatalf("accept: %+v %v %v", got, related, err)
	}
	e.stub.Commit()
}
