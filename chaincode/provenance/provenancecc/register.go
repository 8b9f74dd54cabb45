package provenancecc

import (
	"encoding/json"
	"fmt"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
)

func registerProduct(tx *ledger.Tx, a provenance.RegisterProductArgs) (*provenance.Product, error) {
	if err := ledger.RequireRole(tx, ledgertypes.Brand); err != nil {
		return nil, err
	}
	key, err := ledger.Key(tx, productType, a.GTIN)
	if err != nil {
		return nil, err
	}
	var existing provenance.Product
	found, err := ledger.GetJSON(tx, key, &existing)
	if err != nil {
		return nil, err
	}
	if found {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "product %s is already registered by %s", a.GTIN, existing.Owner)
	}
	p := provenance.Product{
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

func registerLot(tx *ledger.Tx, a provenance.RegisterLotArgs) (*provenance.ProductLot, error) {
	p, err := planLot(tx, a)
	if err != nil {
		return nil, err
	}
	lot, err := p.write(tx)
	if err != nil {
		return nil, err
	}
	if err := emit(tx, "LotRegistered", map[string]string{"gtin": lot.GTIN, "lot": lot.Lot}, lot); err != nil {
		return nil, err
	}
	return lot, nil
}

// LotPlan is a lot registration checked against every rule of RegisterLot and ready to
// write; PlanLot makes one.
type LotPlan struct {
	a       provenance.RegisterLotArgs
	product provenance.Product
	lotKey  string
}

// PlanLot checks a lot registration as RegisterLot does (a is validated first) without
// writing; Write records it without emitting, so another contract records lots in a
// transaction that emits its own event. The checks read only what was committed before
// the transaction.
func PlanLot(tx *ledger.Tx, a provenance.RegisterLotArgs) (*LotPlan, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	return planLot(tx, a)
}

// Write records the planned lot, its inputs and its custody, as RegisterLot does.
func (p *LotPlan) Write(tx *ledger.Tx) (*provenance.ProductLot, error) { return p.write(tx) }

func planLot(tx *ledger.Tx, a provenance.RegisterLotArgs) (*LotPlan, error) {
	if err := ledger.RequireRole(tx, ledgertypes.Brand); err != nil {
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
	var existing provenance.ProductLot
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
	return &LotPlan{a: a, product: product, lotKey: lotKey}, nil
}

func (p *LotPlan) write(tx *ledger.Tx) (*provenance.ProductLot, error) {
	a := p.a
	holder := tx.Caller().MSP
	lot := provenance.ProductLot{
		GTIN: a.GTIN, Lot: a.Lot, Owner: p.product.Owner, Quantity: a.Quantity, Unit: a.Unit,
		Attributes: a.Attributes, Inputs: a.Inputs, Registered: tx.Time(), RegisteredTx: tx.ID(),
	}
	if err := ledger.PutJSON(tx, p.lotKey, lot); err != nil {
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
		if err := ledger.PutJSON(tx, childKey, provenance.LotRef{GTIN: a.GTIN, Lot: a.Lot}); err != nil {
			return nil, err
		}
	}
	return &lot, nil
}

// ownProduct reads a product the caller's organisation must own.
func ownProduct(tx *ledger.Tx, gtin string) (provenance.Product, error) {
	key, err := ledger.Key(tx, productType, gtin)
	if err != nil {
		return provenance.Product{}, err
	}
	var p provenance.Product
	found, err := ledger.GetJSON(tx, key, &p)
	if err != nil {
		return provenance.Product{}, err
	}
	if !found {
		return provenance.Product{}, cxlerr.Errorf(cxlerr.NotFound, "product %s not found", gtin)
	}
	if p.Owner != tx.Caller().MSP {
		return provenance.Product{}, cxlerr.Errorf(cxlerr.Forbidden, "product %s belongs to %s, not %s", gtin, p.Owner, tx.Caller().MSP)
	}
	return p, nil
}

// checkInputsHeld checks that every input lot exists, that the caller acts
// for its holder (its organisation, or the caller's own account: only what
// you hold can go into what you make, never what a customer of your
// organisation holds) and that it is not recalled.
func checkInputsHeld(tx *ledger.Tx, inputs []provenance.LotRef) error {
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
		if !tx.Caller().ActsForParty(c.Holder) {
			return cxlerr.Errorf(cxlerr.Forbidden, "inputs[%d]: lot %s/%s is held by %s; only its holder can use it as an input", i, in.GTIN, in.Lot, c.Holder)
		}
		var l provenance.ProductLot
		if err := json.Unmarshal(lotRaw, &l); err != nil {
			return cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", ledger.DescribeKey(keys[len(inputs)+i]), err)
		}
		if err := recalledConflict(l, fmt.Sprintf("use it as inputs[%d]", i)); err != nil {
			return err
		}
	}
	return nil
}

func registerItems(tx *ledger.Tx, a provenance.RegisterItemsArgs) (*provenance.ItemsRegistered, error) {
	p, err := planItems(tx, a)
	if err != nil {
		return nil, err
	}
	r, err := p.write(tx)
	if err != nil {
		return nil, err
	}
	if err := emit(tx, "ItemsRegistered", map[string]string{"gtin": a.GTIN, "lot": a.Lot}, r); err != nil {
		return nil, err
	}
	return r, nil
}

// ItemsPlan is an items registration checked against every rule of RegisterItems and
// ready to write; PlanItems makes one.
type ItemsPlan struct {
	a        provenance.RegisterItemsArgs
	product  provenance.Product
	custody  provenance.Custody
	itemKeys []string
}

// PlanItems checks an items registration as RegisterItems does (a is validated first)
// without writing; Write records it without emitting, so another contract registers items
// in a transaction that emits its own event. The checks read only what was committed
// before the transaction.
func PlanItems(tx *ledger.Tx, a provenance.RegisterItemsArgs) (*ItemsPlan, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	return planItems(tx, a)
}

// Write records the planned items and their custody, as RegisterItems does.
func (p *ItemsPlan) Write(tx *ledger.Tx) (*provenance.ItemsRegistered, error) { return p.write(tx) }

func planItems(tx *ledger.Tx, a provenance.RegisterItemsArgs) (*ItemsPlan, error) {
	if err := ledger.RequireRole(tx, ledgertypes.Brand); err != nil {
		return nil, err
	}
	product, err := ownProduct(tx, a.GTIN)
	if err != nil {
		return nil, err
	}
	lot := provenance.SubjectArgs{Kind: provenance.KindLot, GTIN: a.GTIN, Lot: a.Lot}
	_, custody, err := readCustody(tx, lot)
	if err != nil {
		return nil, err
	}
	if !tx.Caller().ActsForParty(custody.Holder) {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "%s is held by %s; serialise items while your organisation holds the lot", lot.Describe(), custody.Holder)
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
	return &ItemsPlan{a: a, product: product, custody: custody, itemKeys: itemKeys}, nil
}

func (p *ItemsPlan) write(tx *ledger.Tx) (*provenance.ItemsRegistered, error) {
	a, custody := p.a, p.custody
	policy, err := endorsement(partyMSP(custody.Holder))
	if err != nil {
		return nil, err
	}
	start := custodyRecord{Holder: custody.Holder, Location: custody.Location, Since: tx.Time(), SinceTx: tx.ID()}
	for i, s := range a.Serials {
		item := provenance.SerialItem{GTIN: a.GTIN, Serial: s, Lot: a.Lot, Owner: p.product.Owner, Registered: tx.Time(), RegisteredTx: tx.ID()}
		if err := ledger.PutJSON(tx, p.itemKeys[i], item); err != nil {
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
	return &provenance.ItemsRegistered{GTIN: a.GTIN, Lot: a.Lot, Holder: custody.Holder, Serials: a.Serials}, nil
}
