package provenance

import (
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/cxlerr"
)

// CustodyArgs names the lot or item of a custody step.
type CustodyArgs struct {
	SubjectArgs
}

// Validate checks the subject.
func (a *CustodyArgs) Validate() error { return a.validate("", KindLot, KindItem) }

// OfferCustodyArgs is the argument of OfferCustody.
type OfferCustodyArgs struct {
	SubjectArgs
	To       string `json:"to"`
	Location string `json:"location"`
}

// Validate checks the subject, the receiver and the location.
func (a *OfferCustodyArgs) Validate() error {
	if err := a.validate("", KindLot, KindItem); err != nil {
		return err
	}
	if err := validateParty("to", a.To); err != nil {
		return err
	}
	return ledger.ValidateText("location", a.Location, maxLocation)
}

// RejectCustodyArgs is the argument of RejectCustody.
type RejectCustodyArgs struct {
	SubjectArgs
	Reason string `json:"reason,omitempty" metadata:",optional"`
}

// Validate checks the subject and the optional reason.
func (a *RejectCustodyArgs) Validate() error {
	if err := a.validate("", KindLot, KindItem); err != nil {
		return err
	}
	if a.Reason == "" {
		return nil
	}
	return ledger.ValidateText("reason", a.Reason, maxReason)
}

// custodyEvent is the data of the custody events.
type custodyEvent struct {
	Kind     string `json:"kind"`
	From     string `json:"from"`
	To       string `json:"to"`
	Location string `json:"location,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

func offerCustody(tx *ledger.Tx, a OfferCustodyArgs) (*Custody, error) {
	key, c, err := readCustody(tx, a.SubjectArgs)
	if err != nil {
		return nil, err
	}
	if !actsFor(tx.Caller(), c.Holder) {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "%s is held by %s; %s cannot offer it", a.describe(), c.Holder, tx.Caller().Account)
	}
	if c.Offer != nil {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "%s is already offered to %s; that offer must be accepted, rejected or withdrawn first", a.describe(), c.Offer.To)
	}
	if a.To == c.Holder {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "to: %s already holds %s", a.To, a.describe())
	}
	if err := requireNotRecalled(tx, c.GTIN, c.Lot, "offer custody of "+a.describe()); err != nil {
		return nil, err
	}
	if err := ledger.RequireMemberParty(tx, "to", a.To); err != nil {
		return nil, err
	}
	c.Offer = &CustodyOffer{To: a.To, Location: a.Location, At: tx.Time(), TxID: tx.ID()}
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

func acceptCustody(tx *ledger.Tx, a CustodyArgs) (*Custody, error) {
	key, c, err := readCustody(tx, a.SubjectArgs)
	if err != nil {
		return nil, err
	}
	if c.Offer == nil {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "no custody offer is pending for %s", a.describe())
	}
	offer := *c.Offer
	if !actsFor(tx.Caller(), offer.To) {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "%s is offered to %s; %s cannot accept it", a.describe(), offer.To, tx.Caller().Account)
	}
	if err := requireNotRecalled(tx, c.GTIN, c.Lot, "accept custody of "+a.describe()+" (reject the offer instead)"); err != nil {
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
	if err := emit(tx, "CustodyAccepted", subjectKeys(c), ev); err != nil {
		return nil, err
	}
	return &c, nil
}

func rejectCustody(tx *ledger.Tx, a RejectCustodyArgs) (*Custody, error) {
	key, c, err := readCustody(tx, a.SubjectArgs)
	if err != nil {
		return nil, err
	}
	if c.Offer == nil {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "no custody offer is pending for %s", a.describe())
	}
	if !actsFor(tx.Caller(), c.Offer.To) {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "%s is offered to %s; %s cannot reject it", a.describe(), c.Offer.To, tx.Caller().Account)
	}
	return settleOffer(tx, key, c, "CustodyRejected", a.Reason)
}

func withdrawCustodyOffer(tx *ledger.Tx, a CustodyArgs) (*Custody, error) {
	key, c, err := readCustody(tx, a.SubjectArgs)
	if err != nil {
		return nil, err
	}
	if !actsFor(tx.Caller(), c.Holder) {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "%s is held by %s; %s cannot withdraw its offer", a.describe(), c.Holder, tx.Caller().Account)
	}
	if c.Offer == nil {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "no custody offer is pending for %s", a.describe())
	}
	return settleOffer(tx, key, c, "CustodyOfferWithdrawn", "")
}

// settleOffer drops the pending offer, keeping the holder, and hands the key
// back to the holder's organisation alone.
func settleOffer(tx *ledger.Tx, key string, c Custody, event, reason string) (*Custody, error) {
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
func readCustody(tx *ledger.Tx, s SubjectArgs) (string, Custody, error) {
	c := Custody{Kind: s.Kind, GTIN: s.GTIN, Lot: s.Lot, Serial: s.Serial}
	if s.Kind == KindItem {
		itemKey, err := ledger.Key(tx, itemType, s.GTIN, s.Serial)
		if err != nil {
			return "", Custody{}, err
		}
		var item SerialItem
		found, err := ledger.GetJSON(tx, itemKey, &item)
		if err != nil {
			return "", Custody{}, err
		}
		if !found {
			return "", Custody{}, cxlerr.Errorf(cxlerr.NotFound, "%s not found", s.describe())
		}
		c.Lot = item.Lot
	}
	key, err := custodyKey(tx, c)
	if err != nil {
		return "", Custody{}, err
	}
	var rec custodyRecord
	found, err := ledger.GetJSON(tx, key, &rec)
	if err != nil {
		return "", Custody{}, err
	}
	if !found {
		return "", Custody{}, cxlerr.Errorf(cxlerr.NotFound, "%s not found", s.describe())
	}
	c.Holder, c.Location, c.Since, c.SinceTx, c.Offer = rec.Holder, rec.Location, rec.Since, rec.SinceTx, rec.Offer
	return key, c, nil
}

// custodyKey is the key of the custody of c's subject.
func custodyKey(tx *ledger.Tx, c Custody) (string, error) {
	if c.Kind == KindItem {
		return ledger.Key(tx, itemCustodyType, c.GTIN, c.Lot, c.Serial)
	}
	return ledger.Key(tx, lotCustodyType, c.GTIN, c.Lot)
}

func writeCustody(tx *ledger.Tx, key string, c Custody) error {
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
func subjectKeys(c Custody) map[string]string {
	keys := map[string]string{"gtin": c.GTIN, "lot": c.Lot}
	if c.Serial != "" {
		keys["serial"] = c.Serial
	}
	return keys
}
