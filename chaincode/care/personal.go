package care

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cxledger/cxledger/carecrypt"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

// CollectionName is the private data collection of an organisation, where
// the personal data of its customers lives. It must follow the rule the
// network deploys (network.CollectionName in network/chaincode.go); the
// chaincode does not import the network package, so the rule is repeated
// here.
func CollectionName(msp string) string { return "pdc" + msp }

// Transient data keys. Personal data reaches the contract only as transient data, which
// the peers do not put in blocks, and only sealed to one of the merchant's ticket keys
// (package carecrypt): the endorsing peers, the merchant's included, never see the text.
const (
	// TransientSalt is 16 to 64 random bytes: the seed of a merchant's pseudonym salt
	// (PostReview). Ticket data carries its salt inside the envelopes.
	TransientSalt = "salt"
	// TransientKey is the ID of the merchant's ticket key the envelopes are sealed to:
	// the ticket's own, or an unused one the ticket then claims.
	TransientKey = "key"
	// TransientContact is the customer's contact details (OpenTicket), sealed: a
	// carecrypt envelope of the salt and 1 to 1024 bytes of printable UTF-8.
	TransientContact = "contact"
	// TransientMessage is a ticket message, sealed: a carecrypt envelope of the salt and
	// 1 to 8192 bytes of UTF-8, printable characters, tabs and line breaks.
	TransientMessage = "message"
	// TransientContactHash is SaltedHash(salt, contact), lower-case hex, which the ledger
	// keeps: the client computes it, since the contract never sees the text.
	TransientContactHash = "contactHash"
	// TransientMessageHash is SaltedHash(salt, message), lower-case hex.
	TransientMessageHash = "messageHash"
)

// Limits on personal data.
const (
	minSalt    = 16
	maxSalt    = 64
	maxContact = 1024
	maxMessage = 8192
)

// SaltedHash is the hash the ledger keeps of a piece of personal data:
// HMAC-SHA256 keyed with the salt over the UTF-8 text, lower-case hex.
// Whoever holds the text and the salt can check it against the ledger;
// without the salt it reveals nothing.
func SaltedHash(salt []byte, value string) string {
	mac := hmac.New(sha256.New, salt)
	mac.Write([]byte(value))
	return hex.EncodeToString(mac.Sum(nil))
}

// Sealed is one sealed piece of personal data and the salted hash of its text.
type Sealed struct {
	// Envelope is the carecrypt envelope of the salt and the text.
	Envelope []byte
	// Hash is the salted hash of the text (SaltedHash).
	Hash string
}

// Personal is the sealed personal data one transaction received.
type Personal struct {
	// Key is the ticket key the data is sealed to.
	Key string
	// Contact is the sealed contact details, if sent.
	Contact *Sealed
	// Message is the sealed message, if sent.
	Message *Sealed
}

// Any reports whether the transaction carries personal data.
func (p Personal) Any() bool { return p.Contact != nil || p.Message != nil }

// ValidatePersonal checks transient data the way a function taking the personal data
// fields in allowed (TransientContact, TransientMessage) reads it: only those fields,
// each a well-formed envelope within its size with the hash of its text, and the key they
// are sealed to. A client runs it on what it is about to send; the errors are INVALID and
// never quote the data.
func ValidatePersonal(transient map[string][]byte, allowed ...string) error {
	_, err := ParsePersonal(transient, allowed)
	return err
}

