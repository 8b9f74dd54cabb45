package strictjson_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/strictjson"
)

type line struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
	Price    int64  `json:"price"`
}

type order struct {
	OrderID string            `json:"orderId"`
	Lines   []line            `json:"lines"`
	Notes   map[string]string `json:"notes"`
	Due     time.Time         `json:"due"`
	Matrix  [][]int           `json:"matrix"`
	Any     any               `json:"any"`
}

const max = 1 << 10

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		wantErr string
	}{
		{"object", `{"orderId":"O1","lines":[{"sku":"A","quantity":2,"price":150}]}`, ""},
		{"surrounding space", " \n{\"orderId\":\"O1\"}\t ", ""},
		{"null", `null`, "want an object, got JSON null"},
		{"empty array for an object", `[]`, "want an object, got JSON array"},
		{"string for an object", `"x"`, "want an object, got JSON string"},
		{"empty object", `{}`, ""},
		{"nested arrays", `{"matrix":[[1,2],[3],[]]}`, ""},
		{"same key in sibling objects", `{"lines":[{"sku":"A"},{"sku":"B"}],"notes":{"sku":"C"}}`, ""},
		{"same key at two depths", `{"any":{"any":{"any":1}}}`, ""},
		{"keys differing in escapes only", `{"notes":{"a":"1","\u0062":"2"}}`, ""},
		{"huge number in any", `{"any":1e400}`, "any: want a number, got JSON number 1e400"},
		{"empty", ``, "empty, want a JSON value"},
		{"blank", "  \n", "empty, want a JSON value"},
		{"unknown field", `{"orderId":"O1","discount":5}`, `unknown field "discount"`},
		{"unknown nested field", `{"lines":[{"sku":"A","colour":"red"}]}`, `unknown field "colour"`},
		{"duplicate key", `{"orderId":"O1","orderId":"O2"}`, `duplicate key "orderId" at offset 16`},
		{"duplicate key after space", `{"a" :1, "a":2}`, `duplicate key "a" at offset 9`},
		{"duplicate nested key", `{"lines":[{"sku":"A"},{"sku":"B","quantity":1,"sku":"C"}]}`, `duplicate key "lines[1].sku" at offset 46`},
		{"duplicate map key", `{"notes":{"a":"1","a":"2"}}`, `duplicate key "notes.a"`},
		{"duplicate key by escape", `{"notes":{"a":"1","\u0061":"2"}}`, `duplicate key "notes.a"`},
		{"duplicate unknown key", `{"x":1,"x":2}`, `duplicate key "x" at offset 7`},
		{"keys differing in case only", `{"orderId":"O1","ORDERID":"O2"}`, `duplicate key "ORDERID" at offset 16`},
		{"surrogate pair", `{"orderId":"\ud83d\ude00"}`, ""},
		{"escaped backslash before u", `{"orderId":"\\ud800"}`, ""},
		{"lone high surrogate", `{"orderId":"O\ud800"}`, "escape at offset 13 is half of a UTF-16 surrogate pair"},
		{"high surrogate then text", `{"orderId":"\ud800abcdef"}`, "half of a UTF-16 surrogate pair"},
		{"high surrogate then high", `{"orderId":"\ud800\ud800"}`, "half of a UTF-16 surrogate pair"},
		{"lone low surrogate", `{"orderId":"\udc00"}`, "escape at offset 12 is half of a UTF-16 surrogate pair"},
		{"duplicate deep in any", `{"any":[{"k":[{"z":1,"z":2}]}]}`, `duplicate key "any[0].k[0].z"`},
		{"two values", `{"orderId":"O1"} {"orderId":"O2"}`, "unexpected data after the JSON value, which ends at offset 16"},
		{"trailing garbage", `{"orderId":"O1"}x`, "unexpected data after the JSON value"},
		{"trailing brace", `{"orderId":"O1"}}`, "unexpected data after the JSON value"},
		{"trailing comma", `[1,2],`, "unexpected data after the JSON value"},
		{"syntax error", `{"orderId":"O1",}`, "invalid JSON at offset 16: invalid character '}' looking for beginning of object key string"},
		{"missing colon", `{"orderId" "O1"}`, "invalid JSON at offset"},
		{"truncated object", `{"orderId":"O1"`, "JSON ends early"},
		{"truncated string", `{"orderId":"O1`, "JSON ends early"},
		{"truncated array", `{"lines":[`, "JSON ends early"},
		{"wrong type", `{"orderId":7}`, "orderId: want a string, got JSON number at offset 12"},
		{"wrong nested type", `{"lines":[{"quantity":"2"}]}`, "lines.quantity: want an integer, got JSON string"},
		{"fraction for integer", `{"lines":[{"price":1.5}]}`, "lines.price: want an integer, got JSON number 1.5"},
		{"array for object", `[1]`, "want an object, got JSON array"},
		{"bad time", `{"due":"tomorrow"}`, "parsing time"},
		{"invalid utf8 in string", "{\"orderId\":\"\xff\"}", "not valid UTF-8 at offset 12"},
		{"invalid utf8 in key", "{\"\xc3\":1}", "not valid UTF-8 at offset 2"},
		{"truncated rune", "\"\xe2\x82\"", "not valid UTF-8 at offset 1"},
		{"too large", `{"orderId":"` + strings.Repeat("a", max) + `"}`, "1038 bytes, more than 1024"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v order
			err := strictjson.Decode([]byte(tt.raw), &v, max)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			e, ok := cxlerr.As(err)
			if !ok || e.Code != cxlerr.Invalid || !strings.Contains(e.Message, tt.wantErr) {
				t.Fatalf("Decode(%q) = %v, want INVALID containing %q", tt.raw, err, tt.wantErr)
			}
		})
	}
}

