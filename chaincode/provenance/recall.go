package provenance

import (
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/cxlerr"
)

// RecallLotArgs is the argument of RecallLot.
type RecallLotArgs struct {
	GTIN   string `json:"gtin"`
	Lot    string `json:"lot"`
	Reason string `json:"reason"`
}

// Validate checks the fields and normalises the GTIN.
func (a *RecallLotArgs) Validate() error {
	gtin, err := NormalizeGTIN("gtin", a.GTIN)
	if err != nil {
		return err
	}
	a.GTIN = gtin
	if err := ValidateLotNumber("lot", a.Lot); err != nil {
		return err
	}
	return ledger.ValidateText("reason", a.Reason, maxReason)
}

// recallLot marks a lot recalled. Only the organisation owning the product
// may, whether or not it still holds the brand role: a recall must always
// be possible.
func recallLot(tx *ledger.Tx, a RecallLotArgs) (*ProductLot, error) {
	key, err := ledger.Key(tx, lotType, a.GTIN, a.Lot)
	if err != nil {
		return nil, err
	}
	var lot ProductLot
	found, err := ledger.GetJSON(tx, key, &lot)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, cxlerr.Errorf(cxlerr.NotFound, "lot %s/%s not found", a.GTIN, a.Lot)
	}
	if lot.Owner != tx.Caller().MSP {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "lot %s/%s belongs to %s; only the owner of the product recalls it", a.GTIN, a.Lot, lot.Owner)
	}
	if lot.Recall != nil {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "lot %s/%s is already recalled", a.GTIN, a.Lot)
	}
	lot.Recall = &LotRecall{Reason: a.Reason, At: tx.Time(), TxID: tx.ID()}
	if err := ledger.PutJSON(tx, key, lot); err != nil {
		return nil, err
	}
	data := struct {
		Owner  string `json:"owner"`
		Reason string `json:"reason"`
	}{lot.Owner, a.Reason}
	if err := emit(tx, "LotRecalled", map[string]string{"gtin": a.GTIN, "lot": a.Lot}, data); err != nil {
		return nil, err
	}
	return &lot, nil
}
