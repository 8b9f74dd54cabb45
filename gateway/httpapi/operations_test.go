package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/chaincode/health"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/gateway/params"
	"github.com/cxledger/cxledger/ledgerapi"
)

var wildcard = regexp.MustCompile(`\{[^}]+\}`)

// TestEveryOperationIsServed: for every descriptor, a request to its method and path (its
// wildcards filled) reaches the route of exactly that operation, never the mux's 404 or 405.
func TestEveryOperationIsServed(t *testing.T) {
	ts := newTestServer(t, nil)
	for _, op := range ledgerapi.Operations() {
		path := wildcard.ReplaceAllString(op.Path, "w1")
		if _, pattern := ts.mux.Handler(httptest.NewRequest(op.Method(), path, nil)); pattern != op.Method()+" "+op.Path {
			t.Errorf("%s: %s %s is served by %q", op.Name(), op.Method(), path, pattern)
			continue
		}
		r := ts.do(t, op.Method(), path, "{}", alice, "Idempotency-Key: served-"+op.Name())
		if r.status == 405 || strings.Contains(r.body, "no endpoint") {
			t.Errorf("%s: %s %s: %d %s", op.Name(), op.Method(), path, r.status, r.body)
		}
	}
}

// TestOpenAPIMatchesTheDescriptors: every operation is in the document exactly once, under
// its method and path, with its ID, tag, summary and access, its request's schema as the
// body of a transaction or its request's fields as the parameters of a query, and its
// result's schema (in a ledgerapi.Committed for a transaction) as the answer.
func TestOpenAPIMatchesTheDescriptors(t *testing.T) {
	ts := newTestServer(t, nil)
	doc := roundTrip(t, ts.OpenAPI())
	paths := doc["paths"].(map[string]any)
	defs := doc["components"].(map[string]any)["schemas"].(map[string]any)
	ids := map[string]int{}
	for _, ops := range paths {
		for _, o := range ops.(map[string]any) {
			ids[o.(map[string]any)["operationId"].(string)]++
		}
	}
	for _, op := range ledgerapi.Operations() {
		if ids[op.Name()] != 1 {
			t.Errorf("%s is described %d times", op.Name(), ids[op.Name()])
		}
		methods, _ := paths[op.Path].(map[string]any)
		o, ok := methods[strings.ToLower(op.Method())].(map[string]any)
		if !ok {
			t.Errorf("%s: no %s %s", op.Name(), op.Method(), op.Path)
			continue
		}
		if o["operationId"] != op.Name() || o["summary"] != op.Summary || !reflect.DeepEqual(o["tags"], []any{op.Contract}) {
			t.Errorf("%s: described as %v %q %v", op.Name(), o["operationId"], o["summary"], o["tags"])
		}
		if public := len(o["security"].([]any)) == 0; public != (op.Access == ledgerapi.Public) {
			t.Errorf("%s: security %v, access %v", op.Name(), o["security"], op.Access)
		}
		answer := o["responses"].(map[string]any)["200"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
		var ps []any
		if p, ok := o["parameters"]; ok {
			ps = p.([]any)
		}
		if op.Kind == ledgerapi.Submit {
			body, _ := o["requestBody"].(map[string]any)
			if body == nil {
				t.Errorf("%s: no request body", op.Name())
				continue
			}
			sameSchema(t, op.Name()+" request", defs, body["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any), op.Request)
			committed := resolve(defs, answer)
			props := committed["properties"].(map[string]any)
			if len(props) != 3 || props["transactionId"] == nil || props["blockNumber"] == nil {
				t.Errorf("%s: answer %v is no Committed", op.Name(), committed)
			}
			sameSchema(t, op.Name()+" result", defs, props["result"].(map[string]any), op.Result)
			if len(ps) != 1 || ps[0].(map[string]any)["name"] != "Idempotency-Key" {
				t.Errorf("%s: parameters %v, want the Idempotency-Key only", op.Name(), ps)
			}
			continue
		}
		if o["requestBody"] != nil {
			t.Errorf("%s: a query with a request body", op.Name())
		}
		sameSchema(t, op.Name()+" result", defs, answer, op.Result)
		fields, err := params.Fields(op.Request)
		if err != nil || len(fields) != len(ps) {
			t.Errorf("%s: parameters %v, request fields %v %v", op.Name(), ps, fields, err)
			continue
		}
		wild := params.Wildcards(op.Path)
		for i, f := range fields {
			p := ps[i].(map[string]any)
			in := "query"
			for _, w := range wild {
				if w == f.Name {
					in = "path"
				}
			}
			if p["name"] != f.Name || p["in"] != in || p["required"] != (f.Required || in == "path") || p["schema"].(map[string]any)["type"] != f.Type {
				t.Errorf("%s: parameter %v, field %+v", op.Name(), p, f)
			}
		}
	}
}

// TestCommittedSchemaIsTheGenericInstance: the schema of a mutation's answer, made without
// the instance of ledgerapi.Committed, is the one reflection gives the instance, under the
// same name.
func TestCommittedSchemaIsTheGenericInstance(t *testing.T) {
	for _, tc := range []struct{ res, instance reflect.Type }{
		{typeOf[health.Ping](), typeOf[ledgerapi.Committed[health.Ping]]()},
		{typeOf[[]ledgertypes.RoleGrant](), typeOf[ledgerapi.Committed[[]ledgertypes.RoleGrant]]()},
		{typeOf[*ledgerapi.VersionInfo](), typeOf[ledgerapi.Committed[*ledgerapi.VersionInfo]]()},
	} {
		made, reflected := &schemas{defs: map[string]any{}}, &schemas{defs: map[string]any{}}
		got, want := made.committed(tc.res), reflected.of(tc.instance)
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(made.defs, reflected.defs) {
			t.Errorf("Committed[%v]: %v %v, want %v %v", tc.res, got, made.defs, want, reflected.defs)
		}
	}
}

// sameSchema checks that got, a schema of the document, describes t: the schema a new
// generator makes for t, with the components it refers to.
func sameSchema(t *testing.T, what string, defs, got map[string]any, typ reflect.Type) {
	t.Helper()
	g := &schemas{defs: map[string]any{}}
	want := g.of(typ)
	if !reflect.DeepEqual(got, roundTrip(t, want)) {
		t.Errorf("%s: schema %v, want %v (%v)", what, got, want, typ)
		return
	}
	for name, def := range roundTrip(t, g.defs) {
		if !reflect.DeepEqual(defs[name], def) {
			t.Errorf("%s: component %s is %v, want %v", what, name, defs[name], def)
		}
	}
}

// resolve follows a schema's reference.
func resolve(defs, schema map[string]any) map[string]any {
	if ref, ok := schema["$ref"].(string); ok {
		return defs[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
	}
	return schema
}

// roundTrip is v as JSON decodes it.
func roundTrip(t *testing.T, v any) map[string]any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
