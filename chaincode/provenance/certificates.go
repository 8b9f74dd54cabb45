package provenance

import (
	"strings"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger"
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
	if err := ledger.ValidateID("id", a.ID); err != nil {
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
	if err := ledger.ValidateID("id", a.ID); err != nil {
		return err
	}
	return ledger.ValidateText("reason", a.Reason, maxReason)
}

func issueCertificate(tx *ledger.Tx, a IssueCertificateArgs) (*Certificate, error) {
	caller := tx.Caller()
	auditor, err := ledger.OrgHasRole(tx, caller.MSP, ledger.Auditor)
	if err != nil {
		return nil, err
	}
	if !auditor {
		brand, err := ledger.OrgHasRole(tx, caller.MSP, ledger.Brand)
		if err != nil {
			return nil, err
		}
		if !brand {
			return nil, cxlerr.Errorf(cxlerr.Forbidden, "organisation %s holds neither the auditor nor the brand role", caller.MSP)
		}
	}
	owner, lot, err := subjectOwner(tx, a.Subject)
	if err != nil {
		return nil, err
	}
	if !auditor && owner != caller.MSP {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "%s belongs to %s; a brand certifies only its own products (auditors certify any)", a.Subject.describe(), owner)
	}
	if lot != "" {
		if err := requireNotRecalled(tx, a.Subject.GTIN, lot, "certify "+a.Subject.describe()); err != nil {
			return nil, err
		}
	}
	key, err := certificateKey(tx, a.Subject, a.ID)
	if err != nil {
		return nil, err
	}
	var existing Certificate
	found, err := ledger.GetJSON(tx, key, &existing)
	if err != nil {
		return nil, err
	}
	if found {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "certificate %q of %s already exists (issued by %s)", a.ID, a.Subject.describe(), existing.Issuer)
	}
	c := Certificate{
		ID: a.ID, Subject: certificateSubject(a.Subject), Issuer: caller.MSP, Type: a.Type, Hash: a.Hash,
		ValidFrom: a.ValidFrom, ValidUntil: a.ValidUntil, Issued: tx.Time(), IssuedTx: tx.ID(),
	}
	if err := ledger.PutJSON(tx, key, c); err != nil {
		return nil, err
	}
	if err := emit(tx, "CertificateIssued", certificateKeys(c), c); err != nil {
		return nil, err
	}
	return &c, nil
}

func revokeCertificate(tx *ledger.Tx, a RevokeCertificateArgs) (*Certificate, error) {
	key, err := certificateKey(tx, a.Subject, a.ID)
	if err != nil {
		return nil, err
	}
	var c Certificate
	found, err := ledger.GetJSON(tx, key, &c)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, cxlerr.Errorf(cxlerr.NotFound, "certificate %q of %s not found", a.ID, a.Subject.describe())
	}
	if c.Issuer != tx.Caller().MSP {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "certificate %q of %s was issued by %s; only the issuer can revoke it", a.ID, a.Subject.describe(), c.Issuer)
	}
	if c.Revocation != nil {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "certificate %q of %s is already revoked", a.ID, a.Subject.describe())
	}
	c.Revocation = &CertificateRevocation{Reason: a.Reason, At: tx.Time(), TxID: tx.ID()}
	if err := ledger.PutJSON(tx, key, c); err != nil {
		return nil, err
	}
	if err := emit(tx, "CertificateRevoked", certificateKeys(c), c); err != nil {
		return nil, err
	}
	return &c, nil
}

// subjectOwner returns the MSP ID of the brand owning a certificate subject
// and the number of its lot ("" for a product); a missing subject is
// NOT_FOUND.
func subjectOwner(tx *ledger.Tx, s SubjectArgs) (owner, lot string, err error) {
	var key string
	switch s.Kind {
	case KindProduct:
		key, err = ledger.Key(tx, productType, s.GTIN)
	case KindLot:
		key, err = ledger.Key(tx, lotType, s.GTIN, s.Lot)
	default:
		key, err = ledger.Key(tx, itemType, s.GTIN, s.Serial)
	}
	if err != nil {
		return "", "", err
	}
	var owned struct {
		Owner string `json:"owner"`
		Lot   string `json:"lot"`
	}
	found, err := ledger.GetJSON(tx, key, &owned)
	if err != nil {
		return "", "", err
	}
	if !found {
		return "", "", cxlerr.Errorf(cxlerr.NotFound, "%s not found", s.describe())
	}
	return owned.Owner, owned.Lot, nil
}

// certificateKey is the key of certificate id of a subject.
func certificateKey(tx *ledger.Tx, s SubjectArgs, id string) (string, error) {
	switch s.Kind {
	case KindProduct:
		return ledger.Key(tx, productCertType, s.GTIN, id)
	case KindLot:
		return ledger.Key(tx, lotCertType, s.GTIN, s.Lot, id)
	}
	return ledger.Key(tx, itemCertType, s.GTIN, s.Serial, id)
}

func certificateSubject(s SubjectArgs) CertificateSubject {
	return CertificateSubject{Kind: s.Kind, GTIN: s.GTIN, Lot: s.Lot, Serial: s.Serial}
}

func certificateKeys(c Certificate) map[string]string {
	keys := map[string]string{"gtin": c.Subject.GTIN, "certificate": c.ID}
	if c.Subject.Lot != "" {
		keys["lot"] = c.Subject.Lot
	}
	if c.Subject.Serial != "" {
		keys["serial"] = c.Subject.Serial
	}
	return keys
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