func TestDecodeValues(t *testing.T) {
	var v order
	err := strictjson.Decode([]byte(`{"orderId":"O1","lines":[{"sku":"A","quantity":2,"price":150}],"notes":{"b":"2","a":"1"},"due":"2026-03-01T10:00:00+01:00","any":{"k":[1,"x"]}}`), &v, max)
	if err != nil {
		t.Fatal(err)
	}
	if v.OrderID != "O1" || len(v.Lines) != 1 || v.Lines[0].Price != 150 || v.Notes["a"] != "1" || !v.Due.Equal(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)) || v.Any == nil {
		t.Fatalf("decoded %+v", v)
	}
}

func TestDecodeScalarsAndExactLimit(t *testing.T) {
	var s string
	raw := `"` + strings.Repeat("a", max-2) + `"`
	if err := strictjson.Decode([]byte(raw), &s, max); err != nil || len(s) != max-2 {
		t.Fatalf("Decode of exactly %d bytes: %v", max, err)
	}
	var n int
	if err := strictjson.Decode([]byte(" 42 "), &n, max); err != nil || n != 42 {
		t.Fatalf("Decode(42) = %d, %v", n, err)
	}
}

func TestDecodeIntoNonPointerIsInternal(t *testing.T) {
	var v order
	for _, target := range []any{v, nil, (*order)(nil)} {
		if err := strictjson.Decode([]byte(`{}`), target, max); cxlerr.CodeOf(err) != cxlerr.Internal {
			t.Errorf("Decode into %T: %v, want INTERNAL", target, err)
		}
	}
}

// FuzzDecode checks that Decode never panics, refuses input only with INVALID errors, accepts
// only valid UTF-8, and accepts only what encoding/json accepts too.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"orderId":"O1","lines":[{"sku":"A","quantity":2,"price":150}]}`))
	f.Add([]byte(`{"orderId":"O1"} {}`))
	f.Add([]byte(`{"lines":[{"quantity":1e400}]}`))
	f.Add([]byte(`{"due":"2026-13-01T00:00:00Z"}`))
	f.Add([]byte(`{"a":1,"a":2}`))
	f.Add([]byte("\"\xff\""))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var v order
		err := strictjson.Decode(raw, &v, max)
		if err != nil {
			if cxlerr.CodeOf(err) != cxlerr.Invalid {
				t.Fatalf("Decode(%q): %v, want INVALID", raw, err)
			}
			return
		}
		var generic any
		if err := strictjson.Decode(raw, &generic, max); err != nil {
			t.Fatalf("Decode(%q) into order succeeded, into any: %v", raw, err)
		}
	})
}
