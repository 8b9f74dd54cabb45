package provenance

import (
	"encoding/json"
	"fmt"

	"github.com/cxledger/cxledger/chaincode/ledger"
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
	if err := ledger.ValidateText("name", a.Name, maxName); err != nil {
		return err
	}
	return validateAttributes("attributes", a.Attributes)
}

func registerProduct(tx *ledger.Tx, a RegisterProductArgs) (*Product, error) {
	if err := ledger.RequireRole(tx, ledger.Brand); err != nil {
		return nil, err
	}
	key, err := ledger.Key(tx, productType, a.GTIN)
	if err != nil {
		return nil, err
	}
	var existing Product
	found, err := ledger.GetJSON(tx, key, &existing)
	if err != nil {
		return nil, err
	}
	if found {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "product %s is already registered by %s", a.GTIN, existing.Owner)
	}
	p := Product{
		GTIN: a.GTIN, Name: a.Name, Owner: tx.Caller().MSP, Attributes: a.Attributes,
		Registered: tx.Time(), RegisteredTx: tx.ID(),
	}
	if err := ledger.PutJSON(tx, key, p); err != nil {
		return nil, err
	}
	if err := emit(tx, "ProductRegistered", map[string]string{"gtin": p.GTIN}, p); err != nil {
		return nil, err
	}
	return &p, nil
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
		if err := ledger.ValidateUnit(a.Unit); err != nil {
			return err
		}
	}
	if err := validateAttributes("attributes", a.Attributes); err != nil {
		return err
	}
	if a.Location != "" {
		if err := ledger.ValidateText("location", a.Location, maxLocation); err != nil {
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

func registerLot(tx *ledger.Tx, a RegisterLotArgs) (*ProductLot, error) {
	if err := ledger.RequireRole(tx, ledger.Brand); err != nil {
		return nil, err
	}
	product, err := ownProduct(tx, a.GTIN)
	if err != nil {
		return nil, err
	}
	lotKey, err := ledger.Key(tx, lotType, a.GTIN, a.Lot)
	if err != nil {
		return nil, err
	}
	var existing ProductLot
	found, err := ledger.GetJSON(tx, lotKey, &existing)
	if err != nil {
		return nil, err
	}
	if found {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "lot %s/%s is already registered", a.GTIN, a.Lot)
	}
	if err := checkInputsHeld(tx, a.Inputs); err != nil {
		return nil, err
	}

	holder := tx.Caller().MSP
	lot := ProductLot{
		GTIN: a.GTIN, Lot: a.Lot, Owner: product.Owner, Quantity: a.Quantity, Unit: a.Unit,
		Attributes: a.Attributes, Inputs: a.Inputs, Registered: tx.Time(), RegisteredTx: tx.ID(),
	}
	if err := ledger.PutJSON(tx, lotKey, lot); err != nil {
		return nil, err
	}
	holdKey, err := ledger.Key(tx, lotCustodyType, a.GTIN, a.Lot)
	if err != nil {
		return nil, err
	}
	if err := ledger.PutJSON(tx, holdKey, custodyRecord{Holder: holder, Location: a.Location, Since: tx.Time(), SinceTx: tx.ID()}); err != nil {
		return nil, err
	}
	if err := endorse(tx, holdKey, holder); err != nil {
		return nil, err
	}
	for _, in := range a.Inputs {
		childKey, err := ledger.Key(tx, childType, in.GTIN, in.Lot, a.GTIN, a.Lot)
		if err != nil {
			return nil, err
		}
		if err := ledger.PutJSON(tx, childKey, LotRef{GTIN: a.GTIN, Lot: a.Lot}); err != nil {
			return nil, err
		}
	}
	if err := emit(tx, "LotRegistered", map[string]string{"gtin": lot.GTIN, "lot": lot.Lot}, lot); err != nil {
		return nil, err
	}
	return &lot, nil
}

// ownProduct reads a product the caller's organisation must own.
func ownProduct(tx *ledger.Tx, gtin string) (Product, error) {
	key, err := ledger.Key(tx, productType, gtin)
	if err != nil {
		return Product{}, err
	}
	var p Product
	found, err := ledger.GetJSON(tx, key, &p)
	if err != nil {
		return Product{}, err
	}
	if !found {
		return Product{}, cxlerr.Errorf(cxlerr.NotFound, "product %s not found", gtin)
	}
	if p.Owner != tx.Caller().MSP {
		return Product{}, cxlerr.Errorf(cxlerr.Forbidden, "product %s belongs to %s, not %s", gtin, p.Owner, tx.Caller().MSP)
	}
	return p, nil
}

// checkInputsHeld checks that every input lot exists, that the caller's
// organisation holds it (only what you hold can go into what you make) and
// that it is not recalled.
func checkInputsHeld(tx *ledger.Tx, inputs []LotRef) error {
	keys := make([]string, 2*len(inputs))
	for i, in := range inputs {
		key, err := ledger.Key(tx, lotCustodyType, in.GTIN, in.Lot)
		if err != nil {
			return err
		}
		keys[i] = key
		if keys[len(inputs)+i], err = ledger.Key(tx, lotType, in.GTIN, in.Lot); err != nil {
			return err
		}
	}
	values, err := getMany(tx, keys)
	if err != nil {
		return err
	}
	for i, in := range inputs {
		raw, lotRaw := values[i], values[len(inputs)+i]
		if raw == nil || lotRaw == nil {
			return cxlerr.Errorf(cxlerr.NotFound, "inputs[%d]: lot %s/%s not found", i, in.GTIN, in.Lot)
		}
		var c custodyRecord
		if err := json.Unmarshal(raw, &c); err != nil {
			return cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", ledger.DescribeKey(keys[i]), err)
		}
		if partyMSP(c.Holder) != tx.Caller().MSP {
			return cxlerr.Errorf(cxlerr.Forbidden, "inputs[%d]: lot %s/%s is held by %s; only its holder can use it as an input", i, in.GTIN, in.Lot, c.Holder)
		}
		var l ProductLot
		if err := json.Unmarshal(lotRaw, &l); err != nil {
			return cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", ledger.DescribeKey(keys[len(inputs)+i]), err)
		}
		if err := recalledConflict(l, fmt.Sprintf("use it as inputs[%d]", i)); err != nil {
			return err
		}
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

func registerItems(tx *ledger.Tx, a RegisterItemsArgs) (*ItemsRegistered, error) {
	if err := ledger.RequireRole(tx, ledger.Brand); err != nil {
		return nil, err
	}
	product, err := ownProduct(tx, a.GTIN)
	if err != nil {
		return nil, err
	}
	lot := SubjectArgs{Kind: KindLot, GTIN: a.GTIN, Lot: a.Lot}
	_, custody, err := readCustody(tx, lot)
	if err != nil {
		return nil, err
	}
	holderMSP := partyMSP(custody.Holder)
	if holderMSP != tx.Caller().MSP {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "%s is held by %s; serialise items while your organisation holds the lot", lot.describe(), custody.Holder)
	}
	if err := requireNotRecalled(tx, a.GTIN, a.Lot, "serialise items of it"); err != nil {
		return nil, err
	}

	itemKeys := make([]string, len(a.Serials))
	for i, s := range a.Serials {
		if itemKeys[i], err = ledger.Key(tx, itemType, a.GTIN, s); err != nil {
			return nil, err
		}
	}
	existing, err := getMany(tx, itemKeys)
	if err != nil {
		return nil, err
	}
	for i, raw := range existing {
		if raw != nil {
			return nil, cxlerr.Errorf(cxlerr.Conflict, "serials[%d]: item %s/%s is already registered", i, a.GTIN, a.Serials[i])
		}
	}

	policy, err := endorsement(holderMSP)
	if err != nil {
		return nil, err
	}
	start := custodyRecord{Holder: custody.Holder, Location: custody.Location, Since: tx.Time(), SinceTx: tx.ID()}
	for i, s := range a.Serials {
		item := SerialItem{GTIN: a.GTIN, Serial: s, Lot: a.Lot, Owner: product.Owner, Registered: tx.Time(), RegisteredTx: tx.ID()}
		if err := ledger.PutJSON(tx, itemKeys[i], item); err != nil {
			return nil, err
		}
		holdKey, err := ledger.Key(tx, itemCustodyType, a.GTIN, a.Lot, s)
		if err != nil {
			return nil, err
		}
		if err := ledger.PutJSON(tx, holdKey, start); err != nil {
			return nil, err
		}
		if err := setEndorsement(tx, holdKey, policy); err != nil {
			return nil, err
		}
	}
	r := ItemsRegistered{GTIN: a.GTIN, Lot: a.Lot, Holder: custody.Holder, Serials: a.Serials}
	if err := emit(tx, "ItemsRegistered", map[string]string{"gtin": a.GTIN, "lot": a.Lot}, r); err != nil {
		return nil, err
	}
	return &r, nil
}
