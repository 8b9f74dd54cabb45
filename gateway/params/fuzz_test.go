package params_test

import (
	"net/url"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/params"
)

// FuzzDecode binds hostile query strings and path values: Decode never panics, refuses
// only with INVALID, never accepts text that is not valid UTF-8, and what it accepts
// Encode renders back into parameters that Decode reads as the same request.
func FuzzDecode(f *testing.F) {
	f.Add("kind=lot&lot=L%201&pageSize=20&soon=true&from=2026-01-02T03:04:05.000000006Z", "Org1MSP/User2")
	f.Add("kind=%FF", "id")
	f.Add("pageSize=99999999999999999999", "x")
	f.Add("from=2026-13-01T00:00:00Z", "x")
	f.Add("%zz=1&kind=a", "\xff")
	f.Fuzz(func(t *testing.T, rawQuery, id string) {
		const pattern = "/v1/things/{id}"
		query, _ := url.ParseQuery(rawQuery)
		var got request
		err := params.Decode(&got, pattern, func(string) string { return id }, query)
		if err != nil {
			if cxlerr.CodeOf(err) != cxlerr.Invalid {
				t.Fatalf("refused with %v, want INVALID", err)
			}
			return
		}
		for _, s := range []string{got.Kind, got.Lot, got.ID} {
			if !utf8.ValidString(s) {
				t.Fatalf("accepted %q, not valid UTF-8", s)
			}
		}
		if got.ID != id {
			t.Fatalf("path parameter %q decoded as %q", id, got.ID)
		}
		if id == "" {
			return // Encode refuses an empty path parameter
		}
		path, q, err := params.Encode(pattern, got)
		if err != nil {
			t.Fatalf("encode %+v: %v", got, err)
		}
		var again request
		if err := params.Decode(&again, pattern, func(string) string { return got.ID }, q); err != nil {
			t.Fatalf("decode %s?%s: %v", path, q.Encode(), err)
		}
		if !again.From.Equal(got.From) {
			t.Fatalf("from %v read back as %v", got.From, again.From)
		}
		again.From = got.From
		if !reflect.DeepEqual(again, got) {
			t.Fatalf("%+v read back as %+v", got, again)
		}
	})
}
