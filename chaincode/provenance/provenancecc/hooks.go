package provenancecc

import (
	"encoding/json"
	"errors"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
)

// Hooks lets another contract of the chaincode act on a custody handover
// inside the same transaction (the orders contract delivers the order
// whose shipment the customer accepted from its carrier).
//
// CustodyAccepted is called when an acceptance moved custody of c from
// from to c.Holder; the new custody is already written, and Fabric does not
// let the transaction read it back. The hook may read the ledger and write
// its own keys but must not emit an event. It returns what the handover did
// to an order naming c's subject as its shipment, nil when no order does,
// and data for the custody event's delivery under "related". An error
// aborts the acceptance; a coded error reaches the client as it is, any
// other becomes INTERNAL.
type Hooks interface {
	CustodyAccepted(tx *ledger.Tx, from string, c provenance.Custody) (*provenance.Delivery, any, error)
}

// hookError passes a coded error on as it is and makes any other INTERNAL.
func hookError(c provenance.Custody, err error) error {
	var coded *cxlerr.Error
	if errors.As(err, &coded) {
		return err
	}
	subject := provenance.SubjectArgs{Kind: c.Kind, GTIN: c.GTIN, Lot: c.Lot, Serial: c.Serial}
	return cxlerr.Errorf(cxlerr.Internal, "accept custody of %s: hook: %w", subject.Describe(), err)
}

// RequireLot fails with NOT_FOUND unless lot gtin/lot is registered; gtin
// is the 14-digit GTIN. Other contracts call it in their transactions.
func RequireLot(tx *ledger.Tx, gtin, lot string) error {
	_, err := getLot(tx, provenance.GetLotArgs{GTIN: gtin, Lot: lot})
	return err
}

// ItemLots returns the lot of each serialised item gtin/serials[i], read
// with one GetMultipleStates; the first item not registered is NOT_FOUND.
// Other contracts call it in their transactions.
func ItemLots(tx *ledger.Tx, gtin string, serials []string) ([]string, error) {
	keys := make([]string, len(serials))
	for i, s := range serials {
		key, err := ledger.Key(tx, itemType, gtin, s)
		if err != nil {
			return nil, err
		}
		keys[i] = key
	}
	values, err := getMany(tx, keys)
	if err != nil {
		return nil, err
	}
	lots := make([]string, len(serials))
	for i, v := range values {
		if v == nil {
			return nil, cxlerr.Errorf(cxlerr.NotFound, "item with serial %s of product %s not found", serials[i], gtin)
		}
		var item provenance.SerialItem
		if err := decodeValue(keys[i], v, &item); err != nil {
			return nil, err
		}
		lots[i] = item.Lot
	}
	return lots, nil
}

// ItemHolders returns the committed holder of each serialised item
// gtin/serials[i], read with two GetMultipleStates (the items, then their
// custody); the first item not registered is NOT_FOUND. Other contracts
// call it in their transactions.
func ItemHolders(tx *ledger.Tx, gtin string, serials []string) ([]string, error) {
	lots, err := ItemLots(tx, gtin, serials)
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(serials))
	for i, s := range serials {
		key, err := ledger.Key(tx, itemCustodyType, gtin, lots[i], s)
		if err != nil {
			return nil, err
		}
		keys[i] = key
	}
	values, err := getMany(tx, keys)
	if err != nil {
		return nil, err
	}
	holders := make([]string, len(serials))
	for i, v := range values {
		if v == nil {
			return nil, cxlerr.Errorf(cxlerr.Internal, "item %s/%s has no custody record", gtin, serials[i])
		}
		var rec custodyRecord
		if err := decodeValue(keys[i], v, &rec); err != nil {
			return nil, err
		}
		holders[i] = rec.Holder
	}
	return holders, nil
}

// decodeValue unmarshals the value of key into v; a value that does not
// decode is INTERNAL.
func decodeValue(key string, value []byte, v any) error {
	if err := json.Unmarshal(value, v); err != nil {
		return cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", ledger.DescribeKey(key), err)
	}
	return nil
}
