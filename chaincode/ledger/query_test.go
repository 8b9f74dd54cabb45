package ledger_test

import (
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

// seedRows commits n rows test.row/<group>/<i> for two groups.
func seedRows(t *testing.T, stub *ledgertest.Stub, n int) {
	t.Helper()
	tx := newTx(t, stub)
	for _, group := range []string{"a", "b"} {
		for i := range n {
			key, err := ledger.Key(tx, "test.row", group, fmt.Sprintf("%04d", i))
			if err != nil {
				t.Fatal(err)
			}
			if err := ledger.PutJSON(tx, key, i); err != nil {
				t.Fatal(err)
			}
		}
	}
	stub.Commit()
}

func TestPage(t *testing.T) {
	stub := ledgertest.New().As("Org1MSP", "alice", "client")
	seedRows(t, stub, 120)

	var all []ledger.KV
	bookmark, pages := "", 0
	for {
		tx := newTx(t, stub)
		items, next, err := ledger.Page(tx, "test.row", []string{"a"}, 0, bookmark)
		if err != nil {
			t.Fatal(err)
		}
		if stub.OpenIterators() != 0 {
			t.Fatal("Page left an iterator open")
		}
		all = append(all, items...)
		pages++
		if next == "" {
			break
		}
		bookmark = next
		stub.Begin()
	}
	if pages != 3 || len(all) != 120 {
		t.Fatalf("%d pages, %d rows", pages, len(all))
	}
	for i, kv := range all {
		if kv.Parts[0] != "a" || kv.Parts[1] != fmt.Sprintf("%04d", i) || string(kv.Value) != strconv.Itoa(i) {
			t.Fatalf("row %d = %q %s", i, kv.Parts, kv.Value)
		}
	}

	tx := newTx(t, stub)
	items, next, err := ledger.Page(tx, "test.row", nil, ledgertypes.MaxPageSize, "")
	if err != nil || len(items) != 200 || next == "" {
		t.Fatalf("max page: %d rows, next %q, %v", len(items), next, err)
	}
	items, next, err = ledger.Page(tx, "test.row", []string{"c"}, 10, "")
	if err != nil || len(items) != 0 || items == nil || next != "" {
		t.Fatalf("empty listing: %v %q %v", items, next, err)
	}
}

func TestPageErrors(t *testing.T) {
	stub := ledgertest.New().As("Org1MSP", "alice", "client")
	seedRows(t, stub, 3)
	tx := newTx(t, stub)
	_, otherListing, err := ledger.Page(tx, "test.row", []string{"b"}, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		typ      string
		prefix   []string
		size     int
		bookmark string
		code     cxlerr.Code
		want     string
	}{
		{"size too large", "test.row", nil, 201, "", cxlerr.Invalid, "pageSize: must be 1 to 200, got 201"},
		{"negative size", "test.row", nil, -1, "", cxlerr.Invalid, "pageSize"},
		{"bad prefix", "test.row", []string{""}, 1, "", cxlerr.Invalid, "key part 1: empty"},
		{"bad type", "row", nil, 1, "", cxlerr.Invalid, "object type"},
		{"garbage bookmark", "test.row", []string{"a"}, 1, "%%%", cxlerr.Invalid, "bookmark"},
		{"foreign bookmark", "test.row", []string{"a"}, 1, otherListing, cxlerr.Invalid, "bookmark: not one from this test.row listing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ledger.Page(tx, tt.typ, tt.prefix, tt.size, tt.bookmark)
			assertCode(t, err, tt.code, tt.want)
		})
	}

	// The peer refuses paginated queries in a transaction that writes.
	stub.Begin()
	tx = newTx(t, stub)
	if err := ledger.PutJSON(tx, "x", 1); err != nil {
		t.Fatal(err)
	}
	_, _, err = ledger.Page(tx, "test.row", nil, 1, "")
	assertCode(t, err, cxlerr.Internal, "read-only transaction")
}

