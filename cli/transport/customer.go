package transport

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/gateway/client"
)

// Customer reaches the ledger through a member's gateway service as a customer who holds
// its own key (a customer profile: a gateway URL with the customer's certificate and key
// files, and no API key): every transaction is prepared by the service and signed here,
// so the key never leaves this process.
type Customer struct {
	*client.Customer
	url string
}

var _ cmdutil.Client = (*Customer)(nil)

// NewCustomer returns the customer of profile p: its certificate and key are read from
// their files (the key must be readable by its owner only), and an https service is
// verified against p.GatewayCA, or the system's roots when it is empty.
func NewCustomer(p cmdutil.Profile) (*Customer, error) {
	certPEM, err := os.ReadFile(p.Cert)
	if err != nil {
		return nil, cmdutil.UsageErrorf("customer certificate: %v", err)
	}
	key, err := readCustomerKey(p.Key)
	if err != nil {
		return nil, err
	}
	hc, err := HTTPClient(p.GatewayCA)
	if err != nil {
		return nil, err
	}
	url := strings.TrimSuffix(p.Gateway, "/")
	return &Customer{Customer: client.New(url, "", client.WithHTTPClient(hc)).AsCustomer(certPEM, key), url: url}, nil
}

// HTTPClient is an HTTP client that verifies an https service against the CA certificates
// of the PEM file ca, or the system's roots when ca is empty.
func HTTPClient(ca string) (*http.Client, error) {
	t, err := caTransport(ca)
	if err != nil {
		return nil, err
	}
	return &http.Client{Timeout: time.Minute, Transport: t}, nil
}

// readCustomerKey reads an ECDSA private key (PKCS#8 or SEC 1) from a file that only its
// owner may read.
func readCustomerKey(path string) (*ecdsa.PrivateKey, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, cmdutil.UsageErrorf("customer key: %v", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, cmdutil.UsageErrorf("customer key %s: others may read it (mode %#o); restrict it with chmod 600", path, info.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, cmdutil.UsageErrorf("customer key: %v", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, cmdutil.UsageErrorf("customer key %s: not PEM", path)
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		if ek, ok := k.(*ecdsa.PrivateKey); ok {
			return ek, nil
		}
		return nil, cmdutil.UsageErrorf("customer key %s: a %T; only ECDSA keys sign for Fabric here", path, k)
	}
	if k, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	return nil, cmdutil.UsageErrorf("customer key %s: %v", path, errors.New("neither PKCS#8 nor an SEC 1 EC key"))
}

// Target names the service and says the customer signs.
func (c *Customer) Target() string { return "gateway service " + c.url + " (signing as the customer)" }

// Close does nothing: connections are pooled per process.
func (c *Customer) Close() error { return nil }
