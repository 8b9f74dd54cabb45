// Package chaincode assembles the cxledger chaincode: one Fabric chaincode with a named
// contract per business area, called as "<contract>:<Function>".
//
// contractapi routes each call and converts its argument with ledger.Serializer; [Chaincode]
// wraps the router so that every answer a client sees is either a success or an error coded
// as "cxl:<CODE>: <message>", routing failures included: an unknown contract or function is
// NOT_FOUND, a wrong number of arguments INVALID.
package chaincode

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-contract-api-go/v2/metadata"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/cxledger/cxledger/chaincode/care/carecc"
	"github.com/cxledger/cxledger/chaincode/consortium"
	"github.com/cxledger/cxledger/chaincode/epcis/epciscc"
	"github.com/cxledger/cxledger/chaincode/health/healthcc"
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/loyalty/loyaltycc"
	"github.com/cxledger/cxledger/chaincode/orders/orderscc"
	"github.com/cxledger/cxledger/chaincode/provenance/provenancecc"
	"github.com/cxledger/cxledger/cxlerr"
)

// Name is the chaincode's name, the title of its metadata.
const Name = "cxledger"

// description is the one-line description in the chaincode's metadata.
const description = "Customer promises on a shared ledger: product provenance, orders and escrow, loyalty points and customer care"

// getMetadata is the function of contractapi's system contract that returns the metadata.
const getMetadata = "GetMetadata"

// New returns the cxledger chaincode reporting version in its metadata.
func New(version string) (*Chaincode, error) {
	return assemble(version, Contracts(version)...)
}

// Contracts are the contracts of the cxledger chaincode, health reporting version.
func Contracts(version string) []contractapi.ContractInterface {
	// Loyalty earns on delivery and reverses on refund inside the orders transaction.
	orders := orderscc.NewContract(loyaltycc.NewOrderHooks())
	handovers := orderscc.NewHandovers(orders)
	return []contractapi.ContractInterface{
		healthcc.NewContract(version),
		consortium.NewContract(),
		// The customer's acceptance of an order's shipment from its carrier delivers the
		// order inside the provenance transaction.
		provenancecc.NewContract(handovers),
		orders,
		loyaltycc.NewContract(),
		carecc.NewContract(),
		// The carrier's receiving event naming an order delivers it inside the capture;
		// a receiving event accepting custody calls the same hooks as AcceptCustody.
		epciscc.NewContract(handovers, orderscc.NewReceipts(orders)),
	}
}

// Chaincode is the cxledger chaincode as a peer runs it: contractapi's router over the
// contracts, converting arguments with ledger.Serializer, with every error it answers coded.
//
// contractapi answers routing failures in plain text and ignores arguments beyond those a
// function takes; Chaincode refuses a call with the wrong number of arguments as INVALID
// before routing it, and rewrites an error response that holds no "cxl:" code by its
// wording: an unknown contract or function is NOT_FOUND, a blank function name or an
// argument that fails conversion INVALID, anything else INTERNAL. Successes and responses
// already coded pass unchanged.
type Chaincode struct {
	router *contractapi.ContractChaincode
	// metadata is the router's metadata with the chaincode's info, as GetMetadata returns it.
	metadata []byte
	// arity is how many arguments each function takes, by contract and function name.
	arity map[string]map[string]int
}

// assemble makes one chaincode of contracts reporting version.
func assemble(version string, contracts ...contractapi.ContractInterface) (*Chaincode, error) {
	router, err := contractapi.NewChaincode(contracts...)
	if err != nil {
		return nil, fmt.Errorf("assemble %s chaincode: %w", Name, err)
	}
	router.TransactionSerializer = ledger.Serializer{}
	// contractapi writes its metadata once, in NewChaincode, with the chaincode's info
	// "undefined": read it back and put the info in.
	resp := router.Invoke(metadataStub{})
	if resp.Status != shim.OK {
		return nil, fmt.Errorf("assemble %s chaincode: read metadata: %s", Name, resp.Message)
	}
	var md map[string]json.RawMessage
	if err := json.Unmarshal(resp.Payload, &md); err != nil {
		return nil, fmt.Errorf("assemble %s chaincode: decode metadata: %w", Name, err)
	}
	var contractsMD struct {
		Contracts map[string]struct {
			Transactions []struct {
				Name       string            `json:"name"`
				Parameters []json.RawMessage `json:"parameters"`
			} `json:"transactions"`
		} `json:"contracts"`
	}
	if err := json.Unmarshal(resp.Payload, &contractsMD); err != nil {
		return nil, fmt.Errorf("assemble %s chaincode: decode metadata: %w", Name, err)
	}
	arity := map[string]map[string]int{}
	for name, c := range contractsMD.Contracts {
		arity[name] = map[string]int{}
		for _, tx := range c.Transactions {
			arity[name][tx.Name] = len(tx.Parameters)
		}
	}
	info, err := json.Marshal(metadata.InfoMetadata{Title: Name, Version: version, Description: description})
	if err != nil {
		return nil, fmt.Errorf("assemble %s chaincode: encode info: %w", Name, err)
	}
	md["info"] = info
	payload, err := json.Marshal(md)
	if err != nil {
		return nil, fmt.Errorf("assemble %s chaincode: encode metadata: %w", Name, err)
	}
	return &Chaincode{router: router, metadata: payload, arity: arity}, nil
}

