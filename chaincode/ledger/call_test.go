package ledger_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

type greetArgs struct {
	Name string `json:"name"`
}

func (a greetArgs) Validate() error { return ledgertypes.ValidateID("name", a.Name) }

func greet(tx *ledger.Tx, a greetArgs) (string, error) {
	return "hello " + a.Name + " from " + tx.Caller().Account, nil
}

// assertWire fails unless err is rendered for Fabric as "cxl:<code>: ..." containing want.
func assertWire(t *testing.T, err error, code cxlerr.Code, want string) {
	t.Helper()
	if err == nil || !strings.HasPrefix(err.Error(), "cxl:"+string(code)+": ") || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want cxl:%s: ... containing %q", err, code, want)
	}
}

func TestRun(t *testing.T) {
	stub := ledgertest.New().As("Org1MSP", "alice", "client")
	got, err := ledger.Run(stub, greetArgs{Name: "bob"}, greet)
	if err != nil || got != "hello bob from Org1MSP/alice" {
		t.Fatalf("Run = %q, %v", got, err)
	}
	_, err = ledger.Run(stub, greetArgs{}, greet)
	assertWire(t, err, cxlerr.Invalid, "name: required")
	_, err = ledger.Run(ledgertest.New(), greetArgs{Name: "bob"}, greet)
	assertWire(t, err, cxlerr.Unauthenticated, "identify caller")
	_, err = ledger.Run(stub, greetArgs{Name: "bob"}, func(*ledger.Tx, greetArgs) (int, error) {
		return 0, cxlerr.Errorf(cxlerr.NotFound, "no bob")
	})
	assertWire(t, err, cxlerr.NotFound, "no bob")
}

// pointerArgs validates with a pointer receiver.
type pointerArgs struct {
	N int `json:"n"`
}

func (a *pointerArgs) Validate() error {
	if a.N <= 0 {
		return cxlerr.Errorf(cxlerr.Invalid, "n: must be positive")
	}
	return nil
}

func TestRunValidatesThroughAPointerReceiver(t *testing.T) {
	stub := ledgertest.New().As("Org1MSP", "alice", "client")
	_, err := ledger.Run(stub, pointerArgs{}, func(*ledger.Tx, pointerArgs) (int, error) { return 1, nil })
	assertWire(t, err, cxlerr.Invalid, "n: must be positive")
}

func TestQuery(t *testing.T) {
	stub := ledgertest.New().As("Org1MSP", "alice", "client")
	got, err := ledger.Query(stub, func(tx *ledger.Tx) (string, error) { return tx.Caller().Account, nil })
	if err != nil || got != "Org1MSP/alice" {
		t.Fatalf("Query = %q, %v", got, err)
	}
	_, err = ledger.Query(stub, func(*ledger.Tx) (string, error) { return "", cxlerr.Errorf(cxlerr.Forbidden, "no") })
	assertWire(t, err, cxlerr.Forbidden, "no")
	_, err = ledger.Query(ledgertest.New(), func(*ledger.Tx) (string, error) { return "", nil })
	assertWire(t, err, cxlerr.Unauthenticated, "identify caller")
}

type nonce string

func TestSerializerFromString(t *testing.T) {
	var s ledger.Serializer
	v, err := s.FromString(`{"name":"bob"}`, reflect.TypeFor[greetArgs](), nil, nil)
	if err != nil || v.Interface() != (greetArgs{Name: "bob"}) {
		t.Fatalf("struct: %v, %v", v, err)
	}
	v, err = s.FromString(`{"name":"bob"}`, reflect.TypeFor[*greetArgs](), nil, nil)
	if err != nil || *v.Interface().(*greetArgs) != (greetArgs{Name: "bob"}) {
		t.Fatalf("pointer: %v, %v", v, err)
	}
	v, err = s.FromString(`{"a":1,"a":2}`, reflect.TypeFor[nonce](), nil, nil)
	if err != nil || v.Interface() != nonce(`{"a":1,"a":2}`) {
		t.Fatalf("string: %v, %v", v, err)
	}
	for _, tt := range []struct{ raw, want string }{
		{`{"name":"a","name":"b"}`, `arguments: duplicate key "name" at offset 12`},
		{`{"nom":"bob"}`, `arguments: unknown field "nom"`},
		{"{\"name\":\"\xff\"}", "arguments: not valid UTF-8 at offset 9"},
		{`{"name":"bob"} x`, "arguments: unexpected data after the JSON value"},
		{``, "arguments: empty"},
	} {
		_, err := s.FromString(tt.raw, reflect.TypeFor[greetArgs](), nil, nil)
		assertWire(t, err, cxlerr.Invalid, tt.want)
	}
	_, err = s.FromString(`1`, reflect.TypeFor[int](), nil, nil)
	assertWire(t, err, cxlerr.Internal, "parameter type int is not supported")
}

func TestSerializerToString(t *testing.T) {
	var s ledger.Serializer
	out, err := s.ToString(reflect.ValueOf(&greetArgs{Name: "bob"}), reflect.TypeFor[*greetArgs](), nil, nil)
	if err != nil || out != `{"name":"bob"}` {
		t.Fatalf("ToString = %q, %v", out, err)
	}
}
