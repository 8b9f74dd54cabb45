package provenancecc

import (
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
)

// custodyEvent is the data of the custody events.
type custodyEvent struct {
	Kind     string         `json:"kind"`
	From     string         `json:"from"`
	To       string         `json:"to"`
	Location string         `json:"location,omitempty"`
	Reason   string         `json:"reason,omitempty"`
	Delivery *deliveryEvent `json:"delivery,omitempty"`
}

// deliveryEvent is what an acceptance did to the order naming its subject
// as its shipment, with what the orders contract's own hooks returned (the
// loyalty points the delivery earned) under "related".
type deliveryEvent struct {
	*provenance.Delivery
	Related any `json:"related,omitempty"`
}

func offerCustody(tx *ledger.Tx, a provenance.OfferCustodyArgs) (*provenance.Custody, error) {
	p, err := planOffer(tx, a)
	if err != nil {
		return nil, err
	}
	c, err := p.write(tx)
	if err != nil {
		return nil, err
	}
	ev := custodyEvent{Kind: c.Kind, From: c.Holder, To: a.To, Location: a.Location}
	if err := emit(tx, "CustodyOffered", subjectKeys(*c), ev); err != nil {
		return nil, err
	}
	return c, nil
}

// OfferPlan is a custody offer checked against every rule of OfferCustody and ready to
// write; PlanOffer makes one.
type OfferPlan struct {
	a   provenance.OfferCustodyArgs
	key string
	c   provenance.Custody
}

// PlanOffer checks a custody offer as OfferCustody does (a is validated first) without
// writing; Write records it without emitting, so another contract offers custody in a
// transaction that emits its own event (the epcis contract, for a shipping event). The
// checks read only what was committed before the transaction.
func PlanOffer(tx *ledger.Tx, a provenance.OfferCustodyArgs) (*OfferPlan, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	return planOffer(tx, a)
}

// Write records the planned offer and the custody key's new endorsement policy, as
// OfferCustody does, and returns the custody with its offer.
func (p *OfferPlan) Write(tx *ledger.Tx) (*provenance.Custody, error) { return p.write(tx) }

func planOffer(tx *ledger.Tx, a provenance.OfferCustodyArgs) (*OfferPlan, error) {
	key, c, err := readCustody(tx, a.SubjectArgs)
	if err != nil {
		return nil, err
	}
	if !tx.Caller().ActsForParty(c.Holder) {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "%s is held by %s; %s cannot offer it", a.Describe(), c.Holder, tx.Caller().Account)
	}
	if c.Offer != nil {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "%s is already offered to %s; that offer must be accepted, rejected or withdrawn first", a.Describe(), c.Offer.To)
	}
	if a.To == c.Holder {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "to: %s already holds %s", a.To, a.Describe())
	}
	if err := requireNotRecalled(tx, c.GTIN, c.Lot, "offer custody of "+a.Describe()); err != nil {
		return nil, err
	}
	if err := ledger.RequireMemberParty(tx, "to", a.To); err != nil {
		return nil, err
	}
	return &OfferPlan{a: a, key: key, c: c}, nil
}

