package signing

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"math/big"
	"testing"
)

// TestSignVerify: signatures verify over their digest only, with their key only, always in
// low-S form; a high-S twin of a valid signature, trailing bytes and other key types are
// refused.
func TestSignVerify(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	d := RequestDigest("POST", "/v1/customer/prepare", "2026-01-01T00:00:00Z", "k", []byte(`{}`))
	half := new(big.Int).Rsh(elliptic.P256().Params().N, 1)
	for range 50 {
		sig, err := Sign(key, d)
		if err != nil {
			t.Fatal(err)
		}
		var es ecdsaSignature
		if _, err := asn1.Unmarshal(sig, &es); err != nil || es.S.Cmp(half) > 0 {
			t.Fatalf("not low S: %v", err)
		}
		if err := Verify(&key.PublicKey, d, sig); err != nil {
			t.Fatal(err)
		}
		if Verify(&other.PublicKey, d, sig) == nil {
			t.Fatal("verified with another key")
		}
		if Verify(&key.PublicKey, RequestDigest("POST", "/v1/customer/prepare", "2026-01-01T00:00:00Z", "k2", []byte(`{}`)), sig) == nil {
			t.Fatal("verified over another idempotency key")
		}
		high, _ := asn1.Marshal(ecdsaSignature{es.R, new(big.Int).Sub(elliptic.P256().Params().N, es.S)})
		if Verify(&key.PublicKey, d, high) == nil {
			t.Fatal("a high-S signature verified")
		}
		if Verify(&key.PublicKey, d, append(sig, 0)) == nil {
			t.Fatal("trailing bytes verified")
		}
	}
	rk, _ := rsa.GenerateKey(rand.Reader, 1024)
	if Verify(&rk.PublicKey, d, []byte{1}) == nil {
		t.Fatal("an RSA key was accepted")
	}
	if Verify(&key.PublicKey, d, nil) == nil || Verify(&key.PublicKey, d, []byte("junk")) == nil {
		t.Fatal("junk verified")
	}
}

// TestRequestDigestFields: every field changes the digest, and moving text between fields
// does too.
func TestRequestDigestFields(t *testing.T) {
	base := string(RequestDigest("POST", "/a", "t", "k", []byte("b")))
	for _, d := range [][]byte{
		RequestDigest("GET", "/a", "t", "k", []byte("b")), RequestDigest("POST", "/b", "t", "k", []byte("b")),
		RequestDigest("POST", "/a", "u", "k", []byte("b")), RequestDigest("POST", "/a", "t", "l", []byte("b")),
		RequestDigest("POST", "/a", "t", "k", []byte("c")), RequestDigest("POST", "/a\nt", "", "k", []byte("b")),
	} {
		if string(d) == base {
			t.Fatal("a field does not change the digest")
		}
	}
}
