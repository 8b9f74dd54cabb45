package provenance

import (
	"strings"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

// IssueCertificateArgs is the argument of IssueCertificate.
type IssueCertificateArgs struct {
	Subject    SubjectArgs `json:"subject"`
	ID         string      `json:"id"`
	Type       string      `json:"type"`
	Hash       string      `json:"hash"`
	ValidFrom  time.Time   `json:"validFrom"`
	ValidUntil time.Time   `json:"validUntil"`
}

// Validate checks the fields, normalises the GTIN and lower-cases the hash.
func (a *IssueCertificateArgs) Validate() error {
	if err := a.Subject.validate("subject.", KindProduct, KindLot, KindItem); err != nil {
		return err
	}
	if err := ledgertypes.ValidateID("id", a.ID); err != nil {
		return err
	}
	if !isCertType(a.Type) {
		return cxlerr.Errorf(cxlerr.Invalid, "type: %q: want 1 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit", a.Type)
	}
	a.Hash = strings.ToLower(a.Hash)
	if !isSHA256Hex(a.Hash) {
		return cxlerr.Errorf(cxlerr.Invalid, "hash: want the 64 hex digits of the document's SHA-256")
	}
	if a.ValidFrom.IsZero() || a.ValidUntil.IsZero() {
		return cxlerr.Errorf(cxlerr.Invalid, "validFrom and validUntil: both required (RFC 3339)")
	}
	if !a.ValidFrom.Before(a.ValidUntil) {
		return cxlerr.Errorf(cxlerr.Invalid, "validUntil: must be after validFrom")
	}
	a.ValidFrom, a.ValidUntil = a.ValidFrom.UTC(), a.ValidUntil.UTC()
	return nil
}

// RevokeCertificateArgs is the argument of RevokeCertificate.
type RevokeCertificateArgs struct {
	Subject SubjectArgs `json:"subject"`
	ID      string      `json:"id"`
	Reason  string      `json:"reason"`
}

// Validate checks the fields and normalises the GTIN.
func (a *RevokeCertificateArgs) Validate() error {
	if err := a.Subject.validate("subject.", KindProduct, KindLot, KindItem); err != nil {
		return err
	}
	if err := ledgertypes.ValidateID("id", a.ID); err != nil {
		return err
	}
	return ledgertypes.ValidateText("reason", a.Reason, maxReason)
}

func isCertType(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '.' || s[0] == '_' || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}
