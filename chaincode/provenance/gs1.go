package provenance

import (
	"strings"

	"github.com/cxledger/cxledger/cxlerr"
)

// NormalizeGTIN checks a GTIN-8, -12, -13 or -14 (digits only, valid GS1
// check digit, not all zeros) and returns it as the 14-digit GTIN the
// ledger keys on, so "036000291452" and "00036000291452" name one product.
// Violations are INVALID and name field.
func NormalizeGTIN(field, gtin string) (string, error) {
	switch len(gtin) {
	case 8, 12, 13, 14:
	default:
		return "", cxlerr.Errorf(cxlerr.Invalid, "%s: GTIN %q must have 8, 12, 13 or 14 digits", field, gtin)
	}
	sum, zeros := 0, true
	for i := 0; i < len(gtin); i++ {
		c := gtin[i]
		if c < '0' || c > '9' {
			return "", cxlerr.Errorf(cxlerr.Invalid, "%s: GTIN %q must hold only digits", field, gtin)
		}
		zeros = zeros && c == '0'
		// Weights 3, 1, 3, ... from the digit left of the check digit.
		if pos := len(gtin) - 1 - i; pos > 0 {
			w := 1
			if pos%2 == 1 {
				w = 3
			}
			sum += w * int(c-'0')
		}
	}
	if zeros {
		return "", cxlerr.Errorf(cxlerr.Invalid, "%s: GTIN %q is all zeros", field, gtin)
	}
	if want := byte('0' + (10-sum%10)%10); gtin[len(gtin)-1] != want {
		return "", cxlerr.Errorf(cxlerr.Invalid, "%s: GTIN %q has check digit %c, want %c", field, gtin, gtin[len(gtin)-1], want)
	}
	return strings.Repeat("0", 14-len(gtin)) + gtin, nil
}

// ValidateLotNumber checks a batch/lot number as GS1 AI (10) allows it: 1 to
// 20 characters of the GS1 AI encodable character set 82. Violations are
// INVALID and name field.
func ValidateLotNumber(field, lot string) error {
	return validateSet82(field, "lot number", lot)
}

// ValidateSerial checks a serial number as GS1 AI (21) allows it: 1 to 20
// characters of the GS1 AI encodable character set 82. Violations are
// INVALID and name field.
func ValidateSerial(field, serial string) error {
	return validateSet82(field, "serial number", serial)
}

func validateSet82(field, what, v string) error {
	if v == "" || len(v) > 20 {
		return cxlerr.Errorf(cxlerr.Invalid, "%s: %s %q must have 1 to 20 characters", field, what, v)
	}
	for i := 0; i < len(v); i++ {
		if !inSet82(v[i]) {
			return cxlerr.Errorf(cxlerr.Invalid, "%s: %s %q: character %q is outside the GS1 character set 82", field, what, v, v[i])
		}
	}
	return nil
}

// inSet82 reports whether c is in GS1's AI encodable character set 82:
// ! " % & ' ( ) * + , - . / 0-9 : ; < = > ? A-Z _ a-z.
func inSet82(c byte) bool {
	switch {
	case c >= '0' && c <= '9', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		return true
	}
	return strings.IndexByte(`!"%&'()*+,-./:;<=>?_`, c) >= 0
}
