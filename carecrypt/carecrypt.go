// Package carecrypt seals the personal data of support tickets (package chaincode/care) to
// a merchant's one-time ticket key, so that only the holder of the key's private half, the
// merchant's vault, ever reads it, and destroying that half erases every copy.
//
// A ticket key is an X25519 key pair. Its public half is published on the ledger; each
// piece of personal data is sealed with ECIES: a fresh ephemeral X25519 key, ECDH with the
// ticket key, HKDF-SHA256 over the shared secret (salt: the ephemeral and the ticket public
// keys; info: Context.Info, naming cxledger, the merchant, the key, the ticket, the field
// and the step) giving a 256-bit AES key and a 96-bit nonce, and AES-256-GCM over the
// envelope's header (authenticated) and the plain text: the salt of the text's hash on the
// ledger, then the text. The envelope is
//
//	version (1 byte, 1) | step (4 bytes, big endian) | ephemeral public key (32 bytes) | ciphertext and tag
//
// The step is in clear so that the chaincode can check that the envelope was sealed for the
// step it records; it is also bound by the header and by the key derivation. Every key and
// nonce is used once: the ephemeral key is new for every envelope.
//
// The package imports only the standard library, so the chaincode (which checks the
// envelopes' form), ledgerapi (which seals) and the gateway service (which opens) share it.
package carecrypt

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// Version is the envelope format this package writes and reads.
const Version = 1

// Sizes of the format.
const (
	// KeySize is the size of an X25519 public key.
	KeySize = 32
	// HeaderSize is the envelope's clear header: version, step, ephemeral key.
	HeaderSize = 1 + 4 + KeySize
	// TagSize is the AES-GCM authentication tag.
	TagSize = 16
	// MaxSalt is the longest salt a plain text may carry.
	MaxSalt = 255
)

// Overhead is how much longer an envelope is than the text it seals with a salt of
// saltLen bytes.
func Overhead(saltLen int) int { return HeaderSize + TagSize + 1 + saltLen }

// Context names what an envelope seals; it enters the key derivation, so an envelope
// opens only in the context it was sealed for.
type Context struct {
	// Merchant is the MSP ID whose ticket key seals the data.
	Merchant string
	// KeyID is the ticket key's ID.
	KeyID string
	// Ticket is the ticket's ID.
	Ticket string
	// Field is "contact" or "message".
	Field string
	// Step is the ticket step the data belongs to (1 for the contact).
	Step int
}

// Info is the HKDF info string of the context.
func (c Context) Info() []byte {
	var b bytes.Buffer
	b.WriteString("cxledger care personal data v1")
	for _, part := range []string{c.Merchant, c.KeyID, c.Ticket, c.Field, strconv.Itoa(c.Step)} {
		b.WriteByte(0)
		b.WriteString(part)
	}
	return b.Bytes()
}

// GenerateKey returns a new ticket key pair.
func GenerateKey() (*ecdh.PrivateKey, error) {
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate an X25519 key: %w", err)
	}
	return k, nil
}

// EncodePublicKey is a public key as the ledger keeps it: standard base64.
func EncodePublicKey(k *ecdh.PublicKey) string { return base64.StdEncoding.EncodeToString(k.Bytes()) }

// ParsePublicKey parses a public key as the ledger keeps it: the standard base64 of 32
// bytes, not all zero (a key whose shared secrets would all be zero).
func ParsePublicKey(s string) (*ecdh.PublicKey, error) {
	raw, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(raw) != KeySize {
		return nil, fmt.Errorf("want the base64 of a %d-byte X25519 public key", KeySize)
	}
	if bytes.Equal(raw, make([]byte, KeySize)) {
		return nil, errors.New("the all-zero X25519 key is not a key")
	}
	k, err := ecdh.X25519().NewPublicKey(raw)
	if err != nil {
		return nil, fmt.Errorf("X25519 public key: %w", err)
	}
	return k, nil
}

// Envelope is a parsed envelope.
type Envelope struct {
	// Step is the ticket step it was sealed for.
	Step int
	// Ephemeral is the sender's ephemeral public key.
	Ephemeral []byte
	// Ciphertext is the sealed text with its tag.
	Ciphertext []byte
	// header is the envelope's clear header, authenticated by the tag.
	header []byte
}

