package loyalty

import (
	"fmt"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

// CreateProgramArgs is the argument of CreateProgram.
type CreateProgramArgs struct {
	ID           string        `json:"id"`
	Name         string        `json:"name"`
	Unit         string        `json:"unit"`
	Currency     string        `json:"currency"`
	Earn         EarnRule      `json:"earn"`
	ExpiryDays   int           `json:"expiryDays,omitempty" metadata:",optional"`
	Transferable bool          `json:"transferable,omitempty" metadata:",optional"`
	EarnOnOrders bool          `json:"earnOnOrders,omitempty" metadata:",optional"`
	Partners     []PartnerArgs `json:"partners,omitempty" metadata:",optional"`
}

// PartnerArgs offers a partner organisation terms: Per points are worth
// Value minor units.
type PartnerArgs struct {
	MSP   string             `json:"msp"`
	Value ledgertypes.Amount `json:"value"`
	Per   ledgertypes.Amount `json:"per"`
}

// Validate checks every field.
func (a *CreateProgramArgs) Validate() error {
	if err := validateProgramID("id", a.ID); err != nil {
		return err
	}
	if err := ledgertypes.ValidateText("name", a.Name, maxName); err != nil {
		return err
	}
	if err := ledgertypes.ValidateText("unit", a.Unit, maxUnitName); err != nil {
		return err
	}
	if err := ledgertypes.ValidateCurrency(a.Currency); err != nil {
		return err
	}
	if err := a.Earn.validate("earn"); err != nil {
		return err
	}
	if a.ExpiryDays < 0 || a.ExpiryDays > maxExpiryDays {
		return cxlerr.Errorf(cxlerr.Invalid, "expiryDays: must be 0 (never) to %d, got %d", maxExpiryDays, a.ExpiryDays)
	}
	if len(a.Partners) > MaxPartners {
		return cxlerr.Errorf(cxlerr.Invalid, "partners: %d partners, more than %d", len(a.Partners), MaxPartners)
	}
	seen := map[string]bool{}
	for i, p := range a.Partners {
		field := fmt.Sprintf("partners[%d]", i)
		if err := ledgertypes.ValidateMSP(field+".msp", p.MSP); err != nil {
			return err
		}
		if seen[p.MSP] {
			return cxlerr.Errorf(cxlerr.Invalid, "%s.msp: %s is listed twice", field, p.MSP)
		}
		seen[p.MSP] = true
		if err := ledgertypes.ValidateAmount(field+".value", p.Value); err != nil {
			return err
		}
		if err := ledgertypes.ValidateAmount(field+".per", p.Per); err != nil {
			return err
		}
	}
	return nil
}

// ProgramArgs names a programme.
type ProgramArgs struct {
	Program string `json:"program"`
}

// Validate checks the programme ID.
func (a *ProgramArgs) Validate() error {
	return validateProgramID("program", a.Program)
}
