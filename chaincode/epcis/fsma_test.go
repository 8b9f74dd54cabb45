package epcis

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
)

func TestTraceabilityLot(t *testing.T) {
	for _, ok := range []string{"urn:epc:class:lgtin:9506000.013435.L1", "https://brand.example/01/09506000134352/10/L1?17=270101"} {
		if lot, err := TraceabilityLot(ok); err != nil || lot != "https://id.gs1.org/01/09506000134352/10/L1" {
			t.Errorf("%s: %s %v", ok, lot, err)
		}
	}
	for _, bad := range []string{"urn:epc:id:sgtin:9506000.013435.S1", "urn:epc:idpat:sgtin:9506000.013435.*", "L1", "urn:epc:id:sscc:9506000.0000000017"} {
		if _, err := TraceabilityLot(bad); cxlerr.CodeOf(err) != cxlerr.Invalid {
			t.Errorf("%s: %v, want INVALID", bad, err)
		}
	}
}

func TestWriteFSMA204(t *testing.T) {
	lot := "https://id.gs1.org/01/09506000134352/10/L1"
	ev := func(at, step string, extra string) StoredEvent {
		raw := `{"type":"ObjectEvent","eventTime":"` + at + `","eventTimeZoneOffset":"+00:00","quantityList":[{"epcClass":"urn:epc:class:lgtin:9506000.013435.L1","quantity":5,"uom":"KGM"}],"action":"OBSERVE","bizStep":"` + step + `"` + extra + `}`
		tm, _ := time.Parse(time.RFC3339, at)
		return StoredEvent{Hash: "h-" + step, EventTime: tm, TxID: "tx-" + step, Capturer: "Org1MSP", Event: json.RawMessage(raw)}
	}
	events := []StoredEvent{
		ev("2026-03-02T00:00:00Z", "receiving", `,"bizTransactionList":[{"type":"po","bizTransaction":"urn:epcglobal:cbv:bt:9506000000012:PO-1"}]`),
		ev("2026-03-01T00:00:00Z", "shipping", ""),
	}
	var buf bytes.Buffer
	if err := WriteFSMA204(&buf, lot, events); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != 3 || len(rows[0]) != len(FSMAColumns) {
		t.Fatalf("%q %v", rows, err)
	}
	if rows[1][1] != "Shipping" || rows[2][1] != "Receiving" || rows[1][16] != "tx-shipping" || rows[1][7] != "5" || rows[1][8] != "KGM" || rows[1][6] != "09506000134352" {
		t.Errorf("rows: %q", rows)
	}
	if rows[2][13] != "po urn:epcglobal:cbv:bt:9506000000012:PO-1" {
		t.Errorf("reference documents: %q", rows[2][13])
	}
}
