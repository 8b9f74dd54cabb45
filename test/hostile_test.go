//go:build integration

package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
	"github.com/cxledger/cxledger/ledgerapi/ledgerapitest"
)

// hostileBudget bounds the hostile-request suite: requests and wall time.
const (
	hostileMaxRequests = 3000
	hostileMaxTime     = 4 * time.Minute
	// hostileMessageMax is the longest error message accepted: no identifier is echoed whole.
	hostileMessageMax = 1024
)

// hostileCase is one hostile request and what it tries.
type hostileCase struct {
	op, what    string
	method      string
	path        string // with the query string
	body        []byte
	contentType string
}

// TestHostileRequests reads the service's OpenAPI document and, for every operation, sends
// requests that are wrong in one way each: bodies that are not JSON, of the wrong shape,
// with missing, unknown or repeated fields, fields of the wrong type, invalid UTF-8,
// oversized strings, negative and overflowing numbers, the wrong media type; parameters
// with invalid UTF-8, oversized values, non-numbers and unknown names. Each must be
// answered with a coded 4xx envelope whose message is short and clear, and none may change
// the ledger: the channel's height is the same afterwards. Then a replay with the same
// Idempotency-Key must return the first outcome without a second transaction, and the same
// key with another body must be refused. The cases are shuffled with a seed it prints
// (CXL_HOSTILE_SEED repeats a run).
func TestHostileRequests(t *testing.T) {
	gw := gwStart(t)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("CXL_HOSTILE_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("CXL_HOSTILE_SEED=%q: %v", s, err)
		}
		seed = n
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	cases := hostileCases(t, gw, rng)
	rng.Shuffle(len(cases), func(i, j int) { cases[i], cases[j] = cases[j], cases[i] })
	if len(cases) > hostileMaxRequests {
		cases = cases[:hostileMaxRequests]
	}

	before := gwHeight(t)
	started := time.Now()
	tried := map[string]int{}
	sent := 0
	for i, c := range cases {
		if time.Since(started) > hostileMaxTime {
			t.Logf("time budget reached after %d of %d requests", i, len(cases))
			break
		}
		sent++
		tried[c.what]++
		r := hostileSend(t, gw, c, fmt.Sprintf("hostile-%d-%d", seed, i))
		for attempt := 0; r.status == http.StatusTooManyRequests && attempt < 20; attempt++ {
			wait, _ := strconv.Atoi(r.header.Get("Retry-After"))
			time.Sleep(time.Duration(max(wait, 1)) * time.Second)
			r = hostileSend(t, gw, c, fmt.Sprintf("hostile-%d-%d-%d", seed, i, attempt))
		}
		if err := hostileRefused(r); err != nil {
			t.Errorf("%s: %s %s (%s): %v\n%.300s", c.op, c.method, hostileShort(c.path), c.what, err, r.body)
		}
	}
	after := gwHeight(t)
	if after != before {
		t.Errorf("the ledger changed: height %d before the hostile requests, %d after", before, after)
	}
	kinds := make([]string, 0, len(tried))
	for k := range tried {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, tried[k]))
	}
	sort.Strings(kinds)
	fmt.Fprintf(os.Stderr, "hostile requests: seed %d, %d sent in %s (%s), height %d -> %d\n",
		seed, sent, time.Since(started).Round(time.Millisecond), strings.Join(kinds, ", "), before, after)

	hostileReplay(t, gw, seed)
}

// hostileRefused checks an answer to a hostile request: a 4xx with the error envelope, a
// known code other than INTERNAL, and a short message.
func hostileRefused(r gwResp) error {
	if r.status < 400 || r.status >= 500 {
		return fmt.Errorf("status %d, want a 4xx", r.status)
	}
	var e cxlerr.Error
	if err := json.Unmarshal(r.body, &e); err != nil {
		return fmt.Errorf("status %d without the error envelope: %v", r.status, err)
	}
	switch {
	case !e.Code.Known() || e.Code == cxlerr.Internal:
		return fmt.Errorf("code %q", e.Code)
	case strings.TrimSpace(e.Message) == "":
		return fmt.Errorf("%s without a message", e.Code)
	case len(e.Message) > hostileMessageMax:
		return fmt.Errorf("%s message of %d bytes", e.Code, len(e.Message))
	}
	return nil
}

