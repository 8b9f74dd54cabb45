//go:build integration

package test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/fabric"
	"github.com/cxledger/cxledger/ledgerapi"
	"github.com/cxledger/cxledger/network"
)

// gwSecrets is personal data a test sent, to look for where it must not be.
type gwSecrets struct {
	mu   sync.Mutex
	data [][]byte
}

func (s *gwSecrets) add(p ledgerapi.Personal) ledgerapi.Personal {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range [][]byte{p.Salt, []byte(p.Message), []byte(p.Contact)} {
		if len(b) > 0 {
			s.data = append(s.data, b)
		}
	}
	return p
}

// find reports the first secret data holds, raw, base64 or hex, or "".
func (s *gwSecrets) find(data []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, secret := range s.data {
		for _, form := range [][]byte{secret, []byte(base64.StdEncoding.EncodeToString(secret)), []byte(hex.EncodeToString(secret))} {
			if bytes.Contains(data, form) {
				return string(form)
			}
		}
	}
	return ""
}

// TestGatewayCare drives every care endpoint of the service: Org1MSP/User1 opens a ticket
// with Org2MSP, whose members assign, answer and resolve it, read its personal data and see
// it erased; the customer reviews an order it received. Each endpoint also shows its main
// refusal. The personal data sent must then be in no answer, no block, neither the
// service's store nor its log.
func TestGatewayCare(t *testing.T) {
	g := gwStart(t)
	run := gwRun()
	const customer, shop, shop2, stranger = "org1-user1", "org2-user1", "org2-user2", "org2-user3"
	ticket := "gw-ticket-" + run
	secrets := &gwSecrets{}
	personal := func(message, contact string) ledgerapi.Personal {
		return secrets.add(ledgerapi.Personal{Salt: ledgerapi.NewSalt(), Message: message + " " + run, Contact: contact})
	}
	from := gwHeight(t)
	post := func(path, principal string, body any, status int) gwResp {
		t.Helper()
		r := g.post(t, path, principal, body, status)
		if s := secrets.find(r.body); s != "" {
			t.Fatalf("POST %s answered with personal data %q: %s", path, s, r.body)
		}
		return r
	}

	terms := func(first, resolution string) map[string]string {
		return map[string]string{"firstResponse": first, "resolution": resolution}
	}
	policy := map[string]any{"urgent": terms("1h", "8h"), "high": terms("2h", "24h"), "normal": terms("8h", "72h"), "low": terms("24h", "168h")}
	var pol care.SLAPolicy
	gwDecode(t, post("/v1/care/sla-policies", shop, policy, 200).committed(t).Result, &pol)
	if pol.Merchant != "Org2MSP" || pol.High.FirstResponse != "2h0m0s" && pol.High.FirstResponse != "2h" {
		t.Fatalf("policy %+v", pol)
	}
	policy["low"] = terms("24h", "1h")
	post("/v1/care/sla-policies", shop, policy, 400)
	gwDecode(t, g.get(t, "/v1/care/sla-policies/Org2MSP", customer, 200).body, &pol)
	if pol.Merchant != "Org2MSP" {
		t.Fatalf("policy %+v", pol)
	}
	g.get(t, "/v1/care/sla-policies/not%20an%20msp", customer, 400)

	first := personal("My parcel never arrived; please call me.", "Alice Example, alice-"+run+"@example.com")
	open := map[string]any{"id": ticket, "merchant": "Org2MSP", "category": "delivery", "priority": "high", "personal": first}
	key := "open-" + ticket
	r := g.do(t, "POST", "/v1/care/tickets", customer, key, open)
	r.want(t, 200, "open a ticket")
	var tk care.Ticket
	gwDecode(t, r.committed(t).Result, &tk)
	if tk.State != care.StateOpen || tk.ContactHash != care.SaltedHash(first.Salt, first.Contact) || !tk.ContactStored {
		t.Fatalf("ticket %+v", tk)
	}
	if s := secrets.find(r.body); s != "" {
		t.Fatalf("the opened ticket holds %q", s)
	}
	again := g.do(t, "POST", "/v1/care/tickets", customer, key, open)
	if again.status != 200 || !bytes.Equal(again.body, r.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("repeat: %d %s", again.status, again.body)
	}
	other := personal("Something else", "")
	g.do(t, "POST", "/v1/care/tickets", customer, key, map[string]any{"id": ticket, "merchant": "Org2MSP", "category": "delivery", "priority": "high", "personal": other}).
		wantError(t, 422, cxlerr.IdempotencyMismatch, "other personal data under the same key")
	post("/v1/care/tickets", customer, open, 409)

	var d care.TicketDetail
	gwDecode(t, g.get(t, "/v1/care/tickets/"+ticket, customer, 200).body, &d)
	if len(d.Steps) != 1 || d.Steps[0].MessageHash != care.SaltedHash(first.Salt, first.Message) {
		t.Fatalf("ticket detail %+v", d)
	}
	g.get(t, "/v1/care/tickets/gw-none-"+run, customer, 404)

	agent := gwAccount(t, "Org2MSP", "User2")
	assign := map[string]string{"id": ticket, "agent": agent}
	post("/v1/care/ticket-assignments", customer, assign, 403)
	gwDecode(t, post("/v1/care/ticket-assignments", shop, assign, 200).committed(t).Result, &tk)
	if tk.Agent != agent || tk.State != care.StateAssigned {
		t.Fatalf("assigned %+v", tk)
	}
	answer := personal("We are sorry; the carrier is tracing it.", "")
	post("/v1/care/ticket-responses", customer, map[string]any{"id": ticket, "personal": answer}, 403)
	gwDecode(t, post("/v1/care/ticket-responses", shop, map[string]any{"id": ticket, "personal": answer}, 200).committed(t).Result, &tk)
	if tk.State != care.StateResponded || tk.FirstResponseAt.IsZero() {
		t.Fatalf("responded %+v", tk)
	}

	var pd care.TicketPersonalData
	eventually(t, 30*time.Second, "the personal data on Org2's peers", func() error {
		r, err := g.call("GET", "/v1/care/tickets/"+ticket+"/personal-data", shop2, "", nil)
		if err != nil || r.status != 200 {
			return fmt.Errorf("%v %d %s", err, r.status, r.body)
		}
		pd = care.TicketPersonalData{}
		gwDecode(t, r.body, &pd)
		if len(pd.Texts) != 3 {
			return fmt.Errorf("%d texts", len(pd.Texts))
		}
		return nil
	})
	want := []string{"contact:" + first.Contact, "message:" + first.Message, "message:" + answer.Message}
	for i, text := range pd.Texts {
		if !text.Verified || text.Field+":"+text.Value != want[i] {
			t.Fatalf("personal data %d: %+v, want %s verified", i, text, want[i])
		}
	}
	g.get(t, "/v1/care/tickets/"+ticket+"/personal-data", customer, 403)

	post("/v1/care/ticket-resolutions", customer, map[string]any{"id": ticket}, 403)
	gwDecode(t, post("/v1/care/ticket-resolutions", shop, map[string]any{"id": ticket}, 200).committed(t).Result, &tk)
	if tk.State != care.StateResolved {
		t.Fatalf("resolved %+v", tk)
	}
	reopen := personal("It came, but broken.", "")
	post("/v1/care/ticket-reopenings", shop, map[string]any{"id": ticket, "personal": reopen}, 403)
	gwDecode(t, post("/v1/care/ticket-reopenings", customer, map[string]any{"id": ticket, "personal": reopen}, 200).committed(t).Result, &tk)
	if tk.State != care.StateReopened || tk.Round != 2 {
		t.Fatalf("reopened %+v", tk)
	}
	post("/v1/care/ticket-resolutions", shop, map[string]any{"id": ticket, "personal": personal("A new one is on its way.", "")}, 200)
	post("/v1/care/ticket-confirmations", shop, map[string]string{"id": ticket}, 403)
	gwDecode(t, post("/v1/care/ticket-confirmations", customer, map[string]string{"id": ticket}, 200).committed(t).Result, &tk)
	if tk.State != care.StateClosed {
		t.Fatalf("confirmed %+v", tk)
	}
	post("/v1/care/ticket-confirmations", customer, map[string]string{"id": ticket}, 409)

	var tickets care.TicketPage
	gwDecode(t, g.get(t, "/v1/care/tickets?pageSize=100", customer, 200).body, &tickets)
	if !gwHasTicket(tickets, ticket) {
		t.Fatalf("the customer's tickets lack %s", ticket)
	}
	g.get(t, "/v1/care/tickets?merchant=bad%20msp", customer, 400)
	var report care.BreachReport
	gwDecode(t, g.get(t, "/v1/care/breaches?merchant=Org2MSP", shop, 200).body, &report)
	g.get(t, "/v1/care/breaches", shop, 400)
	var sweep care.SLASweep
	gwDecode(t, post("/v1/care/sla-sweeps", shop, map[string]any{"merchant": "Org2MSP", "limit": 10}, 200).committed(t).Result, &sweep)
	post("/v1/care/sla-sweeps", shop, map[string]any{"merchant": "Org2MSP", "limit": 5000}, 400)

	post("/v1/care/ticket-erasures", "org1-user3", map[string]string{"id": ticket}, 403)
	gwDecode(t, post("/v1/care/ticket-erasures", customer, map[string]string{"id": ticket}, 200).committed(t).Result, &tk)
	if tk.ContactStored || len(tk.MessageSteps) != 0 || tk.ErasedAt.IsZero() {
		t.Fatalf("erased %+v", tk)
	}
	post("/v1/care/ticket-erasures", customer, map[string]string{"id": ticket}, 409)
	eventually(t, 30*time.Second, "the erasure on Org2's peers", func() error {
		pd = care.TicketPersonalData{}
		gwDecode(t, g.get(t, "/v1/care/tickets/"+ticket+"/personal-data", shop2, 200).body, &pd)
		if len(pd.Texts) != 0 {
			return fmt.Errorf("%d texts left", len(pd.Texts))
		}
		return nil
	})

	// A verified review: the customer buys from Org2MSP and confirms delivery.
	order := "gw-care-" + run
	currency := gwFund(t, g, gwAccount(t, "Org1MSP", "User1"), 2_000)
	g.post(t, "/v1/orders/orders", customer, map[string]any{"id": order, "merchant": "Org2MSP", "amount": 1_000, "currency": currency,
		"deadline": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "items": []map[string]any{{"sku": "beans", "quantity": 1}}}, 200)
	post("/v1/care/reviews", customer, map[string]any{"orderId": order, "rating": 5, "text": "Not here yet"}, 409)
	g.post(t, "/v1/orders/deliveries", customer, map[string]string{"id": order}, 200)
	var rv care.Review
	gwDecode(t, post("/v1/care/reviews", customer, map[string]any{"orderId": order, "rating": 4, "text": "Good beans"}, 200).committed(t).Result, &rv)
	if rv.Merchant != "Org2MSP" || rv.Rating != 4 || rv.Purchase != "delivered" {
		t.Fatalf("review %+v", rv)
	}
	post("/v1/care/reviews", customer, map[string]any{"orderId": order, "rating": 5, "text": "Again"}, 403)
	post("/v1/care/review-edits", stranger, map[string]any{"id": rv.ID, "rating": 1, "text": "hijack"}, 403)
	post("/v1/care/review-edits", customer, map[string]any{"id": rv.ID, "rating": 5, "text": "Great beans"}, 200)
	post("/v1/care/review-replies", customer, map[string]any{"id": rv.ID, "text": "self praise"}, 403)
	post("/v1/care/review-replies", shop, map[string]any{"id": rv.ID, "text": "Thank you!"}, 200)
	var rd care.ReviewDetail
	gwDecode(t, g.get(t, "/v1/care/reviews/"+rv.ID, stranger, 200).body, &rd)
	if len(rd.Entries) != 3 || rd.Review.Version != 2 || rd.Review.Reply != "Thank you!" {
		t.Fatalf("review detail %+v", rd)
	}
	g.get(t, "/v1/care/reviews/gw-none-"+run, stranger, 404)
	found := false
	for bookmark := ""; !found; {
		var page care.ReviewPage
		gwDecode(t, g.get(t, "/v1/care/reviews?merchant=Org2MSP&pageSize=100&bookmark="+bookmark, stranger, 200).body, &page)
		for _, x := range page.Reviews {
			found = found || x.ID == rv.ID
		}
		if bookmark = page.Next; bookmark == "" {
			break
		}
	}
	if !found {
		t.Fatalf("review %s not listed", rv.ID)
	}
	g.get(t, "/v1/care/reviews", stranger, 400)

	gwResubmitPersonal(t, secrets)
	gwNoPersonalData(t, secrets, from)
}

