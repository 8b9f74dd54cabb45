package carecc_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/carecrypt"
	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// publicKey is a fresh X25519 public key as the ledger keeps it.
func publicKey(t *testing.T) string {
	t.Helper()
	k, err := carecrypt.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return carecrypt.EncodePublicKey(k.PublicKey())
}

// TestTicketKeys publishes keys, claims one with a ticket, refuses to claim it twice,
// and marks it erased with the ticket's data.
func TestTicketKeys(t *testing.T) {
	e := newEnv(t)
	pk1, pk2 := publicKey(t), publicKey(t)
	res, err := call(e, agent, publishTicketKeys, fmt.Sprintf(`{"keys":[{"id":"a1","publicKey":%q},{"id":"a2","publicKey":%q}]}`, pk1, pk2), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Merchant != "Org2MSP" || strings.Join(res.Keys, ",") != "a1,a2" {
		t.Fatalf("published %+v", res)
	}
	if name, p := e.event(); name != "care.TicketKeysPublished" || p.Keys["merchant"] != "Org2MSP" {
		t.Fatalf("event %s %+v", name, p)
	}
	e.stub.Commit()
	fails(e, agent2, publishTicketKeys, fmt.Sprintf(`{"keys":[{"id":"a1","publicKey":%q}]}`, publicKey(t)), nil, cxlerr.Conflict, "ticket key a1 of Org2MSP already exists")
	unused := query(e, stranger, ticketKeys, `{"merchant":"Org2MSP"}`)
	if len(unused.Keys) != 2 || unused.Keys[0].ID != "a1" || unused.Keys[0].PublicKey != pk1 || unused.Keys[0].Status != care.KeyUnused {
		t.Fatalf("unused keys %+v", unused.Keys)
	}

	// The first ticket claims a1; a second ticket sealed to a1 is refused.
	key := care.TicketKey{Merchant: "Org2MSP", ID: "a1", PublicKey: pk1}
	tk := submit(e, alice, openTicket, openArgs, sealTo(t, key, "T1", 1, "My parcel"))
	if tk.Key != "a1" || tk.PublicKey != pk1 {
		t.Fatalf("ticket key %s %s", tk.Key, tk.PublicKey)
	}
	fails(e, bob, openTicket, `{"id":"T2","merchant":"Org2MSP","category":"other","priority":"low"}`, sealTo(t, key, "T2", 1, "Mine too"),
		cxlerr.Conflict, "ticket key a1 of Org2MSP is claimed; pick another unused key")
	// A step sealed to another key than the ticket's is refused.
	other := care.TicketKey{Merchant: "Org2MSP", ID: "a2", PublicKey: pk2}
	fails(e, agent, respondTicket, id("T1"), sealTo(t, other, "T1", 2, "Reply"), cxlerr.Conflict, "ticket T1 seals its personal data to key a1, not a2")
	claimed := query(e, agent, ticketKeys, `{"merchant":"Org2MSP","status":"claimed"}`)
	if len(claimed.Keys) != 1 || claimed.Keys[0].Ticket != "T1" {
		t.Fatalf("claimed %+v", claimed.Keys)
	}
	if unused := query(e, agent, ticketKeys, `{"merchant":"Org2MSP"}`); len(unused.Keys) != 1 || unused.Keys[0].ID != "a2" {
		t.Fatalf("unused after the claim %+v", unused.Keys)
	}

	submit(e, alice, eraseTicketData, id("T1"), nil)
	erased := query(e, agent, ticketKeys, `{"merchant":"Org2MSP","status":"erased"}`)
	if len(erased.Keys) != 1 || erased.Keys[0].ID != "a1" {
		t.Fatalf("erased %+v", erased.Keys)
	}
	if claimed := query(e, agent, ticketKeys, `{"merchant":"Org2MSP","status":"claimed"}`); len(claimed.Keys) != 0 {
		t.Fatalf("claimed after the erasure %+v", claimed.Keys)
	}
	// An erased key is never claimed again.
	fails(e, agent, respondTicket, id("T1"), sealTo(t, key, "T1", 3, "Reply"), cxlerr.Conflict, "ticket key a1 of Org2MSP is erased")
}

// sealTo is a message sealed to key for ticket's step, as the transient data a client sends.
func sealTo(t *testing.T, key care.TicketKey, ticket string, step int, message string) map[string][]byte {
	t.Helper()
	m, err := ledgerapi.SealPersonal(key, ticket, step, &ledgerapi.Personal{Salt: []byte("0123456789abcdef"), Message: message})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPublishTicketKeysRefusals: only merchants publish, and only well-formed keys.
func TestPublishTicketKeysRefusals(t *testing.T) {
	e := newEnv(t)
	pk := publicKey(t)
	keys := func(n int) string {
		var parts []string
		for i := range n {
			parts = append(parts, fmt.Sprintf(`{"id":"k%d","publicKey":%q}`, i, pk))
		}
		return `{"keys":[` + strings.Join(parts, ",") + `]}`
	}
	fails(e, auditor, publishTicketKeys, keys(1), nil, cxlerr.Forbidden, "")
	fails(e, stranger, publishTicketKeys, keys(1), nil, cxlerr.Forbidden, "")
	for _, tc := range []struct{ args, want string }{
		{`{"keys":[]}`, "keys: 0, want 1 to 100"},
		{keys(101), "keys: 101, want 1 to 100"},
		{fmt.Sprintf(`{"keys":[{"id":"k1","publicKey":%q},{"id":"k1","publicKey":%q}]}`, pk, pk), `"k1" appears twice`},
		{`{"keys":[{"id":"k1","publicKey":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]}`, "all-zero"},
		{`{"keys":[{"id":"k1","publicKey":"c2hvcnQ="}]}`, "32-byte X25519"},
		{`{"keys":[{"id":"k1","publicKey":"not base64!"}]}`, "32-byte X25519"},
		{fmt.Sprintf(`{"keys":[{"id":"k/1\u0000","publicKey":%q}]}`, pk), "keys.id"},
		{fmt.Sprintf(`{"keys":[{"id":"k1","publicKey":%q,"private":"x"}]}`, pk), "unknown field"},
	} {
		fails(e, agent, publishTicketKeys, tc.args, nil, cxlerr.Invalid, tc.want)
	}
	submit(e, agent, publishTicketKeys, keys(100), nil)
	fails(e, agent, ticketKeys, `{"merchant":"Org2MSP","status":"lost"}`, nil, cxlerr.Invalid, `status "lost"`)
	fails(e, agent, ticketKeys, `{"merchant":"Org 2"}`, nil, cxlerr.Invalid, "merchant")
}
