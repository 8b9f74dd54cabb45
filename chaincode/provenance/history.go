package provenance

import (
	"encoding/json"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/cxlerr"
)

// ProvenanceHistoryArgs is the argument of History.
type ProvenanceHistoryArgs struct {
	SubjectArgs
	PageSize int    `json:"pageSize,omitempty" metadata:",optional"`
	Bookmark string `json:"bookmark,omitempty" metadata:",optional"`
}

// Validate checks the subject and normalises the GTIN; the kit checks the
// page size and bookmark.
func (a *ProvenanceHistoryArgs) Validate() error {
	return a.validate("", KindProduct, KindLot, KindItem, KindLotCustody, KindItemCustody)
}

func history(tx *ledger.Tx, a ProvenanceHistoryArgs) (*ProvenanceHistory, error) {
	var key string
	var err error
	custody := Custody{GTIN: a.GTIN, Lot: a.Lot, Serial: a.Serial}
	switch a.Kind {
	case KindProduct:
		key, err = ledger.Key(tx, productType, a.GTIN)
	case KindLot:
		key, err = ledger.Key(tx, lotType, a.GTIN, a.Lot)
	case KindItem:
		key, err = ledger.Key(tx, itemType, a.GTIN, a.Serial)
	case KindLotCustody:
		custody.Kind = KindLot
		key, err = custodyKey(tx, custody)
	default:
		custody.Kind = KindItem
		key, custody, err = readCustody(tx, SubjectArgs{Kind: KindItem, GTIN: a.GTIN, Serial: a.Serial})
	}
	if err != nil {
		return nil, err
	}
	entries, next, err := ledger.History(tx, key, a.PageSize, a.Bookmark)
	if err != nil {
		return nil, err
	}
	h := ProvenanceHistory{Versions: make([]ProvenanceVersion, 0, len(entries)), Bookmark: next}
	for _, e := range entries {
		v := ProvenanceVersion{TxID: e.TxID, Time: e.Time, IsDelete: e.IsDelete}
		if !e.IsDelete {
			if err := decodeVersion(&v, a.Kind, e.Value, custody); err != nil {
				return nil, cxlerr.Errorf(cxlerr.Internal, "decode %s at %s: %w", ledger.DescribeKey(key), e.TxID, err)
			}
		}
		h.Versions = append(h.Versions, v)
	}
	return &h, nil
}

// decodeVersion decodes one stored version of a record of kind into v.
// subject carries the kind, GTIN, lot and serial of a custody record.
func decodeVersion(v *ProvenanceVersion, kind string, raw json.RawMessage, subject Custody) error {
	switch kind {
	case KindProduct:
		v.Product = &Product{}
		return json.Unmarshal(raw, v.Product)
	case KindLot:
		v.Lot = &ProductLot{}
		return json.Unmarshal(raw, v.Lot)
	case KindItem:
		v.Item = &SerialItem{}
		return json.Unmarshal(raw, v.Item)
	}
	var rec custodyRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return err
	}
	c := subject
	c.Holder, c.Location, c.Since, c.SinceTx, c.Offer = rec.Holder, rec.Location, rec.Since, rec.SinceTx, rec.Offer
	v.Custody = &c
	return nil
}