func TestScan(t *testing.T) {
	stub := ledgertest.New().As("Org1MSP", "alice", "client")
	seedRows(t, stub, 5)
	tx := newTx(t, stub)

	var seen []string
	more, err := ledger.Scan(tx, "test.row", []string{"a"}, 3, func(kv ledger.KV) error {
		seen = append(seen, kv.Parts[1])
		return nil
	})
	if err != nil || !more || fmt.Sprint(seen) != "[0000 0001 0002]" {
		t.Fatalf("Scan = %v, %v, %v", seen, more, err)
	}
	seen = nil
	more, err = ledger.Scan(tx, "test.row", []string{"b"}, 5, func(kv ledger.KV) error {
		seen = append(seen, kv.Parts[1])
		return nil
	})
	if err != nil || more || len(seen) != 5 {
		t.Fatalf("Scan = %v, %v, %v", seen, more, err)
	}
	stop := errors.New("stop")
	if _, err := ledger.Scan(tx, "test.row", nil, 10, func(ledger.KV) error { return stop }); err != stop {
		t.Fatalf("Scan returned %v, want the callback's error", err)
	}
	if stub.OpenIterators() != 0 {
		t.Fatal("Scan left an iterator open")
	}
	for _, limit := range []int{0, ledger.MaxScan + 1} {
		_, err := ledger.Scan(tx, "test.row", nil, limit, func(ledger.KV) error { return nil })
		assertCode(t, err, cxlerr.Invalid, "scan limit")
	}
	_, err = ledger.Scan(tx, "test.row", []string{"a\x00"}, 1, func(ledger.KV) error { return nil })
	assertCode(t, err, cxlerr.Invalid, "U+0000")
	// Scan works in a transaction that writes.
	if err := ledger.PutJSON(tx, "x", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.Scan(tx, "test.row", nil, 1, func(ledger.KV) error { return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestHistory(t *testing.T) {
	stub := ledgertest.New().As("Org1MSP", "alice", "client")
	key, err := ledger.Key(stub, "test.record", "r1")
	if err != nil {
		t.Fatal(err)
	}
	start := stub.Now()
	var txIDs []string
	for i := range 5 {
		stub.At(start.Add(time.Duration(i) * time.Hour))
		tx := newTx(t, stub)
		txIDs = append(txIDs, tx.ID())
		if i == 3 {
			err = ledger.Delete(tx, key)
		} else {
			err = ledger.PutJSON(tx, key, record{Name: "v", Count: i})
		}
		if err != nil {
			t.Fatal(err)
		}
		stub.Commit()
	}

	tx := newTx(t, stub)
	first, next, err := ledger.History(tx, key, 2, "")
	if err != nil || next != "2" || len(first) != 2 {
		t.Fatalf("page 1: %v %q %v", first, next, err)
	}
	if first[0].TxID != txIDs[4] || string(first[0].Value) != `{"name":"v","count":4}` || !first[0].Time.Equal(start.Add(4*time.Hour)) {
		t.Fatalf("newest entry %+v", first[0])
	}
	if first[1].TxID != txIDs[3] || !first[1].IsDelete || first[1].Value != nil {
		t.Fatalf("delete entry %+v", first[1])
	}
	rest, next, err := ledger.History(tx, key, 0, next)
	if err != nil || next != "" || len(rest) != 3 || rest[2].TxID != txIDs[0] {
		t.Fatalf("page 2: %v %q %v", rest, next, err)
	}
	none, next, err := ledger.History(tx, "missing", 0, "")
	if err != nil || len(none) != 0 || none == nil || next != "" {
		t.Fatalf("missing key: %v %q %v", none, next, err)
	}
	for _, bad := range []string{"-1", "x", "01", " 1"} {
		_, _, err := ledger.History(tx, key, 1, bad)
		assertCode(t, err, cxlerr.Invalid, "not a history bookmark")
	}
	_, _, err = ledger.History(tx, key, 500, "")
	assertCode(t, err, cxlerr.Invalid, "pageSize")
	if stub.OpenIterators() != 0 {
		t.Fatal("History left an iterator open")
	}
}
