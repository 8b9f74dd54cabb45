package ledger_test

import (
	"testing"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/cxlerr"
)

type greetArgs struct {
	Name string `json:"name"`
}

func (a greetArgs) Validate() error { return ledger.ValidateID("name", a.Name) }

func greet(tx *ledger.Tx, a greetArgs) (string, error) {
	return "hello " + a.Name + " from " + tx.Caller().Account, nil
}

func TestCall(t *testing.T) {
	stub := ledgertest.New().As("Org1MSP", "alice", "client")
	got, err := ledger.Call(stub, `{"name":"bob"}`, greet)
	if err != nil || got != "hello bob from Org1MSP/alice" {
		t.Fatalf("Call = %q, %v", got, err)
	}
	_, err = ledger.Call(stub, `{"name":""}`, greet)
	assertCode(t, err, cxlerr.Invalid, "name: required")
	_, err = ledger.Call(stub, `{"nom":"bob"}`, greet)
	assertCode(t, err, cxlerr.Invalid, `unknown field "nom"`)
	_, err = ledger.Call(ledgertest.New(), `{"name":"bob"}`, greet)
	assertCode(t, err, cxlerr.Unauthenticated, "identify caller")
}
