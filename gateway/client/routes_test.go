package client

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// sent is a request as the service received it.
type sent struct {
	method, uri, body string
}

// recorder is a service that records each request and answers 200 with answer.
func recorder(t *testing.T, answer string) (*Client, *[]sent) {
	t.Helper()
	var got []sent
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method == http.MethodPost && r.Header.Get("Idempotency-Key") == "" {
			t.Errorf("%s %s without an Idempotency-Key", r.Method, r.URL)
		}
		got = append(got, sent{r.Method, r.URL.RequestURI(), string(body)})
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return New(srv.URL, "k"), &got
}

// TestRoutes: each method of the client's Ledger reaches its route, a mutation with its
// request as the body, a query with its request's fields as path and query parameters; an
// invalid request is refused (by its operation) before anything is sent.
func TestRoutes(t *testing.T) {
	c, got := recorder(t, `{"transactionId":"tx","blockNumber":1,"result":{}}`)
	ctx := context.Background()
	for _, tc := range []struct {
		call func() error
		want sent
	}{
		{func() error {
			_, err := c.Ledger().Orders().Refund(ctx, ledgerapi.RefundRequest{ID: "o-1", RefundID: "r-1", Reason: "damaged"})
			return err
		}, sent{"POST", "/v1/orders/refunds", `{"id":"o-1","refundId":"r-1","reason":"damaged"}`}},
		{func() error {
			_, err := c.Ledger().Orders().GetOrder(ctx, ledgerapi.OrderRequest{ID: "o.1"})
			return err
		},
			sent{"GET", "/v1/orders/orders/o.1", ""}},
		{func() error {
			_, err := c.Ledger().Orders().CustomerOrders(ctx, ledgerapi.CustomerOrdersRequest{Customer: "Org2MSP/User2", PageSize: 5})
			return err
		}, sent{"GET", "/v1/orders/customer-orders?customer=Org2MSP%2FUser2&pageSize=5", ""}},
		{func() error {
			_, err := c.Ledger().Orders().Balance(ctx, ledgerapi.AccountRequest{Account: "escrow:o-1", Currency: "EUR"})
			return err
		}, sent{"GET", "/v1/orders/balance?account=escrow%3Ao-1&currency=EUR", ""}},
		{func() error {
			_, err := c.Ledger().Loyalty().Statement(ctx, ledgerapi.StatementRequest{Merchant: "Org1MSP", Counterparty: "Org2MSP",
				From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)})
			return err
		}, sent{"GET", "/v1/loyalty/statement?counterparty=Org2MSP&from=2026-01-01T00%3A00%3A00Z&merchant=Org1MSP&to=2026-02-01T00%3A00%3A00Z", ""}},
		{func() error {
			_, err := c.Ledger().Loyalty().Earn(ctx, ledgerapi.EarnRequest{Program: "beans", ID: "e-1", Account: "Org1MSP/User2", Points: 5})
			return err
		}, sent{"POST", "/v1/loyalty/earns", `{"program":"beans","id":"e-1","account":"Org1MSP/User2","points":5}`}},
		{func() error {
			_, err := c.Ledger().Care().RespondTicket(ctx, ledgerapi.RespondTicketRequest{IDArgs: care.IDArgs{ID: "T 1"},
				Personal: ledgerapi.Personal{Salt: []byte("0123456789abcdef"), Message: "On its way"}})
			return err
		}, sent{"POST", "/v1/care/ticket-responses", `{"id":"T 1","personal":{"salt":"MDEyMzQ1Njc4OWFiY2RlZg==","message":"On its way"}}`}},
		{func() error {
			_, err := c.Ledger().Care().GetTicketPersonalData(ctx, ledgerapi.TicketRequest{ID: "T/1"})
			return err
		}, sent{"GET", "/v1/care/tickets/T%2F1/personal-data", ""}},
	} {
		before := len(*got)
		if err := tc.call(); err != nil {
			t.Errorf("%+v: %v", tc.want, err)
			continue
		}
		if len(*got) != before+1 {
			t.Errorf("%+v: %d requests", tc.want, len(*got)-before)
			continue
		}
		if s := (*got)[before]; s.method != tc.want.method || s.uri != tc.want.uri || strings.TrimSpace(s.body) != tc.want.body {
			t.Errorf("sent %+v, want %+v", s, tc.want)
		}
	}
	before := len(*got)
	if _, err := c.Ledger().Orders().GetOrder(ctx, ledgerapi.OrderRequest{ID: " spaced "}); cxlerr.CodeOf(err) != cxlerr.Invalid {
		t.Errorf("invalid order ID: %v", err)
	}
	if len(*got) != before {
		t.Error("an invalid request was sent")
	}
}
