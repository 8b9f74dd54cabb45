package orders

import (
	"github.com/cxledger/cxledger/cxlerr"
)

// MaxToken is the longest order ID, refund ID, SKU or transfer reference.
const MaxToken = 64

// maxReason is the longest reason code.
const maxReason = 32

// ValidateToken checks an identifier of 1 to max ASCII letters, digits, '.',
// '_' or '-'; anything else is INVALID naming field.
func ValidateToken(field, s string, max int) error {
	if s == "" || len(s) > max {
		return cxlerr.Errorf(cxlerr.Invalid, "%s: want 1 to %d letters, digits, '.', '_' or '-', got %d bytes", field, max, len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return cxlerr.Errorf(cxlerr.Invalid, "%s: %q: only letters, digits, '.', '_' and '-' allowed", field, s)
		}
	}
	return nil
}

// validateReason checks an optional reason code: lower-case ASCII letters,
// digits and '-', at most 32 bytes ("damaged", "not-received"). Reasons are
// codes, never free text, so no personal data reaches the ledger.
func validateReason(reason string) error {
	if reason == "" {
		return nil
	}
	if len(reason) > maxReason {
		return cxlerr.Errorf(cxlerr.Invalid, "reason: %d bytes, more than %d", len(reason), maxReason)
	}
	for i := 0; i < len(reason); i++ {
		c := reason[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return cxlerr.Errorf(cxlerr.Invalid, "reason: %q: want a code of lower-case letters, digits and '-'", reason)
		}
	}
	return nil
}
