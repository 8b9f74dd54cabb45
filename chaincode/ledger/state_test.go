package ledger_test

import (
	"testing"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/cxlerr"
)

type record struct {
	Name  string            `json:"name"`
	Count int               `json:"count"`
	Tags  map[string]string `json:"tags,omitempty"`
}

func TestJSONState(t *testing.T) {
	stub := ledgertest.New().As("Org1MSP", "alice", "client")
	tx := newTx(t, stub)
	key, err := ledger.Key(tx, "test.record", "r1")
	if err != nil {
		t.Fatal(err)
	}
	var got record
	if found, err := ledger.GetJSON(tx, key, &got); found || err != nil {
		t.Fatalf("GetJSON before write = %v, %v", found, err)
	}
	assertCode(t, ledger.MustGetJSON(tx, key, &got), cxlerr.NotFound, "test.record r1 not found")

	if err := ledger.PutJSON(tx, key, record{Name: "one", Count: 1, Tags: map[string]string{"z": "1", "a": "2"}}); err != nil {
		t.Fatal(err)
	}
	// Fabric does not read its own writes.
	if found, err := ledger.GetJSON(tx, key, &got); found || err != nil {
		t.Fatalf("GetJSON after write in the same transaction = %v, %v", found, err)
	}
	if w := stub.Writes(); len(w) != 1 || string(w[0].Value) != `{"name":"one","count":1,"tags":{"a":"2","z":"1"}}` {
		t.Fatalf("writes %+v", w)
	}
	stub.Commit()

	tx = newTx(t, stub)
	if err := ledger.MustGetJSON(tx, key, &got); err != nil || got.Name != "one" || got.Count != 1 {
		t.Fatalf("MustGetJSON = %+v, %v", got, err)
	}
	if err := ledger.Delete(tx, key); err != nil {
		t.Fatal(err)
	}
	stub.Commit()
	tx = newTx(t, stub)
	if found, err := ledger.GetJSON(tx, key, &got); found || err != nil {
		t.Fatalf("GetJSON after delete = %v, %v", found, err)
	}
}

func TestJSONStateErrors(t *testing.T) {
	stub := ledgertest.New().As("Org1MSP", "alice", "client")
	if err := stub.PutState("corrupt", []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	stub.Commit()
	tx := newTx(t, stub)
	var got record
	_, err := ledger.GetJSON(tx, "corrupt", &got)
	assertCode(t, err, cxlerr.Internal, `decode "corrupt"`)
	assertCode(t, ledger.PutJSON(tx, "k", func() {}), cxlerr.Internal, `encode "k"`)
	assertCode(t, ledger.PutJSON(tx, "", record{}), cxlerr.Internal, "write")
}

func TestDescribeKey(t *testing.T) {
	stub := ledgertest.New()
	for _, tt := range []struct {
		parts []string
		want  string
	}{
		{[]string{"09506000134352", "L/42"}, "provenance.lot 09506000134352/L/42"},
		{nil, "provenance.lot"},
	} {
		key, err := ledger.Key(stub, "provenance.lot", tt.parts...)
		if err != nil {
			t.Fatal(err)
		}
		if got := ledger.DescribeKey(key); got != tt.want {
			t.Fatalf("DescribeKey = %q, want %q", got, tt.want)
		}
	}
	if got := ledger.DescribeKey("plain\x01"); got != `"plain\x01"` {
		t.Fatalf("DescribeKey(simple) = %q", got)
	}
}
