package ledger

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cxledger/cxledger/cxlerr"
)

// Limits on keys and identifiers.
const (
	// MaxKeyPart is the largest composite key part, in bytes.
	MaxKeyPart = 256
	// MaxObjectType is the longest object type, in bytes.
	MaxObjectType = 64
	// MaxID is the longest identifier ValidateID accepts, in bytes.
	MaxID = 128
	// MaxMSP is the longest MSP ID ValidateMSP accepts, in bytes.
	MaxMSP = 64
)

// KeyBuilder makes composite keys. Both *Tx and shim.ChaincodeStubInterface
// are KeyBuilders, so Key works wherever either is at hand.
type KeyBuilder interface {
	CreateCompositeKey(objectType string, attributes []string) (string, error)
}

// Key builds the composite key (objectType, parts...) after validating every
// piece, so two different part lists never yield the same key and every key
// splits back with SplitCompositeKey.
//
// objectType is "<contract>.<kind>", lower-case ASCII letters and digits in
// dot-separated segments each starting with a letter, at most 64 bytes:
// "provenance.lot", "orders.balance". The contract prefix keeps the contracts
// of the one chaincode out of each other's key space.
//
// Each part is non-empty valid UTF-8 of at most 256 bytes without U+0000 or
// U+10FFFF. Violations are INVALID and name the object type and the part.
// Validate user input with ValidateID first, so the error names the field.
func Key(kb KeyBuilder, objectType string, parts ...string) (string, error) {
	if err := checkKey(objectType, parts); err != nil {
		return "", err
	}
	key, err := kb.CreateCompositeKey(objectType, parts)
	if err != nil {
		return "", cxlerr.Errorf(cxlerr.Internal, "build %s key: %w", objectType, err)
	}
	return key, nil
}

// checkKey validates an object type and key parts as Key does.
func checkKey(objectType string, parts []string) error {
	if err := ValidateObjectType(objectType); err != nil {
		return err
	}
	for i, p := range parts {
		if problem := keyPartProblem(p); problem != "" {
			return cxlerr.Errorf(cxlerr.Invalid, "%s key part %d: %s", objectType, i+1, problem)
		}
	}
	return nil
}

func keyPartProblem(p string) string {
	switch {
	case p == "":
		return "empty"
	case len(p) > MaxKeyPart:
		return fmt.Sprintf("%d bytes, more than %d", len(p), MaxKeyPart)
	case !utf8.ValidString(p):
		return "not valid UTF-8"
	case strings.ContainsAny(p, "\x00\U0010FFFF"):
		return "contains U+0000 or U+10FFFF"
	}
	return ""
}

// ValidateObjectType checks that objectType has the "<contract>.<kind>" form
// Key requires; violations are INVALID.
func ValidateObjectType(objectType string) error {
	if objectType == "" || len(objectType) > MaxObjectType {
		return cxlerr.Errorf(cxlerr.Invalid, "object type %q: must be 1 to %d bytes", objectType, MaxObjectType)
	}
	segments := strings.Split(objectType, ".")
	if len(segments) < 2 {
		return cxlerr.Errorf(cxlerr.Invalid, "object type %q: want <contract>.<kind>", objectType)
	}
	for _, s := range segments {
		if s == "" || s[0] < 'a' || s[0] > 'z' {
			return cxlerr.Errorf(cxlerr.Invalid, "object type %q: each dot-separated segment must start with a-z", objectType)
		}
		for i := 0; i < len(s); i++ {
			if (s[i] < 'a' || s[i] > 'z') && (s[i] < '0' || s[i] > '9') {
				return cxlerr.Errorf(cxlerr.Invalid, "object type %q: only a-z, 0-9 and dots allowed", objectType)
			}
		}
	}
	return nil
}

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
	if problem := idProblem(value); problem != "" {
		return cxlerr.Errorf(cxlerr.Invalid, "%s: %s", field, problem)
	}
	return nil
}

func idProblem(value string) string {
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
	if problem := mspProblem(value); problem != "" {
		return cxlerr.Errorf(cxlerr.Invalid, "%s: %s", field, problem)
	}
	return nil
}

func mspProblem(value string) string {
	if value == "" || len(value) > MaxMSP {
		return fmt.Sprintf("MSP ID must be 1 to %d bytes", MaxMSP)
	}
	for i := 0; i < len(value); i++ {
		c := value[i]
		if !isAlnum(c) && c != '.' && c != '_' && c != '-' {
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
	if problem := mspProblem(msp); problem != "" {
		return cxlerr.Errorf(cxlerr.Invalid, "%s: %s", field, problem)
	}
	if problem := idProblem(name); problem != "" {
		return cxlerr.Errorf(cxlerr.Invalid, "%s: account name: %s", field, problem)
	}
	return nil
}

func isAlnum(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}
