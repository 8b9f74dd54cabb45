package carecc_test

import (
	"bytes"
	"crypto/ecdh"
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/carecrypt"
	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
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

	sealed := query(e, agent2, getPersonalData, id("T1"))
	for _, st := range sealed.Texts {
		if st.Key != tk.Key || st.Envelope == "" {
			t.Fatalf("sealed text %+v, want sealed to key %s", st, tk.Key)
		}
	}
	pd := e.open(sealed)
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

	fails(e, bob, eraseTicketData, id("T1"), nil, cxlerr.Forbidden, "Org1MSP/bob may not read this record")
	fails(e, rival, eraseTicketData, id("T1"), nil, cxlerr.Forbidden, "Org3MSP/clerk may not read this record")
	fails(e, auditor, eraseTicketData, id("T1"), nil, cxlerr.Forbidden, "only the customer or merchant Org2MSP may erase")
	fails(e, alice, eraseTicketData, id("T1"), e.personal(care.TransientMessage, "bye now!"), cxlerr.Invalid, `transient key "message"`)

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
	if name != "care.TicketDataErased" || !strings.Contains(string(payload.Data), `"erasedBy":"customer"`) || !strings.Contains(string(payload.Data), `"key":"`+tk.Key+`"`) {
		t.Fatalf("event %s %s", name, payload.Data)
	}
	e.stub.Commit()
	erased := query(e, agent, ticketKeys, `{"merchant":"Org2MSP","status":"erased"}`)
	if len(erased.Keys) != 1 || erased.Keys[0].ID != tk.Key || erased.Keys[0].Ticket != "T1" {
		t.Fatalf("erased keys %+v, want %s", erased.Keys, tk.Key)
	}

	sealed = query(e, agent, getPersonalData, id("T1"))
	if len(sealed.Texts) != 0 || sealed.ErasedAt.IsZero() {
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
	firstKey := tk.Key
	tk = &d.Ticket
	if tk.ContactStored || len(tk.MessageSteps) != 0 || tk.ContactHash == "" || tk.Key != "" || tk.PublicKey != "" || d.Steps[3].Action != care.ActionErased || d.Steps[3].Actor != alice.account() {
		t.Fatalf("after erasure: %+v, step %+v", tk, d.Steps[3])
	}
	fails(e, alice, eraseTicketData, id("T1"), nil, cxlerr.Conflict, "ticket T1 holds no personal data to erase")

	// New messages after an erasure are sealed to a new key the ticket claims, and the
	// merchant may erase them.
	tk = submit(e, alice, reopenTicket, id("T1"), e.personal(care.TransientMessage, "It smokes again."))
	if tk.Key == "" || tk.Key == firstKey {
		t.Fatalf("after the erasure the ticket is sealed to key %q (first %s)", tk.Key, firstKey)
	}
	if pd := e.open(query(e, agent, getPersonalData, id("T1"))); len(pd.Texts) != 1 || pd.Texts[0].Value != "It smokes again." || !pd.Texts[0].Verified {
		t.Fatalf("after a new message: %+v", pd.Texts)
	}
	tk = submit(e, agent, eraseTicketData, id("T1"), nil)
	if len(tk.MessageSteps) != 0 {
		t.Fatalf("after the merchant's erasure: %+v", tk)
	}
	if pd := query(e, agent, getPersonalData, id("T1")); len(pd.Texts) != 0 {
		t.Fatalf("after the merchant's erasure: %+v", pd.Texts)
	}
}

// TestVerificationFlagsTampering: opened personal data says when the collection holds
// something other than what the ledger hashed, and an envelope that does not open under
// the ticket's key is an error, not a text.
func TestVerificationFlagsTampering(t *testing.T) {
	e := newEnv(t)
	tk := submit(e, alice, openTicket, openArgs, e.personal(care.TransientMessage, "the original text"))
	key, _ := e.stub.CreateCompositeKey("care.message", []string{"T1", "0001"})
	raw, _ := e.stub.GetPrivateData("pdcOrg2MSP", key)
	var rec map[string]any
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	put := func(rec map[string]any) {
		raw, _ := json.Marshal(rec)
		if err := e.stub.PutPrivateData("pdcOrg2MSP", key, raw); err != nil {
			t.Fatal(err)
		}
		e.stub.Commit()
	}
	// A text sealed correctly but not the one hashed on the ledger.
	pub, _ := carecrypt.ParsePublicKey(tk.PublicKey)
	env, err := carecrypt.Seal(pub, carecrypt.Context{Merchant: "Org2MSP", KeyID: tk.Key, Ticket: "T1", Field: "message", Step: 1}, []byte("0123456789abcdef"), "tampered")
	if err != nil {
		t.Fatal(err)
	}
	rec["envelope"] = base64.StdEncoding.EncodeToString(env)
	put(rec)
	pd := e.open(query(e, agent, getPersonalData, id("T1")))
	if len(pd.Texts) != 1 || pd.Texts[0].Value != "tampered" || pd.Texts[0].Verified {
		t.Fatalf("tampered text %+v", pd.Texts)
	}
	// An altered envelope does not open.
	env[len(env)-1] ^= 1
	rec["envelope"] = base64.StdEncoding.EncodeToString(env)
	put(rec)
	sealed := query(e, agent, getPersonalData, id("T1"))
	if _, err := ledgerapi.OpenPersonalData(sealed, func(string, string) (*ecdh.PrivateKey, error) { return e.keys["Org2MSP/"+tk.Key], nil }); cxlerr.CodeOf(err) != cxlerr.Internal {
		t.Fatalf("an altered envelope: %v", err)
	}
}

// TestValidatePersonal checks sealed transient data as the contract reads it, for clients
// that validate what they send, without quoting the data in its errors.
func TestValidatePersonal(t *testing.T) {
	salt := []byte("0123456789abcdef")
	priv, _ := carecrypt.GenerateKey()
	key := care.TicketKey{Merchant: "Org2MSP", ID: "k1", PublicKey: carecrypt.EncodePublicKey(priv.PublicKey())}
	sealed := func(p ledgerapi.Personal) map[string][]byte {
		m, err := ledgerapi.SealPersonal(key, "T1", 1, &p)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	with := func(m map[string][]byte, k string, v []byte) map[string][]byte {
		m = maps.Clone(m)
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	msg := sealed(ledgerapi.Personal{Salt: salt, Message: "secret help"})
	both := sealed(ledgerapi.Personal{Salt: salt, Message: "secret help", Contact: "secret@example.com"})
	long := sealed(ledgerapi.Personal{Salt: make([]byte, 64), Message: strings.Repeat("x", 8192)})
	for _, tc := range []struct {
		name      string
		transient map[string][]byte
		allowed   []string
		want      string
	}{
		{"message", msg, []string{care.TransientMessage}, ""},
		{"longest message", long, []string{care.TransientMessage}, ""},
		{"both", both, []string{care.TransientContact, care.TransientMessage}, ""},
		{"nothing", nil, []string{care.TransientMessage}, ""},
		{"no hash", with(msg, care.TransientMessageHash, nil), []string{care.TransientMessage}, "transient messageHash: required with message"},
		{"hash alone", with(with(msg, care.TransientMessage, nil), care.TransientKey, nil), []string{care.TransientMessage}, "transient messageHash: given without message"},
		{"no key", with(msg, care.TransientKey, nil), []string{care.TransientMessage}, "transient key: required with personal data"},
		{"key alone", map[string][]byte{care.TransientKey: []byte("k1")}, []string{care.TransientMessage}, "transient key: given without personal data"},
		{"not allowed", both, []string{care.TransientMessage}, `transient key "contact"`},
		{"a salt", with(msg, care.TransientSalt, salt), []string{care.TransientMessage}, `transient key "salt"`},
		{"plain text", with(msg, care.TransientMessage, []byte("secret help in clear, long enough to be an envelope's size")), []string{care.TransientMessage}, "transient message: not a sealed envelope"},
		{"bad hash", with(msg, care.TransientMessageHash, []byte("secret")), []string{care.TransientMessage}, "transient messageHash: want the 64"},
		{"upper-case hash", with(msg, care.TransientMessageHash, []byte(strings.ToUpper(string(msg[care.TransientMessageHash])))), []string{care.TransientMessage}, "transient messageHash"},
		{"bad key", with(msg, care.TransientKey, []byte{}), []string{care.TransientMessage}, "transient key"},
		{"too long", with(long, care.TransientMessage, append(bytes.Clone(long[care.TransientMessage]), 'x')), []string{care.TransientMessage}, "transient message: an envelope of"},
		{"contact too long", sealed(ledgerapi.Personal{Salt: make([]byte, 64), Contact: strings.Repeat("x", 1025)}), []string{care.TransientContact}, "transient contact: an envelope of"},
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

// TestValidateText checks personal data in clear, as the client does before sealing it.
func TestValidateText(t *testing.T) {
	salt := []byte("0123456789abcdef")
	both := []string{care.TransientContact, care.TransientMessage}
	for _, tc := range []struct {
		name                   string
		salt                   []byte
		contact, message, want string
		allowed                []string
	}{
		{"message", salt, "", "secret help", "", both},
		{"nothing", nil, "", "", "", both},
		{"no salt", nil, "", "secret help", "transient salt: required", both},
		{"salt alone", salt, "", "", "transient salt: given without", both},
		{"short salt", []byte("short"), "", "secret help", "transient salt: 5 bytes", both},
		{"contact not allowed", salt, "secret@example.com", "secret", `transient key "contact": this function takes only salt, message`, []string{care.TransientMessage}},
		{"unprintable", salt, "secret\x07", "secret", "transient contact: unprintable character U+0007", both},
		{"blank", salt, "", " \n ", "transient message: blank", both},
		{"long message", salt, "", strings.Repeat("x", 8193), "transient message: 8193 bytes, more than 8192", both},
		{"long contact", salt, strings.Repeat("x", 1025), "secret", "transient contact: 1025 bytes, more than 1024", both},
	} {
		err := care.ValidateText(tc.salt, tc.contact, tc.message, tc.allowed...)
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
}
