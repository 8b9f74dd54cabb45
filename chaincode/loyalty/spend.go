package loyalty

import (
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

// RedeemArgs is the argument of Redeem.
type RedeemArgs struct {
	Program  string             `json:"program"`
	ID       string             `json:"id"`
	Account  string             `json:"account"`
	Points   ledgertypes.Amount `json:"points"`
	Merchant string             `json:"merchant"`
	Order    string             `json:"order,omitempty" metadata:",optional"`
}

// Validate checks every field.
func (a *RedeemArgs) Validate() error {
	if err := validateProgramID("program", a.Program); err != nil {
		return err
	}
	if err := ledgertypes.ValidateID("id", a.ID); err != nil {
		return err
	}
	if err := ledgertypes.ValidateAccount("account", a.Account); err != nil {
		return err
	}
	if err := ledgertypes.ValidateAmount("points", a.Points); err != nil {
		return err
	}
	if err := ledgertypes.ValidateMSP("merchant", a.Merchant); err != nil {
		return err
	}
	if a.Order != "" {
		return ledgertypes.ValidateID("order", a.Order)
	}
	return nil
}

// TransferArgs is the argument of Transfer.
type TransferArgs struct {
	Program string             `json:"program"`
	ID      string             `json:"id"`
	Account string             `json:"account"`
	To      string             `json:"to"`
	Points  ledgertypes.Amount `json:"points"`
}

// Validate checks every field.
func (a *TransferArgs) Validate() error {
	if err := validateProgramID("program", a.Program); err != nil {
		return err
	}
	if err := ledgertypes.ValidateID("id", a.ID); err != nil {
		return err
	}
	if err := ledgertypes.ValidateAccount("account", a.Account); err != nil {
		return err
	}
	if err := ledgertypes.ValidateAccount("to", a.To); err != nil {
		return err
	}
	if a.To == a.Account {
		return cxlerr.Errorf(cxlerr.Invalid, "to: a transfer needs another account than %s", a.Account)
	}
	return ledgertypes.ValidateAmount("points", a.Points)
}
