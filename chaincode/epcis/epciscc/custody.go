package epciscc

import (
	"slices"
	"strconv"
	"strings"

	"github.com/cxledger/cxledger/chaincode/epcis"
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/chaincode/provenance/provenancecc"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gs1"
	gepcis "github.com/cxledger/cxledger/gs1/epcis"
)

// CBV terms of the custody mapping, in the canonical web URI form the parser gives.
const (
	shipping        = "https://ref.gs1.org/cbv/BizStep-shipping"
	receiving       = "https://ref.gs1.org/cbv/BizStep-receiving"
	possessingParty = "https://ref.gs1.org/cbv/SDT-possessing_party"
	owningParty     = "https://ref.gs1.org/cbv/SDT-owning_party"
	locationParty   = "https://ref.gs1.org/cbv/SDT-location"
	purchaseOrder   = "https://ref.gs1.org/cbv/BTT-po"
)

// Mapping labels of custody.
const (
	mappedOffered  = "custody-offered"  // "custody-offered:N": N offers made (OfferCustody)
	mappedAccepted = "custody-accepted" // "custody-accepted:N": N offers accepted (AcceptCustody)
	mappedPacked   = "packed"           // "packed:N": N lots and items packed into the parent
	mappedUnpacked = "unpacked"         // "unpacked:N": N lots and items unpacked from it
)

func custodyClaim(s provenance.SubjectArgs) string {
	return "custody\x00" + s.Kind + "\x00" + s.GTIN + "\x00" + s.Lot + "\x00" + s.Serial
}

func orderClaim(id string) string { return "order\x00" + id }

// subjects are the lots (quantityList) and serialised items (epcList) of products
// registered on the ledger that event e names, each once, in the event's order.
func subjects(tx *ledger.Tx, e *gepcis.Event, cl *claimed) ([]provenance.SubjectArgs, error) {
	return subjectsOf(tx, e.EPCList, e.QuantityList, cl)
}

