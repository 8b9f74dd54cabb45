package provenancecc

import (
	"encoding/json"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
)

func history(tx *ledger.Tx, a provenance.ProvenanceHistoryArgs) (*provenance.ProvenanceHistory, error) {
	var key string
	var err error
	custody := provenance.Custody{GTIN: a.GTIN, Lot: a.Lot, Serial: a.Serial}
	switch a.Kind {
	case provenance.KindProduct:
		key, err = ledger.Key(tx, productType, a.GTIN)
	case provenance.KindLot:
		key, err = ledger.Key(tx, lotType, a.GTIN, a.Lot)
	case provenance.KindItem:
		key, err = ledger.Key(tx, itemType, a.GTIN, a.Serial)
	case provenance.KindLotCustody:
		custody.Kind = provenance.KindLot
		key, err = custodyKey(tx, custody)
	default:
		custody.Kind = provenance.KindItem
		key, custody, err = readCustody(tx, provenance.SubjectArgs{Kind: provenance.KindItem, GTIN: a.GTIN, Serial: a.Serial})
	}
	if err != nil {
		return nil, err
	}
	entries, next, err := ledger.History(tx, key, a.PageSize, a.Bookmark)
	if err != nil {
		return nil, err
	}
	h := provenance.ProvenanceHistory{Versions: make([]provenance.ProvenanceVersion, 0, len(entries)), Bookmark: next}
	for _, e := range entries {
		v := provenance.ProvenanceVersion{TxID: e.TxID, Time: e.Time, IsDelete: e.IsDelete}
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
func decodeVersion(v *provenance.ProvenanceVersion, kind string, raw json.RawMessage, subject provenance.Custody) error {
	switch kind {
	case provenance.KindProduct:
		v.Product = &provenance.Product{}
		return json.Unmarshal(raw, v.Product)
	case provenance.KindLot:
		v.Lot = &provenance.ProductLot{}
		return json.Unmarshal(raw, v.Lot)
	case provenance.KindItem:
		v.Item = &provenance.SerialItem{}
		return json.Unmarshal(raw, v.Item)
	}
	var rec custodyRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return err
	}
	c := subject
	c.Holder, c.Location, c.Since, c.SinceTx, c.Offer, c.PackedInto = rec.Holder, rec.Location, rec.Since, rec.SinceTx, rec.Offer, rec.PackedInto
	v.Custody = &c
	return nil
}
