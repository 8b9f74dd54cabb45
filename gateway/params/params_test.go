package params_test

import (
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/params"
)

type inner struct {
	Kind string `json:"kind"`
	Lot  string `json:"lot,omitempty"`
}

type request struct {
	inner
	ID       string    `json:"id"`
	PageSize int       `json:"pageSize,omitempty"`
	Soon     bool      `json:"soon,omitempty"`
	From     time.Time `json:"from"`
	Skipped  string    `json:"-"`
}

// TestRoundTrip: what Encode renders for a route, Decode reads back into the same request,
// embedded fields flattened and path wildcards escaped.
func TestRoundTrip(t *testing.T) {
	const pattern = "/v1/things/{id}/kinds/{kind}"
	want := request{inner: inner{Kind: "lot/1", Lot: "L 1"}, ID: "Org1MSP/User2", PageSize: 20, Soon: true,
		From: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)}
	path, query, err := params.Encode(pattern, want)
	if err != nil {
		t.Fatal(err)
	}
	if path != "/v1/things/Org1MSP%2FUser2/kinds/lot%2F1" || query.Get("lot") != "L 1" || query.Has("id") || query.Has("Skipped") {
		t.Fatalf("encoded %s ? %s", path, query.Encode())
	}
	u, _ := url.Parse(path)
	segments := map[string]string{"id": "Org1MSP/User2", "kind": "lot/1"}
	var got request
	if err := params.Decode(&got, pattern, func(name string) string { return segments[name] }, query); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded %+v from %s, want %+v", got, u, want)
	}
	fields, err := params.Fields(reflect.TypeFor[request]())
	if err != nil || len(fields) != 6 || fields[0].Name != "kind" || !fields[0].Required || fields[1].Required ||
		fields[5].Format != "date-time" || fields[3].Type != "integer" {
		t.Fatalf("fields %+v %v", fields, err)
	}
}

func TestDecodeRefusesWhatTheTypeDoesNotTake(t *testing.T) {
	none := func(string) string { return "" }
	for _, q := range []string{"pageSize=x", "unknown=1", "pageSize=1&pageSize=2", "from=yesterday", "soon=maybe", "id=x"} {
		query, _ := url.ParseQuery(q)
		var r request
		if err := params.Decode(&r, "/v1/things/{id}", none, query); cxlerr.CodeOf(err) != cxlerr.Invalid {
			t.Errorf("%s: %v, want INVALID", q, err)
		}
	}
	if _, _, err := params.Encode("/v1/things/{id}", request{}); cxlerr.CodeOf(err) != cxlerr.Invalid {
		t.Errorf("an empty path parameter: %v", err)
	}
	if _, err := params.Fields(reflect.TypeFor[struct{ A []string }]()); err == nil {
		t.Error("a slice accepted as a URL parameter")
	}
}
