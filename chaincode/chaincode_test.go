package chaincode

import (
	"encoding/json"
	"testing"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
)

// TestMetadataListsEveryContract assembles the chaincode (which catches what contractapi
// only reports at start-up: a contract without transactions, a duplicate name, result
// types whose schemas clash) and checks its metadata names every contract and marks the
// queries evaluate-only.
func TestMetadataListsEveryContract(t *testing.T) {
	cc, err := New("test")
	if err != nil {
		t.Fatal(err)
	}
	stub := ledgertest.New()
	stub.SetArgs("org.hyperledger.fabric:GetMetadata")
	resp := cc.Invoke(stub)
	if resp.Status != 200 {
		t.Fatalf("GetMetadata: %d %s", resp.Status, resp.Message)
	}
	var md struct {
		Contracts map[string]struct {
			Transactions []struct {
				Name string   `json:"name"`
				Tags []string `json:"tag"`
			} `json:"transactions"`
		} `json:"contracts"`
	}
	if err := json.Unmarshal(resp.Payload, &md); err != nil {
		t.Fatal(err)
	}
	evaluate := map[string]string{"health": "Version", "consortium": "ListRoles", "provenance": "Verify",
		"orders": "GetOrder", "loyalty": "Balance", "care": "GetTicket"}
	for contract, query := range evaluate {
		c, ok := md.Contracts[contract]
		if !ok {
			t.Fatalf("contract %s missing from metadata", contract)
		}
		found := false
		for _, tx := range c.Transactions {
			if tx.Name == query {
				found = true
				if len(tx.Tags) == 0 || (tx.Tags[0] != "EVALUATE" && tx.Tags[0] != "evaluate") {
					t.Errorf("%s:%s tags = %v, want evaluate", contract, query, tx.Tags)
				}
			}
		}
		if !found {
			t.Errorf("%s:%s missing from metadata", contract, query)
		}
	}
}
