package ledger_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

func TestKey(t *testing.T) {
	long := strings.Repeat("x", ledger.MaxKeyPart)
	tests := []struct {
		name       string
		objectType string
		parts      []string
		wantErr    string
	}{
		{"one part", "provenance.lot", []string{"L1"}, ""},
		{"several parts", "orders.balance", []string{"Org1MSP/alice", "tx.0001"}, ""},
		{"no parts", "ledger.role", nil, ""},
		{"unicode part", "provenance.lot", []string{"Café Ω 🚚"}, ""},
		{"longest part", "provenance.lot", []string{long}, ""},
		{"digits in type", "care.v2ticket", []string{"a"}, ""},
		{"part too long", "provenance.lot", []string{long + "x"}, "key part 1: 257 bytes"},
		{"empty part", "provenance.lot", []string{"a", ""}, "key part 2: empty"},
		{"nul in part", "provenance.lot", []string{"a\x00b"}, "U+0000"},
		{"max rune in part", "provenance.lot", []string{"a\U0010FFFFb"}, "U+10FFFF"},
		{"invalid utf8", "provenance.lot", []string{"a\xffb"}, "not valid UTF-8"},
		{"empty type", "", []string{"a"}, "object type"},
		{"type without contract", "lot", []string{"a"}, "want <contract>.<kind>"},
		{"upper-case type", "Provenance.lot", []string{"a"}, "segment must start with a-z"},
		{"empty segment", "provenance..lot", []string{"a"}, "segment must start with a-z"},
		{"type with dash", "provenance.lot-x", []string{"a"}, "only a-z, 0-9 and dots"},
		{"type too long", "a." + strings.Repeat("b", 63), []string{"a"}, "1 to 64 bytes"},
	}
	stub := ledgertest.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := ledger.Key(stub, tt.objectType, tt.parts...)
			if tt.wantErr != "" {
				assertCode(t, err, cxlerr.Invalid, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			gotType, gotParts, err := new(shim.ChaincodeStub).SplitCompositeKey(key)
			if err != nil || gotType != tt.objectType || !slices.Equal(gotParts, nonNil(tt.parts)) {
				t.Fatalf("split %q = %q %q %v", key, gotType, gotParts, err)
			}
		})
	}
}

func TestKeyWithTx(t *testing.T) {
	stub := ledgertest.New().As("Org1MSP", "alice", "client")
	tx := newTx(t, stub)
	fromTx, err := ledger.Key(tx, "provenance.lot", "a", "b")
	if err != nil {
		t.Fatal(err)
	}
	fromShim, err := shim.CreateCompositeKey("provenance.lot", []string{"a", "b"})
	if err != nil || fromTx != fromShim {
		t.Fatalf("Key via Tx = %q, shim = %q, %v", fromTx, fromShim, err)
	}
}

func TestValidators(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		wantErr string
	}{
		{"id ok", ledgertypes.ValidateID("orderId", "ORD-2026/001 é"), ""},
		{"id empty", ledgertypes.ValidateID("orderId", ""), "orderId: required"},
		{"id too long", ledgertypes.ValidateID("orderId", strings.Repeat("a", 129)), "orderId: 129 bytes"},
		{"id control", ledgertypes.ValidateID("orderId", "a\nb"), "orderId: unprintable character U+000A"},
		{"id nul", ledgertypes.ValidateID("orderId", "a\x00"), "unprintable character U+0000"},
		{"id max rune", ledgertypes.ValidateID("orderId", "a\U0010FFFF"), "unprintable character U+10FFFF"},
		{"id bad utf8", ledgertypes.ValidateID("orderId", "\xc3"), "not valid UTF-8"},
		{"id spaces", ledgertypes.ValidateID("orderId", " a"), "leading or trailing space"},
		{"text ok with spaces", ledgertypes.ValidateText("reason", " spaced out ", 20), ""},
		{"text too long", ledgertypes.ValidateText("reason", "abcdef", 5), "reason: 6 bytes, more than 5"},
		{"msp ok", ledgertypes.ValidateMSP("msp", "Org1MSP"), ""},
		{"msp slash", ledgertypes.ValidateMSP("msp", "Org1/MSP"), "msp: MSP ID"},
		{"msp empty", ledgertypes.ValidateMSP("msp", ""), "msp: MSP ID must be 1 to 64 bytes"},
		{"account ok", ledgertypes.ValidateAccount("to", "Org1MSP/alice/home"), ""},
		{"account without slash", ledgertypes.ValidateAccount("to", "Org1MSP"), "to: account"},
		{"account bad msp", ledgertypes.ValidateAccount("to", "Org 1/alice"), "to: MSP ID"},
		{"account empty name", ledgertypes.ValidateAccount("to", "Org1MSP/"), "to: account name: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.wantErr == "" {
				if tt.err != nil {
					t.Fatal(tt.err)
				}
				return
			}
			assertCode(t, tt.err, cxlerr.Invalid, tt.wantErr)
		})
	}
}

// FuzzKey checks that Key never panics, that every key it builds splits back
// into its parts, and that two different part lists never share a key. The
// part lists are the inputs split at '|'.
func FuzzKey(f *testing.F) {
	f.Add("provenance.lot", "a|b", "a|b|")
	f.Add("orders.balance", "Org1MSP/alice|tx.0001", "Org1MSP/alice\x00tx.0001")
	f.Add("provenance.item", "x", "x\U0010FFFF")
	f.Add("Bad.Type", "é|ü", "\xff")
	f.Fuzz(func(t *testing.T, objectType, joined1, joined2 string) {
		stub := ledgertest.New()
		parts1, parts2 := strings.Split(joined1, "|"), strings.Split(joined2, "|")
		key1, err1 := ledger.Key(stub, objectType, parts1...)
		key2, err2 := ledger.Key(stub, objectType, parts2...)
		for _, c := range []struct {
			key   string
			err   error
			parts []string
		}{{key1, err1, parts1}, {key2, err2, parts2}} {
			if c.err != nil {
				if cxlerr.CodeOf(c.err) != cxlerr.Invalid {
					t.Fatalf("Key(%q, %q): %v, want INVALID", objectType, c.parts, c.err)
				}
				continue
			}
			gotType, gotParts, err := new(shim.ChaincodeStub).SplitCompositeKey(c.key)
			if err != nil || gotType != objectType || !slices.Equal(gotParts, c.parts) {
				t.Fatalf("Key(%q, %q) = %q splits into %q %q %v", objectType, c.parts, c.key, gotType, gotParts, err)
			}
		}
		if err1 == nil && err2 == nil && key1 == key2 && !slices.Equal(parts1, parts2) {
			t.Fatalf("parts %q and %q share key %q", parts1, parts2, key1)
		}
	})
}

// FuzzValidateID checks that every accepted identifier is a valid key part.
func FuzzValidateID(f *testing.F) {
	f.Add("L42")
	f.Add(" spaced ")
	f.Add("a\x00b")
	f.Add("\U0010FFFF")
	f.Fuzz(func(t *testing.T, id string) {
		if ledgertypes.ValidateID("id", id) != nil {
			return
		}
		if _, err := ledger.Key(ledgertest.New(), "test.id", id); err != nil {
			t.Fatalf("ValidateID accepts %q but Key rejects it: %v", id, err)
		}
	})
}