// hostileSend sends one case as org1-user1, with its own Idempotency-Key.
func hostileSend(t *testing.T, gw *gwService, c hostileCase, key string) gwResp {
	t.Helper()
	var body io.Reader
	if c.body != nil {
		body = bytes.NewReader(c.body)
	}
	m := gw.member("org1-user1")
	req, err := http.NewRequest(c.method, m.URL+c.path, body)
	if err != nil {
		t.Fatalf("%s: %v", c.what, err)
	}
	req.Header.Set("X-API-Key", gw.keys["org1-user1"])
	if c.method == http.MethodPost {
		req.Header.Set("Idempotency-Key", key)
		req.Header.Set("Content-Type", c.contentType)
	}
	resp, err := m.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, hostileShort(c.path), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read the answer: %v", err)
	}
	return gwResp{status: resp.StatusCode, header: resp.Header, body: data}
}

func hostileShort(s string) string {
	if len(s) > 120 {
		return s[:120] + "..."
	}
	return s
}

// openAPIOperation is what the suite reads of an operation in the OpenAPI document.
type openAPIOperation struct {
	OperationID string `json:"operationId"`
	Parameters  []struct {
		Name   string `json:"name"`
		In     string `json:"in"`
		Schema struct {
			Type string `json:"type"`
		} `json:"schema"`
	} `json:"parameters"`
	RequestBody *struct {
		Content map[string]struct {
			Schema map[string]any `json:"schema"`
		} `json:"content"`
	} `json:"requestBody"`
}

// hostileCases builds the cases of every ledger operation the OpenAPI document lists.
func hostileCases(t *testing.T, gw *gwService, rng *rand.Rand) []hostileCase {
	t.Helper()
	r := gw.get(t, "/openapi.json", "", http.StatusOK)
	var doc struct {
		Paths      map[string]map[string]openAPIOperation `json:"paths"`
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	gwDecode(t, r.body, &doc)
	var cases []hostileCase
	covered := map[string]bool{}
	for path, methods := range doc.Paths {
		for method, o := range methods {
			contract, fn, _ := strings.Cut(o.OperationID, ".")
			op := ledgerapi.Lookup(contract, fn)
			if op == nil {
				continue // probes, transactions, events: not chaincode operations
			}
			covered[op.Name()] = true
			example := hostileExample(t, op, rng)
			switch strings.ToUpper(method) {
			case http.MethodPost:
				var props map[string]any
				var required []string
				if o.RequestBody != nil {
					schema := o.RequestBody.Content["application/json"].Schema
					props, required = hostileObject(doc.Components.Schemas, schema)
				}
				cases = append(cases, hostileBodies(op.Name(), path, example, props, required)...)
			case http.MethodGet:
				cases = append(cases, hostileParams(op.Name(), path, example, o)...)
			}
		}
	}
	for _, op := range ledgerapi.Operations() {
		if !covered[op.Name()] {
			t.Errorf("the OpenAPI document does not list %s", op.Name())
		}
	}
	return cases
}

// hostileExample is the operation's example request as JSON fields, with its identifiers
// made unique so that no case names a record that exists.
func hostileExample(t *testing.T, op *ledgerapi.Operation, rng *rand.Rand) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(ledgerapitest.Example(op.Request)))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("example of %s: %v", op.Name(), err)
	}
	suffix := fmt.Sprintf("h%x", rng.Uint32())
	for _, k := range []string{"id", "ref", "refundId", "program", "order", "orderId", "lot"} {
		if s, ok := m[k].(string); ok {
			m[k] = s + suffix
		}
	}
	return m
}

