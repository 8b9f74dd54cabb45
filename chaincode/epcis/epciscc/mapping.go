package epciscc

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/cxledger/cxledger/chaincode/epcis"
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/chaincode/provenance/provenancecc"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gs1"
	gepcis "github.com/cxledger/cxledger/gs1/epcis"
)

// itemsPerPlan is how many items one RegisterItems registers at most; a commissioning event
// naming more is planned in parts of this size.
const itemsPerPlan = 500

// commissioning is the CBV bizStep of an ObjectEvent that brings items into being.
const commissioning = "https://ref.gs1.org/cbv/BizStep-commissioning"

// Mapping labels: what an event became besides itself.
const (
	mappedItems   = "items"   // "items:N": N serialised items registered (RegisterItems)
	mappedLineage = "lineage" // a lot registered with its input lots (RegisterLot with inputs)
)

// mapping is what an event becomes in the provenance contract: plans checked by its rules
// before anything is written, written after the event itself.
type mapping struct {
	items   []*provenancecc.ItemsPlan
	lots    []*provenancecc.LotPlan
	offers  []*provenancecc.OfferPlan
	accepts []*provenancecc.AcceptPlan
	packs   []*provenancecc.PackPlan
	// deliveries are what a receiving event does to the orders it names.
	deliveries []*DeliveryPlan
	labels     []string
	// claims are the items and lots the plans register, so that a later event of the same
	// capture does not register them again (the checks see only what was committed).
	claims []string
}

// claimed tracks, for one capture, the items and lots its events register (claim -> event
// index) and whether each product read so far is registered (read once per capture).
type claimed struct {
	claims   map[string]int
	products map[string]bool
}

func newClaimed() *claimed {
	return &claimed{claims: map[string]int{}, products: map[string]bool{}}
}

// registered tells whether product gtin is registered on the ledger.
func (cl *claimed) registered(tx *ledger.Tx, gtin string) (bool, error) {
	if found, ok := cl.products[gtin]; ok {
		return found, nil
	}
	_, found, err := provenancecc.FindProduct(tx, gtin)
	if err != nil {
		return false, err
	}
	cl.products[gtin] = found
	return found, nil
}

func itemClaim(gtin, serial string) string { return "item\x00" + gtin + "\x00" + serial }
func lotClaim(gtin, lot string) string     { return "lot\x00" + gtin + "\x00" + lot }

// planMapping checks what event i becomes in the provenance and orders contracts:
// commissioning of items of a registered product registers them, a transformation into
// lots of a registered product registers those lots with their inputs, an aggregation
// packs registered lots and items into its parent or unpacks them, a shipping event
// offers custody of registered lots and items to the cxledger party it names, a receiving
// event accepts the offers made to the capturer and proves the delivery of the orders it
// names (custody.go). Events about products not registered on the ledger, and every other
// event, are kept whole only (nil, nil). A mapping the provenance rules refuse is the
// error, naming the event.
func (c *Contract) planMapping(tx *ledger.Tx, i int, e *gepcis.Event, ns gepcis.Namespaces, cl *claimed) (*mapping, error) {
	var m *mapping
	var err error
	switch {
	case e.Type == gepcis.ObjectEvent && e.Action == gepcis.ActionAdd && e.BizStep == commissioning:
		m, err = planItems(tx, i, e, ns, cl)
	case e.Type == gepcis.TransformationEvent:
		m, err = planLineage(tx, i, e, cl)
	case e.Type == gepcis.ObjectEvent && e.Action == gepcis.ActionObserve && e.BizStep == shipping:
		m, err = planShipping(tx, e, cl)
	case e.Type == gepcis.ObjectEvent && e.Action == gepcis.ActionObserve && e.BizStep == receiving:
		m, err = planReceiving(tx, e, cl, c.deliveries)
	case e.Type == gepcis.AggregationEvent && e.Action != gepcis.ActionObserve && e.ParentID != "":
		m, err = planPacking(tx, e, cl)
	}
	if err != nil {
		ce := cxlerr.From(err)
		if ce.Code == cxlerr.Internal {
			return nil, err
		}
		return nil, cxlerr.Errorf(ce.Code, "events[%d]: provenance: %s", i, ce.Message)
	}
	return m, nil
}

