package ledgerapi

import (
	"crypto/ecdh"
	"encoding/base64"
	"fmt"

	"github.com/cxledger/cxledger/carecrypt"
	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/cxlerr"
)

// SealPersonal is the transient data of a ticket step carrying p: each text with p's salt
// sealed to the ticket key for ticket's step (package carecrypt), its salted hash, and the
// key's ID. No byte of the texts or the salt is in it in clear. p must be valid
// (care.ValidateText); the result passes care.ValidatePersonal.
func SealPersonal(key care.TicketKey, ticket string, step int, p *Personal) (map[string][]byte, error) {
	pub, err := carecrypt.ParsePublicKey(key.PublicKey)
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "ticket key %s of %s: %v", key.ID, key.Merchant, err)
	}
	t := map[string][]byte{care.TransientKey: []byte(key.ID)}
	for _, f := range []struct{ field, hashKey, text string }{
		{care.TransientContact, care.TransientContactHash, p.Contact},
		{care.TransientMessage, care.TransientMessageHash, p.Message},
	} {
		if f.text == "" {
			continue
		}
		env, err := carecrypt.Seal(pub, carecrypt.Context{Merchant: key.Merchant, KeyID: key.ID, Ticket: ticket, Field: f.field, Step: step}, p.Salt, f.text)
		if err != nil {
			return nil, cxlerr.Errorf(cxlerr.Internal, "seal the %s of ticket %s: %v", f.field, ticket, err)
		}
		t[f.field] = env
		t[f.hashKey] = []byte(care.SaltedHash(p.Salt, f.text))
	}
	return t, nil
}

// KeyRing finds the private half of a merchant's ticket key; an error when it holds none.
type KeyRing func(merchant, id string) (*ecdh.PrivateKey, error)

// OpenPersonalData opens what GetTicketPersonalData answers with the merchant's keys: each
// text with its salt, checked against the hash recorded on the ledger (Verified), in the
// shape the merchant's members read. An envelope that does not open is an INTERNAL error:
// the collection holds only what the merchant's peers endorsed.
func OpenPersonalData(s *care.SealedPersonalData, keys KeyRing) (*care.TicketPersonalData, error) {
	out := &care.TicketPersonalData{Ticket: s.Ticket, Merchant: s.Merchant, Texts: []care.PersonalText{}, ErasedAt: s.ErasedAt}
	for _, st := range s.Texts {
		priv, err := keys(s.Merchant, st.Key)
		if err != nil {
			return nil, fmt.Errorf("the %s of step %d of ticket %s: %w", st.Field, st.Step, s.Ticket, err)
		}
		env, err := base64.StdEncoding.DecodeString(st.Envelope)
		if err != nil {
			return nil, cxlerr.Errorf(cxlerr.Internal, "the %s of step %d of ticket %s: envelope: %v", st.Field, st.Step, s.Ticket, err)
		}
		ctx := carecrypt.Context{Merchant: s.Merchant, KeyID: st.Key, Ticket: s.Ticket, Field: st.Field, Step: st.Step}
		salt, text, err := carecrypt.Open(priv, ctx, env)
		if err != nil {
			return nil, cxlerr.Errorf(cxlerr.Internal, "the %s of step %d of ticket %s: %v", st.Field, st.Step, s.Ticket, err)
		}
		hash := care.SaltedHash(salt, text)
		out.Texts = append(out.Texts, care.PersonalText{
			Field: st.Field, Step: st.Step, Value: text, Salt: base64.StdEncoding.EncodeToString(salt), Hash: hash, Verified: hash == st.Hash,
		})
	}
	return out, nil
}