func gwHasTicket(page care.TicketPage, id string) bool {
	for _, x := range page.Tickets {
		if x.ID == id {
			return true
		}
	}
	return false
}

// gwResubmitPersonal opens a ticket through the Fabric adapter the service uses, whose
// journal stores the signed transaction and then fails, as if the service had crashed
// before sending it to ordering; the stored envelope, which must not hold the personal
// data, is then submitted as reconciliation would, and the ticket commits with its
// personal data in the merchant's collection: the peers kept it from the endorsement.
func gwResubmitPersonal(t *testing.T, secrets *gwSecrets) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var peers []fabric.Peer
	ids := map[string]fabric.Identity{}
	for _, o := range h.profile.Orgs {
		for _, p := range o.Peers {
			peers = append(peers, fabric.Peer{Address: p.Address, TLSRootCertPath: p.TLSRootCert})
		}
		ids[o.MSPID] = fabric.Identity{MSPID: o.MSPID, CertPath: o.Users["User1"].Cert, KeyPath: o.Users["User1"].Key}
	}
	c, err := fabric.NewClient(h.profile.Channel, h.profile.Chaincode, peers, ids)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	j := &gwCrashingJournal{}
	l, err := c.Ledger("Org1MSP", j)
	if err != nil {
		t.Fatal(err)
	}
	id := "gw-resubmit-" + gwRun()
	p := secrets.add(ledgerapi.Personal{Salt: ledgerapi.NewSalt(), Message: "Resubmitted " + id, Contact: "Bob, bob-" + id + "@example.com"})
	_, err = l.Care().OpenTicket(ctx, ledgerapi.OpenTicketRequest{
		OpenTicketArgs: care.OpenTicketArgs{ID: id, Merchant: "Org2MSP", Category: "product", Priority: "low"}, Personal: p})
	if !errors.Is(err, errGWCrash) && cxlerr.CodeOf(err) != cxlerr.Internal || j.txID == "" {
		t.Fatalf("the crash before ordering: %v (transaction %q)", err, j.txID)
	}
	if s := secrets.find(j.signed); s != "" {
		t.Fatalf("the stored transaction holds personal data %q", s)
	}
	if _, err := c.Lookup(ctx, j.txID); cxlerr.CodeOf(err) != cxlerr.NotFound {
		t.Fatalf("the transaction reached a block before it was submitted: %v", err)
	}
	if err := c.Resubmit(ctx, j.signed); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the resubmitted ticket", func() error {
		st, err := c.Lookup(ctx, j.txID)
		if err != nil {
			return err
		}
		if st.State != ledgerapi.TxCommitted {
			return fmt.Errorf("transaction %s: %+v", j.txID, st)
		}
		return nil
	})
	// Only the merchant's gateway service, which holds the vault, reads it.
	shop, err := c.Ledger("Org2MSP", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := shop.Care().GetTicketPersonalData(ctx, ledgerapi.TicketRequest{ID: id}); cxlerr.CodeOf(err) != cxlerr.Forbidden {
		t.Fatalf("personal data read without the vault: %v", err)
	}
	g := gwStart(t)
	eventually(t, 30*time.Second, "the resubmitted ticket's personal data", func() error {
		r, err := g.call("GET", "/v1/care/tickets/"+id+"/personal-data", "org2-user2", "", nil)
		if err != nil || r.status != 200 {
			return fmt.Errorf("%v %d %s", err, r.status, r.body)
		}
		var pd care.TicketPersonalData
		gwDecode(t, r.body, &pd)
		if len(pd.Texts) != 2 || !pd.Texts[0].Verified || pd.Texts[1].Value != p.Message {
			return fmt.Errorf("personal data %d texts", len(pd.Texts))
		}
		return nil
	})
}

