package provenancecc

import (
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
)

// recallLot marks a lot recalled. Only the organisation owning the product
// may, by its staff carrying the brand role, whether or not the
// organisation still holds the role on the ledger: a recall must always be
// possible.
func recallLot(tx *ledger.Tx, a provenance.RecallLotArgs) (*provenance.ProductLot, error) {
	key, err := ledger.Key(tx, lotType, a.GTIN, a.Lot)
	if err != nil {
		return nil, err
	}
	var lot provenance.ProductLot
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
	if err := ledger.RequireStaff(tx, lot.Owner, ledgertypes.Brand); err != nil {
		return nil, err
	}
	if lot.Recall != nil {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "lot %s/%s is already recalled", a.GTIN, a.Lot)
	}
	lot.Recall = &provenance.LotRecall{Reason: a.Reason, At: tx.Time(), TxID: tx.ID()}
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
