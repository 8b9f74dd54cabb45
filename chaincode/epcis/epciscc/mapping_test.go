package epciscc_test

import (
	"encoding/json"
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
)

// Products of the mapping tests: beans (GS1 company prefix 9506000, item reference 013435)
// and the roasted coffee made of them (item reference 013436), both the brand's; tea
// (item reference 013437) is OtherMSP's; 013438 is registered by no one.
const (
	beans  = "09506000134352"
	coffee = "09506000134369"
	tea    = "09506000134376"
)

// mapEnv is an env whose brand registered beans lot B1 and coffee, and whose other
// organisation, also a brand, registered tea lot T1.
type mapEnv struct {
	*env
	p *provenancecc.Contract
}

func newMapEnv(t *testing.T) *mapEnv {
	e := &mapEnv{env: newEnv(t), p: provenancecc.NewContract(nil)}
	e.grant(other, ledgertypes.Brand)
	e.stub.AsIdentity(staff(brand, ledgertypes.Brand))
	e.must(e.p.RegisterProduct(ledgertest.Context(e.stub), provenance.RegisterProductArgs{GTIN: beans, Name: "Green beans"}))
	e.must(e.p.RegisterProduct(ledgertest.Context(e.stub), provenance.RegisterProductArgs{GTIN: coffee, Name: "Roasted coffee"}))
	e.must(e.p.RegisterLot(ledgertest.Context(e.stub), provenance.RegisterLotArgs{GTIN: beans, Lot: "B1", Quantity: 100, Unit: "KGM"}))
	e.stub.AsIdentity(staff(other, ledgertypes.Brand))
	e.must(e.p.RegisterProduct(ledgertest.Context(e.stub), provenance.RegisterProductArgs{GTIN: tea, Name: "Tea"}))
	e.must(e.p.RegisterLot(ledgertest.Context(e.stub), provenance.RegisterLotArgs{GTIN: tea, Lot: "T1", Quantity: 10}))
	e.stub.AsIdentity(staff(brand, ledgertypes.Brand))
	return e
}

// grant gives msp role on the ledger: msp proposes, the auditor approves.
func (e *mapEnv) grant(msp string, role ledgertypes.Role) {
	for i, who := range []string{msp, audit} {
		e.stub.As(who, "admin", "admin")
		tx, err := ledger.NewTx(e.stub)
		if err != nil {
			e.t.Fatal(err)
		}
		op := ledger.ProposeRole
		if i == 1 {
			op = ledger.ApproveRole
		}
		if _, err := op(tx, msp, role); err != nil {
			e.t.Fatal(err)
		}
		e.stub.Commit()
	}
}

// must fails the test on err and commits the transaction.
func (e *mapEnv) must(_ any, err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
	e.stub.Commit()
}

// doc is the capture argument of events.
func doc(proceed bool, events ...string) string {
	a := epcis.CaptureArgs{Proceed: proceed}
	for _, ev := range events {
		a.Events = append(a.Events, json.RawMessage(ev))
	}
	raw, _ := json.Marshal(a)
	return string(raw)
}

// commission is a commissioning ObjectEvent at minute min of the items of item reference
// ref with serials, of lot (no ilmd when empty).
func commission(min int, ref, lot string, serials ...string) string {
	var epcs []string
	for _, s := range serials {
		epcs = append(epcs, fmt.Sprintf("%q", "urn:epc:id:sgtin:9506000."+ref+"."+s))
	}
	ilmd := ""
	if lot != "" {
		ilmd = `,"ilmd":{"cbvmda:lotNumber":"` + lot + `"}`
	}
	return fmt.Sprintf(`{"type":"ObjectEvent","eventTime":"2026-03-01T08:%02d:00Z","eventTimeZoneOffset":"+00:00","epcList":[%s],"action":"ADD","bizStep":"commissioning"%s}`,
		min, strings.Join(epcs, ","), ilmd)
}

