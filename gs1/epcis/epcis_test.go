package epcis

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/cxlerr"
)

// referenceHashes are the hashes GS1's reference implementation
// (RalphTro/epcis-event-hash-generator, run locally on testdata/all-types.jsonld, not part of
// this repository) computes for the five events of that document.
var referenceHashes = []string{
	"ni:///sha-256;1b1707adb34b888c702803f6da10596e77978768a582c277013d5fb083dee0d5?ver=CBV2.0",
	"ni:///sha-256;df8cbb52d5018d2643cd52e438c161b0362a753f54e7ae04ae4bc8bdc9a4e98b?ver=CBV2.0",
	"ni:///sha-256;952b6d2801d86f4a270f678278bfce86bbd3364c9664f08ec81a0cc552b99d31?ver=CBV2.0",
	"ni:///sha-256;f4fcbb140ca0e94368d253649d0eb8c2b129f4fcdac27008d96688bfcc908657?ver=CBV2.0",
	"ni:///sha-256;6aee8b6fe44b7491c87524d3fed8e5a9f6aaa7324c2207c1758f47f5599e537c?ver=CBV2.0",
}

func readDoc(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/all-types.jsonld")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestEveryEventTypeAndReferenceHashes(t *testing.T) {
	doc, err := ParseDocument(readDoc(t), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Invalid) != 0 {
		t.Fatalf("invalid events: %+v", doc.Invalid[0].Err)
	}
	types := []string{ObjectEvent, AggregationEvent, TransformationEvent, TransactionEvent, AssociationEvent}
	if len(doc.Events) != len(types) {
		t.Fatalf("%d events, want %d", len(doc.Events), len(types))
	}
	for i, e := range doc.Events {
		if e.Type != types[i] {
			t.Errorf("event %d: type %s, want %s", i, e.Type, types[i])
		}
		if e.Hash != referenceHashes[i] {
			t.Errorf("event %d (%s): hash %s, want the reference implementation's %s", i, e.Type, e.Hash, referenceHashes[i])
		}
		if !ValidHash(e.Hash) {
			t.Errorf("event %d: ValidHash(%s) = false", i, e.Hash)
		}
	}
	obj := doc.Events[0]
	if want := "https://id.gs1.org/01/09506000134352/21/S1"; obj.EPCList[0] != want {
		t.Errorf("epcList[0] = %s, want the canonical Digital Link %s", obj.EPCList[0], want)
	}
	if obj.BizStep != "https://ref.gs1.org/cbv/BizStep-commissioning" || obj.ReadPoint != "https://id.gs1.org/414/9506000000015" {
		t.Errorf("bizStep %s readPoint %s", obj.BizStep, obj.ReadPoint)
	}
	tr := doc.Events[2]
	if tr.InputQuantityList[0].EPCClass != "https://id.gs1.org/01/09506000134352/10/GREEN1" || tr.InputQuantityList[0].Quantity != "60.50" {
		t.Errorf("input quantity %+v", tr.InputQuantityList[0])
	}
	tx := doc.Events[3]
	if tx.BizTransactions[0].Type != "https://ref.gs1.org/cbv/BTT-po" || tx.Sources[0].ID != "https://id.gs1.org/417/9506000000015" {
		t.Errorf("transaction %+v sources %+v", tx.BizTransactions, tx.Sources)
	}
	if got := doc.Events[1].EPCs(); len(got) != 3 {
		t.Errorf("EPCs of the aggregation: %v, want parent and two children", got)
	}
}

// event builds a one-event document from an ObjectEvent with fields changed: a nil value
// deletes the field.
func event(changes map[string]any) []byte {
	e := map[string]any{
		"type": "ObjectEvent", "eventTime": "2026-03-01T09:00:00.000+01:00", "eventTimeZoneOffset": "+01:00",
		"epcList": []any{"urn:epc:id:sgtin:9506000.013435.S1"}, "action": "OBSERVE",
	}
	for k, v := range changes {
		if v == nil {
			delete(e, k)
		} else {
			e[k] = v
		}
	}
	return doc(e)
}

func doc(events ...any) []byte {
	d := map[string]any{
		"@context":      []any{"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", map[string]any{"ex": "https://ex.example/"}},
		"type":          "EPCISDocument",
		"schemaVersion": "2.0",
		"creationDate":  "2026-03-01T08:00:00Z",
		"epcisBody":     map[string]any{"eventList": events},
	}
	data, _ := json.Marshal(d)
	return data
}

