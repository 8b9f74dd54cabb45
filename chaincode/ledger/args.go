package ledger

import (
	"encoding/json"
	"reflect"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/metadata"
	"github.com/hyperledger/fabric-contract-api-go/v2/serializer"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/strictjson"
)

// MaxArgs is the largest JSON argument DecodeArgs accepts, in bytes.
const MaxArgs = 64 << 10

// DecodeArgs decodes the JSON argument of a transaction function into v, a pointer, strictly
// with strictjson.Decode: raw must be one JSON value of at most MaxArgs bytes of valid UTF-8,
// with nothing after it, no object key twice and no field v does not declare. Every failure
// is INVALID, says where (the field, or the byte offset) and starts with "arguments: ".
func DecodeArgs(raw string, v any) error {
	err := strictjson.Decode([]byte(raw), v, MaxArgs)
	if err == nil {
		return nil
	}
	e := cxlerr.From(err)
	return cxlerr.New(e.Code, "arguments: "+e.Message).WithCause(err)
}

// Validator is implemented by argument types that check themselves; Run runs Validate
// before the function. Validate returns INVALID errors that name the offending field.
type Validator interface {
	Validate() error
}

// FieldChecker is implemented by argument types that must know which fields the JSON
// argument named, because a zero value given means something else than one left out (a
// required amount that may be 0, an optional one that must not be). Serializer calls
// CheckFields after decoding, with a function that reports whether the argument object has
// a key, and returns its error (INVALID, naming the field).
type FieldChecker interface {
	CheckFields(present func(key string) bool) error
}

// Run is the body of a transaction function that takes an argument: it builds the Tx, runs
// the Validate method of args when *A or A is a Validator, and then fn; an error is rendered
// for Fabric with cxlerr.Wire. contractapi has already decoded args with Serializer.
//
//	func (c *Contract) RegisterLot(ctx contractapi.TransactionContextInterface, args RegisterLotArgs) (*ProductLot, error) {
//		return ledger.Run(ctx.GetStub(), args, registerLot)
//	}
func Run[A, R any](stub shim.ChaincodeStubInterface, args A, fn func(tx *Tx, args A) (R, error)) (R, error) {
	r, err := run(stub, args, fn)
	return r, cxlerr.Wire(err)
}

func run[A, R any](stub shim.ChaincodeStubInterface, args A, fn func(tx *Tx, args A) (R, error)) (R, error) {
	var zero R
	tx, err := NewTx(stub)
	if err != nil {
		return zero, err
	}
	if v, ok := any(&args).(Validator); ok {
		if err := v.Validate(); err != nil {
			return zero, err
		}
	}
	return fn(tx, args)
}

// Query is the body of a transaction function without argument: it builds the Tx and runs
// fn; an error is rendered for Fabric with cxlerr.Wire.
//
//	func (c *Contract) ListRoles(ctx contractapi.TransactionContextInterface) ([]ledgertypes.RoleGrant, error) {
//		return ledger.Query(ctx.GetStub(), ledger.ListRoles)
//	}
func Query[R any](stub shim.ChaincodeStubInterface, fn func(tx *Tx) (R, error)) (R, error) {
	tx, err := NewTx(stub)
	if err != nil {
		var zero R
		return zero, cxlerr.Wire(err)
	}
	r, err := fn(tx)
	return r, cxlerr.Wire(err)
}

// Serializer is the TransactionSerializer of the cxledger chaincode and of every contract
// test that goes through contractapi, so both convert arguments the same way.
//
// FromString decodes a struct (or pointer to struct) parameter strictly with DecodeArgs, runs
// its CheckFields method if it is a FieldChecker, and passes a string parameter through as it is; any other parameter type is INTERNAL, since no
// cxledger function takes one. A failure is a coded error rendered with cxlerr.Wire, which
// contractapi puts in its answer after "error managing parameter param0. ". It never checks
// the argument against the JSON schema contractapi derives from the type: DecodeArgs is
// stricter, and its errors carry a code.
//
// ToString encodes a result as contractapi's JSON serializer does, without checking it
// against its schema: the result's type is the contract's own, and checking it with
// gojsonschema on every call is work the peer waits for on each endorsement.
type Serializer struct{}

// FromString converts the argument param to a value of type t.
func (Serializer) FromString(param string, t reflect.Type, _ *metadata.ParameterMetadata, _ *metadata.ComponentMetadata) (reflect.Value, error) {
	switch {
	case t.Kind() == reflect.String:
		return reflect.ValueOf(param).Convert(t), nil
	case t.Kind() == reflect.Struct:
		v, err := decodeStruct(param, t)
		if err != nil {
			return reflect.Value{}, cxlerr.Wire(err)
		}
		return v.Elem(), nil
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct:
		v, err := decodeStruct(param, t.Elem())
		if err != nil {
			return reflect.Value{}, cxlerr.Wire(err)
		}
		return v, nil
	}
	return reflect.Value{}, cxlerr.Wire(cxlerr.Errorf(cxlerr.Internal, "arguments: parameter type %s is not supported: take a struct or a string", t))
}

// decodeStruct decodes param into a new value of the struct type t with DecodeArgs and runs
// its CheckFields method if it is a FieldChecker; it returns the pointer.
func decodeStruct(param string, t reflect.Type) (reflect.Value, error) {
	v := reflect.New(t)
	if err := DecodeArgs(param, v.Interface()); err != nil {
		return reflect.Value{}, err
	}
	fc, ok := v.Interface().(FieldChecker)
	if !ok {
		return v, nil
	}
	// DecodeArgs accepted param, so it is valid JSON; anything but an object has no keys.
	var keys map[string]json.RawMessage
	_ = json.Unmarshal([]byte(param), &keys)
	if err := fc.CheckFields(func(key string) bool { _, ok := keys[key]; return ok }); err != nil {
		e := cxlerr.From(err)
		return reflect.Value{}, cxlerr.New(e.Code, "arguments: "+e.Message).WithCause(err)
	}
	return v, nil
}

// ToString encodes the result v of type t as JSON (a string or []byte as it is, a time in RFC
// 3339), without checking it against its schema.
func (Serializer) ToString(v reflect.Value, t reflect.Type, _ *metadata.ReturnMetadata, components *metadata.ComponentMetadata) (string, error) {
	return new(serializer.JSONSerializer).ToString(v, t, nil, components)
}
