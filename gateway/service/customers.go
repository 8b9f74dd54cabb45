package service

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"

	"github.com/cxledger/cxledger/gateway/config"
	"github.com/cxledger/cxledger/gateway/fabric"
	"github.com/cxledger/cxledger/gateway/httpapi"
)

// customersOf is the customer path's configuration: the member CAs whose client
// certificates are accepted, the Fabric client that prepares, endorses and submits what
// customers sign, and the CA that registers invited customers. Nil when no CA root is
// configured: the customer routes are not served.
func customersOf(cfg *config.Config, fc *fabric.Client) (*httpapi.Customers, error) {
	cs := cfg.Customers
	if len(cs.Roots) == 0 {
		return nil, nil
	}
	out := &httpapi.Customers{Ledger: fc, Skew: cs.Skew, SessionTTL: cs.SessionTTL}
	for _, r := range cs.Roots {
		certs, err := readCerts(r.Cert)
		if err != nil {
			return nil, fmt.Errorf("customers: CA of %s: %w", r.MSPID, err)
		}
		out.Roots = append(out.Roots, httpapi.CustomerRoot{MSPID: r.MSPID, Certs: certs})
	}
	if cs.CA != nil {
		reg, err := newRegistrar(cs.CA)
		if err != nil {
			return nil, err
		}
		out.Registrar, out.InvitationTTL = reg, cs.CA.InvitationTTL
	}
	return out, nil
}

// readCerts reads every PEM certificate of a file.
func readCerts(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s: no PEM certificate", path)
	}
	return certs, nil
}
