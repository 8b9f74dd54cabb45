package ca

import (
	"context"
	"crypto/x509"
	"encoding/pem"

	"github.com/cxledger/cxledger/cxlerr"
)

// EnrollCSR enrols id with its secret for a certificate request someone else made with
// their own key (a customer enrolling through its member's gateway service): csrPEM must be
// a PEM CERTIFICATE REQUEST signed by its key, with common name id. It returns the
// certificate the CA issued for that key and the CA's chain, both PEM. Refusals are as
// Enroll's (CONFLICT for a used-up secret with WithRegistrar); the secret appears in no
// error.
func (c *Client) EnrollCSR(ctx context.Context, id, secret string, csrPEM []byte) (cert, chain []byte, err error) {
	if err := validateID(id); err != nil {
		return nil, nil, err
	}
	if secret == "" {
		return nil, nil, cxlerr.New(cxlerr.Invalid, "the enrolment secret is empty")
	}
	block, _ := pem.Decode(csrPEM)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return nil, nil, cxlerr.New(cxlerr.Invalid, "the certificate request is not a PEM CERTIFICATE REQUEST")
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil || csr.CheckSignature() != nil {
		return nil, nil, cxlerr.New(cxlerr.Invalid, "the certificate request is not signed by its key")
	}
	if csr.Subject.CommonName != id {
		return nil, nil, cxlerr.Errorf(cxlerr.Invalid, "the certificate request names %q, not the enrolment ID", truncate(csr.Subject.CommonName))
	}
	return c.enroll(ctx, id, secret, pem.EncodeToMemory(block), csr.PublicKey, EnrollOptions{})
}