// transform is a TransformationEvent at minute min from inputs (EPC classes or items) into
// output lot of coffee with quantity q.
func transform(min int, inputs []string, output, q string) string {
	var classes, items []string
	for _, in := range inputs {
		if strings.HasPrefix(in, "urn:epc:id:") {
			items = append(items, fmt.Sprintf("%q", in))
		} else {
			classes = append(classes, fmt.Sprintf(`{"epcClass":%q,"quantity":10,"uom":"KGM"}`, in))
		}
	}
	qty := ""
	if q != "" {
		qty = `,"quantity":` + q + `,"uom":"KGM"`
	}
	s := fmt.Sprintf(`{"type":"TransformationEvent","eventTime":"2026-03-02T08:%02d:00Z","eventTimeZoneOffset":"+00:00","outputQuantityList":[{"epcClass":"urn:epc:class:lgtin:9506000.013436.%s"%s}],"bizStep":"commissioning","bizLocation":{"id":"urn:epc:id:sgln:9506000.00001.0"}`, min, output, qty)
	if len(classes) > 0 {
		s += `,"inputQuantityList":[` + strings.Join(classes, ",") + `]`
	}
	if len(items) > 0 {
		s += `,"inputEPCList":[` + strings.Join(items, ",") + `]`
	}
	return s + "}"
}

const shipping = `{"type":"ObjectEvent","eventTime":"2026-03-03T08:00:00Z","eventTimeZoneOffset":"+00:00","epcList":["urn:epc:id:sgtin:9506000.013435.S1"],"action":"OBSERVE","bizStep":"shipping"}`

func (e *mapEnv) item(gtin, serial string) (*provenance.SerialItem, error) {
	defer e.stub.Begin()
	return e.p.GetItem(ledgertest.Context(e.stub), provenance.GetItemArgs{GTIN: gtin, Serial: serial})
}

func (e *mapEnv) lot(gtin, lot string) (*provenance.ProductLot, error) {
	defer e.stub.Begin()
	return e.p.GetLot(ledgertest.Context(e.stub), provenance.GetLotArgs{GTIN: gtin, Lot: lot})
}

func TestCaptureMapsCommissioningToItems(t *testing.T) {
	e := newMapEnv(t)
	ev := commission(0, "013435", "B1", "S1", "S2", "S3")
	unregistered := commission(1, "013438", "X1", "S1")
	args := doc(false, ev, shipping, unregistered)
	r, err := e.c.Capture(ledgertest.Context(e.stub), args)
	if err != nil {
		t.Fatal(err)
	}
	// The capture's one event lists what was mapped.
	var payload struct {
		Type string            `json:"type"`
		Keys map[string]string `json:"keys"`
		Data epcis.CaptureResult
	}
	if err := json.Unmarshal(e.stub.Event().Payload, &payload); err != nil {
		t.Fatal(err)
	}
	e.stub.Commit()
	if payload.Type != "Captured" || payload.Keys["mapped"] != "1" || len(payload.Data.Mapped) != 1 {
		t.Fatalf("event: %+v", payload)
	}
	if len(r.Captured) != 3 || len(r.Mapped) != 1 || r.Mapped[0].Index != 0 || r.Mapped[0].Hash != r.Captured[0] ||
		strings.Join(r.Mapped[0].Records, ",") != "items:3" {
		t.Fatalf("result: %+v", r)
	}
	for _, s := range []string{"S1", "S2", "S3"} {
		it, err := e.item(beans, s)
		if err != nil || it.Lot != "B1" || it.Owner != brand {
			t.Fatalf("item %s: %+v %v", s, it, err)
		}
	}
	// The shipping event and the commissioning of a product not on the ledger are kept whole.
	if _, err := e.item("09506000134383", "S1"); cxlerr.CodeOf(err) != cxlerr.NotFound {
		t.Fatalf("item of an unregistered product: %v", err)
	}
	// Capturing the same document again records and maps nothing again.
	r, err = e.capture(args)
	if err != nil || len(r.Captured) != 0 || len(r.Duplicates) != 3 || len(r.Mapped) != 0 {
		t.Fatalf("second capture: %+v %v", r, err)
	}
	// A new event commissioning the same items is refused as RegisterItems refuses them.
	if _, err := e.capture(doc(false, commission(2, "013435", "B1", "S3"))); cxlerr.CodeOf(err) != cxlerr.Conflict || !strings.Contains(err.Error(), "events[0]") {
		t.Fatalf("items already registered: %v", err)
	}
}

func TestCaptureMapsManyItemsInParts(t *testing.T) {
	e := newMapEnv(t)
	serials := make([]string, 501)
	for i := range serials {
		serials[i] = fmt.Sprintf("N%d", i)
	}
	r, err := e.capture(doc(false, commission(0, "013435", "B1", serials...)))
	if err != nil || len(r.Mapped) != 1 || r.Mapped[0].Records[0] != "items:501" {
		t.Fatalf("capture: %+v %v", r, err)
	}
	for _, s := range []string{"N0", "N499", "N500"} {
		if it, err := e.item(beans, s); err != nil || it.Lot != "B1" {
			t.Fatalf("item %s: %+v %v", s, it, err)
		}
	}
}

