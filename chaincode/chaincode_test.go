package chaincode

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/cxlerr"
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

// listContract returns a result that its own schema rejects: a nil slice encodes as null
// where the schema wants an array.
type listContract struct{ contractapi.Contract }

// listing is listContract's result.
type listing struct {
	Items []string `json:"items"`
}

// List returns a listing with no items slice.
func (listContract) List() (*listing, error) { return &listing{}, nil }

// TestResultsAreNotCheckedAgainstTheirSchema shows what the assembled chaincode leaves out:
// contractapi's default serializer refuses a result its schema rejects, the assembled
// chaincode's encodes it as it is.
func TestResultsAreNotCheckedAgainstTheirSchema(t *testing.T) {
	checked, err := contractapi.NewChaincode(&listContract{})
	if err != nil {
		t.Fatal(err)
	}
	unchecked, err := assemble("test", &listContract{})
	if err != nil {
		t.Fatal(err)
	}
	if resp := checked.Invoke(ledgertest.New().SetArgs("List")); resp.Status == 200 {
		t.Fatalf("default serializer accepted a result its schema rejects: %s", resp.Payload)
	}
	resp := unchecked.Invoke(ledgertest.New().SetArgs("List"))
	if resp.Status != 200 || string(resp.Payload) != `{"items":null}` {
		t.Fatalf("assembled chaincode: %d %s %s", resp.Status, resp.Message, resp.Payload)
	}
}

// panicContract has a function that panics, as a contract bug reached by hostile input would.
type panicContract struct{ contractapi.Contract }

// Explode panics.
func (panicContract) Explode() error { panic("index out of range") }

// TestPanicIsInternalError: a contract that panics answers that call INTERNAL instead of
// ending the chaincode server, and the next call is served.
func TestPanicIsInternalError(t *testing.T) {
	cc, err := assemble("test", &panicContract{}, &listContract{})
	if err != nil {
		t.Fatal(err)
	}
	resp := cc.Invoke(ledgertest.New().SetArgs("panicContract:Explode"))
	if e, ok := cxlerr.Parse(resp.Message); resp.Status != 500 || !ok || e.Code != cxlerr.Internal || !strings.Contains(e.Message, "Explode failed") {
		t.Fatalf("panicking function: %d %q", resp.Status, resp.Message)
	}
	if resp := cc.Invoke(ledgertest.New().SetArgs("listContract:List")); resp.Status != 200 {
		t.Fatalf("the call after a panic: %d %s", resp.Status, resp.Message)
	}
}