// ParseEnvelope checks an envelope's form (version, step, key size, a ciphertext at least
// a tag and a salt length long) without opening it. It is deterministic: the chaincode
// runs it.
func ParseEnvelope(b []byte) (Envelope, error) {
	if len(b) < HeaderSize+TagSize+1 {
		return Envelope{}, fmt.Errorf("%d bytes, shorter than an envelope", len(b))
	}
	if b[0] != Version {
		return Envelope{}, fmt.Errorf("version %d, want %d", b[0], Version)
	}
	step := binary.BigEndian.Uint32(b[1:5])
	if step == 0 || step > 1<<20 {
		return Envelope{}, fmt.Errorf("step %d out of range", step)
	}
	eph := b[5:HeaderSize]
	if bytes.Equal(eph, make([]byte, KeySize)) {
		return Envelope{}, errors.New("all-zero ephemeral key")
	}
	return Envelope{Step: int(step), Ephemeral: eph, Ciphertext: b[HeaderSize:], header: b[:HeaderSize]}, nil
}

// Seal seals salt and text to the ticket key pub in ctx. The salt is at most MaxSalt bytes.
func Seal(pub *ecdh.PublicKey, ctx Context, salt []byte, text string) ([]byte, error) {
	if len(salt) > MaxSalt {
		return nil, fmt.Errorf("salt of %d bytes, more than %d", len(salt), MaxSalt)
	}
	if ctx.Step < 1 || ctx.Step > 1<<20 {
		return nil, fmt.Errorf("step %d out of range", ctx.Step)
	}
	eph, err := GenerateKey()
	if err != nil {
		return nil, err
	}
	shared, err := eph.ECDH(pub)
	if err != nil {
		return nil, fmt.Errorf("ECDH with the ticket key: %w", err)
	}
	header := make([]byte, HeaderSize, HeaderSize+1+len(salt)+len(text)+TagSize)
	header[0] = Version
	binary.BigEndian.PutUint32(header[1:5], uint32(ctx.Step))
	copy(header[5:], eph.PublicKey().Bytes())
	aead, nonce, err := derive(shared, header[5:], pub.Bytes(), ctx)
	if err != nil {
		return nil, err
	}
	plain := make([]byte, 0, 1+len(salt)+len(text))
	plain = append(plain, byte(len(salt)))
	plain = append(plain, salt...)
	plain = append(plain, text...)
	out := aead.Seal(header, nonce, plain, header)
	clear(plain)
	return out, nil
}

// ErrOpen is why an envelope does not open: another key, another context, or altered
// bytes. It says no more, on purpose.
var ErrOpen = errors.New("the envelope does not open with this key in this context")

// Open opens an envelope with the ticket key priv in ctx and returns the salt and the text.
func Open(priv *ecdh.PrivateKey, ctx Context, envelope []byte) (salt []byte, text string, err error) {
	env, err := ParseEnvelope(envelope)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrOpen, err)
	}
	if env.Step != ctx.Step {
		return nil, "", ErrOpen
	}
	eph, err := ecdh.X25519().NewPublicKey(env.Ephemeral)
	if err != nil {
		return nil, "", ErrOpen
	}
	shared, err := priv.ECDH(eph)
	if err != nil {
		return nil, "", ErrOpen
	}
	aead, nonce, err := derive(shared, env.Ephemeral, priv.PublicKey().Bytes(), ctx)
	if err != nil {
		return nil, "", err
	}
	plain, err := aead.Open(nil, nonce, env.Ciphertext, env.header)
	if err != nil {
		return nil, "", ErrOpen
	}
	n := int(plain[0])
	if len(plain) < 1+n {
		return nil, "", ErrOpen
	}
	return plain[1 : 1+n], string(plain[1+n:]), nil
}

// derive is the AEAD and nonce of one envelope.
func derive(shared, ephemeral, recipient []byte, ctx Context) (cipher.AEAD, []byte, error) {
	salt := make([]byte, 0, 2*KeySize)
	salt = append(append(salt, ephemeral...), recipient...)
	okm, err := hkdf.Key(sha256.New, shared, salt, string(ctx.Info()), 32+12)
	if err != nil {
		return nil, nil, fmt.Errorf("derive the envelope key: %w", err)
	}
	block, err := aes.NewCipher(okm[:32])
	if err != nil {
		return nil, nil, fmt.Errorf("AES: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, nil, fmt.Errorf("AES-GCM: %w", err)
	}
	return aead, okm[32:], nil
}
