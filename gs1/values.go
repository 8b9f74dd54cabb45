package gs1

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
	if !allDigits(gtin) {
		return "", cxlerr.Errorf(cxlerr.Invalid, "%s: GTIN %q must hold only digits", field, gtin)
	}
	if strings.Trim(gtin, "0") == "" {
		return "", cxlerr.Errorf(cxlerr.Invalid, "%s: GTIN %q is all zeros", field, gtin)
	}
	if want := CheckDigit(gtin[:len(gtin)-1]); gtin[len(gtin)-1] != want {
		return "", cxlerr.Errorf(cxlerr.Invalid, "%s: GTIN %q has check digit %c, want %c", field, gtin, gtin[len(gtin)-1], want)
	}
	return strings.Repeat("0", 14-len(gtin)) + gtin, nil
}

// NormalizeSSCC checks a Serial Shipping Container Code: 18 digits with a
// valid GS1 check digit. Violations are INVALID and name field.
func NormalizeSSCC(field, sscc string) (string, error) {
	if len(sscc) != 18 || !allDigits(sscc) {
		return "", cxlerr.Errorf(cxlerr.Invalid, "%s: SSCC %q must have 18 digits", field, sscc)
	}
	if want := CheckDigit(sscc[:17]); sscc[17] != want {
		return "", cxlerr.Errorf(cxlerr.Invalid, "%s: SSCC %q has check digit %c, want %c", field, sscc, sscc[17], want)
	}
	return sscc, nil
}

// CheckDigit is the GS1 check digit of digits (a GTIN, SSCC, GLN ... without
// its last digit): weights 3, 1, 3, ... from the rightmost digit, and the
// digit that brings the sum to a multiple of ten. digits must hold only
// ASCII digits.
func CheckDigit(digits string) byte {
	sum := 0
	for i := 0; i < len(digits); i++ {
		w := 1
		if (len(digits)-i)%2 == 1 {
			w = 3
		}
		sum += w * int(digits[i]-'0')
	}
	return byte('0' + (10-sum%10)%10)
}

// ValidateLotNumber checks a batch/lot number as GS1 AI (10) allows it: 1 to
// 20 characters of the GS1 AI encodable character set 82. Violations are
// INVALID and name field.
func ValidateLotNumber(field, lot string) error {
	return validateSet82(field, "lot number", lot, 20)
}

// ValidateSerial checks a serial number as GS1 AI (21) allows it: 1 to 20
// characters of the GS1 AI encodable character set 82. Violations are
// INVALID and name field.
func ValidateSerial(field, serial string) error {
	return validateSet82(field, "serial number", serial, 20)
}

// ValidateCPV checks a consumer product variant as GS1 AI (22) allows it: 1
// to 20 characters of the GS1 AI encodable character set 82. Violations are
// INVALID and name field.
func ValidateCPV(field, cpv string) error {
	return validateSet82(field, "consumer product variant", cpv, 20)
}

// maxAttribute is the longest value any GS1 application identifier takes.
const maxAttribute = 90

// validateAttribute checks the value of a data attribute (an AI given as a
// query parameter): 1 to 90 characters of character set 82. Each AI's own
// format is not checked.
func validateAttribute(field, v string) error {
	return validateSet82(field, "value", v, maxAttribute)
}

func validateSet82(field, what, v string, maxLen int) error {
	if v == "" || len(v) > maxLen {
		return cxlerr.Errorf(cxlerr.Invalid, "%s: %s %q must have 1 to %d characters", field, what, v, maxLen)
	}
	for i := 0; i < len(v); i++ {
		if !InSet82(v[i]) {
			return cxlerr.Errorf(cxlerr.Invalid, "%s: %s %q: character %q is outside the GS1 character set 82", field, what, v, v[i])
		}
	}
	return nil
}

// InSet82 reports whether c is in GS1's AI encodable character set 82:
// ! " % & ' ( ) * + , - . / 0-9 : ; < = > ? A-Z _ a-z.
func InSet82(c byte) bool {
	switch {
	case c >= '0' && c <= '9', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		return true
	}
	return strings.IndexByte(`!"%&'()*+,-./:;<=>?_`, c) >= 0
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
