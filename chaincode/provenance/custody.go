package provenance

import (
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
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
	return ledgertypes.ValidateText("location", a.Location, maxLocation)
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
	return ledgertypes.ValidateText("reason", a.Reason, maxReason)
}
