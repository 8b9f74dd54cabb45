package ledger

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/cxledger/cxledger/cxlerr"
)

// Limits on keys and identifiers.
const (
	// MaxKeyPart is the largest composite key part, in bytes.
	MaxKeyPart = 256
	// MaxObjectType is the longest object type, in bytes.
	MaxObjectType = 64
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