// write records the planned items, lots, custody moves and deliveries, marks them claimed
// by event i, and returns what it did to orders: the deliveries of the orders the event
// names, and what an accepted custody did to an order naming it as its shipment (hooks,
// the provenance contract's own, decide that).
func (m *mapping) write(tx *ledger.Tx, i int, cl *claimed, hooks provenancecc.Hooks) ([]epcis.Delivery, error) {
	for _, p := range m.lots {
		if _, err := p.Write(tx); err != nil {
			return nil, err
		}
	}
	for _, p := range m.items {
		if _, err := p.Write(tx); err != nil {
			return nil, err
		}
	}
	for _, p := range m.packs {
		if err := p.Write(tx); err != nil {
			return nil, err
		}
	}
	for _, p := range m.offers {
		if _, err := p.Write(tx); err != nil {
			return nil, err
		}
	}
	var out []epcis.Delivery
	for _, p := range m.accepts {
		// Offers to the capturer's organisation only: the hooks release nothing here,
		// since an order's customer is an account (see planReceiving).
		c, related, err := p.Write(tx, hooks)
		if err != nil {
			return nil, err
		}
		if c.Delivery != nil {
			out = append(out, delivered(i, *c.Delivery, related))
		}
	}
	for _, p := range m.deliveries {
		var related any
		if p.Deliver != nil {
			var err error
			if related, err = p.Deliver(tx); err != nil {
				return nil, err
			}
		}
		out = append(out, delivered(i, p.Delivery, related))
	}
	for _, c := range m.claims {
		cl.claims[c] = i
	}
	return out, nil
}

// delivered is the result of what event i did to an order.
func delivered(i int, d provenance.Delivery, related any) epcis.Delivery {
	return epcis.Delivery{Index: i, Order: d.Order, Released: d.Released, Amount: d.Amount, Currency: d.Currency, Reason: d.Reason, Related: related}
}

// planItems plans the registration of the serialised items a commissioning event names, for
// each of their products that is registered: the lot is the event's ilmd lot number.
func planItems(tx *ledger.Tx, i int, e *gepcis.Event, ns gepcis.Namespaces, cl *claimed) (*mapping, error) {
	var gtins []string
	serials := map[string][]string{}
	for _, epc := range e.EPCList {
		id, err := gs1.Parse(epc)
		if err != nil || id.Kind() != gs1.Item {
			continue
		}
		if _, ok := serials[id.GTIN]; !ok {
			gtins = append(gtins, id.GTIN)
		}
		if !slices.Contains(serials[id.GTIN], id.Serial) {
			serials[id.GTIN] = append(serials[id.GTIN], id.Serial)
		}
	}
	m := &mapping{}
	for _, gtin := range gtins {
		found, err := cl.registered(tx, gtin)
		if err != nil {
			return nil, err
		}
		if !found {
			continue
		}
		lot := e.LotNumber(ns)
		if lot == "" {
			return nil, cxlerr.Errorf(cxlerr.Invalid, "commissioning of items of product %s, which is registered, names no lot: give its lot number as ilmd cbvmda:lotNumber", gtin)
		}
		if j, ok := cl.claims[lotClaim(gtin, lot)]; ok {
			return nil, cxlerr.Errorf(cxlerr.Conflict, "lot %s/%s is registered by events[%d] of this capture; commission its items in a later capture", gtin, lot, j)
		}
		all := serials[gtin]
		for start := 0; start < len(all); start += itemsPerPlan {
			chunk := all[start:min(start+itemsPerPlan, len(all))]
			for _, s := range chunk {
				if j, ok := cl.claims[itemClaim(gtin, s)]; ok {
					return nil, cxlerr.Errorf(cxlerr.Conflict, "item %s/%s is registered by events[%d] of this capture", gtin, s, j)
				}
				m.claims = append(m.claims, itemClaim(gtin, s))
			}
			p, err := provenancecc.PlanItems(tx, provenance.RegisterItemsArgs{GTIN: gtin, Lot: lot, Serials: chunk})
			if err != nil {
				return nil, err
			}
			m.items = append(m.items, p)
		}
		m.labels = append(m.labels, mappedItems+":"+strconv.Itoa(len(all)))
	}
	if len(m.items) == 0 {
		return nil, nil
	}
	return m, nil
}