func (p *OfferPlan) write(tx *ledger.Tx) (*provenance.Custody, error) {
	c, a := p.c, p.a
	c.Offer = &provenance.CustodyOffer{To: a.To, Location: a.Location, At: tx.Time(), TxID: tx.ID()}
	if err := writeCustody(tx, p.key, c); err != nil {
		return nil, err
	}
	// From now until the offer is settled, a change needs both sides' peers.
	// Fabric validates a write against the key's policy as committed before
	// it, so an offer to an organisation without peers would lock the subject
	// for good: that is why the receiver must be a member.
	if from, to := partyMSP(c.Holder), partyMSP(a.To); from != to {
		if err := endorse(tx, p.key, from, to); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

func (p *Contract) acceptCustody(tx *ledger.Tx, a provenance.CustodyArgs) (*provenance.Custody, error) {
	plan, err := planAccept(tx, a)
	if err != nil {
		return nil, err
	}
	c, ev, err := plan.write(tx, p.hooks)
	if err != nil {
		return nil, err
	}
	keys := subjectKeys(*c)
	if c.Delivery != nil && c.Delivery.Order != "" {
		keys["order"] = c.Delivery.Order
	}
	if err := emit(tx, "CustodyAccepted", keys, ev); err != nil {
		return nil, err
	}
	return c, nil
}

// AcceptPlan is a custody acceptance checked against every rule of AcceptCustody and ready
// to write; PlanAccept makes one.
type AcceptPlan struct {
	key string
	c   provenance.Custody
}

// PlanAccept checks the caller's acceptance of the custody offered to it as AcceptCustody
// does (a is validated first) without writing; Write records it without emitting, so
// another contract accepts custody in a transaction that emits its own event (the epcis
// contract, for a receiving event). The checks read only what was committed before the
// transaction.
func PlanAccept(tx *ledger.Tx, a provenance.CustodyArgs) (*AcceptPlan, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	return planAccept(tx, a)
}

// Write records the planned acceptance as AcceptCustody does, calling hooks (nil for
// none) as the provenance contract calls its own: the custody returned carries what the
// handover did to an order naming its subject as shipment (Delivery), and related is what
// the hooks returned for the event's delivery.
func (p *AcceptPlan) Write(tx *ledger.Tx, hooks Hooks) (c *provenance.Custody, related any, err error) {
	c, ev, err := p.write(tx, hooks)
	if err != nil {
		return nil, nil, err
	}
	if ev.Delivery != nil {
		related = ev.Delivery.Related
	}
	return c, related, nil
}

func planAccept(tx *ledger.Tx, a provenance.CustodyArgs) (*AcceptPlan, error) {
	key, c, err := readCustody(tx, a.SubjectArgs)
	if err != nil {
		return nil, err
	}
	if c.Offer == nil {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "no custody offer is pending for %s", a.Describe())
	}
	if !tx.Caller().ActsForParty(c.Offer.To) {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "%s is offered to %s; %s cannot accept it", a.Describe(), c.Offer.To, tx.Caller().Account)
	}
	if err := requireNotRecalled(tx, c.GTIN, c.Lot, "accept custody of "+a.Describe()+" (reject the offer instead)"); err != nil {
		return nil, err
	}
	return &AcceptPlan{key: key, c: c}, nil
}

// write moves custody to the offer's receiver, runs hooks and returns the new custody and
// the data of its CustodyAccepted event.
func (p *AcceptPlan) write(tx *ledger.Tx, hooks Hooks) (*provenance.Custody, custodyEvent, error) {
	c := p.c
	offer := *c.Offer
	from := c.Holder
	c.Holder, c.Location, c.Since, c.SinceTx, c.Offer = offer.To, offer.Location, tx.Time(), tx.ID(), nil
	if err := writeCustody(tx, p.key, c); err != nil {
		return nil, custodyEvent{}, err
	}
	if partyMSP(from) != partyMSP(c.Holder) {
		if err := endorse(tx, p.key, partyMSP(c.Holder)); err != nil {
			return nil, custodyEvent{}, err
		}
	}
	ev := custodyEvent{Kind: c.Kind, From: from, To: c.Holder, Location: c.Location}
	if hooks != nil {
		d, related, err := hooks.CustodyAccepted(tx, from, c)
		if err != nil {
			return nil, custodyEvent{}, hookError(c, err)
		}
		if d != nil {
			c.Delivery = d
			ev.Delivery = &deliveryEvent{Delivery: d, Related: related}
		}
	}
	return &c, ev, nil
}

// ReadCustody returns the committed custody of a lot or an item (s validated first): its
// holder and any pending offer. A missing lot or item is NOT_FOUND. Other contracts call
// it in their transactions; anyone may read custody, as GetItem and Verify show it.
func ReadCustody(tx *ledger.Tx, s provenance.SubjectArgs) (provenance.Custody, error) {
	a := provenance.CustodyArgs{SubjectArgs: s}
	if err := a.Validate(); err != nil {
		return provenance.Custody{}, err
	}
	_, c, err := readCustody(tx, s)
	return c, err
}

func rejectCustody(tx *ledger.Tx, a provenance.RejectCustodyArgs) (*provenance.Custody, error) {
	key, c, err := readCustody(tx, a.SubjectArgs)
	if err != nil {
		return nil, err
	}
	if c.Offer == nil {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "no custody offer is pending for %s", a.Describe())
	}
	if !tx.Caller().ActsForParty(c.Offer.To) {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "%s is offered to %s; %s cannot reject it", a.Describe(), c.Offer.To, tx.Caller().Account)
	}
	return settleOffer(tx, key, c, "CustodyRejected", a.Reason)
}

