package loyaltycc_test

import (
	"fmt"
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/cxledger/cxledger/chaincode"
)

// BenchmarkEarnThroughContractAPI runs one loyalty earn as the chaincode server does
// (contractapi's dispatch, the ledger kit, JSON in and out, on the in-memory stub), once
// with contractapi's default serializer, which checks the result against its JSON schema,
// and once as the assembled cxledger chaincode, which does not (package chaincode).
func BenchmarkEarnThroughContractAPI(b *testing.B) {
	checked, err := contractapi.NewChaincode(chaincode.Contracts("bench")...)
	if err != nil {
		b.Fatal(err)
	}
	assembled, err := chaincode.New("bench")
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		cc   shim.Chaincode
	}{{"schema-checked", checked}, {"assembled", assembled}} {
		b.Run(c.name, func(b *testing.B) {
			e := newEnv(b)
			e.stub.AsIdentity(acme.id())
			for i := 0; b.Loop(); i++ {
				args := js(map[string]any{"program": "acme", "id": fmt.Sprintf("e-%d", i), "account": alice.account(), "amount": 5000})
				if resp := c.cc.Invoke(e.stub.SetArgs("loyalty:Earn", args)); resp.Status != 200 {
					b.Fatalf("earn: %d %s", resp.Status, resp.Message)
				}
				e.stub.Commit()
			}
		})
	}
}
