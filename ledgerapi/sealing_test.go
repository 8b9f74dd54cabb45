package ledgerapi_test

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/cxledger/cxledger/carecrypt"
	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// keyLedger is a Transport that answers the lookups of the care chaincode calls (unused
// ticket keys, a ticket) and records the chaincode call of every submission.
type keyLedger struct {
	key    care.TicketKey
	ticket care.Ticket
	calls  []*ledgerapi.ChaincodeCall
}

func (k *keyLedger) Submit(ctx context.Context, op *ledgerapi.Operation, req any) (*ledgerapi.Committed[json.RawMessage], error) {
	c, err := op.Chaincode(ctx, ledgerapi.Over(k), req)
	if err != nil {
		return nil, err
	}
	k.calls = append(k.calls, c)
	return &ledgerapi.Committed[json.RawMessage]{TransactionID: "tx", Result: json.RawMessage(`{}`)}, nil
}

func (k *keyLedger) Evaluate(ctx context.Context, op *ledgerapi.Operation, req any) (json.RawMessage, error) {
	if _, err := op.Chaincode(ctx, ledgerapi.Over(k), req); err != nil {
		return nil, err
	}
	switch op {
	case &ledgerapi.CareTicketKeys.Operation:
		return json.Marshal(care.TicketKeyPage{Keys: []care.TicketKey{k.key}})
	case &ledgerapi.CareGetTicket.Operation:
		return json.Marshal(care.TicketDetail{Ticket: k.ticket})
	case &ledgerapi.CareGetTicketPersonalData.Operation:
		return json.RawMessage(`{"ticket":"T1","merchant":"Org2MSP","sealed":[]}`), nil
	}
	return nil, cxlerr.Errorf(cxlerr.Internal, "unexpected %s", op.Name())
}

func (k *keyLedger) Transactions() ledgerapi.Transactions { return nil }
func (k *keyLedger) Events() ledgerapi.Events             { return nil }

