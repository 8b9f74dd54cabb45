package provenance

import (
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
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
	return ledgertypes.ValidateText("reason", a.Reason, maxReason)
}
