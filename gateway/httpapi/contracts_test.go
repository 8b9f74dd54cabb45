package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// lastRequest is the request the fake ledger's last contract call received.
func (ts *testServer) lastRequest() any {
	ts.b.mu.Lock()
	defer ts.b.mu.Unlock()
	return ts.b.lastReq
}

// TestOrdersRoutes: a mutation's body is the contract's argument, checked by the contract's
// own validator before any ledger call; a query's parameters are its fields, by their JSON
// names, from the path and the query string, with the page-size cap.
func TestOrdersRoutes(t *testing.T) {
	ts := newTestServer(t, nil)
	deadline := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	body := `{"id":"o-1","merchant":"Org1MSP","amount":1200,"currency":"EUR","deadline":"2030-01-02T03:04:05Z","items":[{"sku":"kettle","quantity":1}]}`
	r := ts.do(t, "POST", "/v1/orders/orders", body, alice, "Idempotency-Key: place-1")
	if r.status != 200 || !strings.Contains(r.body, `"state":"placed"`) {
		t.Fatalf("place: %d %s", r.status, r.body)
	}
	if got := ts.lastRequest().(*ledgerapi.PlaceOrderRequest); got.ID != "o-1" || got.Amount != 1200 || !got.Deadline.Equal(deadline) || len(got.Items) != 1 {
		t.Fatalf("the contract got %+v", got)
	}
	runs := ts.b.runs.Load()
	for _, tc := range []struct{ body, want string }{
		{`{"id":"o 2","merchant":"Org1MSP","amount":1,"currency":"EUR","deadline":"2030-01-02T03:04:05Z","items":[{"sku":"k","quantity":1}]}`, "id"},
		{`{"id":"o-2","merchant":"Org1MSP","arbiter":"Org1MSP","amount":1,"currency":"EUR","deadline":"2030-01-02T03:04:05Z","items":[{"sku":"k","quantity":1}]}`, "arbitrate its own order"},
		{`{"id":"o-2","merchant":"Org1MSP","amount":1,"currency":"eur","deadline":"2030-01-02T03:04:05Z","items":[]}`, "currency"},
		{`{"id":"o-2","merchant":"Org1MSP","amount":1,"currency":"EUR","deadline":"2030-01-02T03:04:05Z","items":[{"sku":"k","quantity":1}],"customer":"x"}`, "unknown field"},
	} {
		r := ts.do(t, "POST", "/v1/orders/orders", tc.body, alice, "Idempotency-Key: place-bad")
		if e := r.envelope(t); r.status != 400 || e.Code != cxlerr.Invalid || !strings.Contains(e.Message, tc.want) {
			t.Errorf("%s: %d %+v, want 400 INVALID about %s", tc.body, r.status, e, tc.want)
		}
	}
	if ts.b.runs.Load() != runs {
		t.Fatal("an invalid request reached the ledger")
	}

	r = ts.do(t, "GET", "/v1/orders/orders/o-1", "", alice)
	if r.status != 200 || ts.lastRequest().(*ledgerapi.OrderRequest).ID != "o-1" {
		t.Fatalf("get order: %d %s", r.status, r.body)
	}
	r = ts.do(t, "GET", "/v1/orders/customer-orders?customer=Org2MSP%2FUser2&bookmark=b1", "", alice)
	if got := ts.lastRequest().(*ledgerapi.CustomerOrdersRequest); r.status != 200 || got.Customer != "Org2MSP/User2" || got.Bookmark != "b1" || got.PageSize != 50 {
		t.Fatalf("customer orders: %d %s, the contract got %+v", r.status, r.body, got)
	}
	for _, q := range []string{"?pageSize=1000", "?customer=nobody", "?limit=3"} {
		if r := ts.do(t, "GET", "/v1/orders/customer-orders"+q, "", alice); r.status != 400 {
			t.Errorf("customer orders%s: %d %s", q, r.status, r.body)
		}
	}
	var page map[string]any
	if err := json.Unmarshal([]byte(ts.do(t, "GET", "/v1/orders/customer-orders", "", alice).body), &page); err != nil || page["orders"] == nil {
		t.Fatalf("page %v %v", page, err)
	}
}

