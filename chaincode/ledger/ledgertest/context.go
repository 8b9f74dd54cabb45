package ledgertest

import (
	"fmt"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// Context returns a contractapi transaction context over stub, for calling
// contract methods directly. The client identity is read from the stub on
// every call, so a context stays valid across As.
func Context(stub *Stub) contractapi.TransactionContextInterface {
	return txContext{stub: stub}
}

type txContext struct{ stub *Stub }

// GetStub returns the stub.
func (c txContext) GetStub() shim.ChaincodeStubInterface { return c.stub }

// GetClientIdentity returns the current caller's identity. The stub's
// identities are well-formed by construction, so failing to read one is a
// broken test environment and panics; calling it before As panics too.
func (c txContext) GetClientIdentity() cid.ClientIdentity {
	id, err := cid.New(c.stub)
	if err != nil {
		panic(fmt.Sprintf("ledgertest: read caller identity: %v", err))
	}
	return id
}
