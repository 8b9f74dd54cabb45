package gateway

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/cxledger/cxledger/network"
)

// certValidity is how long a service certificate is valid; up issues a new one when less
// than certRenewal is left.
const (
	certValidity = 365 * 24 * time.Hour
	certRenewal  = 30 * 24 * time.Hour
)

// tlsHosts are the names and addresses m's certificate is issued for at s: the loopback
// names (the host publishes every service there, and the container's probe asks there),
// the listen host when it is a name or a specific address, this machine's host name
// natively, and the Compose service name under Docker.
func tlsHosts(s site, m member) []string {
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	if s.runtime == network.Docker {
		return append(hosts, network.GatewayService(m.org))
	}
	if host, _, err := net.SplitHostPort(s.listen); err == nil && host != "" {
		if ip := net.ParseIP(host); ip == nil || !ip.IsUnspecified() {
			hosts = append(hosts, host)
		}
	}
	if name, err := os.Hostname(); err == nil && name != "" {
		hosts = append(hosts, name)
	}
	return hosts
}

// ensureCert makes sure m's service has a certificate for hosts signed by its
// organisation's TLS CA: it issues one (with a new P-256 key, readable by its owner only)
// when there is none, when it lacks a host, when it expires within certRenewal, or when it
// does not chain to the CA's certificate any more. The CA's key is the organisation's own
// (under crypto/peerOrganizations/<org>/tlsca), read here and never given to the service.
func ensureCert(home network.Home, m member, hosts []string, now time.Time) (issued bool, err error) {
	caCert, caKey, err := loadTLSCA(home, m)
	if err != nil {
		return false, err
	}
	if current(m, caCert, hosts, now) {
		return false, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return false, fmt.Errorf("generate TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return false, fmt.Errorf("TLS certificate serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: network.GatewayService(m.org), Organization: []string{m.org.Domain}},
		NotBefore:    now.Add(-5 * time.Minute),
		NotAfter:     now.Add(certValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return false, fmt.Errorf("issue the TLS certificate of %s's gateway: %w", m.org.Name, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return false, fmt.Errorf("encode TLS key: %w", err)
	}
	if err := os.MkdirAll(m.tlsDir(), 0o700); err != nil {
		return false, fmt.Errorf("create %s: %w", m.tlsDir(), err)
	}
	if err := os.WriteFile(m.tlsKey(), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return false, fmt.Errorf("write TLS key: %w", err)
	}
	if err := os.WriteFile(m.tlsCert(), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return false, fmt.Errorf("write TLS certificate: %w", err)
	}
	return true, nil
}

// current reports whether m's certificate is one ensureCert would keep.
func current(m member, ca *x509.Certificate, hosts []string, now time.Time) bool {
	pair, err := tls.LoadX509KeyPair(m.tlsCert(), m.tlsKey())
	if err != nil || len(pair.Certificate) == 0 {
		return false
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil || cert.CheckSignatureFrom(ca) != nil || now.Add(certRenewal).After(cert.NotAfter) {
		return false
	}
	for _, h := range hosts {
		if cert.VerifyHostname(h) != nil {
			return false
		}
	}
	return true
}

// loadTLSCA reads m's organisation's TLS CA: its certificate (the peers' TLS root) and the
// private key beside it whose public key is the certificate's.
func loadTLSCA(home network.Home, m member) (*x509.Certificate, crypto.Signer, error) {
	certFile := m.tlsRoot(home)
	cert, err := readCert(certFile)
	if err != nil {
		return nil, nil, fmt.Errorf("TLS CA of %s: %w", m.org.Name, err)
	}
	entries, err := os.ReadDir(filepath.Dir(certFile))
	if err != nil {
		return nil, nil, fmt.Errorf("TLS CA of %s: %w", m.org.Name, err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(filepath.Dir(certFile), e.Name()))
		if err != nil || e.IsDir() {
			continue
		}
		block, _ := pem.Decode(data)
		if block == nil {
			continue
		}
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			continue
		}
		signer, ok := k.(crypto.Signer)
		if !ok {
			continue
		}
		pub, err := x509.MarshalPKIXPublicKey(signer.Public())
		if err == nil && bytes.Equal(pub, cert.RawSubjectPublicKeyInfo) {
			return cert, signer, nil
		}
	}
	return nil, nil, fmt.Errorf("TLS CA of %s: no private key for %s in %s", m.org.Name, certFile, filepath.Dir(certFile))
}

func readCert(file string) (*x509.Certificate, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return x509.ParseCertificate(block.Bytes)
}

// httpClient is a client that verifies the service's certificate against its
// organisation's TLS root and nothing else (plain HTTP on the loopback needs none).
func httpClient(root string, timeout time.Duration) (*http.Client, error) {
	pool, err := rootPool(root)
	if err != nil {
		return nil, err
	}
	return &http.Client{Timeout: timeout, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}, nil
}

// rootPool is the pool of the PEM certificates in file.
func rootPool(file string) (*x509.CertPool, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read TLS root: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, errors.New(file + " holds no PEM certificate")
	}
	return pool, nil
}
