package service

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

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
	if cfg.StoreURL != "" {
		rep, err := replicasOf(cfg)
		if err != nil {
			return nil, err
		}
		out.Replicas = rep
	}
	return out, nil
}

// replicasOf is how this replica of a member's service reaches the others that share its
// PostgreSQL store (see httpapi.Replicas): its base URL as they reach it is its listen
// address (an unspecified host is this machine's name), over HTTPS verified against its own
// certificate when it serves TLS (a member's replicas share their configuration, and so
// their certificate).
func replicasOf(cfg *config.Config) (*httpapi.Replicas, error) {
	host, port, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("replicas: listen address %q: %w", cfg.Listen, err)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		if host, err = os.Hostname(); err != nil {
			return nil, fmt.Errorf("replicas: this replica's address for the others: %w", err)
		}
	}
	rep := &httpapi.Replicas{Self: "http://" + net.JoinHostPort(host, port), Client: &http.Client{Timeout: cfg.Timeouts.Request + 15*time.Second}}
	if cfg.TLS != nil {
		certs, err := readCerts(cfg.TLS.Cert)
		if err != nil || len(certs) == 0 {
			return nil, fmt.Errorf("replicas: this replica's certificate %s, which the others verify: %v", cfg.TLS.Cert, err)
		}
		pool := x509.NewCertPool()
		for _, c := range certs {
			pool.AddCert(c)
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		rep.Self, rep.Client.Transport = "https://"+net.JoinHostPort(host, port), tr
	}
	return rep, nil
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
