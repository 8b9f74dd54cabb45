// Package baseline is the smallest useful Fabric chaincode: Put writes one key blind. It is
// deployed beside cxledger so benchmarks can compare each business operation with what raw
// Fabric does on the same network in the same run.
package baseline

import (
	"fmt"
	"unicode/utf8"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// Chaincode is the baseline chaincode.
type Chaincode struct{}

// Init does nothing; the baseline has no state to set up.
func (Chaincode) Init(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

// Invoke runs Put(key, value): one PutState, no read, so concurrent puts never conflict.
func (Chaincode) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	if fn != "Put" {
		return shim.Error(fmt.Sprintf("cxl:INVALID: unknown function %q; the baseline has only Put", fn))
	}
	if len(args) != 2 || args[0] == "" || len(args[0]) > 256 || !utf8.ValidString(args[0]) || args[0][0] == 0 {
		return shim.Error("cxl:INVALID: Put takes a key (1 to 256 bytes of UTF-8) and a value")
	}
	if err := stub.PutState(args[0], []byte(args[1])); err != nil {
		return shim.Error(fmt.Sprintf("write %s: %v", args[0], err))
	}
	return shim.Success(nil)
}