var errGWCrash = errors.New("the service crashed")

// gwCrashingJournal keeps the signed transaction and then fails, so that it is never sent.
type gwCrashingJournal struct {
	txID   string
	signed []byte
}

func (j *gwCrashingJournal) Endorsing(context.Context, string) error { return nil }

func (j *gwCrashingJournal) Prepared(_ context.Context, txID string, signed, _ []byte) error {
	j.txID, j.signed = txID, signed
	return errGWCrash
}

// gwHeight is the channel's height on Org1's peer.
func gwHeight(t testing.TB) uint64 {
	t.Helper()
	raw, err := h.gateway(t, "Org1MSP", "User1", 0).GetNetwork(h.profile.Channel).GetContract("qscc").
		Evaluate("GetChainInfo", client.WithArguments(h.profile.Channel))
	if err != nil {
		t.Fatal(err)
	}
	var info common.BlockchainInfo
	if err := proto.Unmarshal(raw, &info); err != nil {
		t.Fatal(err)
	}
	return info.GetHeight()
}

// gwNoPersonalData checks that the personal data sent is in no block from block from on, in
// neither the service's store nor its log.
func gwNoPersonalData(t *testing.T, secrets *gwSecrets, from uint64) {
	t.Helper()
	qscc := h.gateway(t, "Org1MSP", "User1", 0).GetNetwork(h.profile.Channel).GetContract("qscc")
	to := gwHeight(t)
	for n := from; n < to; n++ {
		block, err := qscc.Evaluate("GetBlockByNumber", client.WithArguments(h.profile.Channel, strconv.FormatUint(n, 10)))
		if err != nil {
			t.Fatalf("block %d: %v", n, err)
		}
		if s := secrets.find(block); s != "" {
			t.Fatalf("block %d holds personal data %q", n, s)
		}
	}
	store, log := gwServiceFiles(t)
	if s := secrets.find(store); s != "" {
		t.Fatalf("the service's store holds personal data %q", s)
	}
	if s := secrets.find(log); s != "" {
		t.Fatalf("the service's log holds personal data %q", s)
	}
	t.Logf("no personal data in blocks %d to %d, in the store (%d bytes) or the log (%d bytes)", from, to-1, len(store), len(log))
}

