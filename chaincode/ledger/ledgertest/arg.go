package ledgertest

import (
	"reflect"

	"github.com/hyperledger/fabric-contract-api-go/v2/metadata"
	"github.com/hyperledger/fabric-contract-api-go/v2/serializer"

	"github.com/cxledger/cxledger/chaincode/ledger"
)

// Arg converts args, the text a client sends as a transaction function's argument, to the
// function's parameter type A exactly as the assembled chaincode does (ledger.Serializer), so
// a test can drive a typed function with the JSON a client would send:
//
//	a, err := ledgertest.Arg[provenance.RegisterProductArgs](`{"gtin":"09506000134352","name":"Beans"}`)
//	if err == nil {
//		_, err = contract.RegisterProduct(ledgertest.Context(stub), a)
//	}
//
// A failure is the error the client would get, rendered as "cxl:<CODE>: <message>".
func Arg[A any](args string) (A, error) {
	var zero A
	v, err := ledger.Serializer{}.FromString(args, reflect.TypeFor[A](), nil, nil)
	if err != nil {
		return zero, err
	}
	return v.Interface().(A), nil
}

// Serializer is the chaincode's ledger.Serializer for a contract test that goes through
// contractapi: it converts arguments exactly as the chaincode does, and also checks every
// result against the JSON schema contractapi derives from its type (which the chaincode
// leaves out for speed), so a result that contradicts the published metadata fails a test.
type Serializer struct{ ledger.Serializer }

// ToString encodes a result as the chaincode does and checks it against its schema.
func (Serializer) ToString(v reflect.Value, t reflect.Type, returns *metadata.ReturnMetadata, components *metadata.ComponentMetadata) (string, error) {
	return new(serializer.JSONSerializer).ToString(v, t, returns, components)
}