// ParsePersonal validates sealed personal data.
func ParsePersonal(transient map[string][]byte, allowed []string) (Personal, error) {
	var p Personal
	keys := transientKeys(transient)
	hashes := map[string]string{}
	for _, k := range keys {
		v := transient[k]
		switch {
		case k == TransientKey && len(allowed) > 0:
			if err := ledgertypes.ValidateID("transient "+k, string(v)); err != nil {
				return Personal{}, err
			}
			p.Key = string(v)
		case k == TransientContact && slices.Contains(allowed, k):
			if err := checkEnvelope(k, v, maxContact); err != nil {
				return Personal{}, err
			}
			p.Contact = &Sealed{Envelope: v}
		case k == TransientMessage && slices.Contains(allowed, k):
			if err := checkEnvelope(k, v, maxMessage); err != nil {
				return Personal{}, err
			}
			p.Message = &Sealed{Envelope: v}
		case (k == TransientContactHash && slices.Contains(allowed, TransientContact)) || (k == TransientMessageHash && slices.Contains(allowed, TransientMessage)):
			if len(v) != 64 || strings.Trim(string(v), "0123456789abcdef") != "" {
				return Personal{}, cxlerr.Errorf(cxlerr.Invalid, "transient %s: want the 64 lower-case hex digits of a salted hash", k)
			}
			hashes[k] = string(v)
		default:
			want := slices.Clone(allowed)
			for _, f := range allowed {
				want = append(want, f+"Hash")
			}
			if len(allowed) > 0 {
				want = append(want, TransientKey)
			}
			if len(want) == 0 {
				return Personal{}, cxlerr.Errorf(cxlerr.Invalid, "transient key %q: this function takes no transient data", k)
			}
			return Personal{}, cxlerr.Errorf(cxlerr.Invalid, "transient key %q: this function takes only %s", k, strings.Join(want, ", "))
		}
	}
	for _, f := range []struct {
		field, hashKey string
		s              *Sealed
	}{{TransientContact, TransientContactHash, p.Contact}, {TransientMessage, TransientMessageHash, p.Message}} {
		h, ok := hashes[f.hashKey]
		switch {
		case f.s != nil && !ok:
			return Personal{}, cxlerr.Errorf(cxlerr.Invalid, "transient %s: required with %s", f.hashKey, f.field)
		case f.s == nil && ok:
			return Personal{}, cxlerr.Errorf(cxlerr.Invalid, "transient %s: given without %s", f.hashKey, f.field)
		case f.s != nil:
			f.s.Hash = h
		}
	}
	switch {
	case p.Any() && p.Key == "":
		return Personal{}, cxlerr.Errorf(cxlerr.Invalid, "transient %s: required with personal data: the ticket key it is sealed to", TransientKey)
	case !p.Any() && p.Key != "":
		return Personal{}, cxlerr.Errorf(cxlerr.Invalid, "transient %s: given without personal data", TransientKey)
	}
	return p, nil
}

// transientKeys are the keys of transient data in order, the key ID last: a function
// that takes no personal data names the data it was given rather than the key.
func transientKeys(transient map[string][]byte) []string {
	keys := slices.Collect(maps.Keys(transient))
	slices.SortFunc(keys, func(a, b string) int {
		if (a == TransientKey) != (b == TransientKey) {
			if a == TransientKey {
				return 1
			}
			return -1
		}
		return strings.Compare(a, b)
	})
	return keys
}

// checkEnvelope checks that a transient value is a carecrypt envelope whose text, with
// a salt of 16 to 64 bytes, can be 1 to max bytes long: the contract cannot see the text,
// so it bounds the ciphertext. The error never quotes the value.
func checkEnvelope(field string, v []byte, max int) error {
	if _, err := carecrypt.ParseEnvelope(v); err != nil {
		return cxlerr.Errorf(cxlerr.Invalid, "transient %s: not a sealed envelope: %v", field, err)
	}
	if low, high := carecrypt.Overhead(minSalt)+1, carecrypt.Overhead(maxSalt)+max; len(v) < low || len(v) > high {
		return cxlerr.Errorf(cxlerr.Invalid, "transient %s: an envelope of %d bytes, want %d to %d", field, len(v), low, high)
	}
	return nil
}