// TestLoyaltyRoutes: the loyalty contract's rules refuse a bad earn before the ledger; path
// parameters, integers and times reach the contract from a query.
func TestLoyaltyRoutes(t *testing.T) {
	ts := newTestServer(t, nil)
	r := ts.do(t, "POST", "/v1/loyalty/earns", `{"program":"beans","id":"e-1","account":"Org1MSP/User2","points":40}`, alice, "Idempotency-Key: earn-1")
	if r.status != 200 || !strings.Contains(r.body, `"points":40`) {
		t.Fatalf("earn: %d %s", r.status, r.body)
	}
	r = ts.do(t, "POST", "/v1/loyalty/earns", `{"program":"beans","id":"e-2","account":"Org1MSP/User2","points":40,"amount":100}`, alice, "Idempotency-Key: earn-2")
	if e := r.envelope(t); r.status != 400 || !strings.Contains(e.Message, "exactly one of amount") {
		t.Fatalf("earn with amount and points: %d %s", r.status, r.body)
	}
	r = ts.do(t, "GET", "/v1/loyalty/programs/beans/balance?account=Org1MSP/User2&soonDays=30", "", alice)
	if got := ts.lastRequest().(*ledgerapi.PointsBalanceRequest); r.status != 200 || got.Program != "beans" || got.Account != "Org1MSP/User2" || got.SoonDays != 30 {
		t.Fatalf("balance: %d %s, the contract got %+v", r.status, r.body, got)
	}
	from, to := "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"
	r = ts.do(t, "GET", "/v1/loyalty/statement?merchant=Org1MSP&counterparty=Org2MSP&from="+from+"&to="+to, "", alice)
	got := ts.lastRequest().(*ledgerapi.StatementRequest)
	if r.status != 200 || got.From.Format(time.RFC3339) != from || got.To.Format(time.RFC3339) != to || got.PageSize != 50 {
		t.Fatalf("statement: %d %s, the contract got %+v", r.status, r.body, got)
	}
	if r := ts.do(t, "GET", "/v1/loyalty/statement?merchant=Org1MSP&counterparty=Org2MSP&from=yesterday&to="+to, "", alice); r.status != 400 {
		t.Fatalf("statement from yesterday: %d %s", r.status, r.body)
	}
}

