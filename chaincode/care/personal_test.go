package care_test

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/cxlerr"
)

func TestCollectionName(t *testing.T) {
	if got := care.CollectionName("Org2MSP"); got != "pdcOrg2MSP" {
		t.Fatalf("CollectionName = %q", got)
	}
}

func TestSaltedHash(t *testing.T) {
	a := care.SaltedHash([]byte("0123456789abcdef"), "alice@example.com")
	if len(a) != 64 || strings.Trim(a, "0123456789abcdef") != "" {
		t.Fatalf("hash %q", a)
	}
	if care.SaltedHash([]byte("0123456789abcdeg"), "alice@example.com") == a || care.SaltedHash([]byte("0123456789abcdef"), "alice@example.org") == a {
		t.Fatal("hash ignores its salt or value")
	}
}

// TestPersonalDataStoredReadErased stores personal data in the merchant's
// collection, reads it as the merchant, erases it and reads nothing back.
func TestPersonalDataStoredReadErased(t *testing.T) {
	e := newEnv(t)
	const contact, first, reply = "Alice Example, Bahnhofstr. 1, alice@example.com", "The toaster smokes.", "Please send us a photo."
	open := e.personal(care.TransientContact, contact, care.TransientMessage, first)
	if _, err := call(e, alice, openTicket, openArgs, open); err != nil {
		t.Fatal(err)
	}
	var private []ledgertest.Write
	for _, w := range e.stub.Writes() {
		if w.Collection != "" {
			private = append(private, w)
		}
	}
	if len(private) != 2 || private[0].Collection != "pdcOrg2MSP" || private[1].Collection != "pdcOrg2MSP" {
		t.Fatalf("private writes %+v", private)
	}
	e.stub.Begin()
	tk := submit(e, alice, openTicket, openArgs, open)
	if tk.ContactHash != care.SaltedHash(open[care.TransientSalt], contact) {
		t.Fatalf("contact hash %s", tk.ContactHash)
	}
	respondSalt := e.personal(care.TransientMessage, reply)
	submit(e, agent, respondTicket, id("T1"), respondSalt)
	submit(e, agent, resolveTicket, id("T1"), nil)

	pd := query(e, agent2, getPersonalData, id("T1"))
	if len(pd.Texts) != 3 || pd.Ticket != "T1" || pd.Merchant != "Org2MSP" || !pd.ErasedAt.IsZero() {
		t.Fatalf("personal data %+v", pd)
	}
	for i, want := range []struct {
		field, value string
		step         int
		salt         []byte
	}{{"contact", contact, 1, open[care.TransientSalt]}, {"message", first, 1, open[care.TransientSalt]}, {"message", reply, 2, respondSalt[care.TransientSalt]}} {
		got := pd.Texts[i]
		if got.Field != want.field || got.Value != want.value || got.Step != want.step || !got.Verified ||
			got.Salt != base64.StdEncoding.EncodeToString(want.salt) || got.Hash != care.SaltedHash(want.salt, want.value) {
			t.Fatalf("text %d: %+v", i, got)
		}
	}
	// The customer can check the hash on the ledger with their own copy.
	d := query(e, alice, getTicket, id("T1"))
	if d.Steps[1].MessageHash != care.SaltedHash(respondSalt[care.TransientSalt], reply) {
		t.Fatalf("step 2 hash %s", d.Steps[1].MessageHash)
	}

	fails(e, bob, eraseTicketData, id("T1"), nil, cxlerr.Forbidden, "only the customer or merchant Org2MSP may erase")
	fails(e, rival, eraseTicketData, id("T1"), nil, cxlerr.Forbidden, "only the customer or merchant Org2MSP may erase")
	fails(e, alice, eraseTicketData, id("T1"), e.personal(care.TransientMessage, "bye"), cxlerr.Invalid, `transient key "message"`)

	if _, err := call(e, alice, eraseTicketData, id("T1"), nil); err != nil {
		t.Fatal(err)
	}
	var purged []string
	for _, w := range e.stub.Writes() {
		if w.Collection != "" {
			if w.Op != ledgertest.OpPurge || w.Collection != "pdcOrg2MSP" {
				t.Fatalf("erasure wrote %+v", w)
			}
			objectType, parts, _ := e.stub.SplitCompositeKey(w.Key)
			purged = append(purged, objectType+" "+strings.Join(parts, "/"))
		}
	}
	if want := []string{"care.contact T1", "care.message T1/0001", "care.message T1/0002"}; !slices.Equal(purged, want) {
		t.Fatalf("purged %v, want %v", purged, want)
	}
	name, payload := e.event()
	if name != "care.TicketDataErased" || !strings.Contains(string(payload.Data), `"erasedBy":"customer"`) {
		t.Fatalf("event %s %s", name, payload.Data)
	}
	e.stub.Commit()

	pd = query(e, agent, getPersonalData, id("T1"))
	if len(pd.Texts) != 0 || pd.ErasedAt.IsZero() {
		t.Fatalf("after erasure: %+v", pd)
	}
	for _, w := range []string{"care.contact", "care.message"} {
		for _, seq := range []string{"", "0001", "0002"} {
			parts := []string{"T1"}
			if seq != "" {
				parts = append(parts, seq)
			}
			key, _ := e.stub.CreateCompositeKey(w, parts)
			if v, _ := e.stub.GetPrivateData("pdcOrg2MSP", key); v != nil {
				t.Fatalf("%s %v still held", w, parts)
			}
		}
	}
	d = query(e, alice, getTicket, id("T1"))
	tk = &d.Ticket
	if tk.ContactStored || len(tk.MessageSteps) != 0 || tk.ContactHash == "" || d.Steps[3].Action != care.ActionErased || d.Steps[3].Actor != alice.account() {
		t.Fatalf("after erasure: %+v, step %+v", tk, d.Steps[3])
	}
	fails(e, alice, eraseTicketData, id("T1"), nil, cxlerr.Conflict, "ticket T1 holds no personal data to erase")

	// New messages after an erasure are stored, and the merchant may erase them.
	submit(e, alice, reopenTicket, id("T1"), e.personal(care.TransientMessage, "It smokes again."))
	tk = submit(e, agent, eraseTicketData, id("T1"), nil)
	if len(tk.MessageSteps) != 0 {
		t.Fatalf("after the merchant's erasure: %+v", tk)
	}
	if pd := query(e, agent, getPersonalData, id("T1")); len(pd.Texts) != 0 {
		t.Fatalf("after the merchant's erasure: %+v", pd.Texts)
	}
}

