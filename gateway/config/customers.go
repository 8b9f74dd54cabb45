package config

import (
	"fmt"
	"net/url"
	"time"
)

// Customers configures the customers who hold their own keys and sign for themselves
// through the service (prepare -> sign -> submit), and their invitation.
type Customers struct {
	// Roots are the member CAs whose client certificates the service accepts from
	// customers, with their organisations; none turns the customer path off.
	Roots []CustomerRoot `yaml:"roots"`
	// Skew is how far a customer request's signed timestamp may be from the service's
	// clock; default 5 minutes.
	Skew time.Duration `yaml:"skew,omitempty"`
	// SessionTTL is how long a prepared transaction waits for the customer's signatures;
	// default 2 minutes.
	SessionTTL time.Duration `yaml:"sessionTTL,omitempty"`
	// CA is the organisation's CA, which registers and enrols the customers staff invite;
	// nil: no invitations.
	CA *CA `yaml:"ca,omitempty"`
}

// CustomerRoot is a member CA's root certificate file and the member's MSP ID.
type CustomerRoot struct {
	MSPID string `yaml:"mspId"`
	Cert  string `yaml:"cert"`
}

// CA is the organisation's Fabric CA as the service reaches it.
type CA struct {
	// URL is the CA's https:// address.
	URL string `yaml:"url"`
	// TLSRootCert is the PEM file that verifies the CA's TLS certificate.
	TLSRootCert string `yaml:"tlsRootCert"`
	// Registrar is the identity that registers customers with the CA (a client identity
	// that may register clients without attributes, and holds no business role); it is not
	// one of the service's signing identities.
	Registrar Identity `yaml:"registrar"`
	// Affiliation is the customers' affiliation; default none.
	Affiliation string `yaml:"affiliation,omitempty"`
	// InvitationTTL is how long an invitation's secret enrols when staff do not say;
	// default 72 hours.
	InvitationTTL time.Duration `yaml:"invitationTTL,omitempty"`
}

// validateCustomers checks the customers' settings, one error per problem.
func (c *Config) validateCustomers() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	cs := c.Customers
	for i, r := range cs.Roots {
		if r.MSPID == "" {
			bad("customers.roots[%d].mspId: required", i)
		}
		if err := readable(r.Cert); err != nil {
			bad("customers.roots[%d].cert: %v", i, err)
		}
	}
	if cs.Skew < 0 || cs.SessionTTL < 0 {
		bad("customers.skew and customers.sessionTTL: want 0 (the default) or a positive duration")
	}
	if ca := cs.CA; ca != nil {
		if u, err := url.Parse(ca.URL); err != nil || u.Scheme != "https" || u.Host == "" {
			bad("customers.ca.url: %q, want the CA's https:// address", ca.URL)
		}
		if err := readable(ca.TLSRootCert); err != nil {
			bad("customers.ca.tlsRootCert: %v", err)
		}
		if err := readable(ca.Registrar.Cert); err != nil {
			bad("customers.ca.registrar.cert: %v", err)
		}
		if err := privateFile(ca.Registrar.Key); err != nil {
			bad("customers.ca.registrar.key: %v", err)
		}
		if ca.InvitationTTL < 0 {
			bad("customers.ca.invitationTTL: want 0 (72 hours) or a positive duration")
		}
		if len(cs.Roots) == 0 {
			bad("customers.ca: invited customers could not sign: list their CA in customers.roots")
		}
	}
	return errs
}
