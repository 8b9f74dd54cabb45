package service

import (
	"context"
	"fmt"
	"os"

	"github.com/cxledger/cxledger/gateway/config"
	"github.com/cxledger/cxledger/gateway/httpapi"
	"github.com/cxledger/cxledger/network/ca"
)

// registrar is the organisation's CA as the invitation endpoints use it: customers are
// registered with the registrar identity's authority as clients with no attribute (no
// cxl.roles: they act for nobody but themselves) and one enrolment.
type registrar struct {
	client      *ca.Client
	id          ca.Identity
	affiliation string
}

// newRegistrar connects to the CA c as its registrar identity.
func newRegistrar(c *config.CA) (httpapi.Registrar, error) {
	root, err := os.ReadFile(c.TLSRootCert)
	if err != nil {
		return nil, fmt.Errorf("customers.ca.tlsRootCert: %w", err)
	}
	client, err := ca.New(c.URL, root)
	if err != nil {
		return nil, fmt.Errorf("customers.ca: %w", err)
	}
	certPEM, err := os.ReadFile(c.Registrar.Cert)
	if err != nil {
		return nil, fmt.Errorf("customers.ca.registrar: %w", err)
	}
	keyPEM, err := os.ReadFile(c.Registrar.Key)
	if err != nil {
		return nil, fmt.Errorf("customers.ca.registrar: %w", err)
	}
	id, err := ca.ParseIdentity(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("customers.ca.registrar: %w", err)
	}
	return &registrar{client: client, id: id, affiliation: c.Affiliation}, nil
}

// RegisterCustomer registers id as a client with one enrolment and the service's secret.
func (r *registrar) RegisterCustomer(ctx context.Context, id, secret string) error {
	_, err := r.client.Register(ctx, r.id, ca.Registration{ID: id, Secret: secret, Type: "client", Affiliation: r.affiliation, MaxEnrollments: 1})
	return err
}

// EnrollCSR enrols the customer's own certificate request.
func (r *registrar) EnrollCSR(ctx context.Context, id, secret string, csrPEM []byte) ([]byte, []byte, error) {
	return r.client.EnrollCSR(ctx, id, secret, csrPEM)
}
