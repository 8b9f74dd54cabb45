package care

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/cxlerr"
)

// CollectionName is the private data collection of an organisation, where
// the personal data of its customers lives. It must follow the rule the
// network deploys (network.CollectionName in network/chaincode.go); the
// chaincode does not import the network package, so the rule is repeated
// here.
func CollectionName(msp string) string { return "pdc" + msp }

// Transient data keys. Personal data reaches the contract only as transient
// data, which the peers do not put in blocks.
const (
	// TransientSalt is 16 to 64 random bytes the client chooses for each
	// transaction carrying personal data; the salted hashes on the ledger
	// are keyed with it, so they cannot be reversed by guessing.
	TransientSalt = "salt"
	// TransientContact is the customer's contact details (OpenTicket):
	// 1 to 1024 bytes of printable UTF-8.
	TransientContact = "contact"
	// TransientMessage is a ticket message: 1 to 8192 bytes of UTF-8,
	// printable characters, tabs and line breaks.
	TransientMessage = "message"
)

// Limits on personal data.
const (
	minSalt    = 16
	maxSalt    = 64
	maxContact = 1024
	maxMessage = 8192
)

// Fields of personal data, as PersonalText.Field names them.
const (
	fieldContact = "contact"
	fieldMessage = "message"
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

// personal is the personal data one transaction received.
type personal struct {
	salt    []byte
	contact string
	message string
}

// readPersonal reads the transaction's transient data. Only the keys in
// allowed may appear (the salt always may); personal data needs a salt and
// a salt needs personal data. Errors are INVALID and never quote the data.
func readPersonal(tx *ledger.Tx, allowed ...string) (personal, error) {
	p, err := readTransient(tx, allowed)
	if err != nil {
		return personal{}, err
	}
	return p, p.paired()
}

// paired checks that personal data comes with a salt and a salt with
// personal data.
func (p personal) paired() error {
	hasData := p.contact != "" || p.message != ""
	switch {
	case hasData && p.salt == nil:
		return cxlerr.Errorf(cxlerr.Invalid, "transient %s: required with personal data", TransientSalt)
	case !hasData && p.salt != nil:
		return cxlerr.Errorf(cxlerr.Invalid, "transient %s: given without personal data", TransientSalt)
	}
	return nil
}

// ValidatePersonal checks transient data the way a function taking the
// personal data keys in allowed (TransientContact, TransientMessage) reads
// it: only those keys and the salt, each within its limits, personal data
// with a salt and a salt only with personal data. A client runs it before
// submitting; the errors are INVALID and never quote the data.
func ValidatePersonal(transient map[string][]byte, allowed ...string) error {
	p, err := parseTransient(transient, allowed)
	if err != nil {
		return err
	}
	return p.paired()
}

// ValidateSeed checks the transient data of PostReview: at most a salt of
// 16 to 64 random bytes, the seed of a merchant's pseudonym salt.
func ValidateSeed(transient map[string][]byte) error {
	_, err := parseTransient(transient, nil)
	return err
}

// readSeed reads the transient data of a function that takes only a salt,
// as a seed of random bytes; nil when there is none.
func readSeed(tx *ledger.Tx) ([]byte, error) {
	p, err := readTransient(tx, nil)
	return p.salt, err
}

// readTransient reads and validates the transient keys in allowed and the
// salt; any other key is INVALID.
func readTransient(tx *ledger.Tx, allowed []string) (personal, error) {
	transient, err := tx.Stub().GetTransient()
	if err != nil {
		return personal{}, cxlerr.Errorf(cxlerr.Internal, "read transient data: %w", err)
	}
	return parseTransient(transient, allowed)
}

// parseTransient validates the transient keys in allowed and the salt; any
// other key is INVALID.
func parseTransient(transient map[string][]byte, allowed []string) (personal, error) {
	var p personal
	keys := make([]string, 0, len(transient))
	for k := range transient {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := transient[k]
		switch {
		case k == TransientSalt:
			if len(v) < minSalt || len(v) > maxSalt {
				return personal{}, cxlerr.Errorf(cxlerr.Invalid, "transient %s: %d bytes, want %d to %d random bytes", k, len(v), minSalt, maxSalt)
			}
			p.salt = v
		case k == TransientContact && slices.Contains(allowed, k):
			if err := checkText("transient "+k, string(v), maxContact, false); err != nil {
				return personal{}, err
			}
			p.contact = string(v)
		case k == TransientMessage && slices.Contains(allowed, k):
			if err := checkText("transient "+k, string(v), maxMessage, true); err != nil {
				return personal{}, err
			}
			p.message = string(v)
		default:
			want := append([]string{TransientSalt}, allowed...)
			return personal{}, cxlerr.Errorf(cxlerr.Invalid, "transient key %q: this function takes only %s", k, strings.Join(want, ", "))
		}
	}
	return p, nil
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

// personalRecord is one piece of personal data in the merchant's collection.
type personalRecord struct {
	Ticket string `json:"ticket"`
	Field  string `json:"field"`
	Step   int    `json:"step"`
	Value  string `json:"value"`
	Salt   string `json:"salt"`
	Hash   string `json:"hash"`
}

// privateKey is the collection key of a ticket's contact details (field
// contact) or of one step's message.
func privateKey(tx *ledger.Tx, field, ticket string, step int) (string, error) {
	if field == fieldContact {
		return ledger.Key(tx, contactType, ticket)
	}
	return ledger.Key(tx, messageType, ticket, seqPart(step))
}

// putPersonal writes a piece of personal data to the merchant's collection
// and returns its salted hash. The write is blind: the transaction also
// writes public state, so peers of organisations outside the collection
// endorse it, and they cannot read the collection.
func putPersonal(tx *ledger.Tx, merchant, ticket, field string, step int, salt []byte, value string) (string, error) {
	rec := personalRecord{
		Ticket: ticket, Field: field, Step: step, Value: value,
		Salt: base64.StdEncoding.EncodeToString(salt), Hash: SaltedHash(salt, value),
	}
	key, err := privateKey(tx, field, ticket, step)
	if err != nil {
		return "", err
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return "", cxlerr.Errorf(cxlerr.Internal, "encode %s of ticket %s: %w", field, ticket, err)
	}
	if err := tx.Stub().PutPrivateData(CollectionName(merchant), key, raw); err != nil {
		return "", cxlerr.Errorf(cxlerr.Internal, "write %s of ticket %s to %s: %w", field, ticket, CollectionName(merchant), err)
	}
	return rec.Hash, nil
}

// purgePersonal removes a piece of personal data, with its history, from
// the merchant's collection (PurgePrivateData, Fabric 2.5+). Blind, like
// putPersonal.
func purgePersonal(tx *ledger.Tx, merchant, ticket, field string, step int) error {
	key, err := privateKey(tx, field, ticket, step)
	if err != nil {
		return err
	}
	if err := tx.Stub().PurgePrivateData(CollectionName(merchant), key); err != nil {
		return cxlerr.Errorf(cxlerr.Internal, "purge %s of ticket %s from %s: %w", field, ticket, CollectionName(merchant), err)
	}
	return nil
}

// getPersonal reads a piece of personal data; found is false when the
// collection does not hold it. Only peers of the merchant's organisation
// hold the collection, and only its members may read it.
func getPersonal(tx *ledger.Tx, merchant, ticket, field string, step int) (rec personalRecord, found bool, err error) {
	key, err := privateKey(tx, field, ticket, step)
	if err != nil {
		return personalRecord{}, false, err
	}
	raw, err := tx.Stub().GetPrivateData(CollectionName(merchant), key)
	if err != nil {
		return personalRecord{}, false, cxlerr.Errorf(cxlerr.Internal, "read %s of ticket %s from %s: %w", field, ticket, CollectionName(merchant), err)
	}
	if len(raw) == 0 {
		return personalRecord{}, false, nil
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		return personalRecord{}, false, cxlerr.Errorf(cxlerr.Internal, "decode %s of ticket %s: %w", field, ticket, err)
	}
	return rec, true, nil
}

// text renders a stored record for a query result, checking it against the
// hash recorded in public state.
func (r personalRecord) text(publicHash string) (PersonalText, error) {
	salt, err := base64.StdEncoding.DecodeString(r.Salt)
	if err != nil {
		return PersonalText{}, cxlerr.Errorf(cxlerr.Internal, "decode salt of %s %d of ticket %s: %w", r.Field, r.Step, r.Ticket, err)
	}
	return PersonalText{
		Field: r.Field, Step: r.Step, Value: r.Value, Salt: r.Salt, Hash: r.Hash,
		Verified: r.Hash == publicHash && SaltedHash(salt, r.Value) == publicHash,
	}, nil
}

// IDArgs is the argument of functions that name one ticket or review.
type IDArgs struct {
	ID string `json:"id"`
}

// Validate checks the ID.
func (a IDArgs) Validate() error { return ledger.ValidateID("id", a.ID) }

// getPersonalData returns the personal data the merchant's collection holds
// for a ticket, each piece checked against its hash in public state. Only
// members of the ticket's merchant organisation may call it, as an evaluate
// on one of its own peers: no other peer holds the collection.
func getPersonalData(tx *ledger.Tx, a IDArgs) (*TicketPersonalData, error) {
	t, err := readTicket(tx, a.ID)
	if err != nil {
		return nil, err
	}
	if err := requireMerchantOf(tx, t); err != nil {
		return nil, err
	}
	out := &TicketPersonalData{Ticket: t.ID, Merchant: t.Merchant, Texts: []PersonalText{}, ErasedAt: t.ErasedAt}
	if t.ContactHash != "" {
		rec, found, err := getPersonal(tx, t.Merchant, t.ID, fieldContact, 1)
		if err != nil {
			return nil, err
		}
		if found {
			text, err := rec.text(t.ContactHash)
			if err != nil {
				return nil, err
			}
			out.Texts = append(out.Texts, text)
		}
	}
	steps, err := readSteps(tx, t.ID)
	if err != nil {
		return nil, err
	}
	for _, s := range steps {
		if s.MessageHash == "" {
			continue
		}
		rec, found, err := getPersonal(tx, t.Merchant, t.ID, fieldMessage, s.Seq)
		if err != nil {
			return nil, err
		}
		if !found {
			continue
		}
		text, err := rec.text(s.MessageHash)
		if err != nil {
			return nil, err
		}
		out.Texts = append(out.Texts, text)
	}
	return out, nil
}

// eraseTicketData purges the contact details and every message of a ticket
// from the merchant's collection and records the erasure as a step. The
// customer (the data subject) or the merchant may erase; the salted hashes
// stay on the ledger, useless without the purged salts.
func eraseTicketData(tx *ledger.Tx, a IDArgs) (*Ticket, error) {
	old, err := readTicket(tx, a.ID)
	if err != nil {
		return nil, err
	}
	by := "customer"
	if tx.Caller().Account != old.Customer {
		if tx.Caller().MSP != old.Merchant {
			return nil, cxlerr.Errorf(cxlerr.Forbidden, "only the customer or merchant %s may erase the personal data of ticket %s", old.Merchant, old.ID)
		}
		if err := ledger.RequireRole(tx, ledger.Merchant); err != nil {
			return nil, err
		}
		by = "merchant"
	}
	if _, err := readPersonal(tx); err != nil {
		return nil, err
	}
	if !old.ContactStored && len(old.MessageSteps) == 0 {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "ticket %s holds no personal data to erase", old.ID)
	}
	next, step, err := beginStep(tx, old, old.clone(), ActionErased)
	if err != nil {
		return nil, err
	}
	if old.ContactStored {
		if err := purgePersonal(tx, old.Merchant, old.ID, fieldContact, 1); err != nil {
			return nil, err
		}
	}
	for _, seq := range old.MessageSteps {
		if err := purgePersonal(tx, old.Merchant, old.ID, fieldMessage, seq); err != nil {
			return nil, err
		}
	}
	next.ContactStored = false
	next.MessageSteps = []int{}
	next.ErasedAt = tx.Time()
	erased := len(old.MessageSteps)
	if old.ContactStored {
		erased++
	}
	return finishStep(tx, old, next, step, personal{}, "TicketDataErased", map[string]any{"erasedBy": by, "erased": erased})
}
