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
	c.Offer = &provenance.CustodyOffer{To: a.To, Location: a.Location, At: tx.Time(), TxID: tx.ID()}
	if err := writeCustody(tx, key, c); err != nil {
		return nil, err
	}
	// From now until the offer is settled, a change needs both sides' peers.
	// Fabric validates a write against the key's policy as committed before
	// it, so an offer to an organisation without peers would lock the subject
	// for good: that is why the receiver must be a member.
	if from, to := partyMSP(c.Holder), partyMSP(a.To); from != to {
		if err := endorse(tx, key, from, to); err != nil {
			return nil, err
		}
	}
	ev := custodyEvent{Kind: c.Kind, From: c.Holder, To: a.To, Location: a.Location}
	if err := emit(tx, "CustodyOffered", subjectKeys(c), ev); err != nil {
		return nil, err
	}
	return &c, nil
}

func (p *Contract) acceptCustody(tx *ledger.Tx, a provenance.CustodyArgs) (*provenance.Custody, error) {
	key, c, err := readCustody(tx, a.SubjectArgs)
	if err != nil {
		return nil, err
	}
	if c.Offer == nil {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "no custody offer is pending for %s", a.Describe())
	}
	offer := *c.Offer
	if !tx.Caller().ActsForParty(offer.To) {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "%s is offered to %s; %s cannot accept it", a.Describe(), offer.To, tx.Caller().Account)
	}
	if err := requireNotRecalled(tx, c.GTIN, c.Lot, "accept custody of "+a.Describe()+" (reject the offer instead)"); err != nil {
		return nil, err
	}
	from := c.Holder
	c.Holder, c.Location, c.Since, c.SinceTx, c.Offer = offer.To, offer.Location, tx.Time(), tx.ID(), nil
	if err := writeCustody(tx, key, c); err != nil {
		return nil, err
	}
	if partyMSP(from) != partyMSP(c.Holder) {
		if err := endorse(tx, key, partyMSP(c.Holder)); err != nil {
			return nil, err
		}
	}
	ev := custodyEvent{Kind: c.Kind, From: from, To: c.Holder, Location: c.Location}
	keys := subjectKeys(c)
	if p.hooks != nil {
		d, related, err := p.hooks.CustodyAccepted(tx, from, c)
		if err != nil {
			return nil, hookError(c, err)
		}
		if d != nil {
			c.Delivery = d
			ev.Delivery = &deliveryEvent{Delivery: d, Related: related}
			if d.Order != "" {
				keys["order"] = d.Order
			}
		}
	}
	if err := emit(tx, "CustodyAccepted", keys, ev); err != nil {
		return nil, err
	}
	return &c, nil
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
	c.Holder, c.Location, c.Since, c.SinceTx, c.Offer = rec.Holder, rec.Location, rec.Since, rec.SinceTx, rec.Offer
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
	return ledger.PutJSON(tx, key, custodyRecord{Holder: c.Holder, Location: c.Location, Since: c.Since, SinceTx: c.SinceTx, Offer: c.Offer})
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
