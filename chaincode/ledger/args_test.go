package ledger_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

type lineArgs struct {
	SKU      string             `json:"sku"`
	Quantity int                `json:"quantity"`
	Price    ledgertypes.Amount `json:"price"`
}

type orderArgs struct {
	OrderID string            `json:"orderId"`
	Lines   []lineArgs        `json:"lines"`
	Notes   map[string]string `json:"notes"`
	Due     time.Time         `json:"due"`
}

func TestDecodeArgs(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		wantErr string
	}{
		{"object", `{"orderId":"O1","lines":[{"sku":"A","quantity":2,"price":150}]}`, ""},
		{"surrounding space", " \n{\"orderId\":\"O1\"}\t ", ""},
		{"null", `null`, "arguments: want an object, got JSON null"},
		{"empty", ``, "arguments: empty"},
		{"blank", "  \n", "arguments: empty"},
		{"unknown field", `{"orderId":"O1","discount":5}`, `arguments: unknown field "discount"`},
		{"unknown nested field", `{"lines":[{"sku":"A","colour":"red"}]}`, `arguments: unknown field "colour"`},
		{"two values", `{"orderId":"O1"} {"orderId":"O2"}`, "unexpected data after the JSON value, which ends at offset 16"},
		{"trailing garbage", `{"orderId":"O1"}x`, "unexpected data after the JSON value"},
		{"trailing brace", `{"orderId":"O1"}}`, "unexpected data after the JSON value"},
		{"syntax error", `{"orderId":"O1",}`, "arguments: invalid JSON at offset 16"},
		{"duplicate key", `{"orderId":"O1","orderId":"O2"}`, `arguments: duplicate key "orderId" at offset 16`},
		{"duplicate nested key", `{"lines":[{"sku":"A","sku":"B"}]}`, `arguments: duplicate key "lines[0].sku"`},
		{"truncated", `{"orderId":"O1"`, "arguments: JSON ends early"},
		{"wrong type", `{"orderId":7}`, "arguments: orderId: want a string, got JSON number at offset 12"},
		{"wrong nested type", `{"lines":[{"quantity":"2"}]}`, "arguments: lines.quantity: want an integer, got JSON string"},
		{"fraction for amount", `{"lines":[{"price":1.5}]}`, "arguments: lines.price: want an integer, got JSON number 1.5"},
		{"array for object", `[1]`, "arguments: want an object, got JSON array"},
		{"bad time", `{"due":"tomorrow"}`, "arguments: parsing time"},
		{"invalid utf8", "{\"orderId\":\"\xff\"}", "arguments: not valid UTF-8 at offset 12"},
		{"too large", `{"orderId":"` + strings.Repeat("a", ledger.MaxArgs) + `"}`, "arguments: 65550 bytes, more than 65536"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v orderArgs
			err := ledger.DecodeArgs(tt.raw, &v)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			assertCode(t, err, cxlerr.Invalid, tt.wantErr)
		})
	}
}

func TestDecodeArgsValues(t *testing.T) {
	var v orderArgs
	err := ledger.DecodeArgs(`{"orderId":"O1","lines":[{"sku":"A","quantity":2,"price":150}],"notes":{"b":"2","a":"1"},"due":"2026-03-01T10:00:00+01:00"}`, &v)
	if err != nil {
		t.Fatal(err)
	}
	if v.OrderID != "O1" || len(v.Lines) != 1 || v.Lines[0].Price != 150 || v.Notes["a"] != "1" || !v.Due.Equal(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("decoded %+v", v)
	}
}

func TestDecodeArgsNonPointerIsInternal(t *testing.T) {
	var v orderArgs
	assertCode(t, ledger.DecodeArgs(`{}`, v), cxlerr.Internal, "want a non-nil pointer")
}

// FuzzDecodeArgs checks that DecodeArgs never panics and rejects input only
// with INVALID errors.
func FuzzDecodeArgs(f *testing.F) {
	f.Add(`{"orderId":"O1","lines":[{"sku":"A","quantity":2,"price":150}]}`)
	f.Add(`{"orderId":"O1"} {}`)
	f.Add(`{"lines":[{"quantity":1e400}]}`)
	f.Add(`{"due":"2026-13-01T00:00:00Z"}`)
	f.Add("\"\xff\"")
	f.Fuzz(func(t *testing.T, raw string) {
		var v orderArgs
		err := ledger.DecodeArgs(raw, &v)
		if err != nil && cxlerr.CodeOf(err) != cxlerr.Invalid {
			t.Fatalf("DecodeArgs(%q): %v, want INVALID", raw, err)
		}
	})
}
