package ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
)

// Identity is an enrolled identity that authenticates requests to the CA: its certificate
// (PEM) and the signer of the certificate's key. Only ECDSA keys are accepted, as by Fabric
// CA.
type Identity struct {
	// Cert is the identity's enrolment certificate, PEM encoded.
	Cert []byte
	// Key signs for the certificate's public key; it never leaves the caller.
	Key crypto.Signer
}

// ParseIdentity returns the Identity of a PEM certificate and its PEM private key (PKCS#8
// or SEC 1 EC), checking that the key is the certificate's.
func ParseIdentity(certPEM, keyPEM []byte) (Identity, error) {
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return Identity{}, errors.New("the private key is not PEM")
	}
	var key crypto.Signer
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		s, ok := k.(*ecdsa.PrivateKey)
		if !ok {
			return Identity{}, fmt.Errorf("the private key is a %T; only ECDSA keys are accepted", k)
		}
		key = s
	} else if k, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		key = k
	} else {
		return Identity{}, errors.New("the private key is neither PKCS#8 nor an SEC 1 EC key")
	}
	id := Identity{Cert: certPEM, Key: key}
	if _, err := id.certificate(); err != nil {
		return Identity{}, err
	}
	return id, nil
}

// certificate parses the identity's certificate and checks that Key is its key.
func (id Identity) certificate() (*x509.Certificate, error) {
	if id.Key == nil {
		return nil, errors.New("the identity has no key")
	}
	cert, err := parseCertPEM(id.Cert)
	if err != nil {
		return nil, fmt.Errorf("the identity's certificate: %w", err)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("the identity's certificate has a %T key; only ECDSA keys are accepted", cert.PublicKey)
	}
	if !pub.Equal(id.Key.Public()) {
		return nil, errors.New("the identity's key is not its certificate's key")
	}
	return cert, nil
}

// parseCertPEM parses the first PEM block of data as an X.509 certificate.
func parseCertPEM(data []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	return cert, nil
}

// b64 is the base64 Fabric CA uses everywhere: standard alphabet, padded.
var b64 = base64.StdEncoding

// tokenPayload is what an authorisation token signs, as Fabric CA defines it:
// "<method>.<b64 request URI>.<b64 body>.<b64 certificate PEM>".
func tokenPayload(method, requestURI string, body, certPEM []byte) string {
	return method + "." + b64.EncodeToString([]byte(requestURI)) + "." + b64.EncodeToString(body) + "." +
		b64.EncodeToString(certPEM)
}

// token returns the value of the Authorization header that authenticates a request as id:
// "<b64 certificate PEM>.<b64 ECDSA signature>", the signature (ASN.1 DER, low S) over the
// SHA-256 of tokenPayload.
func (id Identity) token(method, requestURI string, body []byte) (string, error) {
	if _, err := id.certificate(); err != nil {
		return "", err
	}
	digest := sha256.Sum256([]byte(tokenPayload(method, requestURI, body, id.Cert)))
	sig, err := signLowS(id.Key, digest[:])
	if err != nil {
		return "", err
	}
	return b64.EncodeToString(id.Cert) + "." + b64.EncodeToString(sig), nil
}

type ecdsaSignature struct{ R, S *big.Int }

// signLowS signs digest with key and returns the ASN.1 DER signature with S in the lower
// half of the curve order, the only form Fabric's verifiers accept.
func signLowS(key crypto.Signer, digest []byte) ([]byte, error) {
	pub, ok := key.Public().(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("the key is a %T; only ECDSA keys are accepted", key.Public())
	}
	sig, err := key.Sign(rand.Reader, digest, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	var es ecdsaSignature
	if rest, err := asn1.Unmarshal(sig, &es); err != nil || len(rest) > 0 || es.R == nil || es.S == nil {
		return nil, errors.New("the key's signature is not ASN.1 ECDSA")
	}
	n := pub.Curve.Params().N
	if es.S.Cmp(new(big.Int).Rsh(n, 1)) <= 0 {
		return sig, nil
	}
	es.S = new(big.Int).Sub(n, es.S)
	sig, err = asn1.Marshal(es)
	if err != nil {
		return nil, fmt.Errorf("encode signature: %w", err)
	}
	return sig, nil
}
