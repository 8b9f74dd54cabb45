package carecc

import (
	"encoding/base64"
	"encoding/json"

	"github.com/cxledger/cxledger/carecrypt"
	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

// readPersonal reads the transaction's transient data. Only the fields in allowed
// (TransientContact, TransientMessage) may appear, each with its hash, and the key with
// them. Errors are INVALID and never quote the data.
func readPersonal(tx *ledger.Tx, allowed ...string) (care.Personal, error) {
	transient, err := tx.Stub().GetTransient()
	if err != nil {
		return care.Personal{}, cxlerr.Errorf(cxlerr.Internal, "read transient data: %w", err)
	}
	return care.ParsePersonal(transient, allowed)
}

// readSeed reads the transient data of a function that takes only a salt,
// as a seed of random bytes; nil when there is none.
func readSeed(tx *ledger.Tx) ([]byte, error) {
	transient, err := tx.Stub().GetTransient()
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "read transient data: %w", err)
	}
	return care.ParseSeed(transient)
}

// personalRecord is one sealed piece of personal data in the merchant's collection.
type personalRecord struct {
	Ticket string `json:"ticket"`
	Field  string `json:"field"`
	Step   int    `json:"step"`
	// Key is the ticket key the envelope is sealed to.
	Key string `json:"key"`
	// Envelope is the carecrypt envelope, standard base64.
	Envelope string `json:"envelope"`
	// Hash is the salted hash of the text, as the client computed it.
	Hash string `json:"hash"`
}

// privateKey is the collection key of a ticket's contact details (field
// contact) or of one step's message.
func privateKey(tx *ledger.Tx, field, ticket string, step int) (string, error) {
	if field == fieldContact {
		return ledger.Key(tx, contactType, ticket)
	}
	return ledger.Key(tx, messageType, ticket, seqPart(step))
}

// putPersonal writes a sealed piece of personal data of ticket t to the merchant's
// collection. The envelope must have been sealed for step: otherwise the ticket moved on
// since the client read it (CONFLICT: read it again). The write is blind: the transaction
// also writes public state, so peers of organisations outside the collection endorse it,
// and they cannot read the collection.
func putPersonal(tx *ledger.Tx, t care.Ticket, field string, step int, s *care.Sealed) error {
	env, err := carecrypt.ParseEnvelope(s.Envelope)
	if err != nil {
		return cxlerr.Errorf(cxlerr.Invalid, "transient %s: not a sealed envelope: %v", field, err)
	}
	if env.Step != step {
		return cxlerr.Errorf(cxlerr.Conflict, "transient %s: sealed for step %d of ticket %s, whose next step is %d; read the ticket again", field, env.Step, t.ID, step)
	}
	rec := personalRecord{Ticket: t.ID, Field: field, Step: step, Key: t.Key, Envelope: base64.StdEncoding.EncodeToString(s.Envelope), Hash: s.Hash}
	key, err := privateKey(tx, field, t.ID, step)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return cxlerr.Errorf(cxlerr.Internal, "encode %s of ticket %s: %w", field, t.ID, err)
	}
	if err := tx.Stub().PutPrivateData(care.CollectionName(t.Merchant), key, raw); err != nil {
		return cxlerr.Errorf(cxlerr.Internal, "write %s of ticket %s to %s: %w", field, t.ID, care.CollectionName(t.Merchant), err)
	}
	return nil
}

