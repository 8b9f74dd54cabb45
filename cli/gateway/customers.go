package gateway

import (
	"fmt"
	"path/filepath"

	"github.com/cxledger/cxledger/gateway/config"
	"github.com/cxledger/cxledger/network"
)

// customers is the customer path of member m's service: customers who hold client
// certificates of its organisation's CA sign for themselves through it, and its staff
// invite them through the CA as the organisation's registrar. The CA root is the one in
// the registrar's MSP (cacerts), the root the organisation's CA signs with. Natively the
// service reaches the CA at its published address; under Docker at its Compose service
// name (which its TLS certificate names), and only when the service's container sees the
// CA's TLS root and the registrar's files: otherwise it serves the customer path without
// invitations.
func customers(s site, m member) (config.Customers, error) {
	ca := m.prof.CA
	if ca == nil {
		return config.Customers{}, nil
	}
	roots, err := filepath.Glob(filepath.Join(filepath.Dir(filepath.Dir(ca.Registrar.Cert)), "cacerts", "*.pem"))
	if err != nil || len(roots) != 1 {
		return config.Customers{}, fmt.Errorf("the CA root of %s: want one certificate in the registrar's cacerts, found %d (%v)", m.prof.MSPID, len(roots), err)
	}
	root, err := s.file(roots[0])
	if err != nil {
		return config.Customers{}, fmt.Errorf("the CA root of %s: %w", m.prof.MSPID, err)
	}
	c := config.Customers{Roots: []config.CustomerRoot{{MSPID: m.prof.MSPID, Cert: root}}}
	url := ca.URL
	if s.runtime == network.Docker {
		url = s.caURL
	}
	var files [3]string
	for i, p := range []string{ca.TLSRootCert, ca.Registrar.Cert, ca.Registrar.Key} {
		if files[i], err = s.file(p); err != nil {
			return c, nil
		}
	}
	c.CA = &config.CA{URL: url, TLSRootCert: files[0], Registrar: config.Identity{MSPID: m.prof.MSPID, Cert: files[1], Key: files[2]}}
	return c, nil
}
