package workload

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/identity"

	"github.com/cxledger/cxledger/network"
)

// IssueClient issues a client identity of organisation mspID (Org2MSP is org2.example.com)
// with common name cn, valid for a day, signed by the organisation's CA in the network's
// crypto material: what a Fabric CA enrolment would give a new customer. It returns the
// certificate and the PKCS#8 private key as PEM; the caller decides where the key goes.
func IssueClient(home network.Home, mspID, cn string) (certPEM, keyPEM []byte, err error) {
	domain := strings.ToLower(strings.TrimSuffix(mspID, "MSP")) + ".example.com"
	caCert, caKey, err := loadCA(filepath.Join(home.Crypto(), "peerOrganizations", domain, "ca"), domain)
	if err != nil {
		return nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, err
	}
	notBefore := time.Now().Add(-5 * time.Minute)
	if notBefore.Before(caCert.NotBefore) {
		notBefore = caCert.NotBefore
	}
	ca := caCert.Subject
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		// As cryptogen's users: the NodeOU "client" makes it a client of the organisation.
		Subject:               pkix.Name{Country: ca.Country, Province: ca.Province, Locality: ca.Locality, OrganizationalUnit: []string{"client"}, CommonName: cn},
		NotBefore:             notBefore,
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("issue a certificate for %s in %s: %w", cn, mspID, err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encode the key of %s: %w", cn, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), nil
}

// loadCA reads the certificate and key cryptogen wrote for an organisation's CA.
func loadCA(dir, domain string) (*x509.Certificate, any, error) {
	certPEM, err := os.ReadFile(filepath.Join(dir, "ca."+domain+"-cert.pem"))
	if err != nil {
		return nil, nil, fmt.Errorf("read the CA certificate of %s: %w", domain, err)
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, "priv_sk"))
	if err != nil {
		return nil, nil, fmt.Errorf("read the CA key of %s: %w", domain, err)
	}
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	if err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}
