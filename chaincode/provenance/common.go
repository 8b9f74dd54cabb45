package provenance

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
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

// Describe names the subject in messages: "lot 09506000134352/L1".
func (s SubjectArgs) Describe() string {
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
		if err := ledgertypes.ValidateText(fmt.Sprintf("%s[%q]", field, k), attrs[k], maxAttrValue); err != nil {
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
		return ledgertypes.ValidateAccount(field, party)
	}
	return ledgertypes.ValidateMSP(field, party)
}
