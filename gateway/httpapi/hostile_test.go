package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// TestHostileBodies: a body that is not valid UTF-8, that repeats a key at any depth, or
// that is not declared as JSON is refused as 400 INVALID before any ledger call; encoding/json
// alone would have turned byte 0xFF into U+FFFD and kept the last of two keys.
func TestHostileBodies(t *testing.T) {
	ts := newTestServer(t, nil)
	place := `{"id":"o-1","merchant":"Org1MSP","amount":1200,"currency":"EUR","deadline":"2030-01-02T03:04:05Z","items":[{"sku":"kettle","quantity":1}]}`
	for _, tc := range []struct {
		name, path, body, contentType, want string
	}{
		{"0xFF in a name", "/v1/provenance/products", "{\"gtin\":\"09506000134352\",\"name\":\"Kettle\xff\"}", "application/json", "UTF-8"},
		{"a truncated character", "/v1/provenance/products", "{\"gtin\":\"09506000134352\",\"name\":\"Caf\xc3\"}", "application/json", "UTF-8"},
		{"a repeated key", "/v1/health/pings", `{"nonce":"a","nonce":"b"}`, "application/json", `duplicate key "nonce"`},
		{"a repeated nested key", "/v1/orders/orders", strings.Replace(place, `"quantity":1`, `"quantity":1,"sku":"toaster"`, 1), "application/json", `duplicate key "items[0].sku"`},
		{"no content type", "/v1/health/pings", `{"nonce":"a"}`, "", "application/json"},
		{"text", "/v1/health/pings", `{"nonce":"a"}`, "text/plain", "application/json"},
		{"a form", "/v1/health/pings", `nonce=a`, "application/x-www-form-urlencoded", "application/json"},
		{"another charset", "/v1/health/pings", `{"nonce":"a"}`, "application/json; charset=iso-8859-1", "UTF-8"},
		{"a malformed media type", "/v1/health/pings", `{"nonce":"a"}`, "application/json; charset", "application/json"},
	} {
		r := ts.do(t, "POST", tc.path, tc.body, alice, "Idempotency-Key: hostile", "Content-Type: "+tc.contentType)
		if e := r.envelope(t); r.status != 400 || e.Code != cxlerr.Invalid || !strings.Contains(e.Message, tc.want) {
			t.Errorf("%s: %d %s, want 400 INVALID about %s", tc.name, r.status, r.body, tc.want)
		}
	}
	if n := ts.b.runs.Load(); n != 0 {
		t.Fatalf("%d hostile bodies reached the ledger", n)
	}
	for i, ct := range []string{"application/json; charset=utf-8", "Application/JSON"} {
		r := ts.do(t, "POST", "/v1/health/pings", `{"nonce":"a"}`, alice, "Idempotency-Key: ct-"+string(rune('a'+i)), "Content-Type: "+ct)
		if r.status != 200 {
			t.Errorf("Content-Type %s: %d %s", ct, r.status, r.body)
		}
	}
}

// TestHostileParameters: a path or query parameter that is not valid UTF-8 is refused as
// 400 INVALID before any ledger call, on every route that takes parameters.
func TestHostileParameters(t *testing.T) {
	ts := newTestServer(t, nil)
	for _, path := range []string{
		"/v1/orders/orders/o%FF1",
		"/v1/orders/customer-orders?customer=Org1MSP%2F%FF",
		"/v1/orders/customer-orders?%FF=1",
		"/v1/provenance/verify/09506000134352/S%C3",
		"/v1/transactions/tx%FF",
		"/v1/events?contract=%FF",
	} {
		r := ts.do(t, "GET", path, "", alice)
		if e := r.envelope(t); r.status != 400 || e.Code != cxlerr.Invalid || !strings.Contains(e.Message, "UTF-8") {
			t.Errorf("%s: %d %s, want 400 INVALID about UTF-8", path, r.status, r.body)
		}
	}
	if ts.b.lastOp != nil || ts.b.lastSubs.Contract != "" {
		t.Fatalf("a hostile parameter reached the ledger: %v %+v", ts.b.lastOp.Name(), ts.b.lastSubs)
	}
}

// TestErrorsNeverEchoLongIdentifiers: whatever its code, an error envelope repeats no word
// of more than 128 bytes whole, in its message or its details: it shows the first bytes, an
// ellipsis and the length, cut on a character boundary.
func TestErrorsNeverEchoLongIdentifiers(t *testing.T) {
	ts := newTestServer(t, nil)
	long := strings.Repeat("o", 300)
	euros := strings.Repeat("€", 50) // 150 bytes; byte 128 is inside a character
	for _, code := range cxlerr.Codes() {
		e := cxlerr.Errorf(code, "order %q of %s not found", long, euros)
		e.Details = []cxlerr.Detail{{Address: "peer0:7051", MSPID: "Org1MSP", Message: "chaincode: order " + long}}
		w := httptest.NewRecorder()
		ts.writeError(w, httptest.NewRequest("GET", "/", nil), e)
		var got cxlerr.Error
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatalf("%s: %v", code, err)
		}
		for _, msg := range []string{got.Message, got.Details[0].Message} {
			if strings.Contains(msg, long[:129]) || !strings.Contains(msg, "…(302 bytes)") && !strings.Contains(msg, "…(300 bytes)") {
				t.Errorf("%s: %q echoes the identifier or does not say its length", code, msg)
			}
		}
		if !strings.HasPrefix(got.Message, `order "`+long[:127]+`…(302 bytes) of `+strings.Repeat("€", 42)+"…(150 bytes) not found") || !utf8.ValidString(got.Message) {
			t.Errorf("%s: message %q", code, got.Message)
		}
		if got.Code != code || e.Message == got.Message {
			t.Errorf("%s: the envelope is %+v, the error %q", code, got, e.Message)
		}
	}
	// From a request: the unknown endpoint's path, a parameter.
	for _, path := range []string{"/v1/nowhere/" + long, "/v1/orders/customer-orders?pageSize=" + long} {
		r := ts.do(t, "GET", path, "", alice)
		if r.status < 400 || strings.Contains(r.body, long[:129]) || !strings.Contains(r.body, "bytes)") {
			t.Errorf("%.40s: %d %s", path, r.status, r.body)
		}
	}
}

