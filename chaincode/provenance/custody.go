package provenance

import (
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/cxlerr"
)

// custodyArgs names the lot or item of a custody step.
type custodyArgs struct {
	subjectArgs
}

// Validate checks the subject.
func (a *custodyArgs) Validate() error { return a.validate("", KindLot, KindItem) }

// offerArgs is the argument of OfferCustody.
type offerArgs struct {
	subjectArgs
	To       string `json:"to"`
	Location string `json:"location"`
}

// Validate checks the subject, the receiver and the location.
func (a *offerArgs) Validate() error {
	if err := a.validate("", KindLot, KindItem); err != nil {
		return err
	}
	if err := validateParty("to", a.To); err != nil {
		return err
	}
	return ledger.ValidateText("location", a.Location, maxLocation)
}

// rejectArgs is the argument of RejectCustody.
type rejectArgs struct {
	subjectArgs
	Reason string `json:"reason,omitempty"`
}

// Validate checks the subject and the optional reason.
func (a *rejectArgs) Validate() error {
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

func offerCustody(tx *ledger.Tx, a offerArgs) (*Custody, error) {
	key, c, err := readCustody(tx, a.subjectArgs)
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
		return nil, cxlerr.Errorf(cxlerr.Invalid, "to: %s already holds %s", a.To, a.describe())
	}
	c.Offer = &CustodyOffer{To: a.To, Location: a.Location, At: tx.Time(), TxID: tx.ID()}
	if err := writeCustody(tx, key, c); err != nil {
		return nil, err
	}
	// From now until the offer is settled, a change needs both sides' peers.
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

func acceptCustody(tx *ledger.Tx, a custodyArgs) (*Custody, error) {
	key, c, err := readCustody(tx, a.subjectArgs)
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

func rejectCustody(tx *ledger.Tx, a rejectArgs) (*Custody, error) {
	key, c, err := readCustody(tx, a.subjectArgs)
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

func withdrawCustodyOffer(tx *ledger.Tx, a custodyArgs) (*Custody, error) {
	key, c, err := readCustody(tx, a.subjectArgs)
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
func readCustody(tx *ledger.Tx, s subjectArgs) (string, Custody, error) {
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

// endorse makes key need a peer of every organisation in msps.
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