// hostileObject resolves a body schema to its properties and required fields.
func hostileObject(components map[string]map[string]any, schema map[string]any) (map[string]any, []string) {
	if ref, ok := schema["$ref"].(string); ok {
		schema = components[strings.TrimPrefix(ref, "#/components/schemas/")]
	}
	props, _ := schema["properties"].(map[string]any)
	var required []string
	if list, ok := schema["required"].([]any); ok {
		for _, r := range list {
			required = append(required, fmt.Sprint(r))
		}
	}
	return props, required
}

// invalidUTF8 stands for the byte 0xFF in a marshalled body until hostileJSON replaces it.
const invalidUTF8 = "\u0001INVALID-UTF8\u0001"

// hostileJSON marshals m and puts the raw byte 0xFF where invalidUTF8 stands.
func hostileJSON(m map[string]any) []byte {
	data, _ := json.Marshal(m)
	return bytes.ReplaceAll(data, []byte(`\u0001INVALID-UTF8\u0001`), []byte{0xff})
}

func hostileWith(example map[string]any, key string, value any) map[string]any {
	m := make(map[string]any, len(example)+1)
	for k, v := range example {
		m[k] = v
	}
	m[key] = value
	return m
}

// hostileBodies are the body cases of a mutation.
func hostileBodies(op, path string, example, props map[string]any, required []string) []hostileCase {
	mk := func(what string, body []byte) hostileCase {
		return hostileCase{op: op, what: what, method: http.MethodPost, path: path, body: body, contentType: "application/json"}
	}
	valid := hostileJSON(example)
	cases := []hostileCase{
		mk("not JSON", []byte("not json")),
		mk("an array", []byte("[]")),
		mk("JSON null", []byte("null")),
		mk("trailing data", append(slices.Clone(valid), []byte(` {"x":1}`)...)),
		mk("unknown field", hostileJSON(hostileWith(example, "zzUnknown", 1))),
		mk("empty body", []byte{}),
		{op: op, what: "text/plain", method: http.MethodPost, path: path, body: valid, contentType: "text/plain"},
	}
	for _, r := range required {
		m := hostileWith(example, r, nil)
		delete(m, r)
		cases = append(cases, mk("missing "+r, hostileJSON(m)))
	}
	names := make([]string, 0, len(props))
	for name := range props {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		prop, _ := props[name].(map[string]any)
		typ, _ := prop["type"].(string)
		if _, isRef := prop["$ref"]; isRef {
			typ = "object"
		}
		// A repeated key: the valid value, then another.
		if v, ok := example[name]; ok {
			first, _ := json.Marshal(v)
			dup := append([]byte(`{"`+name+`":`), first...)
			rest := bytes.TrimPrefix(valid, []byte("{"))
			cases = append(cases, mk("repeated "+name, append(append(dup, ','), rest...)))
		}
		switch typ {
		case "string":
			cases = append(cases,
				mk("wrong type "+name, hostileJSON(hostileWith(example, name, 12345))),
				mk("invalid UTF-8 in "+name, hostileJSON(hostileWith(example, name, "ok"+invalidUTF8))),
				mk("oversized "+name, hostileJSON(hostileWith(example, name, strings.Repeat("A", 9<<10)))))
		case "integer", "number":
			cases = append(cases,
				mk("wrong type "+name, hostileJSON(hostileWith(example, name, "12"))),
				mk("negative "+name, hostileJSON(hostileWith(example, name, json.Number("-1")))),
				mk("overflowing "+name, hostileJSON(hostileWith(example, name, json.Number("9223372036854775808")))),
				mk("fractional "+name, hostileJSON(hostileWith(example, name, json.Number("1.5")))))
		case "boolean":
			cases = append(cases, mk("wrong type "+name, hostileJSON(hostileWith(example, name, "yes"))))
		case "array":
			cases = append(cases, mk("wrong type "+name, hostileJSON(hostileWith(example, name, map[string]any{}))))
		case "object":
			cases = append(cases, mk("wrong type "+name, hostileJSON(hostileWith(example, name, []any{}))))
		}
	}
	return cases
}

