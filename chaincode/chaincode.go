// Package chaincode assembles the cxledger chaincode: one Fabric chaincode with a named
// contract per business area, called as "<contract>:<Function>".
package chaincode

import (
	"fmt"
	"reflect"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-contract-api-go/v2/metadata"
	"github.com/hyperledger/fabric-contract-api-go/v2/serializer"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/chaincode/consortium"
	"github.com/cxledger/cxledger/chaincode/health"
	"github.com/cxledger/cxledger/chaincode/loyalty"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/chaincode/provenance"
)

// New returns the cxledger chaincode reporting version in its metadata.
func New(version string) (*contractapi.ContractChaincode, error) {
	return assemble(Contracts(version)...)
}

// Contracts are the contracts of the cxledger chaincode, health reporting version.
func Contracts(version string) []contractapi.ContractInterface {
	return []contractapi.ContractInterface{
		health.NewContract(version),
		consortium.NewContract(),
		provenance.NewContract(),
		// Loyalty earns on delivery and reverses on refund inside the orders transaction.
		orders.NewContract(loyalty.NewOrderHooks()),
		loyalty.NewContract(),
		care.NewContract(),
	}
}

// assemble makes one chaincode of contracts, serialising with uncheckedJSON.
func assemble(contracts ...contractapi.ContractInterface) (*contractapi.ContractChaincode, error) {
	cc, err := contractapi.NewChaincode(contracts...)
	if err != nil {
		return nil, fmt.Errorf("assemble cxledger chaincode: %w", err)
	}
	cc.TransactionSerializer = uncheckedJSON{}
	return cc, nil
}

// uncheckedJSON is contractapi's JSON serializer without its JSON-schema checks of each
// call's arguments and result. Every cxledger function takes one JSON string, which the
// ledger kit decodes strictly and validates itself, and returns a type of its own; checking
// that result against the schema generated from the same type, with gojsonschema on every
// call, is work the peer waits for on each endorsement. The contract packages' tests run
// contractapi's default serializer, so every result they produce is still checked against
// its schema there.
type uncheckedJSON struct{ serializer.JSONSerializer }

// FromString converts an argument without checking it against its schema.
func (s uncheckedJSON) FromString(param string, t reflect.Type, _ *metadata.ParameterMetadata, components *metadata.ComponentMetadata) (reflect.Value, error) {
	return s.JSONSerializer.FromString(param, t, nil, components)
}

// ToString encodes a result without checking it against its schema.
func (s uncheckedJSON) ToString(v reflect.Value, t reflect.Type, _ *metadata.ReturnMetadata, components *metadata.ComponentMetadata) (string, error) {
	return s.JSONSerializer.ToString(v, t, nil, components)
}