// ValidateText checks personal data before it is sealed, as only the client sees it (its
// errors name the fields as the contract's transient keys, as they always did): a
// salt of 16 to 64 random bytes, the contact details (1 to 1024 bytes of printable UTF-8)
// and the message (1 to 8192 bytes of UTF-8, printable characters, tabs and line breaks),
// each only when allowed names it (TransientContact, TransientMessage); personal data
// needs a salt and a salt needs personal data. The errors are INVALID and never quote the
// data.
func ValidateText(salt []byte, contact, message string, allowed ...string) error {
	for _, f := range []struct{ key, value string }{{TransientContact, contact}, {TransientMessage, message}} {
		if f.value != "" && !slices.Contains(allowed, f.key) {
			return cxlerr.Errorf(cxlerr.Invalid, "transient key %q: this function takes only %s", f.key, strings.Join(append([]string{TransientSalt}, allowed...), ", "))
		}
	}
	if contact != "" {
		if err := checkText("transient "+TransientContact, contact, maxContact, false); err != nil {
			return err
		}
	}
	if message != "" {
		if err := checkText("transient "+TransientMessage, message, maxMessage, true); err != nil {
			return err
		}
	}
	hasData := contact != "" || message != ""
	switch {
	case hasData && salt == nil:
		return cxlerr.Errorf(cxlerr.Invalid, "transient %s: required with personal data", TransientSalt)
	case !hasData && salt != nil:
		return cxlerr.Errorf(cxlerr.Invalid, "transient %s: given without personal data", TransientSalt)
	case salt != nil && (len(salt) < minSalt || len(salt) > maxSalt):
		return cxlerr.Errorf(cxlerr.Invalid, "transient %s: %d bytes, want %d to %d random bytes", TransientSalt, len(salt), minSalt, maxSalt)
	}
	return nil
}

// ValidateSeed checks the transient data of PostReview: at most a salt of
// 16 to 64 random bytes, the seed of a merchant's pseudonym salt.
func ValidateSeed(transient map[string][]byte) error {
	_, err := ParseSeed(transient)
	return err
}

// ParseSeed validates transient data holding at most a salt.
func ParseSeed(transient map[string][]byte) ([]byte, error) {
	var seed []byte
	for _, k := range transientKeys(transient) {
		v := transient[k]
		if k != TransientSalt {
			return nil, cxlerr.Errorf(cxlerr.Invalid, "transient key %q: this function takes only %s", k, TransientSalt)
		}
		if len(v) < minSalt || len(v) > maxSalt {
			return nil, cxlerr.Errorf(cxlerr.Invalid, "transient %s: %d bytes, want %d to %d random bytes", k, len(v), minSalt, maxSalt)
		}
		seed = v
	}
	return seed, nil
}

// checkText validates user text: 1 to max bytes of valid UTF-8 whose
// characters are printable, plus tabs and line breaks when multiline. The
// error names the field and the problem, never the text.
func checkText(field, value string, max int, multiline bool) error {
	switch {
	case value == "":
		return cxlerr.Errorf(cxlerr.Invalid, "%s: required", field)
	case len(value) > max:
		return cxlerr.Errorf(cxlerr.Invalid, "%s: %d bytes, more than %d", field, len(value), max)
	case !utf8.ValidString(value):
		return cxlerr.Errorf(cxlerr.Invalid, "%s: not valid UTF-8", field)
	case strings.TrimSpace(value) == "":
		return cxlerr.Errorf(cxlerr.Invalid, "%s: blank", field)
	}
	for i, r := range value {
		if unicode.IsPrint(r) || multiline && (r == '\n' || r == '\r' || r == '\t') {
			continue
		}
		return cxlerr.Errorf(cxlerr.Invalid, "%s: unprintable character %U at byte %d", field, r, i)
	}
	return nil
}

// IDArgs is the argument of functions that name one ticket or review.
type IDArgs struct {
	ID string `json:"id"`
}

// Validate checks the ID.
func (a IDArgs) Validate() error { return ledgertypes.ValidateID("id", a.ID) }