func parseOne(t *testing.T, data []byte) (*Event, error) {
	t.Helper()
	d, err := ParseDocument(data, DefaultLimits)
	if err != nil {
		return nil, err
	}
	if len(d.Invalid) > 0 {
		return nil, d.Invalid[0].Err
	}
	return d.Events[0], nil
}

func TestHashIsRepresentationAgnostic(t *testing.T) {
	base, err := parseOne(t, event(nil))
	if err != nil {
		t.Fatal(err)
	}
	same := []map[string]any{
		{"epcList": []any{"https://brand.example/01/09506000134352/21/S1?17=270101"}},
		{"eventTime": "2026-03-01T08:00:00Z"},
		{"eventTime": "2026-03-01T08:00:00.0001Z"},
		{"recordTime": "2026-03-05T00:00:00Z", "eventID": "urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427"},
		{"errorDeclaration": map[string]any{"declarationTime": "2026-03-05T00:00:00Z", "reason": "incorrect_data"}},
	}
	for _, c := range same {
		e, err := parseOne(t, event(c))
		if err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		if e.Hash != base.Hash {
			t.Errorf("%v: hash %s differs from %s", c, e.Hash, base.Hash)
		}
	}
	differ := []map[string]any{
		{"action": "ADD"}, {"bizStep": "shipping"}, {"eventTime": "2026-03-01T08:00:00.001Z"},
		{"epcList": []any{"urn:epc:id:sgtin:9506000.013435.S2"}}, {"ex:note": "x"},
	}
	for _, c := range differ {
		e, err := parseOne(t, event(c))
		if err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		if e.Hash == base.Hash {
			t.Errorf("%v: same hash as the event without the change", c)
		}
	}
	// Bare, web URI and URN forms of the vocabulary are one value.
	var hashes []string
	for _, v := range []string{"shipping", "https://ref.gs1.org/cbv/BizStep-shipping", "urn:epcglobal:cbv:bizstep:shipping"} {
		e, err := parseOne(t, event(map[string]any{"bizStep": v}))
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, e.Hash)
	}
	if hashes[0] != hashes[1] || hashes[1] != hashes[2] {
		t.Errorf("vocabulary forms hash differently: %v", hashes)
	}
}

func TestCanonicalValues(t *testing.T) {
	for in, want := range map[string]string{"1.0": "1", "0.3430": "0.343", "600": "600", "-0": "0", "1e2": "100", "0.00001": "1e-05"} {
		if got, ok := canonicalNumber(in); !ok || got != want {
			t.Errorf("canonicalNumber(%s) = %s, %v; want %s", in, got, ok, want)
		}
	}
	for in, want := range map[string]string{
		"2023-01-18T11:04:03.1415Z":      "2023-01-18T11:04:03.142Z",
		"2020-03-04T11:00:30+01:00":      "2020-03-04T10:00:30.000Z",
		"2023-01-18T11:04:03.9996Z":      "2023-01-18T11:04:04.000Z",
		"2023-01-18T11:04:03.1425Z":      "2023-01-18T11:04:03.142Z",
		"2023-01-18T11:04:03.123456789Z": "2023-01-18T11:04:03.123Z",
	} {
		if got := canonicalTime(in); got != want {
			t.Errorf("canonicalTime(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestRefusals(t *testing.T) {
	bigDoc := doc(make([]any, 3)...)
	cases := []struct {
		name string
		data []byte
		code cxlerr.Code
		want string
	}{
		{"invalid UTF-8", []byte("{\"type\":\"EPCISDocument\xff\"}"), cxlerr.Invalid, "UTF-8"},
		{"not an object", []byte(`[1]`), cxlerr.Invalid, "document"},
		{"duplicate key", []byte(`{"type":"EPCISDocument","type":"x"}`), cxlerr.Invalid, "duplicate key"},
		{"oversized", []byte(`{"x":"` + strings.Repeat("a", 100) + `"}`), cxlerr.TooLarge, "bytes"},
		{"no context", []byte(`{"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2026-03-01T08:00:00Z","epcisBody":{"eventList":[]}}`), cxlerr.Invalid, "@context"},
		{"unknown top-level field", mutateDoc(event(nil), "sneaky", 1), cxlerr.Invalid, "sneaky"},
		{"undeclared prefix top-level", mutateDoc(event(nil), "zz:x", 1), cxlerr.Invalid, "zz:x"},
		{"wrong schema version", mutateDoc(event(nil), "schemaVersion", "1.2"), cxlerr.Invalid, "schemaVersion"},
		{"wrong document type", mutateDoc(event(nil), "type", "EPCISMasterDataDocument"), cxlerr.Invalid, "type"},
		{"bad creationDate", mutateDoc(event(nil), "creationDate", "yesterday"), cxlerr.Invalid, "creationDate"},
		{"body not an object", mutateDoc(event(nil), "epcisBody", []any{}), cxlerr.Invalid, "epcisBody"},
		{"too many events", bigDoc, cxlerr.TooLarge, "events"},
	}
	lim := Limits{MaxBytes: 4096, MaxEvents: 2}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := lim
			if c.name == "oversized" {
				l.MaxBytes = 50
			}
			_, err := ParseDocument(c.data, l)
			checkErr(t, err, c.code, c.want)
		})
	}
}

