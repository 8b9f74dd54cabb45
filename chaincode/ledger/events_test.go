package ledger_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/cxlerr"
)

func TestEmit(t *testing.T) {
	stub := ledgertest.New().As("Org1MSP", "alice", "client")
	tx := newTx(t, stub)
	err := ledger.Emit(tx, ledger.Event{
		Contract: "provenance", Type: "LotRecalled",
		Keys: map[string]string{"lot": "L1", "gtin": "09506000134352"},
		Data: struct {
			Reason string `json:"reason"`
		}{"salmonella"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ev := stub.Event()
	if ev == nil || ev.EventName != "provenance.LotRecalled" {
		t.Fatalf("event %v", ev)
	}
	want := `{"txId":"` + tx.ID() + `","contract":"provenance","type":"LotRecalled","time":"2026-01-01T09:00:00Z",` +
		`"keys":{"gtin":"09506000134352","lot":"L1"},"data":{"reason":"salmonella"}}`
	if string(ev.Payload) != want {
		t.Fatalf("payload\n%s\nwant\n%s", ev.Payload, want)
	}
	var p ledger.EventPayload
	if err := json.Unmarshal(ev.Payload, &p); err != nil || p.TxID != tx.ID() || !p.Time.Equal(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("decoded %+v, %v", p, err)
	}

	err = ledger.Emit(tx, ledger.Event{Contract: "provenance", Type: "ItemsRegistered"})
	assertCode(t, err, cxlerr.Internal, "already emitted provenance.LotRecalled; it cannot also emit provenance.ItemsRegistered")
	if stub.Event().EventName != "provenance.LotRecalled" {
		t.Fatal("second Emit replaced the event")
	}
}

func TestEmitRejects(t *testing.T) {
	for _, e := range []ledger.Event{
		{Contract: "", Type: "Done"},
		{Contract: "Provenance", Type: "Done"},
		{Contract: "prov-x", Type: "Done"},
		{Contract: "provenance", Type: ""},
		{Contract: "provenance", Type: "done"},
		{Contract: "provenance", Type: "Lot.Recalled"},
		{Contract: "provenance", Type: "Done", Data: func() {}},
	} {
		stub := ledgertest.New().As("Org1MSP", "alice", "client")
		tx := newTx(t, stub)
		if err := ledger.Emit(tx, e); cxlerr.CodeOf(err) != cxlerr.Internal {
			t.Errorf("Emit(%+v) = %v, want INTERNAL", e, err)
		}
		if stub.Event() != nil {
			t.Errorf("Emit(%+v) set an event", e)
		}
	}
}