// TestPersonalDataIsSealed: what the chaincode calls of OpenTicket and RespondTicket carry
// holds the personal data only sealed to the merchant's ticket key (no text, no salt, in
// any encoding), passes the contract's own check, and opens with the key's private half.
func TestPersonalDataIsSealed(t *testing.T) {
	priv, err := carecrypt.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	key := care.TicketKey{Merchant: "Org2MSP", ID: "k7", PublicKey: carecrypt.EncodePublicKey(priv.PublicKey()), Status: care.KeyUnused}
	l := &keyLedger{key: key, ticket: care.Ticket{ID: "T1", Customer: "Org1MSP/alice", Merchant: "Org2MSP", Steps: 3, Key: key.ID, PublicKey: key.PublicKey}}
	c := ledgerapi.Over(l).Care()
	ctx := context.Background()
	open := ledgerapi.Personal{Salt: ledgerapi.NewSalt(), Message: "secret: my parcel never came", Contact: "secret-alice@example.com"}
	if _, err := c.OpenTicket(ctx, ledgerapi.OpenTicketRequest{OpenTicketArgs: care.OpenTicketArgs{ID: "T1", Merchant: "Org2MSP", Category: "delivery", Priority: "low"}, Personal: open}); err != nil {
		t.Fatal(err)
	}
	answer := ledgerapi.Personal{Salt: ledgerapi.NewSalt(), Message: "secret: it is on its way"}
	if _, err := c.RespondTicket(ctx, ledgerapi.RespondTicketRequest{IDArgs: care.IDArgs{ID: "T1"}, Personal: answer}); err != nil {
		t.Fatal(err)
	}
	if len(l.calls) != 2 {
		t.Fatalf("%d calls", len(l.calls))
	}
	for i, tc := range []struct {
		p       ledgerapi.Personal
		step    int
		allowed []string
	}{{open, 1, []string{care.TransientContact, care.TransientMessage}}, {answer, 4, []string{care.TransientMessage}}} {
		call := l.calls[i]
		var sent bytes.Buffer
		for k, v := range call.Transient {
			sent.WriteString(k)
			sent.Write(v)
		}
		for _, a := range call.Args {
			sent.WriteString(a)
		}
		for _, secret := range [][]byte{tc.p.Salt, []byte(tc.p.Message), []byte(tc.p.Contact), []byte("secret")} {
			if len(secret) == 0 {
				continue
			}
			for _, form := range [][]byte{secret, []byte(base64.StdEncoding.EncodeToString(secret)), []byte(hex.EncodeToString(secret))} {
				if bytes.Contains(sent.Bytes(), form) {
					t.Fatalf("call %d sends personal data in clear: %q", i, form)
				}
			}
		}
		if err := care.ValidatePersonal(call.Transient, tc.allowed...); err != nil {
			t.Fatalf("call %d: the contract would refuse: %v", i, err)
		}
		if string(call.Transient[care.TransientKey]) != "k7" || string(call.Transient[care.TransientMessageHash]) != care.SaltedHash(tc.p.Salt, tc.p.Message) {
			t.Fatalf("call %d: key %q, hash %q", i, call.Transient[care.TransientKey], call.Transient[care.TransientMessageHash])
		}
		salt, text, err := carecrypt.Open(priv, carecrypt.Context{Merchant: "Org2MSP", KeyID: "k7", Ticket: "T1", Field: care.TransientMessage, Step: tc.step}, call.Transient[care.TransientMessage])
		if err != nil || text != tc.p.Message || !bytes.Equal(salt, tc.p.Salt) {
			t.Fatalf("call %d opens to %q: %v", i, text, err)
		}
		// The ticket opened, its data read back through OpenPersonalData.
		sealed := &care.SealedPersonalData{Ticket: "T1", Merchant: "Org2MSP", Texts: []care.SealedText{{
			Field: care.TransientMessage, Step: tc.step, Key: "k7", Envelope: base64.StdEncoding.EncodeToString(call.Transient[care.TransientMessage]),
			Hash: string(call.Transient[care.TransientMessageHash]),
		}}}
		pd, err := ledgerapi.OpenPersonalData(sealed, func(msp, id string) (*ecdh.PrivateKey, error) { return priv, nil })
		if err != nil || len(pd.Texts) != 1 || pd.Texts[0].Value != tc.p.Message || !pd.Texts[0].Verified {
			t.Fatalf("call %d: opened %+v: %v", i, pd, err)
		}
		sealed.Texts[0].Hash = care.SaltedHash(tc.p.Salt, "something else")
		if pd, _ := ledgerapi.OpenPersonalData(sealed, func(string, string) (*ecdh.PrivateKey, error) { return priv, nil }); pd.Texts[0].Verified {
			t.Fatalf("call %d: a text whose hash on the ledger differs is verified", i)
		}
	}
	// A merchant without unused keys: UNAVAILABLE, nothing submitted.
	l.key = care.TicketKey{}
	empty := &emptyKeys{keyLedger: l}
	_, err = ledgerapi.Over(empty).Care().OpenTicket(ctx, ledgerapi.OpenTicketRequest{OpenTicketArgs: care.OpenTicketArgs{ID: "T2", Merchant: "Org2MSP", Category: "delivery", Priority: "low"}, Personal: open})
	if cxlerr.CodeOf(err) != cxlerr.Unavailable || len(l.calls) != 2 {
		t.Fatalf("no unused key: %v, %d calls", err, len(l.calls))
	}
	// Personal data is never read where there is no vault.
	if _, err := c.GetTicketPersonalData(ctx, ledgerapi.TicketRequest{ID: "T1"}); cxlerr.CodeOf(err) != cxlerr.Forbidden {
		t.Fatalf("personal data without a vault: %v", err)
	}
	if _, err := c.GetTicketPersonalData(ledgerapi.WithVault(ctx), ledgerapi.TicketRequest{ID: "T1"}); err != nil {
		t.Fatalf("personal data with a vault: %v", err)
	}
}

// emptyKeys is a keyLedger whose merchant published no unused key.
type emptyKeys struct{ *keyLedger }

func (e *emptyKeys) Evaluate(ctx context.Context, op *ledgerapi.Operation, req any) (json.RawMessage, error) {
	if op == &ledgerapi.CareTicketKeys.Operation {
		return json.RawMessage(`{"keys":[]}`), nil
	}
	return e.keyLedger.Evaluate(ctx, op, req)
}

func (e *emptyKeys) Submit(ctx context.Context, op *ledgerapi.Operation, req any) (*ledgerapi.Committed[json.RawMessage], error) {
	c, err := op.Chaincode(ctx, ledgerapi.Over(e), req)
	if err != nil {
		return nil, err
	}
	e.calls = append(e.calls, c)
	return &ledgerapi.Committed[json.RawMessage]{TransactionID: "tx", Result: json.RawMessage(`{}`)}, nil
}