// Init answers success to a call without a function name, as contractapi does, and runs any
// other as Invoke.
func (c *Chaincode) Init(stub shim.ChaincodeStubInterface) *peer.Response {
	if fn, _ := stub.GetFunctionAndParameters(); fn == "" {
		return shim.Success(nil)
	}
	return c.Invoke(stub)
}

// Invoke checks the number of arguments, routes the call and codes any error in the answer.
// A contract that panics answers INTERNAL for that call: the shim runs each call on its own
// goroutine, so an unrecovered panic (a bug that hostile input reaches) would end the
// chaincode server and every call in flight on it, for every member.
func (c *Chaincode) Invoke(stub shim.ChaincodeStubInterface) (resp *peer.Response) {
	defer func() {
		if v := recover(); v != nil {
			fn, _ := stub.GetFunctionAndParameters()
			resp = shim.Error(cxlerr.Wire(cxlerr.Errorf(cxlerr.Internal, "%s failed: %v", shortName(fn), v)).Error())
		}
	}()
	name, params := stub.GetFunctionAndParameters()
	contract, fn := c.route(name)
	if want, ok := c.arity[contract][fn]; ok {
		if len(params) != want {
			return shim.Error(cxlerr.Wire(cxlerr.Errorf(cxlerr.Invalid, "%s:%s takes %s, got %d", contract, fn, arguments(want), len(params))).Error())
		}
		if contract == contractapi.SystemContractName && fn == getMetadata {
			return shim.Success(c.metadata)
		}
	}
	return coded(c.router.Invoke(stub))
}

// route splits "<contract>:<Function>" as contractapi does: the contract is everything before
// the last colon (the default contract without one), and the function's first letter is
// upper-cased.
func (c *Chaincode) route(name string) (contract, fn string) {
	contract, fn = c.router.DefaultContract, name
	if i := strings.LastIndex(name, ":"); i >= 0 {
		contract, fn = name[:i], name[i+1:]
	}
	if r, size := utf8.DecodeRuneInString(fn); size > 0 && r != utf8.RuneError {
		fn = string(unicode.ToUpper(r)) + fn[size:]
	}
	return contract, fn
}

// shortName is a function name as a message may quote it: at most 80 bytes.
func shortName(fn string) string {
	if len(fn) > 80 {
		return strings.ToValidUTF8(fn[:80], "") + "..."
	}
	return strings.ToValidUTF8(fn, "")
}

// arguments says how many arguments a function takes.
func arguments(n int) string {
	switch n {
	case 0:
		return "no argument"
	case 1:
		return "one argument"
	}
	return fmt.Sprintf("%d arguments", n)
}

// coded returns resp with its error coded: a success or an error holding a "cxl:" code as it
// is, any other error rewritten as "cxl:<CODE>: <message>" with the code its wording means.
func coded(resp *peer.Response) *peer.Response {
	if resp.Status < shim.ERRORTHRESHOLD {
		return resp
	}
	if _, ok := cxlerr.Parse(resp.Message); ok {
		return resp
	}
	return shim.Error(cxlerr.Wire(cxlerr.New(routingCode(resp.Message), resp.Message)).Error())
}

// routingCode classifies contractapi's own error messages by their wording.
func routingCode(message string) cxlerr.Code {
	switch {
	case strings.HasPrefix(message, "Contract not found with name "),
		strings.HasPrefix(message, "Function ") && strings.Contains(message, " not found in contract "):
		return cxlerr.NotFound
	case message == "Blank function name passed",
		strings.HasPrefix(message, "incorrect number of params. "),
		strings.HasPrefix(message, "error managing parameter"):
		return cxlerr.Invalid
	}
	return cxlerr.Internal
}

// metadataStub is the stub of the one call assemble makes itself, the system contract's
// GetMetadata, which reads nothing but its function name and the caller, whom contractapi
// does not require.
type metadataStub struct{ shim.ChaincodeStubInterface }

// GetFunctionAndParameters names GetMetadata.
func (metadataStub) GetFunctionAndParameters() (string, []string) {
	return contractapi.SystemContractName + ":" + getMetadata, nil
}

// GetCreator reports that there is no caller.
func (metadataStub) GetCreator() ([]byte, error) {
	return nil, errors.New("no caller: the chaincode is being assembled")
}