func withdrawCustodyOffer(tx *ledger.Tx, a provenance.CustodyArgs) (*provenance.Custody, error) {
	key, c, err := readCustody(tx, a.SubjectArgs)
	if err != nil {
		return nil, err
	}
	if !tx.Caller().ActsForParty(c.Holder) {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "%s is held by %s; %s cannot withdraw its offer", a.Describe(), c.Holder, tx.Caller().Account)
	}
	if c.Offer == nil {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "no custody offer is pending for %s", a.Describe())
	}
	return settleOffer(tx, key, c, "CustodyOfferWithdrawn", "")
}

// settleOffer drops the pending offer, keeping the holder, and hands the key
// back to the holder's organisation alone.
func settleOffer(tx *ledger.Tx, key string, c provenance.Custody, event, reason string) (*provenance.Custody, error) {
	offer := *c.Offer
	c.Offer = nil
	if err := writeCustody(tx, key, c); err != nil {
		return nil, err
	}
	if partyMSP(c.Holder) != partyMSP(offer.To) {
		if err := endorse(tx, key, partyMSP(c.Holder)); err != nil {
			return nil, err
		}
	}
	ev := custodyEvent{Kind: c.Kind, From: c.Holder, To: offer.To, Location: offer.Location, Reason: reason}
	if err := emit(tx, event, subjectKeys(c), ev); err != nil {
		return nil, err
	}
	return &c, nil
}

// readCustody reads the custody of a lot or an item and returns its key.
// A missing lot or item is NOT_FOUND.
func readCustody(tx *ledger.Tx, s provenance.SubjectArgs) (string, provenance.Custody, error) {
	c := provenance.Custody{Kind: s.Kind, GTIN: s.GTIN, Lot: s.Lot, Serial: s.Serial}
	if s.Kind == provenance.KindItem {
		itemKey, err := ledger.Key(tx, itemType, s.GTIN, s.Serial)
		if err != nil {
			return "", provenance.Custody{}, err
		}
		var item provenance.SerialItem
		found, err := ledger.GetJSON(tx, itemKey, &item)
		if err != nil {
			return "", provenance.Custody{}, err
		}
		if !found {
			return "", provenance.Custody{}, cxlerr.Errorf(cxlerr.NotFound, "%s not found", s.Describe())
		}
		c.Lot = item.Lot
	}
	key, err := custodyKey(tx, c)
	if err != nil {
		return "", provenance.Custody{}, err
	}
	var rec custodyRecord
	found, err := ledger.GetJSON(tx, key, &rec)
	if err != nil {
		return "", provenance.Custody{}, err
	}
	if !found {
		return "", provenance.Custody{}, cxlerr.Errorf(cxlerr.NotFound, "%s not found", s.Describe())
	}
	c.Holder, c.Location, c.Since, c.SinceTx, c.Offer, c.PackedInto = rec.Holder, rec.Location, rec.Since, rec.SinceTx, rec.Offer, rec.PackedInto
	return key, c, nil
}

// custodyKey is the key of the custody of c's subject.
func custodyKey(tx *ledger.Tx, c provenance.Custody) (string, error) {
	if c.Kind == provenance.KindItem {
		return ledger.Key(tx, itemCustodyType, c.GTIN, c.Lot, c.Serial)
	}
	return ledger.Key(tx, lotCustodyType, c.GTIN, c.Lot)
}

func writeCustody(tx *ledger.Tx, key string, c provenance.Custody) error {
	return ledger.PutJSON(tx, key, custodyRecord{Holder: c.Holder, Location: c.Location, Since: c.Since, SinceTx: c.SinceTx, Offer: c.Offer, PackedInto: c.PackedInto})
}

// endorse makes key need a peer of every one of the organisations in msps.
func endorse(tx *ledger.Tx, key string, msps ...string) error {
	policy, err := endorsement(msps...)
	if err != nil {
		return err
	}
	return setEndorsement(tx, key, policy)
}

// subjectKeys are the event keys of a custody subject.
func subjectKeys(c provenance.Custody) map[string]string {
	keys := map[string]string{"gtin": c.GTIN, "lot": c.Lot}
	if c.Serial != "" {
		keys["serial"] = c.Serial
	}
	return keys
}