// TestVerificationFlagsTampering: GetTicketPersonalData says when the
// collection holds something other than what the ledger hashed.
func TestVerificationFlagsTampering(t *testing.T) {
	e := newEnv(t)
	submit(e, alice, openTicket, openArgs, e.personal(care.TransientMessage, "original"))
	key, _ := e.stub.CreateCompositeKey("care.message", []string{"T1", "0001"})
	raw, _ := e.stub.GetPrivateData("pdcOrg2MSP", key)
	if err := e.stub.PutPrivateData("pdcOrg2MSP", key, []byte(strings.Replace(string(raw), "original", "tampered", 1))); err != nil {
		t.Fatal(err)
	}
	e.stub.Commit()
	pd := query(e, agent, getPersonalData, id("T1"))
	if len(pd.Texts) != 1 || pd.Texts[0].Value != "tampered" || pd.Texts[0].Verified {
		t.Fatalf("tampered text %+v", pd.Texts)
	}
}

// TestValidatePersonal checks transient data as the contract reads it, for clients that
// validate before submitting, without quoting the data in its errors.
func TestValidatePersonal(t *testing.T) {
	salt := []byte("0123456789abcdef")
	for _, tc := range []struct {
		name      string
		transient map[string][]byte
		allowed   []string
		want      string
	}{
		{"message", map[string][]byte{care.TransientSalt: salt, care.TransientMessage: []byte("secret help")}, []string{care.TransientMessage}, ""},
		{"nothing", nil, []string{care.TransientMessage}, ""},
		{"no salt", map[string][]byte{care.TransientMessage: []byte("secret help")}, []string{care.TransientMessage}, "transient salt: required with personal data"},
		{"salt alone", map[string][]byte{care.TransientSalt: salt}, []string{care.TransientMessage}, "transient salt: given without personal data"},
		{"not allowed", map[string][]byte{care.TransientSalt: salt, care.TransientContact: []byte("secret@example.com")}, []string{care.TransientMessage}, `transient key "contact"`},
		{"unprintable", map[string][]byte{care.TransientSalt: salt, care.TransientContact: []byte("secret\x07")}, []string{care.TransientContact}, "unprintable character"},
	} {
		err := care.ValidatePersonal(tc.transient, tc.allowed...)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if cxlerr.CodeOf(err) != cxlerr.Invalid || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: %v, want INVALID %q without the data", tc.name, err, tc.want)
		}
	}
	if err := care.ValidateSeed(map[string][]byte{care.TransientSalt: salt}); err != nil {
		t.Errorf("seed: %v", err)
	}
	if err := care.ValidateSeed(map[string][]byte{care.TransientSalt: []byte("short")}); cxlerr.CodeOf(err) != cxlerr.Invalid {
		t.Errorf("short seed: %v", err)
	}
}
