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
// the registrar's MSP (cacerts), the root the organisation's CA signs with. Under Docker
// the service reaches no CA yet: the customer path is served, invitations are not.
func customers(s site, m member, file func(string) string) (config.Customers, error) {
	ca := m.prof.CA
	if ca == nil {
		return config.Customers{}, nil
	}
	roots, err := filepath.Glob(filepath.Join(filepath.Dir(filepath.Dir(ca.Registrar.Cert)), "cacerts", "*.pem"))
	if err != nil || len(roots) != 1 {
		return config.Customers{}, fmt.Errorf("the CA root of %s: want one certificate in the registrar's cacerts, found %d (%v)", m.prof.MSPID, len(roots), err)
	}
	c := config.Customers{Roots: []config.CustomerRoot{{MSPID: m.prof.MSPID, Cert: file(roots[0])}}}
	if s.runtime == network.Native {
		c.CA = &config.CA{URL: ca.URL, TLSRootCert: file(ca.TLSRootCert), Registrar: config.Identity{MSPID: m.prof.MSPID, Cert: file(ca.Registrar.Cert), Key: file(ca.Registrar.Key)}}
	}
	return c, nil
}
