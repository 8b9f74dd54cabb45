package orders

import (
	"encoding/json"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/cxlerr"
)

// maxToken is the longest order ID, refund ID, SKU or transfer reference.
const maxToken = 64

// maxReason is the longest reason code.
const maxReason = 32

// keyTime formats times in keys: fixed width and UTC, so keys sort by time.
const keyTime = "2006-01-02T15:04:05.000000000Z"

// timeKey renders t for a key part.
func timeKey(t time.Time) string {
	return t.UTC().Format(keyTime)
}

// validateToken checks an identifier of 1 to max ASCII letters, digits, '.',
// '_' or '-'; anything else is INVALID naming field.
func validateToken(field, s string, max int) error {
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

// decode unmarshals a listed row; a row that does not decode is INTERNAL.
func decode(kv ledger.KV, v any) error {
	if err := json.Unmarshal(kv.Value, v); err != nil {
		return cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", ledger.DescribeKey(kv.Key), err)
	}
	return nil
}
