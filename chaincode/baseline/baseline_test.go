package baseline

import (
	"testing"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
)

func TestPut(t *testing.T) {
	stub := ledgertest.New()
	stub.SetArgs("Put", "k1", "v1")
	if resp := (Chaincode{}).Invoke(stub); resp.Status != 200 {
		t.Fatalf("Put: %d %s", resp.Status, resp.Message)
	}
	stub.Commit()
	if got := stub.State("k1"); string(got) != "v1" {
		t.Fatalf("state k1 = %q", got)
	}
	for _, args := range [][]string{{"Get", "k1"}, {"Put", "k1"}, {"Put", "", "v"}} {
		stub.Begin()
		stub.SetArgs(args...)
		if resp := (Chaincode{}).Invoke(stub); resp.Status == 200 {
			t.Errorf("%v succeeded", args)
		}
	}
}