// planLineage plans the registration of each output lot of a transformation whose product
// is registered, with the event's input lots (input items stand for their lots). Lineage is
// recorded when a lot is registered: an output lot already registered with exactly these
// inputs is lineage already recorded, with other inputs a CONFLICT.
func planLineage(tx *ledger.Tx, i int, e *gepcis.Event, cl *claimed) (*mapping, error) {
	type output struct {
		ref provenance.LotRef
		q   gepcis.Quantity
	}
	var outputs []output
	for _, q := range e.OutputQuantityList {
		id, err := gs1.Parse(q.EPCClass)
		if err != nil || id.Kind() != gs1.Lot {
			continue
		}
		found, err := cl.registered(tx, id.GTIN)
		if err != nil {
			return nil, err
		}
		if found {
			outputs = append(outputs, output{ref: provenance.LotRef{GTIN: id.GTIN, Lot: id.Lot}, q: q})
		}
	}
	if len(outputs) == 0 {
		return nil, nil
	}
	inputs, err := inputLots(tx, e, cl)
	if err != nil {
		return nil, err
	}
	m := &mapping{}
	for _, out := range outputs {
		claim := lotClaim(out.ref.GTIN, out.ref.Lot)
		if j, ok := cl.claims[claim]; ok || slices.Contains(m.claims, claim) {
			if !ok {
				j = i
			}
			return nil, cxlerr.Errorf(cxlerr.Conflict, "lot %s/%s is registered by events[%d] of this capture", out.ref.GTIN, out.ref.Lot, j)
		}
		existing, found, err := provenancecc.FindLot(tx, out.ref.GTIN, out.ref.Lot)
		if err != nil {
			return nil, err
		}
		if found {
			if existing.Owner != tx.Caller().MSP {
				return nil, cxlerr.Errorf(cxlerr.Forbidden, "lot %s/%s belongs to %s, not %s", out.ref.GTIN, out.ref.Lot, existing.Owner, tx.Caller().MSP)
			}
			if !sameLots(existing.Inputs, inputs) {
				return nil, cxlerr.Errorf(cxlerr.Conflict, "lot %s/%s is registered with inputs %s; lineage is recorded when a lot is registered and this transformation names %s",
					out.ref.GTIN, out.ref.Lot, describeLots(existing.Inputs), describeLots(inputs))
			}
			m.labels = append(m.labels, mappedLineage)
			continue
		}
		qty, err := strconv.ParseInt(out.q.Quantity, 10, 64)
		if err != nil || qty <= 0 {
			return nil, cxlerr.Errorf(cxlerr.Invalid, "outputQuantityList: lot %s/%s is not registered and its quantity %q is not a positive whole number to register it with", out.ref.GTIN, out.ref.Lot, out.q.Quantity)
		}
		p, err := provenancecc.PlanLot(tx, provenance.RegisterLotArgs{
			GTIN: out.ref.GTIN, Lot: out.ref.Lot, Quantity: qty, Unit: out.q.UOM, Inputs: inputs, Location: e.BizLocation,
		})
		if err != nil {
			return nil, err
		}
		m.lots = append(m.lots, p)
		m.claims = append(m.claims, claim)
		m.labels = append(m.labels, mappedLineage)
	}
	return m, nil
}

// inputLots are the lots a transformation consumes: its input lot classes and the lots of
// its input items, each once, in the event's order. An input that names no lot (a product
// class, a logistic unit) cannot be lineage.
func inputLots(tx *ledger.Tx, e *gepcis.Event, cl *claimed) ([]provenance.LotRef, error) {
	var lots []provenance.LotRef
	add := func(r provenance.LotRef) error {
		if j, ok := cl.claims[lotClaim(r.GTIN, r.Lot)]; ok {
			return cxlerr.Errorf(cxlerr.Conflict, "input lot %s/%s is registered by events[%d] of this capture; transform it in a later capture", r.GTIN, r.Lot, j)
		}
		if !slices.Contains(lots, r) {
			lots = append(lots, r)
		}
		return nil
	}
	for k, q := range e.InputQuantityList {
		id, err := gs1.Parse(q.EPCClass)
		if err != nil || id.Kind() != gs1.Lot {
			return nil, cxlerr.Errorf(cxlerr.Invalid, "inputQuantityList[%d]: %s names no lot; a lot's lineage is made of lots", k, q.EPCClass)
		}
		if err := add(provenance.LotRef{GTIN: id.GTIN, Lot: id.Lot}); err != nil {
			return nil, err
		}
	}
	var gtins []string
	serials := map[string][]string{}
	for k, epc := range e.InputEPCList {
		id, err := gs1.Parse(epc)
		if err != nil || id.Kind() != gs1.Item {
			return nil, cxlerr.Errorf(cxlerr.Invalid, "inputEPCList[%d]: %s is not a serialised item whose lot could be an input", k, epc)
		}
		if _, ok := serials[id.GTIN]; !ok {
			gtins = append(gtins, id.GTIN)
		}
		serials[id.GTIN] = append(serials[id.GTIN], id.Serial)
	}
	for _, gtin := range gtins {
		itemLots, err := provenancecc.ItemLots(tx, gtin, serials[gtin])
		if err != nil {
			return nil, err
		}
		for _, l := range itemLots {
			if err := add(provenance.LotRef{GTIN: gtin, Lot: l}); err != nil {
				return nil, err
			}
		}
	}
	return lots, nil
}

// sameLots tells whether a and b hold the same lots, in any order.
func sameLots(a, b []provenance.LotRef) bool {
	if len(a) != len(b) {
		return false
	}
	for _, r := range a {
		if !slices.Contains(b, r) {
			return false
		}
	}
	return true
}

func describeLots(lots []provenance.LotRef) string {
	if len(lots) == 0 {
		return "none"
	}
	s := ""
	for k, r := range lots {
		if k > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s/%s", r.GTIN, r.Lot)
	}
	return s
}