// TestCarePersonalData: the personal data of a ticket reaches the ledger layer and nothing
// else: the answer, the replay, the error of an invalid request, the store file and the
// service log never hold it, in clear, base64 or hex; the idempotency record keeps a
// SHA-256 fingerprint of the request, so another message under the same key is refused.
func TestCarePersonalData(t *testing.T) {
	var logs bytes.Buffer
	ts := newTestServer(t, func(o *Options) {
		o.Log = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	salt := []byte("salt-0123456789-secret")
	const message, contact = "my parcel never came, secret-msg", "Alice, secret-contact@example.com"
	secrets := [][]byte{salt, []byte(message), []byte(contact)}
	open := func(msg string) string {
		body, _ := json.Marshal(ledgerapi.OpenTicketRequest{
			OpenTicketArgs: care.OpenTicketArgs{ID: "T/1", Merchant: "Org2MSP", Category: "delivery", Priority: "urgent"},
			Personal:       ledgerapi.Personal{Salt: salt, Message: msg, Contact: contact},
		})
		return string(body)
	}
	leaks := func(what string, data []byte) {
		t.Helper()
		for _, s := range secrets {
			for _, form := range []string{string(s), base64.StdEncoding.EncodeToString(s), hex.EncodeToString(s)} {
				if bytes.Contains(data, []byte(form)) {
					t.Errorf("%s holds personal data %q", what, form)
				}
			}
		}
	}

	r := ts.do(t, "POST", "/v1/care/tickets", open(message), alice, "Idempotency-Key: open-1")
	if r.status != 200 || !strings.Contains(r.body, care.SaltedHash(salt, contact)) {
		t.Fatalf("open: %d %s", r.status, r.body)
	}
	leaks("the answer", []byte(r.body))
	if got := ts.lastRequest().(*ledgerapi.OpenTicketRequest); got.Personal.Message != message || got.Personal.Contact != contact || !bytes.Equal(got.Personal.Salt, salt) {
		t.Fatalf("the ledger got %v", got.Personal)
	}
	again := ts.do(t, "POST", "/v1/care/tickets", open(message), alice, "Idempotency-Key: open-1")
	if again.status != 200 || again.body != r.body || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %s", again.status, again.body)
	}
	if r := ts.do(t, "POST", "/v1/care/tickets", open(message+"!"), alice, "Idempotency-Key: open-1"); r.status != 422 {
		t.Fatalf("another message under the same key: %d %s", r.status, r.body)
	}
	var c committedBody
	if err := json.Unmarshal([]byte(r.body), &c); err != nil {
		t.Fatal(err)
	}
	rec, err := ts.store.ByTransaction(c.TransactionID)
	if err != nil || rec == nil {
		t.Fatalf("record of %s: %v", c.TransactionID, err)
	}
	sum := sha256.Sum256([]byte("care.OpenTicket\n" + open(message)))
	if rec.Fingerprint != hex.EncodeToString(sum[:]) {
		t.Fatalf("fingerprint %s, want the SHA-256 of the operation and body", rec.Fingerprint)
	}

	bad := strings.Replace(open(message), "secret-contact@", "secret-contact\\u0007@", 1)
	r = ts.do(t, "POST", "/v1/care/tickets", bad, alice, "Idempotency-Key: open-2")
	if e := r.envelope(t); r.status != 400 || !strings.Contains(e.Message, "transient contact: unprintable character") {
		t.Fatalf("an unprintable contact: %d %s", r.status, r.body)
	}
	leaks("the error", []byte(r.body))
	r = ts.do(t, "POST", "/v1/care/tickets", strings.Replace(open(message), `"personal":{`, `"personal":{"email":"secret-contact@example.com",`, 1), alice, "Idempotency-Key: open-3")
	if r.status != 400 {
		t.Fatalf("an unknown personal field: %d %s", r.status, r.body)
	}
	leaks("the error", []byte(r.body))

	if r := ts.do(t, "GET", "/v1/care/tickets/T%2F1", "", alice); r.status != 200 || ts.lastRequest().(*ledgerapi.TicketRequest).ID != "T/1" {
		t.Fatalf("get ticket T/1: %d %s", r.status, r.body)
	}
	ts.store.Close()
	db, err := os.ReadFile(ts.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	leaks("the store file", db)
	leaks("the log", logs.Bytes())
	if !strings.Contains(logs.String(), "care.OpenTicket") && !strings.Contains(logs.String(), "/v1/care/tickets") {
		t.Fatalf("the log does not show the requests:\n%s", logs.String())
	}
}

// TestPersonalPrintsNoData: a Personal printed or logged shows none of its data.
func TestPersonalPrintsNoData(t *testing.T) {
	req := ledgerapi.OpenTicketRequest{Personal: ledgerapi.Personal{Salt: []byte("s"), Message: "secret-msg", Contact: "secret-contact"}}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("request", "personal", req.Personal, "req", req)
	for _, out := range []string{fmt.Sprint(req), fmt.Sprintf("%+v", req), fmt.Sprintf("%#v", req.Personal), fmt.Sprintf("%v", &req.Personal), logs.String()} {
		if strings.Contains(out, "secret") {
			t.Errorf("printed %s", out)
		}
	}
}
