package ledgertypes

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cxledger/cxledger/cxlerr"
)

// ValidateText checks a user-supplied text field: 1 to maxBytes bytes of
// valid UTF-8 whose characters are all printable (no control or format
// characters, no line breaks; plain spaces are allowed). Violations are
// INVALID and name field.
func ValidateText(field, value string, maxBytes int) error {
	if problem := textProblem(value, maxBytes); problem != "" {
		return cxlerr.Errorf(cxlerr.Invalid, "%s: %s", field, problem)
	}
	return nil
}

func textProblem(value string, maxBytes int) string {
	switch {
	case value == "":
		return "required"
	case len(value) > maxBytes:
		return fmt.Sprintf("%d bytes, more than %d", len(value), maxBytes)
	case !utf8.ValidString(value):
		return "not valid UTF-8"
	}
	for i, r := range value {
		if !unicode.IsPrint(r) {
			return fmt.Sprintf("unprintable character %U at byte %d", r, i)
		}
	}
	return ""
}

// ValidateID checks a user-supplied identifier (an order ID, a lot number, a
// certificate ID): ValidateText with at most 128 bytes, and no leading or
// trailing space. Violations are INVALID and name field.
func ValidateID(field, value string) error {
	if problem := IDProblem(value); problem != "" {
		return cxlerr.Errorf(cxlerr.Invalid, "%s: %s", field, problem)
	}
	return nil
}

// IDProblem describes what ValidateID finds wrong with value, "" if nothing.
func IDProblem(value string) string {
	if problem := textProblem(value, MaxID); problem != "" {
		return problem
	}
	if strings.TrimSpace(value) != value {
		return "leading or trailing space"
	}
	return ""
}

// ValidateMSP checks an MSP ID: 1 to 64 ASCII letters, digits, '.', '_' or
// '-'. Violations are INVALID and name field.
func ValidateMSP(field, value string) error {
	if problem := MSPProblem(value); problem != "" {
		return cxlerr.Errorf(cxlerr.Invalid, "%s: %s", field, problem)
	}
	return nil
}

// MSPProblem describes what ValidateMSP finds wrong with value, "" if nothing.
func MSPProblem(value string) string {
	if value == "" || len(value) > MaxMSP {
		return fmt.Sprintf("MSP ID must be 1 to %d bytes", MaxMSP)
	}
	for i := 0; i < len(value); i++ {
		c := value[i]
		if !IsAlnum(c) && c != '.' && c != '_' && c != '-' {
			return fmt.Sprintf("MSP ID %q may hold only letters, digits, '.', '_' and '-'", value)
		}
	}
	return ""
}

// ValidateAccount checks an account identifier "<MSP ID>/<name>" as
// Caller.Account builds it: a valid MSP ID, a slash, and a name that passes
// ValidateID. Violations are INVALID and name field.
func ValidateAccount(field, value string) error {
	msp, name, ok := strings.Cut(value, "/")
	if !ok {
		return cxlerr.Errorf(cxlerr.Invalid, "%s: account %q: want <MSP ID>/<name>", field, value)
	}
	if problem := MSPProblem(msp); problem != "" {
		return cxlerr.Errorf(cxlerr.Invalid, "%s: %s", field, problem)
	}
	if problem := IDProblem(name); problem != "" {
		return cxlerr.Errorf(cxlerr.Invalid, "%s: account name: %s", field, problem)
	}
	return nil
}

// IsAlnum reports whether b is an ASCII letter or digit.
func IsAlnum(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// Limits on keys and identifiers.
const (
	// MaxID is the longest identifier ValidateID accepts, in bytes.
	MaxID = 128
	// MaxMSP is the longest MSP ID ValidateMSP accepts, in bytes.
	MaxMSP = 64
)
