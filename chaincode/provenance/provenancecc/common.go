package provenancecc

import (
	"strings"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/statebased"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
)

// custodyRecord is the stored custody of a lot or item; the key names the
// subject. Trace reads these rows in bulk, so they stay small.
type custodyRecord struct {
	Holder   string                   `json:"holder"`
	Location string                   `json:"location,omitempty"`
	Since    time.Time                `json:"since"`
	SinceTx  string                   `json:"sinceTx"`
	Offer    *provenance.CustodyOffer `json:"offer,omitempty"`
	// PackedInto is the container the subject is packed into (packing.go).
	PackedInto string `json:"packedInto,omitempty"`
}

// partyMSP is the MSP ID of a party: the party itself or an account's prefix.
func partyMSP(party string) string {
	msp, _, _ := strings.Cut(party, "/")
	return msp
}

// endorsement is the key-level policy that needs a peer of every one of msps.
func endorsement(msps ...string) ([]byte, error) {
	ep, err := statebased.NewStateEP(nil)
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "new endorsement policy: %w", err)
	}
	if err := ep.AddOrgs(statebased.RoleTypePeer, msps...); err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "endorsement policy for %v: %w", msps, err)
	}
	policy, err := ep.Policy()
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "endorsement policy for %v: %w", msps, err)
	}
	return policy, nil
}

// requireNotRecalled fails with CONFLICT when lot gtin/lot is recalled: a
// recalled lot goes into no new lot, is serialised into no items, moves to
// no new holder and is certified no more. what says what was attempted.
func requireNotRecalled(tx *ledger.Tx, gtin, lot, what string) error {
	key, err := ledger.Key(tx, lotType, gtin, lot)
	if err != nil {
		return err
	}
	var l provenance.ProductLot
	if err := ledger.MustGetJSON(tx, key, &l); err != nil {
		return err
	}
	return recalledConflict(l, what)
}

// recalledConflict is the CONFLICT of using the recalled lot l, nil when l
// is not recalled.
func recalledConflict(l provenance.ProductLot, what string) error {
	if l.Recall == nil {
		return nil
	}
	return cxlerr.Errorf(cxlerr.Conflict, "lot %s/%s was recalled at %s (%s); cannot %s",
		l.GTIN, l.Lot, l.Recall.At.UTC().Format(time.RFC3339), l.Recall.Reason, what)
}

// setEndorsement sets the key-level endorsement policy of key.
func setEndorsement(tx *ledger.Tx, key string, policy []byte) error {
	if err := tx.Stub().SetStateValidationParameter(key, policy); err != nil {
		return cxlerr.Errorf(cxlerr.Internal, "set endorsement policy of %s: %w", ledger.DescribeKey(key), err)
	}
	return nil
}

// getMany reads keys with one GetMultipleStates call; missing keys are nil.
func getMany(tx *ledger.Tx, keys []string) ([][]byte, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	values, err := tx.Stub().GetMultipleStates(keys...)
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "read %d keys from %s: %w", len(keys), ledger.DescribeKey(keys[0]), err)
	}
	if len(values) != len(keys) {
		return nil, cxlerr.Errorf(cxlerr.Internal, "read %d keys, got %d values", len(keys), len(values))
	}
	return values, nil
}

// emit sets the transaction's provenance event.
func emit(tx *ledger.Tx, typ string, keys map[string]string, data any) error {
	return ledger.Emit(tx, ledger.Event{Contract: provenance.Name, Type: typ, Keys: keys, Data: data})
}

// Object types of the provenance key space.
const (
	productType     = "provenance.product"     // (gtin) -> Product
	lotType         = "provenance.lot"         // (gtin, lot) -> ProductLot
	itemType        = "provenance.item"        // (gtin, serial) -> SerialItem
	lotCustodyType  = "provenance.lotcustody"  // (gtin, lot) -> custodyRecord
	itemCustodyType = "provenance.itemcustody" // (gtin, lot, serial) -> custodyRecord: also the lot -> items index
	childType       = "provenance.child"       // (input gtin, input lot, gtin, lot) -> LotRef: the lot -> children index
	contentType     = "provenance.content"     // (container, kind, gtin, lot or serial) -> "1": the container -> contents index
	productCertType = "provenance.productcert" // (gtin, id) -> Certificate
	lotCertType     = "provenance.lotcert"     // (gtin, lot, id) -> Certificate
	itemCertType    = "provenance.itemcert"    // (gtin, serial, id) -> Certificate
)
