package ledgertypes

import (
	"github.com/cxledger/cxledger/cxlerr"
)

// ValidateUnit checks a lot unit: 1 to 32 ASCII letters, digits, '.', '_',
// ':' or '-'. Violations are INVALID.
func ValidateUnit(unit string) error {
	if unit == "" || len(unit) > MaxUnit {
		return cxlerr.Errorf(cxlerr.Invalid, "unit %q: must be 1 to %d bytes", unit, MaxUnit)
	}
	for i := 0; i < len(unit); i++ {
		c := unit[i]
		if !IsAlnum(c) && c != '.' && c != '_' && c != ':' && c != '-' {
			return cxlerr.Errorf(cxlerr.Invalid, "unit %q: only letters, digits, '.', '_', ':' and '-' allowed", unit)
		}
	}
	return nil
}

// Limits on token lots.
const (
	// MaxUnit is the longest unit, in bytes.
	MaxUnit = 32
)
