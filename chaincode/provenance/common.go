package provenance

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/statebased"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/cxlerr"
)

// Object types of the provenance key space.
const (
	productType     = "provenance.product"     // (gtin) -> Product
	lotType         = "provenance.lot"         // (gtin, lot) -> ProductLot
	itemType        = "provenance.item"        // (gtin, serial) -> SerialItem
	lotCustodyType  = "provenance.lotcustody"  // (gtin, lot) -> custodyRecord
	itemCustodyType = "provenance.itemcustody" // (gtin, lot, serial) -> custodyRecord: also the lot -> items index
	childType       = "provenance.child"       // (input gtin, input lot, gtin, lot) -> LotRef: the lot -> children index
	productCertType = "provenance.productcert" // (gtin, id) -> Certificate
	lotCertType     = "provenance.lotcert"     // (gtin, lot, id) -> Certificate
	itemCertType    = "provenance.itemcert"    // (gtin, serial, id) -> Certificate
)

// Limits on input.
const (
	maxAttributes   = 32
	maxAttrValue    = 256
	maxName         = 200
	maxLocation     = 256
	maxReason       = 512
	maxInputs       = 100
	maxItemsPerCall = 500
)

// custodyRecord is the stored custody of a lot or item; the key names the
// subject. Trace reads these rows in bulk, so they stay small.
type custodyRecord struct {
	Holder   string        `json:"holder"`
	Location string        `json:"location,omitempty"`
	Since    time.Time     `json:"since"`
	SinceTx  string        `json:"sinceTx"`
	Offer    *CustodyOffer `json:"offer,omitempty"`
}

// SubjectArgs names a product, lot or item in an argument.
type SubjectArgs struct {
	Kind   string `json:"kind"`
	GTIN   string `json:"gtin"`
	Lot    string `json:"lot,omitempty" metadata:",optional"`
	Serial string `json:"serial,omitempty" metadata:",optional"`
}

// validate checks that the subject is of one of kinds, with exactly the
// fields its kind needs, and normalises the GTIN. prefix names the
// argument ("" or "subject.").
func (s *SubjectArgs) validate(prefix string, kinds ...string) error {
	if !slices.Contains(kinds, s.Kind) {
		return cxlerr.Errorf(cxlerr.Invalid, "%skind: %q is not one of %s", prefix, s.Kind, strings.Join(kinds, ", "))
	}
	gtin, err := NormalizeGTIN(prefix+"gtin", s.GTIN)
	if err != nil {
		return err
	}
	s.GTIN = gtin
	switch s.Kind {
	case KindLot, KindLotCustody:
		if s.Serial != "" {
			return cxlerr.Errorf(cxlerr.Invalid, "%sserial: not used for kind %s", prefix, s.Kind)
		}
		return ValidateLotNumber(prefix+"lot", s.Lot)
	case KindItem, KindItemCustody:
		if s.Lot != "" {
			return cxlerr.Errorf(cxlerr.Invalid, "%slot: not used for kind %s (the serial names the item)", prefix, s.Kind)
		}
		return ValidateSerial(prefix+"serial", s.Serial)
	}
	if s.Lot != "" || s.Serial != "" {
		return cxlerr.Errorf(cxlerr.Invalid, "%slot and %sserial: not used for kind %s", prefix, prefix, s.Kind)
	}
	return nil
}

// describe names the subject in messages: "lot 09506000134352/L1".
func (s SubjectArgs) describe() string {
	switch s.Kind {
	case KindLot, KindLotCustody:
		return "lot " + s.GTIN + "/" + s.Lot
	case KindItem, KindItemCustody:
		return "item " + s.GTIN + "/" + s.Serial
	}
	return "product " + s.GTIN
}

func validateAttributes(field string, attrs map[string]string) error {
	if len(attrs) > maxAttributes {
		return cxlerr.Errorf(cxlerr.Invalid, "%s: %d entries, more than %d", field, len(attrs), maxAttributes)
	}
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		if !isToken(k, 64) {
			return cxlerr.Errorf(cxlerr.Invalid, "%s: key %q: want 1 to 64 letters, digits, '.', '_' or '-'", field, k)
		}
		if err := ledger.ValidateText(fmt.Sprintf("%s[%q]", field, k), attrs[k], maxAttrValue); err != nil {
			return err
		}
	}
	return nil
}

// isToken reports whether s is 1 to max ASCII letters, digits, '.', '_' or '-'.
func isToken(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// validateParty checks a custody party: an MSP ID or an account.
func validateParty(field, party string) error {
	if strings.Contains(party, "/") {
		return ledger.ValidateAccount(field, party)
	}
	return ledger.ValidateMSP(field, party)
}

// partyMSP is the MSP ID of a party: the party itself or an account's prefix.
func partyMSP(party string) string {
	msp, _, _ := strings.Cut(party, "/")
	return msp
}

// actsFor reports whether the caller may act for party: the account itself,
// or any client or admin of the organisation when the party is an MSP ID.
func actsFor(c ledger.Caller, party string) bool {
	if strings.Contains(party, "/") {
		return c.Account == party
	}
	return c.MSP == party && (c.IsClient() || c.IsAdmin())
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
	var l ProductLot
	if err := ledger.MustGetJSON(tx, key, &l); err != nil {
		return err
	}
	return recalledConflict(l, what)
}

// recalledConflict is the CONFLICT of using the recalled lot l, nil when l
// is not recalled.
func recalledConflict(l ProductLot, what string) error {
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
	return ledger.Emit(tx, ledger.Event{Contract: Name, Type: typ, Keys: keys, Data: data})
}
