package client

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// TestErrorsSurviveTheTrip: what the service answers comes back as the same
// *cxlerr.Error, a 202 as Pending, a committed mutation as Committed; the API key and the
// context's idempotency key are sent.
func TestErrorsSurviveTheTrip(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer k1" {
			w.WriteHeader(401)
			fmt.Fprint(w, `{"code":"UNAUTHENTICATED","message":"an API key is required","transactionId":"","retryable":false}`)
			return
		}
		switch r.URL.Path {
		case "/v1/health/pings":
			if r.Header.Get("Idempotency-Key") != "key-1" {
				w.WriteHeader(400)
				fmt.Fprintf(w, `{"code":"INVALID","message":"key %q","transactionId":"","retryable":false}`, r.Header.Get("Idempotency-Key"))
				return
			}
			fmt.Fprint(w, `{"transactionId":"tx1","blockNumber":7,"result":{"nonce":"n1","mspId":"Org1MSP","txId":"tx1","time":"2026-01-02T03:04:05Z"}}`)
		case "/v1/consortium/role-proposals":
			w.Header().Set("Location", "/v1/transactions/tx2")
			w.WriteHeader(202)
			fmt.Fprint(w, `{"code":"PENDING","message":"not known yet","transactionId":"tx2","retryable":true}`)
		case "/v1/provenance/recalls":
			w.WriteHeader(403)
			fmt.Fprint(w, `{"code":"FORBIDDEN","message":"lot belongs to Org1MSP","transactionId":"tx3","retryable":false}`)
		case "/v1/health/version":
			w.WriteHeader(502)
			fmt.Fprint(w, "<html>bad gateway</html>")
		default:
			w.WriteHeader(404)
			fmt.Fprint(w, `{"code":"NOT_FOUND","message":"no such transaction","transactionId":"","retryable":false}`)
		}
	}))
	defer srv.Close()
	c := New(srv.URL, "k1")
	ctx := ledgerapi.WithIdempotencyKey(context.Background(), "key-1")

	got, err := c.Ledger().Health().Ping(ctx, ledgerapi.PingRequest{Nonce: "n1"})
	if err != nil || got.TransactionID != "tx1" || got.BlockNumber != 7 || got.Result.Nonce != "n1" || got.Result.Time.IsZero() {
		t.Fatalf("ping: %+v %v", got, err)
	}
	for _, tc := range []struct {
		name string
		call func() error
		want cxlerr.Error
	}{
		{"pending", func() error {
			_, err := c.Ledger().Consortium().ProposeRole(ctx, ledgerapi.RoleRequest{MSP: "Org2MSP", Role: "carrier"})
			return err
		}, cxlerr.Error{Code: cxlerr.Pending, Message: "not known yet", TransactionID: "tx2", Retryable: true}},
		{"forbidden", func() error {
			_, err := c.Ledger().Provenance().RecallLot(ctx, ledgerapi.RecallLotRequest{GTIN: "09506000134352", Lot: "L1", Reason: "x"})
			return err
		}, cxlerr.Error{Code: cxlerr.Forbidden, Message: "lot belongs to Org1MSP", TransactionID: "tx3"}},
		{"not found", func() error {
			_, err := c.Transactions().Status(ctx, "nope")
			return err
		}, cxlerr.Error{Code: cxlerr.NotFound, Message: "no such transaction"}},
		{"proxy page", func() error {
			_, err := c.Ledger().Health().Version(ctx)
			return err
		}, cxlerr.Error{Code: cxlerr.Unavailable, Retryable: true}},
		{"no credentials", func() error {
			_, err := New(srv.URL, "").Ledger().Health().Version(ctx)
			return err
		}, cxlerr.Error{Code: cxlerr.Unauthenticated, Message: "an API key is required"}},
		{"invalid before sending", func() error {
			_, err := c.Ledger().Provenance().RecallLot(ctx, ledgerapi.RecallLotRequest{GTIN: "1", Lot: "L1", Reason: "x"})
			return err
		}, cxlerr.Error{Code: cxlerr.Invalid}},
	} {
		e := cxlerr.From(tc.call())
		if e == nil || e.Code != tc.want.Code || e.TransactionID != tc.want.TransactionID || e.Retryable != tc.want.Retryable ||
			tc.want.Message != "" && e.Message != tc.want.Message {
			t.Errorf("%s: %+v, want %+v", tc.name, e, tc.want)
		}
	}
	srv.Close()
	if e := cxlerr.From(func() error { _, err := c.Ledger().Health().Version(ctx); return err }()); e.Code != cxlerr.Unavailable || !e.Retryable {
		t.Fatalf("service down: %+v", e)
	}
}

// TestSubscribeResumes: when the stream breaks, the client reconnects with the last event's
// ID and delivers the rest once.
func TestSubscribeResumes(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		switch conns.Add(1) {
		case 1:
			if r.URL.Query().Get("contract") != "health" || r.URL.Query().Get("after") != "4:0" {
				t.Errorf("first query %s", r.URL.RawQuery)
			}
			fmt.Fprint(w, "retry: 1000\n\n: keep-alive\n\n")
			fmt.Fprint(w, "id: 5:0\nevent: health.Pinged\ndata: {\"id\":\"5:0\",\"transactionId\":\"a\",\"contract\":\"health\",\"type\":\"Pinged\",\"payload\":{}}\n\n")
			fmt.Fprint(w, "id: 5:1\nevent: health.Pinged\ndata: {\"id\":\"5:1\",\"transactionId\":\"b\",\"contract\":\"health\",\"type\":\"Pinged\",\"payload\":{}}\n\n")
		default:
			if got := r.Header.Get("Last-Event-ID"); got != "5:1" {
				t.Errorf("reconnected with Last-Event-ID %q, want 5:1", got)
			}
			fmt.Fprint(w, "id: 6:0\nevent: health.Pinged\ndata: {\"id\":\"6:0\",\"transactionId\":\"c\",\"contract\":\"health\",\"type\":\"Pinged\",\"payload\":{}}\n\n")
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, err := New(srv.URL, "k").Events().Subscribe(ctx, ledgerapi.EventQuery{Contract: "health", After: &ledgerapi.Position{Block: 4}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	timeout := time.After(10 * time.Second)
	for len(got) < 3 {
		select {
		case ev := <-events:
			got = append(got, ev.ID+"/"+ev.TransactionID+"/"+ev.Position.String())
		case <-timeout:
			t.Fatalf("events %v", got)
		}
	}
	if fmt.Sprint(got) != "[5:0/a/5:0 5:1/b/5:1 6:0/c/6:0]" {
		t.Fatalf("events %v", got)
	}
	cancel()
	for range events {
	}
}