func TestCaptureMapsTransformationToLineage(t *testing.T) {
	e := newMapEnv(t)
	e.must(e.capture(doc(false, commission(0, "013435", "B1", "S1"))))
	// Input: lot B1 by class and again through its item S1; output: coffee lot R1.
	ev := transform(0, []string{"urn:epc:class:lgtin:9506000.013435.B1", "urn:epc:id:sgtin:9506000.013435.S1"}, "R1", "40")
	r, err := e.capture(doc(false, ev))
	if err != nil || len(r.Mapped) != 1 || strings.Join(r.Mapped[0].Records, ",") != "lineage" {
		t.Fatalf("capture: %+v %v", r, err)
	}
	l, err := e.lot(coffee, "R1")
	if err != nil || l.Quantity != 40 || l.Unit != "KGM" || len(l.Inputs) != 1 || l.Inputs[0] != (provenance.LotRef{GTIN: beans, Lot: "B1"}) {
		t.Fatalf("lot: %+v %v", l, err)
	}
	tr, err := e.p.Trace(ledgertest.Context(e.stub), provenance.TraceArgs{GTIN: beans, Lot: "B1"})
	e.stub.Begin()
	if err != nil || len(tr.Downstream) != 1 || tr.Downstream[0].Lot != "R1" {
		t.Fatalf("trace of B1: %+v %v", tr, err)
	}
	// Another event naming the same lineage finds it recorded; other inputs conflict.
	r, err = e.capture(doc(false, transform(1, []string{"urn:epc:class:lgtin:9506000.013435.B1"}, "R1", "40")))
	if err != nil || len(r.Mapped) != 1 || r.Mapped[0].Records[0] != "lineage" {
		t.Fatalf("same lineage again: %+v %v", r, err)
	}
	// Another brand naming the brand's lot with the same lineage maps nothing.
	e.stub.AsIdentity(staff(other, ledgertypes.Brand))
	if _, err := e.capture(doc(false, transform(3, []string{"urn:epc:class:lgtin:9506000.013435.B1"}, "R1", "40"))); cxlerr.CodeOf(err) != cxlerr.Forbidden {
		t.Fatalf("another brand's event about the lot: %v", err)
	}
	e.stub.AsIdentity(staff(brand, ledgertypes.Brand))
	e.must(e.p.RegisterLot(ledgertest.Context(e.stub), provenance.RegisterLotArgs{GTIN: beans, Lot: "B2", Quantity: 5}))
	if _, err := e.capture(doc(false, transform(2, []string{"urn:epc:class:lgtin:9506000.013435.B2"}, "R1", "40"))); cxlerr.CodeOf(err) != cxlerr.Conflict {
		t.Fatalf("other inputs of a registered lot: %v", err)
	}
}

