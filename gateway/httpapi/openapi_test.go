package httpapi

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPIDescribesExactlyTheRoutes keeps /openapi.json true: every operation it
// describes is served by the mux under exactly that pattern, every pattern the mux serves is
// described, every schema reference resolves, path parameters match the path, mutations
// declare their Idempotency-Key and 202, and the security each operation declares is the
// one the server enforces.
func TestOpenAPIDescribesExactlyTheRoutes(t *testing.T) {
	ts := newTestServer(t, nil)
	r := ts.do(t, "GET", "/openapi.json", "")
	if r.status != 200 {
		t.Fatalf("openapi.json: %d", r.status)
	}
	var doc struct {
		OpenAPI    string                               `json:"openapi"`
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}

	described := map[string]bool{}
	pathParam := regexp.MustCompile(`\{([^}]+)\}`)
	for path, ops := range doc.Paths {
		for method, op := range ops {
			pattern := strings.ToUpper(method) + " " + path
			described[pattern] = true
			req, _ := http.NewRequest(strings.ToUpper(method), "http://x"+pathParam.ReplaceAllString(path, "p1"), nil)
			if _, served := ts.mux.Handler(req); served != pattern {
				t.Errorf("described %s is served as %q", pattern, served)
			}
			var declared []string
			hasIdempotencyKey := false
			for _, p := range asSlice(op["parameters"]) {
				pm := p.(map[string]any)
				if pm["in"] == "path" {
					declared = append(declared, pm["name"].(string))
				}
				if pm["name"] == "Idempotency-Key" && pm["in"] == "header" && pm["required"] == true {
					hasIdempotencyKey = true
				}
			}
			var inPath []string
			for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
				inPath = append(inPath, m[1])
			}
			if !slices.Equal(declared, inPath) {
				t.Errorf("%s declares path parameters %v, the path has %v", pattern, declared, inPath)
			}
			responses := op["responses"].(map[string]any)
			if _, ok := responses["200"]; !ok {
				t.Errorf("%s has no 200 response", pattern)
			}
			if method == "post" {
				if _, ok := responses["202"]; !ok || !hasIdempotencyKey || op["requestBody"] == nil {
					t.Errorf("mutation %s lacks its 202, Idempotency-Key or request body", pattern)
				}
			}
			// Security as declared is security as enforced.
			secured := len(asSlice(op["security"])) > 0
			if secured {
				if _, ok := responses["401"]; !ok {
					t.Errorf("%s needs credentials but describes no 401", pattern)
				}
			}
			if strings.HasSuffix(path, "/events") {
				continue // a stream without credentials would stay open; its 401 is checked below
			}
			got := ts.do(t, strings.ToUpper(method), pathParam.ReplaceAllString(path, "p1"), "{}")
			if secured != (got.status == 401) {
				t.Errorf("%s: declared secured=%v, answered %d without credentials", pattern, secured, got.status)
			}
		}
	}
	if r := ts.do(t, "GET", "/v1/events", ""); r.status != 401 {
		t.Errorf("events without credentials: %d", r.status)
	}
	for _, p := range ts.patterns {
		if !described[p] {
			t.Errorf("served %s is not described", p)
		}
	}
	if len(described) != len(ts.patterns) {
		t.Errorf("%d operations described, %d served", len(described), len(ts.patterns))
	}

	refs := regexp.MustCompile(`"\$ref":"#/components/schemas/([^"]+)"`).FindAllStringSubmatch(r.body, -1)
	if len(refs) == 0 {
		t.Fatal("no schema references")
	}
	for _, m := range refs {
		if _, ok := doc.Components.Schemas[m[1]]; !ok {
			t.Errorf("reference to undefined schema %s", m[1])
		}
	}
	for _, want := range []string{"cxlerr.Error", "ledgerapi.Committed_health.Ping", "ledger.RoleGrant", "ledgerapi.Committed_ledger.RoleGrant", "ledgerapi.RegisterLotRequest", "ledgerapi.Event"} {
		if _, ok := doc.Components.Schemas[want]; !ok {
			t.Errorf("no schema %s", want)
		}
	}
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}
