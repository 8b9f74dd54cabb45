package ledger_test

import (
	"strings"
	"testing"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/cxlerr"
)

// newTx builds the Tx of the stub's current transaction.
func newTx(t *testing.T, stub *ledgertest.Stub) *ledger.Tx {
	t.Helper()
	tx, err := ledger.NewTx(stub)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

// assertCode fails unless err has code and its message contains want.
func assertCode(t *testing.T, err error, code cxlerr.Code, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s containing %q", code, want)
	}
	if cxlerr.CodeOf(err) != code || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q, want %s containing %q", err, code, want)
	}
}

func nonNil(parts []string) []string {
	if parts == nil {
		return []string{}
	}
	return parts
}