func TestCaptureMappingRefusals(t *testing.T) {
	e := newMapEnv(t)
	for _, c := range []struct {
		name   string
		events []string
		index  int
		code   cxlerr.Code
		// absent is a record the rejected event would have made: item "gtin/serial" or lot "gtin/lot#".
		absent string
	}{
		{"no lot number", []string{shipping, commission(0, "013435", "", "S1")}, 1, cxlerr.Invalid, beans + "/S1"},
		{"unregistered lot", []string{commission(0, "013435", "B9", "S1")}, 0, cxlerr.NotFound, beans + "/S1"},
		{"lot number too long", []string{commission(0, "013435", strings.Repeat("L", 21), "S1")}, 0, cxlerr.Invalid, beans + "/S1"},
		{"lot number with a space", []string{commission(0, "013435", "B 1", "S1")}, 0, cxlerr.Invalid, beans + "/S1"},
		{"someone else's product", []string{shipping, commission(0, "013437", "T1", "S1")}, 1, cxlerr.Forbidden, tea + "/S1"},
		{"the same items twice in one capture", []string{commission(0, "013435", "B1", "S1"), commission(1, "013435", "B1", "S1")}, 1, cxlerr.Conflict, ""},
		{"someone else's input lot", []string{transform(0, []string{"urn:epc:class:lgtin:9506000.013437.T1"}, "R1", "4")}, 0, cxlerr.Forbidden, coffee + "/R1#"},
		{"unregistered input lot", []string{transform(0, []string{"urn:epc:class:lgtin:9506000.013435.B9"}, "R1", "4")}, 0, cxlerr.NotFound, coffee + "/R1#"},
		{"input naming no lot", []string{transform(0, []string{"https://id.gs1.org/01/09506000134352"}, "R1", "4")}, 0, cxlerr.Invalid, coffee + "/R1#"},
		{"unregistered input item", []string{transform(0, []string{"urn:epc:id:sgtin:9506000.013435.S7"}, "R1", "4")}, 0, cxlerr.NotFound, coffee + "/R1#"},
		{"output without quantity", []string{transform(0, []string{"urn:epc:class:lgtin:9506000.013435.B1"}, "R1", "")}, 0, cxlerr.Invalid, coffee + "/R1#"},
		{"fractional quantity", []string{transform(0, []string{"urn:epc:class:lgtin:9506000.013435.B1"}, "R1", "2.5")}, 0, cxlerr.Invalid, coffee + "/R1#"},
		{"input lot registered in the same capture", []string{
			transform(0, []string{"urn:epc:class:lgtin:9506000.013435.B1"}, "R1", "4"),
			transform(1, []string{"urn:epc:class:lgtin:9506000.013436.R1"}, "R2", "4"),
		}, 1, cxlerr.Conflict, coffee + "/R2#"},
	} {
		t.Run(c.name, func(t *testing.T) {
			// Rollback: nothing captured, the error names the event.
			_, err := e.capture(doc(false, c.events...))
			if cxlerr.CodeOf(err) != c.code || !strings.Contains(err.Error(), fmt.Sprintf("events[%d]: provenance:", c.index)) {
				t.Fatalf("rollback: %v, want %s naming events[%d]", err, c.code, c.index)
			}
			if got := e.query(epcis.QueryArgs{}); len(got) != 0 {
				t.Fatalf("rollback left %d events", len(got))
			}
			// Proceed: that event is rejected and nothing of it applied; the others are.
			r, err := e.capture(doc(true, c.events...))
			if err != nil || len(r.Rejected) != 1 || r.Rejected[0].Index != c.index || r.Rejected[0].Code != string(c.code) ||
				len(r.Captured) != len(c.events)-1 {
				t.Fatalf("proceed: %+v %v", r, err)
			}
			for _, m := range r.Mapped {
				if m.Index == c.index {
					t.Fatalf("rejected event mapped: %+v", r.Mapped)
				}
			}
			if c.absent != "" {
				gtin, rest, _ := strings.Cut(c.absent, "/")
				var err error
				if lot, ok := strings.CutSuffix(rest, "#"); ok {
					_, err = e.lot(gtin, lot)
				} else {
					_, err = e.item(gtin, rest)
				}
				if cxlerr.CodeOf(err) != cxlerr.NotFound {
					t.Fatalf("%s of the rejected event: %v", c.absent, err)
				}
			}
			e.reset(t)
		})
	}
}

// reset starts the mapping refusals' next case on a fresh ledger.
func (e *mapEnv) reset(t *testing.T) { *e = *newMapEnv(t) }

func TestCaptureMappingCallers(t *testing.T) {
	e := newMapEnv(t)
	ev := doc(false, commission(0, "013435", "B1", "S1"))
	// A customer of the brand captures nothing.
	e.stub.AsIdentity(ledgertest.Customer(brand, "c"))
	if _, err := e.capture(ev); cxlerr.CodeOf(err) != cxlerr.Forbidden {
		t.Fatalf("customer: %v", err)
	}
	// Staff of another brand may not commission the brand's items.
	e.stub.AsIdentity(staff(other, ledgertypes.Brand))
	if _, err := e.capture(ev); cxlerr.CodeOf(err) != cxlerr.Forbidden || !strings.Contains(err.Error(), "belongs to "+brand) {
		t.Fatalf("other brand: %v", err)
	}
	// A merchant's staff captures events but registers no items: that is the brand's.
	e.grant(other, ledgertypes.Merchant)
	e.stub.AsIdentity(staff(other, ledgertypes.Merchant))
	if _, err := e.capture(ev); cxlerr.CodeOf(err) != cxlerr.Forbidden {
		t.Fatalf("merchant: %v", err)
	}
	if _, err := e.item(beans, "S1"); cxlerr.CodeOf(err) != cxlerr.NotFound {
		t.Fatalf("item registered by a refused capture: %v", err)
	}
}