// FuzzDecodeBody sends hostile bodies to every transaction's decoding: it never panics,
// refuses only with INVALID, refuses every body that is not valid UTF-8, and what it
// accepts is a valid request that encodes to JSON it accepts again as the same request.
func FuzzDecodeBody(f *testing.F) {
	ops := submitOperations()
	f.Add(uint(0), []byte(`{"nonce":"n1"}`))
	f.Add(uint(1), []byte(`{"gtin":"09506000134352","name":"Kettle"}`))
	f.Add(uint(2), []byte("{\"gtin\":\"09506000134352\",\"name\":\"Kettle\xff\"}"))
	f.Add(uint(3), []byte(`{"a":{"b":1,"b":2}}`))
	f.Add(uint(4), []byte(`{"id":"o1","merchant":"Org1MSP","amount":1200,"currency":"EUR","deadline":"2030-01-02T03:04:05Z","items":[{"sku":"k","quantity":1}]} x`))
	f.Add(uint(5), []byte(`[]`))
	f.Fuzz(func(t *testing.T, i uint, body []byte) {
		op := ops[i%uint(len(ops))]
		req, err := decodeBody(op, body, 1<<16)
		if err != nil {
			if cxlerr.CodeOf(err) != cxlerr.Invalid {
				t.Fatalf("%s refused %q with %v, want INVALID", op.Name(), body, err)
			}
			return
		}
		if !utf8.Valid(body) {
			t.Fatalf("%s accepted %q, not valid UTF-8", op.Name(), body)
		}
		if err := ledgerapi.Validate(req); err != nil {
			t.Fatalf("%s accepted an invalid request: %v", op.Name(), err)
		}
		again, err := json.Marshal(req)
		if err != nil {
			t.Fatalf("%s: encode %+v: %v", op.Name(), req, err)
		}
		req2, err := decodeBody(op, again, 1<<16)
		if err != nil {
			t.Fatalf("%s: %s, the encoding of an accepted request, refused: %v", op.Name(), again, err)
		}
		if third, _ := json.Marshal(req2); string(third) != string(again) {
			t.Fatalf("%s: %s read back as %s", op.Name(), again, third)
		}
	})
}

// submitOperations are the transactions, in declaration order.
func submitOperations() []*ledgerapi.Operation {
	var ops []*ledgerapi.Operation
	for _, op := range ledgerapi.Operations() {
		if op.Kind == ledgerapi.Submit {
			ops = append(ops, op)
		}
	}
	return ops
}

// FuzzIdempotencyKey: a key is accepted exactly when it is 1 to 128 printable ASCII
// characters without spaces, and refused as INVALID otherwise.
func FuzzIdempotencyKey(f *testing.F) {
	for _, k := range []string{"k1", "", "has space", strings.Repeat("k", 129), "ключ", "tab\t", "~!@#"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		got, err := parseIdempotencyKey(key)
		printable := key != "" && len(key) <= maxIdempotencyKey && !strings.ContainsFunc(key, func(r rune) bool { return r < 0x21 || r > 0x7e })
		switch {
		case printable && (err != nil || got != key):
			t.Fatalf("%q refused: %v", key, err)
		case !printable && err == nil:
			t.Fatalf("%q accepted", key)
		case !printable && cxlerr.CodeOf(err) != cxlerr.Invalid:
			t.Fatalf("%q refused with %v, want INVALID", key, err)
		}
	})
}

// positionText is what an accepted position looks like: a block number and a transaction
// index, in decimal.
var positionText = regexp.MustCompile(`^[0-9]+:[+-]?[0-9]+$`)

// FuzzLastEventID: a resume position from Last-Event-ID (or the after parameter) is
// accepted only as <block>:<txIndex>, which reads back as the same text's position, and
// refused as INVALID otherwise; Last-Event-ID takes precedence.
func FuzzLastEventID(f *testing.F) {
	for _, id := range []string{"10:1", "0:0", "", "bad", "1:-1", "18446744073709551615:0", "18446744073709551616:0", "1:2:3", " 1:2", "+1:2"} {
		f.Add(id, "3:4")
	}
	f.Fuzz(func(t *testing.T, lastID, after string) {
		r := httptest.NewRequest("GET", "/v1/events", nil)
		r.URL.RawQuery = "after=" + url.QueryEscape(after)
		r.Header = http.Header{"Last-Event-Id": {lastID}}
		q, err := eventQuery(r)
		given := lastID
		if given == "" {
			given = after
		}
		if err != nil {
			if cxlerr.CodeOf(err) != cxlerr.Invalid {
				t.Fatalf("%q refused with %v, want INVALID", given, err)
			}
			return
		}
		if given == "" {
			if q.After != nil {
				t.Fatalf("no position given, resumes after %v", q.After)
			}
			return
		}
		want, err := ledgerapi.ParsePosition(given)
		if err != nil || *q.After != want || !positionText.MatchString(given) {
			t.Fatalf("%q accepted as %v", given, q.After)
		}
		if back, err := ledgerapi.ParsePosition(q.After.String()); err != nil || back != want {
			t.Fatalf("%q accepted as %v, which reads back as %v %v", given, q.After, back, err)
		}
	})
}
