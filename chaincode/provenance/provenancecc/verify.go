package provenancecc

import (
	"encoding/json"
	"slices"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
)

func verify(tx *ledger.Tx, a provenance.VerifyArgs) (*provenance.Verification, error) {
	v := provenance.Verification{GTIN: a.GTIN, Serial: a.Serial, CheckedAt: tx.Time()}
	itemKey, err := ledger.Key(tx, itemType, a.GTIN, a.Serial)
	if err != nil {
		return nil, err
	}
	var item provenance.SerialItem
	found, err := ledger.GetJSON(tx, itemKey, &item)
	if err != nil {
		return nil, err
	}
	if !found {
		return &v, nil
	}
	v.Genuine = true

	productKey, err := ledger.Key(tx, productType, a.GTIN)
	if err != nil {
		return nil, err
	}
	v.Product = &provenance.Product{}
	if err := ledger.MustGetJSON(tx, productKey, v.Product); err != nil {
		return nil, err
	}
	lotKey, err := ledger.Key(tx, lotType, a.GTIN, item.Lot)
	if err != nil {
		return nil, err
	}
	v.Lot = &provenance.ProductLot{}
	if err := ledger.MustGetJSON(tx, lotKey, v.Lot); err != nil {
		return nil, err
	}

	itemCustodyKey, custody, err := readCustody(tx, provenance.SubjectArgs{Kind: provenance.KindItem, GTIN: a.GTIN, Serial: a.Serial})
	if err != nil {
		return nil, err
	}
	v.Custody = &custody
	if v.ItemCustody, err = custodyChain(tx, itemCustodyKey); err != nil {
		return nil, err
	}
	lotCustodyKey, err := ledger.Key(tx, lotCustodyType, a.GTIN, item.Lot)
	if err != nil {
		return nil, err
	}
	if v.LotCustody, err = custodyChain(tx, lotCustodyKey); err != nil {
		return nil, err
	}

	if v.Upstream, err = upstreamOf(tx, provenance.TraceLot{GTIN: v.Lot.GTIN, Lot: v.Lot.Lot, Inputs: v.Lot.Inputs}); err != nil {
		return nil, err
	}
	if v.Lot.Recall != nil {
		v.Recalls = append(v.Recalls, provenance.RecallNotice{GTIN: v.Lot.GTIN, Lot: v.Lot.Lot, Reason: v.Lot.Recall.Reason, At: v.Lot.Recall.At})
	}
	for _, up := range v.Upstream {
		if up.Recall != nil {
			v.Recalls = append(v.Recalls, provenance.RecallNotice{GTIN: up.GTIN, Lot: up.Lot, Reason: up.Recall.Reason, At: up.Recall.At})
		}
	}
	v.Recalled = len(v.Recalls) > 0

	scans := []struct {
		objectType string
		prefix     []string
	}{
		{productCertType, []string{a.GTIN}},
		{lotCertType, []string{a.GTIN, item.Lot}},
		{itemCertType, []string{a.GTIN, a.Serial}},
	}
	for _, up := range v.Upstream {
		scans = append(scans, struct {
			objectType string
			prefix     []string
		}{lotCertType, []string{up.GTIN, up.Lot}})
	}
	for _, s := range scans {
		certs, err := validCertificates(tx, s.objectType, s.prefix)
		if err != nil {
			return nil, err
		}
		v.Certificates = append(v.Certificates, certs...)
	}
	return &v, nil
}

// custodyChain returns the holders of a custody key, oldest first, from the
// latest maxChainVersions versions of the key.
func custodyChain(tx *ledger.Tx, key string) ([]provenance.CustodyStep, error) {
	versions, _, err := ledger.History(tx, key, maxChainVersions, "")
	if err != nil {
		return nil, err
	}
	var chain []provenance.CustodyStep
	for _, ver := range slices.Backward(versions) {
		if ver.IsDelete {
			continue
		}
		var c custodyRecord
		if err := json.Unmarshal(ver.Value, &c); err != nil {
			return nil, cxlerr.Errorf(cxlerr.Internal, "decode %s at %s: %w", ledger.DescribeKey(key), ver.TxID, err)
		}
		if len(chain) > 0 && chain[len(chain)-1].TxID == c.SinceTx {
			continue // an offer, rejection or withdrawal: same holder
		}
		chain = append(chain, provenance.CustodyStep{Holder: c.Holder, Location: c.Location, Since: c.Since, TxID: c.SinceTx})
	}
	return chain, nil
}

// validCertificates returns the certificates under (objectType, prefix...)
// that are valid at the transaction time.
func validCertificates(tx *ledger.Tx, objectType string, prefix []string) ([]provenance.Certificate, error) {
	var out []provenance.Certificate
	more, err := ledger.Scan(tx, objectType, prefix, maxCertificates, func(kv ledger.KV) error {
		var c provenance.Certificate
		if err := json.Unmarshal(kv.Value, &c); err != nil {
			return cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", ledger.DescribeKey(kv.Key), err)
		}
		if c.ValidAt(tx.Time()) {
			out = append(out, c)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if more {
		return nil, cxlerr.Errorf(cxlerr.Internal, "more than %d certificates under %s", maxCertificates, objectType)
	}
	return out, nil
}

// Verify limits.
const (
	// maxChainVersions is how many custody versions Verify reads per chain.
	maxChainVersions = 100
	// maxCertificates bounds the certificates read per subject.
	maxCertificates = 1000
)
