package provenancecc

import (
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
)

func issueCertificate(tx *ledger.Tx, a provenance.IssueCertificateArgs) (*provenance.Certificate, error) {
	caller := tx.Caller()
	auditor, err := ledger.HoldsRole(tx, ledgertypes.Auditor)
	if err != nil {
		return nil, err
	}
	if !auditor {
		brand, err := ledger.HoldsRole(tx, ledgertypes.Brand)
		if err != nil {
			return nil, err
		}
		if !brand {
			return nil, cxlerr.Errorf(cxlerr.Forbidden, "%s plays neither the auditor nor the brand role: it needs one in its certificate (attribute %s) and its organisation holding it", caller.Account, ledger.RolesAttr)
		}
	}
	owner, lot, err := subjectOwner(tx, a.Subject)
	if err != nil {
		return nil, err
	}
	if !auditor && owner != caller.MSP {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "%s belongs to %s; a brand certifies only its own products (auditors certify any)", a.Subject.Describe(), owner)
	}
	if lot != "" {
		if err := requireNotRecalled(tx, a.Subject.GTIN, lot, "certify "+a.Subject.Describe()); err != nil {
			return nil, err
		}
	}
	key, err := certificateKey(tx, a.Subject, a.ID)
	if err != nil {
		return nil, err
	}
	var existing provenance.Certificate
	found, err := ledger.GetJSON(tx, key, &existing)
	if err != nil {
		return nil, err
	}
	if found {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "certificate %q of %s already exists (issued by %s)", a.ID, a.Subject.Describe(), existing.Issuer)
	}
	c := provenance.Certificate{
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

func revokeCertificate(tx *ledger.Tx, a provenance.RevokeCertificateArgs) (*provenance.Certificate, error) {
	key, err := certificateKey(tx, a.Subject, a.ID)
	if err != nil {
		return nil, err
	}
	var c provenance.Certificate
	found, err := ledger.GetJSON(tx, key, &c)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, cxlerr.Errorf(cxlerr.NotFound, "certificate %q of %s not found", a.ID, a.Subject.Describe())
	}
	caller := tx.Caller()
	if c.Issuer != caller.MSP {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "certificate %q of %s was issued by %s; only the issuer can revoke it", a.ID, a.Subject.Describe(), c.Issuer)
	}
	// The issuer revokes whether or not it still holds the role it issued in.
	if !caller.StaffOf(c.Issuer, ledgertypes.Auditor) && !caller.StaffOf(c.Issuer, ledgertypes.Brand) {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "%s may not revoke certificates of %s: only its staff carrying the auditor or brand role (attribute %s) may", caller.Account, c.Issuer, ledger.RolesAttr)
	}
	if c.Revocation != nil {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "certificate %q of %s is already revoked", a.ID, a.Subject.Describe())
	}
	c.Revocation = &provenance.CertificateRevocation{Reason: a.Reason, At: tx.Time(), TxID: tx.ID()}
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
func subjectOwner(tx *ledger.Tx, s provenance.SubjectArgs) (owner, lot string, err error) {
	var key string
	switch s.Kind {
	case provenance.KindProduct:
		key, err = ledger.Key(tx, productType, s.GTIN)
	case provenance.KindLot:
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
		return "", "", cxlerr.Errorf(cxlerr.NotFound, "%s not found", s.Describe())
	}
	return owned.Owner, owned.Lot, nil
}

// certificateKey is the key of certificate id of a subject.
func certificateKey(tx *ledger.Tx, s provenance.SubjectArgs, id string) (string, error) {
	switch s.Kind {
	case provenance.KindProduct:
		return ledger.Key(tx, productCertType, s.GTIN, id)
	case provenance.KindLot:
		return ledger.Key(tx, lotCertType, s.GTIN, s.Lot, id)
	}
	return ledger.Key(tx, itemCertType, s.GTIN, s.Serial, id)
}

func certificateSubject(s provenance.SubjectArgs) provenance.CertificateSubject {
	return provenance.CertificateSubject{Kind: s.Kind, GTIN: s.GTIN, Lot: s.Lot, Serial: s.Serial}
}

func certificateKeys(c provenance.Certificate) map[string]string {
	keys := map[string]string{"gtin": c.Subject.GTIN, "certificate": c.ID}
	if c.Subject.Lot != "" {
		keys["lot"] = c.Subject.Lot
	}
	if c.Subject.Serial != "" {
		keys["serial"] = c.Subject.Serial
	}
	return keys
}