func mutateDoc(data []byte, k string, v any) []byte {
	var d map[string]any
	_ = json.Unmarshal(data, &d)
	d[k] = v
	out, _ := json.Marshal(d)
	return out
}

func checkErr(t *testing.T, err error, code cxlerr.Code, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted, want %s %q", code, want)
	}
	e := cxlerr.From(err)
	if e.Code != code || !strings.Contains(e.Message, want) {
		t.Fatalf("got %s %q, want %s containing %q", e.Code, e.Message, code, want)
	}
}

func TestEventRefusals(t *testing.T) {
	qty := func(q map[string]any) map[string]any {
		return map[string]any{"epcList": nil, "quantityList": []any{q}}
	}
	cases := []struct {
		name    string
		changes map[string]any
		want    string
	}{
		{"unknown type", map[string]any{"type": "QuantityEvent"}, "not an EPCIS 2.0 event type"},
		{"type missing", map[string]any{"type": nil}, "type: required"},
		{"type not a string", map[string]any{"type": 7}, "type: required"},
		{"no eventTime", map[string]any{"eventTime": nil}, "eventTime: required"},
		{"eventTime without zone", map[string]any{"eventTime": "2026-03-01T09:00:00"}, "eventTime"},
		{"eventTime a number", map[string]any{"eventTime": 1700000000}, "eventTime: want a string"},
		{"no offset", map[string]any{"eventTimeZoneOffset": nil}, "eventTimeZoneOffset: required"},
		{"offset out of range", map[string]any{"eventTimeZoneOffset": "+15:00"}, "eventTimeZoneOffset"},
		{"offset malformed", map[string]any{"eventTimeZoneOffset": "0100"}, "eventTimeZoneOffset"},
		{"no action", map[string]any{"action": nil}, "action: required"},
		{"bad action", map[string]any{"action": "UPDATE"}, "action"},
		{"lower-case action", map[string]any{"action": "add"}, "action"},
		{"unknown field", map[string]any{"colour": "red"}, "colour"},
		{"field of another type", map[string]any{"childEPCs": []any{}}, "a ObjectEvent has no such field"},
		{"undeclared extension prefix", map[string]any{"zz:note": "x"}, "zz:note"},
		{"extension with unprefixed key", map[string]any{"ex:note": map[string]any{"plain": 1}}, "plain"},
		{"empty object event", map[string]any{"epcList": []any{}}, "at least one"},
		{"epcList not an array", map[string]any{"epcList": "urn:epc:id:sgtin:9506000.013435.S1"}, "want an array"},
		{"epc not a string", map[string]any{"epcList": []any{42}}, "want a string"},
		{"unknown identifier", map[string]any{"epcList": []any{"urn:epc:id:grai:9506000.00001.1"}}, "unknown identifier"},
		{"bad check digit", map[string]any{"epcList": []any{"https://id.gs1.org/01/09506000134353/21/S1"}}, "check digit"},
		{"class in epcList", map[string]any{"epcList": []any{"urn:epc:class:lgtin:9506000.013435.L1"}}, "serialised item"},
		{"epc twice", map[string]any{"epcList": []any{"urn:epc:id:sgtin:9506000.013435.S1", "https://id.gs1.org/01/09506000134352/21/S1"}}, "twice"},
		{"item as epcClass", qty(map[string]any{"epcClass": "urn:epc:id:sgtin:9506000.013435.S1", "quantity": 1}), "epcClass"},
		{"quantity a string", qty(map[string]any{"epcClass": "urn:epc:class:lgtin:9506000.013435.L1", "quantity": "1"}), "want a number"},
		{"negative quantity", qty(map[string]any{"epcClass": "urn:epc:class:lgtin:9506000.013435.L1", "quantity": -1}), "at least 0"},
		{"uom without quantity", qty(map[string]any{"epcClass": "urn:epc:class:lgtin:9506000.013435.L1", "uom": "KGM"}), "needs a quantity"},
		{"bad uom", qty(map[string]any{"epcClass": "urn:epc:class:lgtin:9506000.013435.L1", "quantity": 1, "uom": "kilograms"}), "uom"},
		{"quantity element extra field", qty(map[string]any{"epcClass": "urn:epc:class:lgtin:9506000.013435.L1", "lot": "x"}), "epcClass, quantity and uom only"},
		{"unknown bizStep", map[string]any{"bizStep": "teleporting"}, "bizStep"},
		{"unknown CBV bizStep URI", map[string]any{"bizStep": "https://ref.gs1.org/cbv/BizStep-teleporting"}, "bizStep"},
		{"disposition from bizStep vocabulary", map[string]any{"disposition": "https://ref.gs1.org/cbv/BizStep-shipping"}, "disposition"},
		{"unknown disposition", map[string]any{"disposition": "lost"}, "disposition"},
		{"bizStep with space", map[string]any{"bizStep": " shipping"}, "white space"},
		{"readPoint a string", map[string]any{"readPoint": "urn:epc:id:sgln:9506000.00001.0"}, "readPoint"},
		{"readPoint without id", map[string]any{"readPoint": map[string]any{}}, "readPoint.id"},
		{"readPoint not a URI", map[string]any{"readPoint": map[string]any{"id": "warehouse 7"}}, "absolute URI"},
		{"bad sgln", map[string]any{"readPoint": map[string]any{"id": "urn:epc:id:sgln:95.1.0"}}, "SGLN"},
		{"bizTransaction without id", map[string]any{"bizTransactionList": []any{map[string]any{"type": "po"}}}, "bizTransaction: required"},
		{"bizTransaction bad type", map[string]any{"bizTransactionList": []any{map[string]any{"type": "purchase", "bizTransaction": "urn:x:1"}}}, "type"},
		{"empty bizTransactionList", map[string]any{"bizTransactionList": []any{}}, "empty list"},
		{"source without type", map[string]any{"sourceList": []any{map[string]any{"source": "urn:epc:id:pgln:9506000.00001"}}}, "type and source"},
		{"destination bad type", map[string]any{"destinationList": []any{map[string]any{"type": "home", "destination": "urn:x:1"}}}, "type"},
		{"sensorElementList not array", map[string]any{"sensorElementList": map[string]any{}}, "want an array"},
		{"sensor without report", map[string]any{"sensorElementList": []any{map[string]any{"sensorMetadata": map[string]any{}}}}, "sensorReport: required"},
		{"sensor value a string", map[string]any{"sensorElementList": []any{map[string]any{"sensorReport": []any{map[string]any{"value": "4"}}}}}, "value: want a number"},
		{"sensor unknown field", map[string]any{"sensorElementList": []any{map[string]any{"sensorReport": []any{map[string]any{"reading": 4}}}}}, "reading"},
		{"sensor bad time", map[string]any{"sensorElementList": []any{map[string]any{"sensorMetadata": map[string]any{"time": "noon"}, "sensorReport": []any{map[string]any{"value": 4}}}}}, "time: want a dateTime"},
		{"errorDeclaration without time", map[string]any{"errorDeclaration": map[string]any{"reason": "incorrect_data"}}, "declarationTime"},
		{"errorDeclaration bad reason", map[string]any{"errorDeclaration": map[string]any{"declarationTime": "2026-03-05T00:00:00Z", "reason": "oops"}}, "reason"},
		{"errorDeclaration unknown field", map[string]any{"errorDeclaration": map[string]any{"declarationTime": "2026-03-05T00:00:00Z", "who": "me"}}, "who"},
		{"ilmd on OBSERVE", map[string]any{"ilmd": map[string]any{"ex:lot": "1"}}, "ilmd"},
		{"eventID not a URI", map[string]any{"eventID": "event one"}, "eventID"},
		{"persistentDisposition unknown", map[string]any{"persistentDisposition": map[string]any{"set": []any{"shiny"}}}, "persistentDisposition"},
		{"certificationInfo number", map[string]any{"certificationInfo": 3}, "certificationInfo"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseOne(t, event(c.changes))
			checkErr(t, err, cxlerr.Invalid, c.want)
		})
	}
}

