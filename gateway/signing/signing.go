// Package signing is how a customer who holds its own key signs for itself through a
// member's gateway service: the digest that authenticates a request (method, path,
// timestamp, idempotency key and the SHA-256 of the body), and ECDSA signatures in the form
// Fabric accepts (ASN.1 DER, low S), made by the client and checked by the service and the
// peers. It has no Fabric dependency.
package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
)

// The headers that carry a customer's request signature: the time it was signed (RFC 3339)
// and the base64 (standard) ECDSA signature over RequestDigest.
const (
	TimestampHeader = "X-Cxl-Timestamp"
	SignatureHeader = "X-Cxl-Signature"
)

// RequestDigest is the SHA-256 digest a customer signs to authenticate a request: a version
// tag, the method, the path, the timestamp, the Idempotency-Key (empty when none) and the
// hex SHA-256 of the body, one per line. A signature therefore cannot be moved to another
// route, body, key or time.
func RequestDigest(method, path, timestamp, idempotencyKey string, body []byte) []byte {
	b := sha256.Sum256(body)
	msg := "cxl-customer-request-v1\n" + method + "\n" + path + "\n" + timestamp + "\n" + idempotencyKey + "\n" + hex.EncodeToString(b[:])
	d := sha256.Sum256([]byte(msg))
	return d[:]
}

type ecdsaSignature struct{ R, S *big.Int }

// Sign signs digest with key: an ASN.1 DER ECDSA signature whose S is in the lower half of
// the curve order, as Fabric requires.
func Sign(key *ecdsa.PrivateKey, digest []byte) ([]byte, error) {
	r, s, err := ecdsa.Sign(rand.Reader, key, digest)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	if n := key.Curve.Params().N; s.Cmp(halfOrder(key.Curve)) > 0 {
		s = new(big.Int).Sub(n, s)
	}
	sig, err := asn1.Marshal(ecdsaSignature{r, s})
	if err != nil {
		return nil, fmt.Errorf("encode signature: %w", err)
	}
	return sig, nil
}

// Verify checks that sig is pub's low-S ECDSA signature over digest.
func Verify(pub crypto.PublicKey, digest, sig []byte) error {
	key, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return fmt.Errorf("the certificate's key is a %T; only ECDSA keys are accepted", pub)
	}
	var es ecdsaSignature
	rest, err := asn1.Unmarshal(sig, &es)
	if err != nil || len(rest) > 0 || es.R == nil || es.S == nil {
		return errors.New("the signature is not an ASN.1 ECDSA signature")
	}
	if es.S.Sign() <= 0 || es.S.Cmp(halfOrder(key.Curve)) > 0 {
		return errors.New("the signature's S is not in the lower half of the curve order (Fabric refuses it)")
	}
	if !ecdsa.VerifyASN1(key, digest, sig) {
		return errors.New("the signature does not verify against the certificate's key")
	}
	return nil
}

func halfOrder(c elliptic.Curve) *big.Int { return new(big.Int).Rsh(c.Params().N, 1) }
