package ledger

import (
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

// MaxArgs is the largest JSON argument DecodeArgs accepts, in bytes.
const MaxArgs = 64 << 10

// DecodeArgs decodes the JSON argument of a transaction function into v
// strictly: raw must be one JSON value of at most 64 KiB of valid UTF-8, with
// nothing after it, and an object may hold only fields v declares. Every
// failure is INVALID and says where: the field, or the byte offset of a
// syntax error. (encoding/json matches field names case-insensitively and,
// for a repeated field, keeps the last value.)
func DecodeArgs(raw string, v any) error {
	switch {
	case len(raw) > MaxArgs:
		return cxlerr.Errorf(cxlerr.Invalid, "arguments: %d bytes, more than %d", len(raw), MaxArgs)
	case strings.TrimSpace(raw) == "":
		return cxlerr.Errorf(cxlerr.Invalid, "arguments: empty, want a JSON value")
	case !utf8.ValidString(raw):
		return cxlerr.Errorf(cxlerr.Invalid, "arguments: not valid UTF-8")
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return argsError(err)
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return cxlerr.Errorf(cxlerr.Invalid, "arguments: unexpected data after the JSON value, which ends at offset %d", end)
	}
	return nil
}

func argsError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var target *json.InvalidUnmarshalError
	switch {
	case errors.As(err, &syntax):
		return cxlerr.Errorf(cxlerr.Invalid, "arguments: invalid JSON at offset %d: %s", syntax.Offset, strings.TrimPrefix(syntax.Error(), "json: "))
	case errors.As(err, &typ) && typ.Field != "":
		return cxlerr.Errorf(cxlerr.Invalid, "arguments: %s: want %s, got JSON %s at offset %d", typ.Field, jsonKind(typ.Type), typ.Value, typ.Offset)
	case errors.As(err, &typ):
		return cxlerr.Errorf(cxlerr.Invalid, "arguments: want %s, got JSON %s", jsonKind(typ.Type), typ.Value)
	case errors.As(err, &target):
		return cxlerr.Errorf(cxlerr.Internal, "decode arguments: %v", err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return cxlerr.Errorf(cxlerr.Invalid, "arguments: JSON ends early")
	}
	// Unknown fields and errors from UnmarshalJSON methods (a malformed time).
	return cxlerr.Errorf(cxlerr.Invalid, "arguments: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// jsonKind names the JSON type a Go type decodes from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	default:
		return "an object"
	}
}

// Validator is implemented by argument types that check themselves; Call
// runs Validate after decoding. Validate returns INVALID errors that name the
// offending field.
type Validator interface {
	Validate() error
}

// Call is the body of a typical transaction function: it builds the Tx,
// decodes args into a fresh A with DecodeArgs, runs A's Validate method when
// *A or A is a Validator, and then fn; an error is rendered for Fabric with
// cxlerr.Wire.
//
//	func (c *Contract) RegisterLot(ctx contractapi.TransactionContextInterface, args string) (*ProductLot, error) {
//		return ledger.Call(ctx.GetStub(), args, registerLot)
//	}
func Call[A, R any](stub shim.ChaincodeStubInterface, args string, fn func(tx *Tx, args A) (R, error)) (R, error) {
	r, err := call(stub, args, fn)
	return r, cxlerr.Wire(err)
}

func call[A, R any](stub shim.ChaincodeStubInterface, args string, fn func(tx *Tx, args A) (R, error)) (R, error) {
	var zero R
	tx, err := NewTx(stub)
	if err != nil {
		return zero, err
	}
	var a A
	if err := DecodeArgs(args, &a); err != nil {
		return zero, err
	}
	if v, ok := any(&a).(Validator); ok {
		if err := v.Validate(); err != nil {
			return zero, err
		}
	}
	return fn(tx, a)
}
