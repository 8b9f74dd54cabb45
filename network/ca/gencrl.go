package ca

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http"

	"github.com/cxledger/cxledger/cxlerr"
)

// GenCRL asks the CA, with registrar's authority (which needs hf.GenCRL), for its current
// certificate revocation list: every unexpired certificate it revoked, signed by the CA.
// It returns the CRL as PEM, checked to be one X509 CRL block.
func (c *Client) GenCRL(ctx context.Context, registrar Identity) ([]byte, error) {
	var res struct {
		CRL string `json:"CRL"`
	}
	if err := c.call(ctx, http.MethodPost, "gencrl", nil, []byte("{}"), authToken(registrar), &res, ""); err != nil {
		return nil, fmt.Errorf("gencrl: %w", err)
	}
	crl, err := base64.StdEncoding.DecodeString(res.CRL)
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "the CA's CRL is not base64: %v", err)
	}
	if block, _ := pem.Decode(crl); block == nil || block.Type != "X509 CRL" {
		return nil, cxlerr.Errorf(cxlerr.Internal, "the CA's answer holds no PEM X509 CRL")
	}
	return crl, nil
}