// purgePersonal removes a piece of personal data, with its history, from
// the merchant's collection (PurgePrivateData, Fabric 2.5+). Blind, like
// putPersonal.
func purgePersonal(tx *ledger.Tx, merchant, ticket, field string, step int) error {
	key, err := privateKey(tx, field, ticket, step)
	if err != nil {
		return err
	}
	if err := tx.Stub().PurgePrivateData(care.CollectionName(merchant), key); err != nil {
		return cxlerr.Errorf(cxlerr.Internal, "purge %s of ticket %s from %s: %w", field, ticket, care.CollectionName(merchant), err)
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
	raw, err := tx.Stub().GetPrivateData(care.CollectionName(merchant), key)
	if err != nil {
		return personalRecord{}, false, cxlerr.Errorf(cxlerr.Internal, "read %s of ticket %s from %s: %w", field, ticket, care.CollectionName(merchant), err)
	}
	if len(raw) == 0 {
		return personalRecord{}, false, nil
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		return personalRecord{}, false, cxlerr.Errorf(cxlerr.Internal, "decode %s of ticket %s: %w", field, ticket, err)
	}
	return rec, true, nil
}

// text renders a stored record for a query result, with the hash recorded in public state.
func (r personalRecord) text(publicHash string) care.SealedText {
	return care.SealedText{Field: r.Field, Step: r.Step, Key: r.Key, Envelope: r.Envelope, Hash: publicHash}
}

// getPersonalData returns the sealed personal data the merchant's collection holds
// for a ticket, each piece with its hash in public state (the merchant's vault opens
// the envelopes and checks the texts against the hashes). Only
// members of the ticket's merchant organisation may call it, as an evaluate
// on one of its own peers: no other peer holds the collection. A missing
// ticket is FORBIDDEN like another merchant's, so the answer tells no one
// which tickets exist.
func getPersonalData(tx *ledger.Tx, a care.IDArgs) (*care.SealedPersonalData, error) {
	t, found, err := findTicket(tx, a.ID)
	if err != nil {
		return nil, err
	}
	if c := tx.Caller(); !found || c.MSP != t.Merchant {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "%s may not read this ticket's personal data: only the ticket's merchant may", c.Account)
	}
	if err := ledger.ActsFor(tx, t.Merchant, ledgertypes.Merchant); err != nil {
		return nil, err
	}
	out := &care.SealedPersonalData{Ticket: t.ID, Merchant: t.Merchant, Texts: []care.SealedText{}, ErasedAt: t.ErasedAt}
	if t.ContactHash != "" {
		rec, found, err := getPersonal(tx, t.Merchant, t.ID, fieldContact, 1)
		if err != nil {
			return nil, err
		}
		if found {
			out.Texts = append(out.Texts, rec.text(t.ContactHash))
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
		out.Texts = append(out.Texts, rec.text(s.MessageHash))
	}
	return out, nil
}

// eraseTicketData purges the contact details and every message of a ticket
// from the merchant's collection, marks the ticket's key erased (its merchant then
// destroys the private half, so every copy of the envelopes anywhere becomes unreadable)
// and records the erasure as a step; a later step with personal data claims a new key.
// The customer (the data subject) or the merchant may erase; the salted hashes stay on
// the ledger, useless without the salts, which were only ever inside the envelopes.
func eraseTicketData(tx *ledger.Tx, a care.IDArgs) (*care.Ticket, error) {
	old, err := readableTicket(tx, a.ID)
	if err != nil {
		return nil, err
	}
	by := "customer"
	if tx.Caller().Account != old.Customer {
		if tx.Caller().MSP != old.Merchant {
			return nil, cxlerr.Errorf(cxlerr.Forbidden, "only the customer or merchant %s may erase the personal data of ticket %s", old.Merchant, old.ID)
		}
		if err := ledger.ActsFor(tx, old.Merchant, ledgertypes.Merchant); err != nil {
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
	next, step, err := beginStep(tx, old, old.Clone(), care.ActionErased)
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
	detail := map[string]any{"erasedBy": by}
	if old.Key != "" {
		if err := eraseKey(tx, old.Merchant, old.Key); err != nil {
			return nil, err
		}
		detail["key"] = old.Key
	}
	next.ContactStored = false
	next.MessageSteps = []int{}
	next.ErasedAt = tx.Time()
	next.Key, next.PublicKey = "", ""
	erased := len(old.MessageSteps)
	if old.ContactStored {
		erased++
	}
	detail["erased"] = erased
	return finishStep(tx, old, next, step, care.Personal{}, "TicketDataErased", detail)
}

// Fields of personal data, as PersonalText.Field names them.
const (
	fieldContact = "contact"
	fieldMessage = "message"
)