// hostileParams are the parameter cases of a query: each parameter in turn made hostile,
// the others as in the example.
func hostileParams(op, pattern string, example map[string]any, o openAPIOperation) []hostileCase {
	build := func(override map[string]string) string {
		path := pattern
		q := url.Values{}
		for _, p := range o.Parameters {
			v, set := override[p.Name]
			if !set {
				if ex, ok := example[p.Name]; ok {
					v, set = fmt.Sprint(ex), true
				}
			}
			if !set {
				continue
			}
			if p.In == "path" {
				path = strings.ReplaceAll(path, "{"+p.Name+"}", url.PathEscape(v))
			} else if p.In == "query" {
				q.Set(p.Name, v)
			}
		}
		for k, v := range override {
			if strings.HasPrefix(k, "zz") {
				q.Set(k, v)
			}
		}
		if len(q) > 0 {
			path += "?" + q.Encode()
		}
		return path
	}
	mk := func(what string, override map[string]string) hostileCase {
		return hostileCase{op: op, what: what, method: http.MethodGet, path: build(override)}
	}
	cases := []hostileCase{mk("unknown parameter", map[string]string{"zzUnknown": "1"})}
	for _, p := range o.Parameters {
		if p.In != "path" && p.In != "query" {
			continue
		}
		cases = append(cases,
			mk("invalid UTF-8 in "+p.Name, map[string]string{p.Name: "ok\xff"}),
			mk("oversized "+p.Name, map[string]string{p.Name: strings.Repeat("9", 10<<10)}))
		if p.Schema.Type == "integer" {
			cases = append(cases,
				mk("wrong type "+p.Name, map[string]string{p.Name: "abc"}),
				mk("negative "+p.Name, map[string]string{p.Name: "-1"}),
				mk("overflowing "+p.Name, map[string]string{p.Name: "9223372036854775808"}))
		}
		if p.Schema.Type == "boolean" {
			cases = append(cases, mk("wrong type "+p.Name, map[string]string{p.Name: "perhaps"}))
		}
	}
	return cases
}

// hostileReplay sends one ping twice with the same Idempotency-Key, then the same key with
// another body: the repeat is answered with the first outcome and commits nothing, the
// other body is refused and commits nothing.
func hostileReplay(t *testing.T, gw *gwService, seed uint64) {
	t.Helper()
	key := fmt.Sprintf("hostile-replay-%d", seed)
	nonce := fmt.Sprintf("replay-%d", seed)
	first := gw.do(t, http.MethodPost, "/v1/health/pings", "org1-user1", key, map[string]string{"nonce": nonce})
	first.want(t, http.StatusOK, "first ping")
	height := gwHeight(t)
	again := gw.do(t, http.MethodPost, "/v1/health/pings", "org1-user1", key, map[string]string{"nonce": nonce})
	again.want(t, http.StatusOK, "repeated ping")
	if a, b := first.committed(t), again.committed(t); a.TransactionID != b.TransactionID || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay: transactions %s and %s, Idempotent-Replayed %q", a.TransactionID, b.TransactionID, again.header.Get("Idempotent-Replayed"))
	}
	other := gw.do(t, http.MethodPost, "/v1/health/pings", "org1-user1", key, map[string]string{"nonce": nonce + "-other"})
	other.wantError(t, http.StatusUnprocessableEntity, cxlerr.IdempotencyMismatch, "same key, another body")
	if got := gwHeight(t); got != height {
		t.Errorf("a replay or a mismatched repeat changed the ledger: height %d, then %d", height, got)
	}
}
