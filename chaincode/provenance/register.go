package provenance

import (
	"fmt"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

// RegisterProductArgs is the argument of RegisterProduct.
type RegisterProductArgs struct {
	GTIN       string            `json:"gtin"`
	Name       string            `json:"name"`
	Attributes map[string]string `json:"attributes,omitempty" metadata:",optional"`
}

// Validate checks the fields and normalises the GTIN.
func (a *RegisterProductArgs) Validate() error {
	gtin, err := NormalizeGTIN("gtin", a.GTIN)
	if err != nil {
		return err
	}
	a.GTIN = gtin
	if err := ledgertypes.ValidateText("name", a.Name, maxName); err != nil {
		return err
	}
	return validateAttributes("attributes", a.Attributes)
}

// RegisterLotArgs is the argument of RegisterLot.
type RegisterLotArgs struct {
	GTIN       string            `json:"gtin"`
	Lot        string            `json:"lot"`
	Quantity   int64             `json:"quantity"`
	Unit       string            `json:"unit,omitempty" metadata:",optional"`
	Attributes map[string]string `json:"attributes,omitempty" metadata:",optional"`
	Inputs     []LotRef          `json:"inputs,omitempty" metadata:",optional"`
	Location   string            `json:"location,omitempty" metadata:",optional"`
}

// Validate checks the fields and normalises the GTINs.
func (a *RegisterLotArgs) Validate() error {
	gtin, err := NormalizeGTIN("gtin", a.GTIN)
	if err != nil {
		return err
	}
	a.GTIN = gtin
	if err := ValidateLotNumber("lot", a.Lot); err != nil {
		return err
	}
	if a.Quantity <= 0 {
		return cxlerr.Errorf(cxlerr.Invalid, "quantity: must be positive, got %d", a.Quantity)
	}
	if a.Unit != "" {
		if err := ledgertypes.ValidateUnit(a.Unit); err != nil {
			return err
		}
	}
	if err := validateAttributes("attributes", a.Attributes); err != nil {
		return err
	}
	if a.Location != "" {
		if err := ledgertypes.ValidateText("location", a.Location, maxLocation); err != nil {
			return err
		}
	}
	if len(a.Inputs) > maxInputs {
		return cxlerr.Errorf(cxlerr.Invalid, "inputs: %d lots, more than %d", len(a.Inputs), maxInputs)
	}
	seen := map[LotRef]int{}
	for i := range a.Inputs {
		in := &a.Inputs[i]
		field := fmt.Sprintf("inputs[%d]", i)
		if in.GTIN, err = NormalizeGTIN(field+".gtin", in.GTIN); err != nil {
			return err
		}
		if err := ValidateLotNumber(field+".lot", in.Lot); err != nil {
			return err
		}
		if *in == (LotRef{GTIN: a.GTIN, Lot: a.Lot}) {
			return cxlerr.Errorf(cxlerr.Invalid, "%s: a lot cannot be its own input", field)
		}
		if j, dup := seen[*in]; dup {
			return cxlerr.Errorf(cxlerr.Invalid, "%s: duplicate of inputs[%d]", field, j)
		}
		seen[*in] = i
	}
	return nil
}

// RegisterItemsArgs is the argument of RegisterItems.
type RegisterItemsArgs struct {
	GTIN    string   `json:"gtin"`
	Lot     string   `json:"lot"`
	Serials []string `json:"serials"`
}

// Validate checks the fields and normalises the GTIN.
func (a *RegisterItemsArgs) Validate() error {
	gtin, err := NormalizeGTIN("gtin", a.GTIN)
	if err != nil {
		return err
	}
	a.GTIN = gtin
	if err := ValidateLotNumber("lot", a.Lot); err != nil {
		return err
	}
	if len(a.Serials) == 0 || len(a.Serials) > maxItemsPerCall {
		return cxlerr.Errorf(cxlerr.Invalid, "serials: want 1 to %d serial numbers, got %d", maxItemsPerCall, len(a.Serials))
	}
	seen := make(map[string]int, len(a.Serials))
	for i, s := range a.Serials {
		field := fmt.Sprintf("serials[%d]", i)
		if err := ValidateSerial(field, s); err != nil {
			return err
		}
		if j, dup := seen[s]; dup {
			return cxlerr.Errorf(cxlerr.Invalid, "%s: duplicate of serials[%d]", field, j)
		}
		seen[s] = i
	}
	return nil
}