func TestEventTypeRequirements(t *testing.T) {
	base := map[string]any{"eventTime": "2026-03-01T09:00:00Z", "eventTimeZoneOffset": "+00:00"}
	with := func(m map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	cases := []struct {
		name string
		ev   map[string]any
		want string
	}{
		{"aggregation ADD without parent", with(map[string]any{"type": "AggregationEvent", "action": "ADD", "childEPCs": []any{"urn:epc:id:sgtin:9506000.013435.S1"}}), "parentID: required"},
		{"aggregation ADD without children", with(map[string]any{"type": "AggregationEvent", "action": "ADD", "parentID": "urn:epc:id:sscc:9506000.0000000017"}), "at least one child"},
		{"parent not an instance", with(map[string]any{"type": "AggregationEvent", "action": "DELETE", "parentID": "urn:epc:class:lgtin:9506000.013435.L1"}), "parentID"},
		{"association without parent", with(map[string]any{"type": "AssociationEvent", "action": "OBSERVE"}), "parentID: required"},
		{"transaction without bizTransactionList", with(map[string]any{"type": "TransactionEvent", "action": "ADD", "epcList": []any{"urn:epc:id:sgtin:9506000.013435.S1"}}), "bizTransactionList: required"},
		{"transformation without inputs", with(map[string]any{"type": "TransformationEvent", "outputEPCList": []any{"urn:epc:id:sgtin:9506000.013435.S1"}}), "at least one input"},
		{"transformation with action", with(map[string]any{"type": "TransformationEvent", "action": "ADD"}), "no such field"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseOne(t, doc(c.ev))
			checkErr(t, err, cxlerr.Invalid, c.want)
		})
	}
	// The aggregation OBSERVE without a parent is allowed.
	if _, err := parseOne(t, doc(with(map[string]any{"type": "AggregationEvent", "action": "OBSERVE", "childEPCs": []any{"urn:epc:id:sgtin:9506000.013435.S1"}}))); err != nil {
		t.Errorf("OBSERVE aggregation without parent: %v", err)
	}
}

