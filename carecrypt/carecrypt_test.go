package carecrypt

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ctx := Context{Merchant: "Org2MSP", KeyID: "k1", Ticket: "T1", Field: "message", Step: 3}
	salt := bytes.Repeat([]byte{7}, 32)
	const text = "My parcel never arrived; call +49 30 555"
	env, err := Seal(key.PublicKey(), ctx, salt, text)
	if err != nil {
		t.Fatal(err)
	}
	if len(env) != len(text)+Overhead(len(salt)) {
		t.Fatalf("envelope of %d bytes, want %d", len(env), len(text)+Overhead(len(salt)))
	}
	if bytes.Contains(env, []byte("parcel")) || bytes.Contains(env, salt[:8]) {
		t.Fatal("the envelope holds the plain text")
	}
	again, _ := Seal(key.PublicKey(), ctx, salt, text)
	if bytes.Equal(env, again) {
		t.Fatal("two seals of the same text are equal")
	}
	gotSalt, got, err := Open(key, ctx, env)
	if err != nil || got != text || !bytes.Equal(gotSalt, salt) {
		t.Fatalf("open: %q %x %v", got, gotSalt, err)
	}
	parsed, err := ParseEnvelope(env)
	if err != nil || parsed.Step != 3 {
		t.Fatalf("parse: %+v %v", parsed, err)
	}

	other, _ := GenerateKey()
	if _, _, err := Open(other, ctx, env); !errors.Is(err, ErrOpen) {
		t.Errorf("another key: %v", err)
	}
	for name, c := range map[string]Context{
		"ticket": {Merchant: "Org2MSP", KeyID: "k1", Ticket: "T2", Field: "message", Step: 3},
		"field":  {Merchant: "Org2MSP", KeyID: "k1", Ticket: "T1", Field: "contact", Step: 3},
		"step":   {Merchant: "Org2MSP", KeyID: "k1", Ticket: "T1", Field: "message", Step: 4},
		"key":    {Merchant: "Org2MSP", KeyID: "k2", Ticket: "T1", Field: "message", Step: 3},
		"org":    {Merchant: "Org1MSP", KeyID: "k1", Ticket: "T1", Field: "message", Step: 3},
	} {
		if _, _, err := Open(key, c, env); !errors.Is(err, ErrOpen) {
			t.Errorf("another %s: %v", name, err)
		}
	}
	for i := range env {
		bad := bytes.Clone(env)
		bad[i] ^= 0x01
		if _, _, err := Open(key, ctx, bad); err == nil {
			t.Fatalf("byte %d altered: opened", i)
		}
	}
	if _, _, err := Open(key, ctx, env[:len(env)-1]); err == nil {
		t.Error("truncated: opened")
	}
}

func TestHostileEnvelopes(t *testing.T) {
	key, _ := GenerateKey()
	env, _ := Seal(key.PublicKey(), Context{Step: 1}, []byte("0123456789abcdef"), "x")
	zeroEph := bytes.Clone(env)
	copy(zeroEph[5:HeaderSize], make([]byte, KeySize))
	stepZero := bytes.Clone(env)
	copy(stepZero[1:5], []byte{0, 0, 0, 0})
	v2 := bytes.Clone(env)
	v2[0] = 2
	for name, b := range map[string][]byte{
		"empty": nil, "short": env[:HeaderSize+TagSize], "version": v2, "step 0": stepZero, "zero key": zeroEph,
		"huge step": append([]byte{1, 0xff, 0xff, 0xff, 0xff}, env[5:]...),
	} {
		if _, err := ParseEnvelope(b); err == nil {
			t.Errorf("%s: parsed", name)
		}
		if _, _, err := Open(key, Context{Step: 1}, b); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: open %v", name, err)
		}
	}
	if _, err := Seal(key.PublicKey(), Context{Step: 1}, make([]byte, MaxSalt+1), "x"); err == nil {
		t.Error("an oversized salt sealed")
	}
	if _, err := Seal(key.PublicKey(), Context{Step: 0}, nil, "x"); err == nil {
		t.Error("step 0 sealed")
	}
}

func TestParsePublicKey(t *testing.T) {
	key, _ := GenerateKey()
	s := EncodePublicKey(key.PublicKey())
	if k, err := ParsePublicKey(s); err != nil || !k.Equal(key.PublicKey()) {
		t.Fatalf("round trip: %v", err)
	}
	for _, bad := range []string{"", "AAAA", strings.Repeat("A", 43) + "=", s[:len(s)-1], s + "AAAA", " " + s} {
		if _, err := ParsePublicKey(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
