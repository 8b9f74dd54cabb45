package ledgertypes

import (
	"math"
	"math/bits"
	"strconv"

	"github.com/cxledger/cxledger/cxlerr"
)

// Amount is a quantity of money or points in integer minor units (cents for
// EUR, single points for a points unit). Amounts are never negative: the
// checked operations reject negative operands and results, so a balance
// cannot wrap or go below zero by accident. In JSON an Amount is an integer.
type Amount int64

// ParseAmount parses a decimal count of minor units such as "1250": ASCII
// digits only, no sign, no leading zeros (except "0" itself), at most
// math.MaxInt64. Anything else is INVALID.
func ParseAmount(s string) (Amount, error) {
	if s == "" || len(s) > 19 {
		return 0, cxlerr.Errorf(cxlerr.Invalid, "amount %q: want 1 to 19 decimal digits of minor units", s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, cxlerr.Errorf(cxlerr.Invalid, "amount %q: want decimal digits of minor units", s)
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, cxlerr.Errorf(cxlerr.Invalid, "amount %q: leading zero", s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, cxlerr.Errorf(cxlerr.Invalid, "amount %q: more than %d", s, int64(math.MaxInt64))
	}
	return Amount(n), nil
}

// String renders the amount in minor units, as ParseAmount reads it.
func (a Amount) String() string { return strconv.FormatInt(int64(a), 10) }

// Add returns a+b, INVALID if either is negative or the sum overflows.
func (a Amount) Add(b Amount) (Amount, error) {
	if a < 0 || b < 0 {
		return 0, cxlerr.Errorf(cxlerr.Invalid, "amount: %d + %d: negative operand", a, b)
	}
	if a > math.MaxInt64-b {
		return 0, cxlerr.Errorf(cxlerr.Invalid, "amount: %d + %d overflows", a, b)
	}
	return a + b, nil
}

// Sub returns a-b, INVALID if either is negative or b is larger than a.
func (a Amount) Sub(b Amount) (Amount, error) {
	if a < 0 || b < 0 {
		return 0, cxlerr.Errorf(cxlerr.Invalid, "amount: %d - %d: negative operand", a, b)
	}
	if b > a {
		return 0, cxlerr.Errorf(cxlerr.Invalid, "amount: %d - %d is negative", a, b)
	}
	return a - b, nil
}

// Mul returns a*n (a unit price times a quantity), INVALID if either is
// negative or the product overflows.
func (a Amount) Mul(n int64) (Amount, error) {
	if a < 0 || n < 0 {
		return 0, cxlerr.Errorf(cxlerr.Invalid, "amount: %d * %d: negative operand", a, n)
	}
	hi, lo := bits.Mul64(uint64(a), uint64(n))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, cxlerr.Errorf(cxlerr.Invalid, "amount: %d * %d overflows", a, n)
	}
	return Amount(lo), nil
}

// ValidateAmount checks that a user-supplied amount is positive; otherwise it
// is INVALID naming field.
func ValidateAmount(field string, a Amount) error {
	if a <= 0 {
		return cxlerr.Errorf(cxlerr.Invalid, "%s: must be a positive number of minor units, got %d", field, a)
	}
	return nil
}

// ValidateCurrency checks an ISO 4217 style currency code: exactly three
// upper-case ASCII letters ("EUR"). Otherwise it is INVALID.
func ValidateCurrency(code string) error {
	if len(code) != 3 {
		return cxlerr.Errorf(cxlerr.Invalid, "currency %q: want three upper-case letters", code)
	}
	for i := 0; i < 3; i++ {
		if code[i] < 'A' || code[i] > 'Z' {
			return cxlerr.Errorf(cxlerr.Invalid, "currency %q: want three upper-case letters", code)
		}
	}
	return nil
}
