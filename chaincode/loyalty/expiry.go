package loyalty

import (
	"fmt"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

// ExpireArgs is the argument of ExpirePoints.
type ExpireArgs struct {
	Program  string   `json:"program"`
	Accounts []string `json:"accounts"`
}

// Validate checks the programme and that the accounts are 1 to 50
// distinct valid accounts.
func (a *ExpireArgs) Validate() error {
	if err := validateProgramID("program", a.Program); err != nil {
		return err
	}
	if len(a.Accounts) == 0 || len(a.Accounts) > maxSweep {
		return cxlerr.Errorf(cxlerr.Invalid, "accounts: give 1 to %d accounts, got %d", maxSweep, len(a.Accounts))
	}
	seen := map[string]bool{}
	for i, acct := range a.Accounts {
		field := fmt.Sprintf("accounts[%d]", i)
		if err := ledgertypes.ValidateAccount(field, acct); err != nil {
			return err
		}
		if seen[acct] {
			return cxlerr.Errorf(cxlerr.Invalid, "%s: %s is listed twice", field, acct)
		}
		seen[acct] = true
	}
	return nil
}
