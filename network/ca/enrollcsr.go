package ca

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"

	"github.com/cxledger/cxledger/cxlerr"
)

// EnrollCSR enrols id with its secret for a certificate request someone else made with
// their own key (a customer enrolling through its member's gateway service): csrPEM must be
// a PEM CERTIFICATE REQUEST signed by its key, with common name id. It returns the
// certificate the CA issued for that key and the CA's chain, both PEM. Refusals are as
// Enroll's; the secret appears in no error.
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
	body, err := json.Marshal(struct {
		Hosts   []string `json:"hosts"`
		Request string   `json:"certificate_request"`
	}{[]string{}, string(pem.EncodeToMemory(block))})
	if err != nil {
		return nil, nil, fmt.Errorf("encode enrolment: %w", err)
	}
	var res struct {
		Cert       string `json:"Cert"`
		ServerInfo struct {
			CAChain string `json:"CAChain"`
		} `json:"ServerInfo"`
	}
	basic := func(r *http.Request) error { r.SetBasicAuth(id, secret); return nil }
	if err := c.call(ctx, http.MethodPost, "enroll", nil, body, basic, &res, secret); err != nil {
		return nil, nil, fmt.Errorf("enrol %q: %w", id, err)
	}
	if cert, err = b64.DecodeString(res.Cert); err != nil {
		return nil, nil, cxlerr.Errorf(cxlerr.Internal, "enrol %q: the CA's certificate is not base64", id)
	}
	if chain, err = b64.DecodeString(res.ServerInfo.CAChain); err != nil {
		return nil, nil, cxlerr.Errorf(cxlerr.Internal, "enrol %q: the CA's chain is not base64", id)
	}
	issued, err := parseCertPEM(cert)
	if err != nil {
		return nil, nil, cxlerr.Errorf(cxlerr.Internal, "enrol %q: the CA's answer: %v", id, err)
	}
	if pub, ok := issued.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(csr.PublicKey) || issued.Subject.CommonName != id {
		return nil, nil, cxlerr.Errorf(cxlerr.Internal, "enrol %q: the CA issued a certificate for another key or name", id)
	}
	return cert, chain, nil
}