func TestQueryDocumentAndProceed(t *testing.T) {
	good := json.RawMessage(`{"type":"ObjectEvent","eventTime":"2026-03-01T09:00:00Z","eventTimeZoneOffset":"+00:00","epcList":["urn:epc:id:sgtin:9506000.013435.S1"],"action":"OBSERVE"}`)
	q := []byte(`{"@context":"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld","type":"EPCISQueryDocument","schemaVersion":"2.0","creationDate":"2026-03-01T08:00:00Z",
		"epcisBody":{"queryResults":{"queryName":"SimpleEventQuery","resultsBody":{"eventList":[` + string(good) + `,{"type":"ObjectEvent"}]}}}}`)
	d, err := ParseDocument(q, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if d.Type != TypeQueryDocument || len(d.Events) != 1 || len(d.Invalid) != 1 || d.Invalid[0].Index != 1 {
		t.Fatalf("query document: %d events, invalid %+v", len(d.Events), d.Invalid)
	}
}

// TestLocationWithEmptyKeySegment: a Digital Link location whose key segment is empty
// (".../8004//x") is kept as the URI it is; it once panicked reading the segment's first
// character, which a hostile document could use to crash the service or the chaincode.
func TestLocationWithEmptyKeySegment(t *testing.T) {
	for _, loc := range []string{"https://example.com/8004//x", "https://example.com/253/", "http://e.org/8003//"} {
		d, err := ParseDocument(event(map[string]any{"bizLocation": map[string]any{"id": loc}}), Limits{MaxBytes: 1 << 16, MaxEvents: 5})
		if err != nil {
			if e := cxlerr.From(err); e.Code != cxlerr.Invalid {
				t.Errorf("%s: error coded %s: %v", loc, e.Code, err)
			}
			continue
		}
		if len(d.Events)+len(d.Invalid) != 1 {
			t.Errorf("%s: %d events, %d invalid", loc, len(d.Events), len(d.Invalid))
		}
	}
}

func FuzzParseDocument(f *testing.F) {
	f.Add(event(map[string]any{"bizLocation": map[string]any{"id": "https://example.com/8004//x"}}))
	f.Add(readDocF(f))
	f.Add(event(nil))
	f.Add([]byte(`{"@context":"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseDocument(data, Limits{MaxBytes: 1 << 16, MaxEvents: 50})
		if err != nil {
			if e := cxlerr.From(err); e.Code != cxlerr.Invalid && e.Code != cxlerr.TooLarge {
				t.Fatalf("error coded %s: %v", e.Code, err)
			}
			return
		}
		for _, e := range d.Events {
			if !ValidHash(e.Hash) {
				t.Fatalf("hash %q", e.Hash)
			}
			// Parsing the event again gives the same hash.
			again, err := ParseEvent(e.JSON, d.Namespaces, "again")
			if err != nil || again.Hash != e.Hash {
				t.Fatalf("event parsed again: %v, hash %s vs %s", err, again.Hash, e.Hash)
			}
		}
	})
}

func readDocF(f *testing.F) []byte {
	data, err := os.ReadFile("testdata/all-types.jsonld")
	if err != nil {
		f.Fatal(err)
	}
	return data
}
