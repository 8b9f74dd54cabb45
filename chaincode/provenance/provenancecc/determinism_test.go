package provenancecc_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/chaincode/provenance/provenancecc"
)

// record runs one step like call and appends to log everything the step
// produced: the response, the write set (values and key-level policies)
// and the event.
func record[R any](e *env, log *[]string, fn method[R], args string) {
	r, err := fn(e.c, ctxOf(e), args)
	out, merr := json.Marshal(r)
	if merr != nil {
		e.t.Fatal(merr)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n-> %s, err %v\n", args, out, err)
	for _, w := range e.stub.Writes() {
		fmt.Fprintf(&b, "  %s %q %q policy %x\n", w.Op, w.Key, w.Value, w.ValidationParameter)
	}
	if ev := e.stub.Event(); ev != nil {
		fmt.Fprintf(&b, "  event %s %s\n", ev.EventName, ev.Payload)
	}
	*log = append(*log, b.String())
	if err != nil {
		e.stub.Begin()
	} else {
		e.stub.Commit()
	}
}

// scenario exercises every function, including failures, and returns what
// each step produced.
func scenario(t *testing.T) []string {
	e := newEnv(t)
	var log []string
	c := struct {
		product method[*provenance.Product]
		lot     method[*provenance.ProductLot]
		items   method[*provenance.ItemsRegistered]
		custody func(*provenancecc.Contract) method[*provenance.Custody]
		cert    method[*provenance.Certificate]
		revoke  method[*provenance.Certificate]
		recall  method[*provenance.ProductLot]
		trace   method[*provenance.LotTrace]
		verify  method[*provenance.Verification]
		history method[*provenance.ProvenanceHistory]
	}{
		product: text((*provenancecc.Contract).RegisterProduct), lot: text((*provenancecc.Contract).RegisterLot),
		items: text((*provenancecc.Contract).RegisterItems), cert: text((*provenancecc.Contract).IssueCertificate),
		revoke: text((*provenancecc.Contract).RevokeCertificate), recall: text((*provenancecc.Contract).RecallLot),
		trace: text((*provenancecc.Contract).Trace), verify: text((*provenancecc.Contract).Verify), history: text((*provenancecc.Contract).History),
	}
	e.as(farm, "planner")
	record(e, &log, c.product, j(obj{"gtin": beans, "name": "Green beans", "attributes": obj{"z": "1", "a": "2", "m": "3"}}))
	record(e, &log, c.product, j(obj{"gtin": beans, "name": "again"}))
	record(e, &log, c.lot, j(obj{"gtin": beans, "lot": "B1", "quantity": 10, "attributes": obj{"farm": "El Paraiso", "harvest": "2025"}}))
	record(e, &log, text((*provenancecc.Contract).OfferCustody), j(obj{"kind": "lot", "gtin": beans, "lot": "B1", "to": roaster, "location": "Port"}))
	e.as(roaster, "receiving")
	record(e, &log, text((*provenancecc.Contract).AcceptCustody), j(obj{"kind": "lot", "gtin": beans, "lot": "B1"}))
	record(e, &log, text((*provenancecc.Contract).AcceptCustody), j(obj{"kind": "lot", "gtin": beans, "lot": "B1"}))
	record(e, &log, c.product, j(obj{"gtin": pack, "name": "Coffee"}))
	record(e, &log, c.lot, j(obj{"gtin": pack, "lot": "P1", "quantity": 3, "inputs": []obj{{"gtin": beans, "lot": "B1"}}}))
	record(e, &log, c.items, j(obj{"gtin": pack, "lot": "P1", "serials": []string{"S3", "S1", "S2"}}))
	record(e, &log, text((*provenancecc.Contract).OfferCustody), j(obj{"kind": "item", "gtin": pack, "serial": "S1", "to": "ShopMSP/c-1", "location": "Shop"}))
	record(e, &log, text((*provenancecc.Contract).RejectCustody), j(obj{"kind": "item", "gtin": pack, "serial": "S1", "reason": "wrong"}))
	record(e, &log, text((*provenancecc.Contract).OfferCustody), j(obj{"kind": "item", "gtin": pack, "serial": "S2", "to": shop, "location": "Shop"}))
	record(e, &log, text((*provenancecc.Contract).WithdrawCustodyOffer), j(obj{"kind": "item", "gtin": pack, "serial": "S2"}))
	e.as(audit, "quality")
	record(e, &log, c.cert, j(obj{"subject": obj{"kind": "lot", "gtin": beans, "lot": "B1"}, "id": "C1", "type": "organic", "hash": docHash,
		"validFrom": "2025-01-01T00:00:00Z", "validUntil": "2027-01-01T00:00:00Z"}))
	record(e, &log, c.revoke, j(obj{"subject": obj{"kind": "lot", "gtin": beans, "lot": "B1"}, "id": "C1", "reason": "lapsed"}))
	e.as(farm, "quality")
	record(e, &log, c.recall, j(obj{"gtin": beans, "lot": "B1", "reason": "mould"}))
	record(e, &log, c.trace, j(obj{"gtin": beans, "lot": "B1", "pageSize": 2}))
	record(e, &log, c.verify, j(obj{"gtin": pack, "serial": "S1"}))
	record(e, &log, c.verify, j(obj{"gtin": pack, "serial": "NOPE"}))
	record(e, &log, c.history, j(obj{"kind": "item-custody", "gtin": pack, "serial": "S1"}))
	return log
}

// TestDeterminism runs the same calls on two fresh ledgers and requires
// byte-identical responses, write sets, key-level policies and events: what
// endorsing peers of different organisations must agree on.
func TestDeterminism(t *testing.T) {
	first, second := scenario(t), scenario(t)
	if len(first) != len(second) {
		t.Fatalf("%d steps vs %d", len(first), len(second))
	}
	for i := range first {
		if first[i] != second[i] {
			t.Fatalf("step %d differs:\n%s\nvs\n%s", i, first[i], second[i])
		}
	}
	if !strings.Contains(first[0], `"attributes":{"a":"2","m":"3","z":"1"}`) {
		t.Fatalf("attributes not in key order:\n%s", first[0])
	}
}
