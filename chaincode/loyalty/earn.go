package loyalty

import (
	"strings"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

// EarnArgs is the argument of Earn: either the purchase amount, which the
// earn rule turns into points, or a number of points granted directly.
type EarnArgs struct {
	Program string             `json:"program"`
	ID      string             `json:"id"`
	Account string             `json:"account"`
	Amount  ledgertypes.Amount `json:"amount,omitempty" metadata:",optional"`
	Points  ledgertypes.Amount `json:"points,omitempty" metadata:",optional"`
}

// Validate checks every field.
func (a *EarnArgs) Validate() error {
	if err := validateProgramID("program", a.Program); err != nil {
		return err
	}
	if err := ledgertypes.ValidateID("id", a.ID); err != nil {
		return err
	}
	if strings.HasPrefix(a.ID, OrderEarnPrefix) {
		return cxlerr.Errorf(cxlerr.Invalid, "id: %q starts with %q, which is kept for order deliveries", a.ID, OrderEarnPrefix)
	}
	if err := ledgertypes.ValidateAccount("account", a.Account); err != nil {
		return err
	}
	if (a.Amount == 0) == (a.Points == 0) {
		return cxlerr.Errorf(cxlerr.Invalid, "give exactly one of amount (a purchase) and points (a grant)")
	}
	if a.Amount != 0 {
		return ledgertypes.ValidateAmount("amount", a.Amount)
	}
	return ledgertypes.ValidateAmount("points", a.Points)
}
