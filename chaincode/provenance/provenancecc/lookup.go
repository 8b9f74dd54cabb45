package provenancecc

import (
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
)

// getProduct reads a product. Like every provenance query it is open to any member of the
// channel: the kit has already identified the caller.
func getProduct(tx *ledger.Tx, a provenance.GetProductArgs) (*provenance.Product, error) {
	var p provenance.Product
	if err := lookup(tx, &p, "product "+a.GTIN, productType, a.GTIN); err != nil {
		return nil, err
	}
	return &p, nil
}

// getLot reads a lot of a product.
func getLot(tx *ledger.Tx, a provenance.GetLotArgs) (*provenance.ProductLot, error) {
	var lot provenance.ProductLot
	if err := lookup(tx, &lot, "lot "+a.Lot+" of product "+a.GTIN, lotType, a.GTIN, a.Lot); err != nil {
		return nil, err
	}
	return &lot, nil
}

// getItem reads a serialised item.
func getItem(tx *ledger.Tx, a provenance.GetItemArgs) (*provenance.SerialItem, error) {
	var item provenance.SerialItem
	if err := lookup(tx, &item, "item with serial "+a.Serial+" of product "+a.GTIN, itemType, a.GTIN, a.Serial); err != nil {
		return nil, err
	}
	return &item, nil
}

// lookup reads the record at (objectType, parts...) into v; a missing record is NOT_FOUND
// naming it as what.
func lookup(tx *ledger.Tx, v any, what, objectType string, parts ...string) error {
	key, err := ledger.Key(tx, objectType, parts...)
	if err != nil {
		return err
	}
	found, err := ledger.GetJSON(tx, key, v)
	if err != nil {
		return err
	}
	if !found {
		return cxlerr.Errorf(cxlerr.NotFound, "%s not found", what)
	}
	return nil
}

// FindProduct reads product gtin (14 digits); found is false when it is not registered.
// Other contracts call it in their transactions.
func FindProduct(tx *ledger.Tx, gtin string) (p provenance.Product, found bool, err error) {
	key, err := ledger.Key(tx, productType, gtin)
	if err != nil {
		return provenance.Product{}, false, err
	}
	found, err = ledger.GetJSON(tx, key, &p)
	return p, found, err
}

// FindLot reads lot gtin/lot; found is false when it is not registered. Other contracts
// call it in their transactions.
func FindLot(tx *ledger.Tx, gtin, lot string) (l provenance.ProductLot, found bool, err error) {
	key, err := ledger.Key(tx, lotType, gtin, lot)
	if err != nil {
		return provenance.ProductLot{}, false, err
	}
	found, err = ledger.GetJSON(tx, key, &l)
	return l, found, err
}