// gwServiceFiles returns the bytes of every member's service's store (in
// CXL_HOME/gateway/<org>, which its container mounts under Docker) and of their logs (their
// containers' under Docker).
func gwServiceFiles(t *testing.T) (store, log []byte) {
	t.Helper()
	for _, org := range h.topo.PeerOrgs() {
		s, err := os.ReadFile(h.home.Path("gateway", network.GatewayName(org), "gateway.db"))
		if err != nil {
			t.Fatal(err)
		}
		store = append(store, s...)
	}
	return store, gwServiceLog(t)
}

// gwServiceLog returns every member's service's log: its file under CXL_HOME natively, its
// container's output under Docker.
func gwServiceLog(t *testing.T) []byte {
	t.Helper()
	var out []byte
	for _, org := range h.topo.PeerOrgs() {
		name := network.GatewayService(org)
		if h.runtime == network.Docker {
			var buf bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			err := network.ComposeLogs(ctx, h.home, name, 1_000_000, false, &buf)
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, buf.Bytes()...)
			continue
		}
		log, err := os.ReadFile(filepath.Join(h.home.Logs(), name+".log"))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, log...)
	}
	return out
}

// gwServiceName is the name of organisation msp's gateway service: its process natively,
// its Compose service under Docker (the same name).
func gwServiceName(msp string) string {
	for _, org := range h.topo.PeerOrgs() {
		if org.MSPID == msp {
			return network.GatewayService(org)
		}
	}
	return ""
}
