//go:build integration

package test

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/cxledger/cxledger/carecrypt"
	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// TestCare drives the care contract on the real network: Org1MSP/User1 is the customer,
// Org2MSP the merchant, whose vault the test plays: it publishes a ticket key and keeps
// its private half. Org2 promises a first response to urgent tickets within two
// seconds; a ticket answered later records the breach. The ticket's personal data (contact
// details and messages, sealed to the ticket key and sent as transient data) is stored in
// Org2's collection, read by Org2 and opened with the key, erased and then gone; a delivered order is reviewed by its buyer and by nobody
// else. Finally every block of the channel, from block 0, is searched for the personal
// data.
func TestCare(t *testing.T) {
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	var (
		customer  = ccAs(t, "Org1MSP", "User1", care.Name).syncing(t)
		neighbour = ccAs(t, "Org1MSP", "User2", care.Name).syncing(t) // another customer, of a merchant org that is also arbiter
		merchant  = ccAs(t, "Org2MSP", "User1", care.Name).syncing(t)
		merchant2 = ccAs(t, "Org2MSP", "User2", care.Name).syncing(t)
		account   = ccAccount(t, "Org1MSP", "User1")
		ticket    = "care-it-" + run
		order     = "care-it-" + run
		// Personal data, unique to this run so that finding it in a block means we put it there.
		contact  = "Alice Example " + run + ", Hauptstrasse 1, alice-" + run + "@example.com"
		question = "My parcel " + run + " never arrived; please call me."
		answer   = "We are sorry, Alice (" + run + "); the carrier is tracing it."
		salts    = [][]byte{careSalt(t), careSalt(t)}
		secrets  = [][]byte{[]byte(contact), []byte(question), []byte(answer), salts[0], salts[1]}
		both     = client.WithEndorsingOrganizations("Org1MSP", "Org2MSP")
		// ticketPriv is the private half of the ticket key the test publishes as Org2.
		ticketPriv = careKey(t)
		ticketKey  = care.TicketKey{Merchant: "Org2MSP", ID: "it-" + run, PublicKey: carecrypt.EncodePublicKey(ticketPriv.PublicKey())}
	)
	step := func(name string, fn func(t *testing.T)) {
		t.Helper()
		if !t.Run(name, fn) {
			t.FailNow()
		}
	}

	step("open, respond late, breach recorded", func(t *testing.T) {
		terms := func(firstResponse, resolution string) map[string]string {
			return map[string]string{"firstResponse": firstResponse, "resolution": resolution}
		}
		var policy care.SLAPolicy
		merchant.submit(t, "SetSLAPolicy", map[string]any{
			"urgent": terms("2s", "1h"), "high": terms("4h", "24h"), "normal": terms("8h", "72h"), "low": terms("24h", "168h"),
		}, &policy)
		if policy.Merchant != "Org2MSP" || policy.Urgent.FirstResponse != "2s" {
			t.Fatalf("SetSLAPolicy returned %+v", policy)
		}
		// The test is Org2's vault: it publishes a ticket key and keeps the private half.
		var published care.TicketKeysPublished
		merchant.submit(t, "PublishTicketKeys", map[string]any{"keys": []map[string]string{{"id": ticketKey.ID, "publicKey": ticketKey.PublicKey}}}, &published)
		ccSync(t)
		var tk care.Ticket
		customer.submit(t, "OpenTicket", map[string]any{"id": ticket, "merchant": "Org2MSP", "category": "delivery", "priority": "urgent"}, &tk,
			client.WithTransient(careSeal(t, ticketKey, ticket, 1, ledgerapi.Personal{Salt: salts[0], Contact: contact, Message: question})), both)
		if tk.State != care.StateOpen || tk.Customer != account || tk.SLA.FirstResponse != "2s" || !tk.FirstResponseDue.Equal(tk.Opened.Add(2*time.Second)) ||
			tk.ContactHash != care.SaltedHash(salts[0], contact) {
			t.Fatalf("OpenTicket returned %+v", tk)
		}
		time.Sleep(time.Until(tk.FirstResponseDue) + time.Second)
		tx := merchant.submit(t, "RespondTicket", map[string]any{"id": ticket}, &tk,
			client.WithTransient(careSeal(t, ticketKey, ticket, 2, ledgerapi.Personal{Salt: salts[1], Message: answer})), both)
		if tk.State != care.StateResponded || len(tk.Breaches) != 1 {
			t.Fatalf("RespondTicket returned %+v", tk)
		}
		if b := tk.Breaches[0]; b.Kind != care.BreachFirstResponse || b.DetectedTx != tx || !b.DetectedAt.After(b.Due) {
			t.Fatalf("breach %+v, want first-response detected by %s", b, tx)
		}
		ccSync(t)
		var d care.TicketDetail
		customer.evaluate(t, "GetTicket", map[string]any{"id": ticket}, &d)
		if len(d.Steps) != 2 || d.Steps[1].MessageHash != care.SaltedHash(salts[1], answer) || len(d.Ticket.Breaches) != 1 {
			t.Fatalf("GetTicket returned %+v", d)
		}
		found := false
		for bookmark := ""; !found; {
			var report care.BreachReport
			merchant2.evaluate(t, "BreachReport", map[string]any{"merchant": "Org2MSP", "pageSize": 200, "bookmark": bookmark}, &report)
			for _, b := range report.Breaches {
				found = found || b.Ticket == ticket && b.Kind == care.BreachFirstResponse && b.DetectedTx == tx
			}
			if bookmark = report.Next; bookmark == "" {
				break
			}
		}
		if !found {
			t.Fatalf("breach of %s missing from Org2MSP's breach report", ticket)
		}
	})

	step("personal data stored, read by the merchant, erased, unreadable", func(t *testing.T) {
		var sealed care.SealedPersonalData
		merchant2.evaluate(t, "GetTicketPersonalData", map[string]any{"id": ticket}, &sealed)
		pd, err := ledgerapi.OpenPersonalData(&sealed, func(string, string) (*ecdh.PrivateKey, error) { return ticketPriv, nil })
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, text := range pd.Texts {
			if !text.Verified {
				t.Fatalf("%s text of step %d does not match its hash on the ledger", text.Field, text.Step)
			}
			got = append(got, text.Field+": "+text.Value)
		}
		want := []string{"contact: " + contact, "message: " + question, "message: " + answer}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("merchant reads %q, want %q", got, want)
		}
		// Only the merchant reads it: the customer's own organisation cannot.
		customer.wantEvalCode(t, cxlerr.Forbidden, "GetTicketPersonalData", map[string]any{"id": ticket})
		neighbour.wantEvalCode(t, cxlerr.Forbidden, "GetTicketPersonalData", map[string]any{"id": ticket})

		var tk care.Ticket
		customer.submit(t, "EraseTicketData", map[string]any{"id": ticket}, &tk)
		if tk.ContactStored || len(tk.MessageSteps) != 0 || tk.ErasedAt.IsZero() {
			t.Fatalf("EraseTicketData returned %+v", tk)
		}
		ccSync(t)
		sealed = care.SealedPersonalData{}
		merchant.evaluate(t, "GetTicketPersonalData", map[string]any{"id": ticket}, &sealed)
		if len(sealed.Texts) != 0 || sealed.ErasedAt.IsZero() {
			t.Fatalf("after erasure the merchant still reads %+v", sealed)
		}
		customer.wantCode(t, cxlerr.Conflict, "EraseTicketData", map[string]any{"id": ticket})
	})

	step("review after delivery accepted, without purchase rejected", func(t *testing.T) {
		// The customer's organisation is also the payment provider, so User1 issues the
		// money it pays with.
		buyer := ccAs(t, "Org1MSP", "User1", orders.Name).syncing(t)
		const currency = "XCR"
		if _, _, err := buyer.trySubmit("RegisterCurrency", map[string]any{"currency": currency}); err != nil {
			if e, ok := ccChaincodeError(err); !ok || e.Code != cxlerr.Conflict {
				t.Fatalf("RegisterCurrency: %v", err)
			}
		}
		buyer.submit(t, "Deposit", map[string]any{"ref": "care-it-" + run, "currency": currency, "credits": []map[string]any{{"account": account, "amount": 1000}}}, nil)
		buyer.submit(t, "Place", map[string]any{
			"id": order, "merchant": "Org2MSP", "amount": 500, "currency": currency,
			"deadline": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339), "items": []map[string]any{{"sku": "BEANS-250", "quantity": 1}},
		}, nil)
		seed := client.WithTransient(map[string][]byte{care.TransientSalt: careSalt(t)})
		customer.wantCode(t, cxlerr.Conflict, "PostReview", map[string]any{"orderId": order, "rating": 5, "text": "Not here yet"}, seed)
		buyer.submit(t, "ConfirmDelivery", map[string]any{"id": order}, nil)

		neighbour.wantCode(t, cxlerr.Forbidden, "PostReview", map[string]any{"orderId": order, "rating": 1, "text": "Never bought it"}, seed)
		merchant.wantCode(t, cxlerr.Forbidden, "PostReview", map[string]any{"orderId": order, "rating": 5, "text": "Our own praise"}, seed)
		var r care.Review
		customer.submit(t, "PostReview", map[string]any{"orderId": order, "rating": 4, "text": "Good beans, " + run}, &r, seed)
		if r.Merchant != "Org2MSP" || r.Purchase != "delivered" || r.Rating != 4 || len(r.Reviewer) != len("reviewer-")+16 {
			t.Fatalf("PostReview returned %+v", r)
		}
		customer.wantCode(t, cxlerr.Forbidden, "PostReview", map[string]any{"orderId": order, "rating": 5, "text": "Again"}, seed)
		merchant.submit(t, "ReplyToReview", map[string]any{"id": r.ID, "text": "Thank you!"}, nil)
		customer.submit(t, "EditReview", map[string]any{"id": r.ID, "rating": 5, "text": "Great beans, " + run}, nil)
		neighbour.wantCode(t, cxlerr.Forbidden, "EditReview", map[string]any{"id": r.ID, "rating": 1, "text": "hijack"})
		ccSync(t)
		var d care.ReviewDetail
		merchant.evaluate(t, "GetReview", map[string]any{"id": r.ID}, &d)
		if len(d.Entries) != 3 || d.Review.Version != 2 || d.Review.Reply != "Thank you!" || d.Entries[2].By != r.Reviewer {
			t.Fatalf("GetReview returned %+v", d)
		}
	})

	step("no block holds the personal data", func(t *testing.T) {
		ccSync(t)
		qscc := h.gateway(t, "Org1MSP", "User1", 0).GetNetwork(h.profile.Channel).GetContract("qscc")
		heights, err := ccHeights([]*client.Contract{qscc})
		if err != nil {
			t.Fatal(err)
		}
		height := heights[0]
		var forms [][]byte
		for _, s := range secrets {
			forms = append(forms, s, []byte(base64.StdEncoding.EncodeToString(s)), []byte(hex.EncodeToString(s)))
		}
		sawTicket := false
		for n := uint64(0); n < height; n++ {
			block, err := qscc.Evaluate("GetBlockByNumber", client.WithArguments(h.profile.Channel, strconv.FormatUint(n, 10)))
			if err != nil {
				t.Fatalf("block %d: %v", n, err)
			}
			for i, f := range forms {
				if bytes.Contains(block, f) {
					t.Fatalf("block %d holds personal data (secret %d, form %d)", n, i/3, i%3)
				}
			}
			sawTicket = sawTicket || bytes.Contains(block, []byte(ticket))
		}
		if !sawTicket {
			t.Fatalf("no block among %d mentions ticket %s: the scan reads nothing", height, ticket)
		}
		t.Logf("searched %d blocks", height)
	})
}

// careKey is a new ticket key pair.
func careKey(t testing.TB) *ecdh.PrivateKey {
	t.Helper()
	k, err := carecrypt.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// careSeal is the transient data of a ticket step carrying p, sealed to key as ledgerapi
// seals it.
func careSeal(t testing.TB, key care.TicketKey, ticket string, step int, p ledgerapi.Personal) map[string][]byte {
	t.Helper()
	m, err := ledgerapi.SealPersonal(key, ticket, step, &p)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func careSalt(t testing.TB) []byte {
	t.Helper()
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		t.Fatal(err)
	}
	return salt
}