// subjectsOf are the lots (quantities) and serialised items (epcs) of products registered
// on the ledger, each once, in order.
func subjectsOf(tx *ledger.Tx, epcs []string, quantities []gepcis.Quantity, cl *claimed) ([]provenance.SubjectArgs, error) {
	var out []provenance.SubjectArgs
	add := func(uri string) error {
		id, err := gs1.Parse(uri)
		if err != nil || (id.Kind() != gs1.Item && id.Kind() != gs1.Lot) {
			return nil
		}
		found, err := cl.registered(tx, id.GTIN)
		if err != nil || !found {
			return err
		}
		s := provenance.SubjectArgs{Kind: provenance.KindLot, GTIN: id.GTIN, Lot: id.Lot}
		if id.Kind() == gs1.Item {
			s = provenance.SubjectArgs{Kind: provenance.KindItem, GTIN: id.GTIN, Serial: id.Serial}
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
		return nil
	}
	for _, epc := range epcs {
		if err := add(epc); err != nil {
			return nil, err
		}
	}
	for _, q := range quantities {
		if err := add(q.EPCClass); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// unclaimed fails with CONFLICT when an earlier event of the capture registered s or
// moved its custody: the checks read only what was committed before the capture.
func unclaimed(s provenance.SubjectArgs, cl *claimed) error {
	claim := itemClaim(s.GTIN, s.Serial)
	if s.Kind == provenance.KindLot {
		claim = lotClaim(s.GTIN, s.Lot)
	}
	if j, ok := cl.claims[claim]; ok {
		return cxlerr.Errorf(cxlerr.Conflict, "%s is registered by events[%d] of this capture; move its custody in a later capture", s.Describe(), j)
	}
	if j, ok := cl.claims[custodyClaim(s)]; ok {
		return cxlerr.Errorf(cxlerr.Conflict, "the custody of %s is moved by events[%d] of this capture; move it again in a later capture", s.Describe(), j)
	}
	return nil
}

// cxledgerParty is the party a source or destination URI names in the form
// epcis.PartyPrefix + party, "" for another URI; a URI of that form naming no valid
// organisation or account is INVALID.
func cxledgerParty(field, uri string) (string, error) {
	party, ok := strings.CutPrefix(uri, epcis.PartyPrefix)
	if !ok {
		return "", nil
	}
	check := ledgertypes.ValidateMSP
	if strings.Contains(party, "/") {
		check = ledgertypes.ValidateAccount
	}
	if err := check("party", party); err != nil {
		return "", cxlerr.Errorf(cxlerr.Invalid, "%s: %s names no organisation or account: %s", field, uri, cxlerr.From(err).Message)
	}
	return party, nil
}

// destination is the cxledger party that receives custody from a shipping event: its
// destinationList's possessing_party, or else its owning_party, in the form
// epcis.PartyPrefix + party; "" when the list names none (the goods leave for a party the
// ledger does not know). Two different parties of the chosen type are INVALID. location
// is where the handover takes place, as the offer records it: the destinationList's
// location, else the event's bizLocation, else its readPoint.
func destination(e *gepcis.Event) (party, location string, err error) {
	for _, typ := range []string{possessingParty, owningParty} {
		for k, d := range e.Destinations {
			if d.Type != typ {
				continue
			}
			p, err := cxledgerParty("destinationList["+strconv.Itoa(k)+"]", d.ID)
			if err != nil {
				return "", "", err
			}
			if p != "" && party != "" && p != party {
				return "", "", cxlerr.Errorf(cxlerr.Invalid, "destinationList: names both %s and %s as the party receiving custody", party, p)
			}
			if p != "" {
				party = p
			}
		}
		if party != "" {
			break
		}
	}
	for _, d := range e.Destinations {
		if d.Type == locationParty {
			return party, d.ID, nil
		}
	}
	if e.BizLocation != "" {
		return party, e.BizLocation, nil
	}
	return party, e.ReadPoint, nil
}

// planShipping plans the custody offers of a shipping event: each registered lot or item
// it names is offered to the cxledger party of its destinationList, as OfferCustody
// offers it (only the holder offers, one offer at a time, to a member or an account of a
// member). A shipping event naming no cxledger destination, or no registered lot or item,
// maps to nothing.
func planShipping(tx *ledger.Tx, e *gepcis.Event, cl *claimed) (*mapping, error) {
	subs, err := subjects(tx, e, cl)
	if err != nil || len(subs) == 0 {
		return nil, err
	}
	to, location, err := destination(e)
	if err != nil || to == "" {
		return nil, err
	}
	if location == "" {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "a shipping event that offers custody to %s says where the handover takes place: a destinationList location, a bizLocation or a readPoint", epcis.PartyURI(to))
	}
	m := &mapping{}
	for _, s := range subs {
		if err := unclaimed(s, cl); err != nil {
			return nil, err
		}
		p, err := provenancecc.PlanOffer(tx, provenance.OfferCustodyArgs{SubjectArgs: s, To: to, Location: location})
		if err != nil {
			return nil, err
		}
		m.offers = append(m.offers, p)
		m.claims = append(m.claims, custodyClaim(s))
	}
	m.labels = append(m.labels, mappedOffered+":"+strconv.Itoa(len(m.offers)))
	return m, nil
}

// planReceiving plans what a receiving event does. Each registered lot or item it names
// that is offered to the capturer's organisation is accepted, as AcceptCustody accepts it;
// one not offered to it (held by it already, offered to someone else, to an account, or
// not at all) is left as it is. Each order it names as a purchase order
// (epcis.OrderPrefix) is checked by the orders contract as a proof of delivery.
func planReceiving(tx *ledger.Tx, e *gepcis.Event, cl *claimed, deliveries Deliveries) (*mapping, error) {
	subs, err := subjects(tx, e, cl)
	if err != nil {
		return nil, err
	}
	m := &mapping{}
	caller := tx.Caller()
	for _, s := range subs {
		c, err := provenancecc.ReadCustody(tx, s)
		if cxlerr.CodeOf(err) == cxlerr.NotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		// Only offers to the capturer's organisation: a capture is staff's, and an
		// acceptance by an account is the account's own AcceptCustody.
		if c.Offer == nil || c.Offer.To != caller.MSP {
			continue
		}
		if err := unclaimed(s, cl); err != nil {
			return nil, err
		}
		p, err := provenancecc.PlanAccept(tx, provenance.CustodyArgs{SubjectArgs: s})
		if err != nil {
			return nil, err
		}
		m.accepts = append(m.accepts, p)
		m.claims = append(m.claims, custodyClaim(s))
	}
	if len(m.accepts) > 0 {
		m.labels = append(m.labels, mappedAccepted+":"+strconv.Itoa(len(m.accepts)))
	}
	if err := planDeliveries(tx, e, cl, deliveries, m); err != nil {
		return nil, err
	}
	if len(m.accepts) == 0 && len(m.deliveries) == 0 {
		return nil, nil
	}
	return m, nil
}

// planDeliveries plans, for each order a receiving event names as a purchase order, what
// the event does to it, into m. An order this capture delivers already is not delivered
// again: the checks see only what was committed before the capture.
func planDeliveries(tx *ledger.Tx, e *gepcis.Event, cl *claimed, deliveries Deliveries, m *mapping) error {
	var ids []string
	for _, bt := range e.BizTransactions {
		if id, ok := strings.CutPrefix(bt.ID, epcis.OrderPrefix); ok && bt.Type == purchaseOrder && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 || deliveries == nil {
		return nil
	}
	r := Receipt{Items: map[string][]string{}}
	for k, d := range e.Destinations {
		if d.Type != possessingParty && d.Type != owningParty {
			continue
		}
		p, err := cxledgerParty("destinationList["+strconv.Itoa(k)+"]", d.ID)
		if err != nil {
			return err
		}
		if p != "" && !slices.Contains(r.Parties, p) {
			r.Parties = append(r.Parties, p)
		}
	}
	for _, epc := range e.EPCList {
		id, err := gs1.Parse(epc)
		switch {
		case err != nil:
		case id.Kind() == gs1.Item && !slices.Contains(r.Items[id.GTIN], id.Serial):
			r.Items[id.GTIN] = append(r.Items[id.GTIN], id.Serial)
		case id.Kind() == gs1.Container && !slices.Contains(r.SSCCs, id.SSCC):
			r.SSCCs = append(r.SSCCs, id.SSCC)
		}
	}
	for _, q := range e.QuantityList {
		if id, err := gs1.Parse(q.EPCClass); err == nil && id.Kind() == gs1.Lot {
			r.Lots = append(r.Lots, provenance.LotRef{GTIN: id.GTIN, Lot: id.Lot})
		}
	}
	for _, id := range ids {
		r.Order = id
		p, err := deliveries.PlanDelivery(tx, r)
		if err != nil {
			return err
		}
		if j, ok := cl.claims[orderClaim(id)]; ok && p.Delivery.Order != "" {
			// The capturer reads the order: it is the one this capture delivers.
			p = &DeliveryPlan{Delivery: provenance.Delivery{Order: id, Reason: "order " + id + " is delivered by events[" + strconv.Itoa(j) + "] of this capture"}}
		}
		if p.Deliver != nil {
			m.claims = append(m.claims, orderClaim(id))
		}
		m.deliveries = append(m.deliveries, p)
	}
	return nil
}

// planPacking plans what an AggregationEvent does to the registered lots
// (childQuantityList) and items (childEPCs) it names: ADD packs them into its parentID,
// DELETE unpacks them (every lot and item the ledger records in the parent when it names
// no child), as the provenance contract's packing rules allow (PlanPack, PlanUnpack:
// the capturer's organisation holds them, no custody offer pending, packed into one
// container at a time). An aggregation naming no registered child maps to nothing.
func planPacking(tx *ledger.Tx, e *gepcis.Event, cl *claimed) (*mapping, error) {
	subs, err := subjectsOf(tx, e.ChildEPCs, e.ChildQuantityList, cl)
	if err != nil {
		return nil, err
	}
	unpackAll := e.Action == gepcis.ActionDelete && len(e.ChildEPCs) == 0 && len(e.ChildQuantityList) == 0
	if unpackAll {
		if subs, err = provenancecc.Contents(tx, e.ParentID); err != nil {
			return nil, err
		}
	}
	if len(subs) == 0 {
		return nil, nil
	}
	for _, s := range subs {
		if err := unclaimed(s, cl); err != nil {
			return nil, err
		}
	}
	plan, label := provenancecc.PlanPack, mappedPacked
	if e.Action == gepcis.ActionDelete {
		plan, label = provenancecc.PlanUnpack, mappedUnpacked
	}
	p, err := plan(tx, e.ParentID, subs)
	if err != nil {
		return nil, err
	}
	m := &mapping{packs: []*provenancecc.PackPlan{p}, labels: []string{label + ":" + strconv.Itoa(p.Len())}}
	for _, s := range subs {
		m.claims = append(m.claims, custodyClaim(s))
	}
	return m, nil
}
