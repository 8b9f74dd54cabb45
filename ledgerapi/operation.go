package ledgerapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"

	"github.com/cxledger/cxledger/cxlerr"
)

// Kind says how an operation reaches the ledger.
type Kind int

const (
	// Submit operations are transactions: endorsed, ordered and committed. Over HTTP they
	// are POSTs with a JSON body and an Idempotency-Key.
	Submit Kind = iota
	// Evaluate operations are queries answered by one peer. Over HTTP they are GETs whose
	// request travels as path and query parameters.
	Evaluate
)

// Access says who may call an operation through the gateway service.
type Access int

const (
	// Principal operations need the caller's credentials.
	Principal Access = iota
	// Public operations need none (rate limited per client address): the answer is the
	// same for everyone.
	Public
)

// NoArgs is the request of a chaincode function that takes no argument.
type NoArgs struct{}

// ChaincodeCall is how one request reaches the chaincode: its arguments and, for a
// function that takes private data, the transient data and the organisations that must
// endorse it.
type ChaincodeCall struct {
	// Args are the function's string arguments.
	Args []string
	// Transient is data the endorsing peers see and no block holds.
	Transient map[string][]byte
	// Parties are the organisations that must endorse the call, after the caller's own
	// when CallerParty is set. For a transaction the adapter adds one more organisation when
	// they are a single one, so the chaincode's majority is met; a query is evaluated by a
	// peer of the first. None: the Fabric Gateway chooses.
	Parties []string
	// CallerParty makes the caller's own organisation the first party.
	CallerParty bool
}

// Operation is one chaincode function as every adapter sees it: what the Fabric adapter
// calls, the route and OpenAPI operation the gateway service serves, and what its REST
// client requests. Each is declared once, as an [Op], beside the request and result types
// it names; [Operations] lists them all.
type Operation struct {
	// Contract and Function name the chaincode function ("orders", "Place").
	Contract, Function string
	// Kind says whether it is a transaction or a query.
	Kind Kind
	// Path is the HTTP route's pattern ("/v1/orders/orders/{id}"); its wildcards are
	// fields of the request, by their JSON names.
	Path string
	// Summary describes the operation in one sentence, for the API document.
	Summary string
	// Access says who may call it through the gateway service.
	Access Access
	// Request and Result are the request and result types. Request is NoArgs for a
	// function without argument.
	Request, Result reflect.Type
	// chaincode turns a validated request (a pointer to Request) into its chaincode call;
	// nil: the request as the one JSON argument (none for NoArgs).
	chaincode func(ctx context.Context, l Ledger, req any) (*ChaincodeCall, error)
}

// Name is the operation's ID: "<contract>.<Function>".
func (o *Operation) Name() string { return o.Contract + "." + o.Function }

// Method is the HTTP method of the operation's route.
func (o *Operation) Method() string {
	if o.Kind == Submit {
		return http.MethodPost
	}
	return http.MethodGet
}

// NewRequest returns a pointer to a new zero request of the operation.
func (o *Operation) NewRequest() any { return reflect.New(o.Request).Interface() }

// Chaincode is the chaincode call of req, a validated pointer to the operation's request:
// the request's own rule when it has one (personal data as transient data, the parties that
// must endorse it, looked up through l), else the request as the one JSON argument.
func (o *Operation) Chaincode(ctx context.Context, l Ledger, req any) (*ChaincodeCall, error) {
	if o.chaincode != nil {
		return o.chaincode(ctx, l, req)
	}
	if o.Request == reflect.TypeFor[NoArgs]() {
		return &ChaincodeCall{}, nil
	}
	data, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode the argument of %s: %w", o.Name(), err)
	}
	return &ChaincodeCall{Args: []string{string(data)}}, nil
}

// Op is the typed descriptor of one chaincode function: Req is its request, Res its
// result.
type Op[Req, Res any] struct{ Operation }

// operations is every Op, in declaration order.
var operations []*Operation

// Operations lists every operation of the ledger.
func Operations() []*Operation { return slices.Clone(operations) }

// Lookup returns the operation contract.function, or nil.
func Lookup(contract, function string) *Operation {
	for _, o := range operations {
		if o.Contract == contract && o.Function == function {
			return o
		}
	}
	return nil
}

// opOption refines an Op as it is declared.
type opOption func(*Operation)

// public marks an operation that needs no credentials.
func public(o *Operation) { o.Access = Public }

// withChaincode gives an operation its own chaincode call for its request.
func withChaincode[Req any](fn func(ctx context.Context, l Ledger, req *Req) (*ChaincodeCall, error)) opOption {
	return func(o *Operation) {
		o.chaincode = func(ctx context.Context, l Ledger, req any) (*ChaincodeCall, error) {
			return fn(ctx, l, req.(*Req))
		}
	}
}

// declare registers a new Op.
func declare[Req, Res any](kind Kind, contract, function, path, summary string, opts ...opOption) *Op[Req, Res] {
	op := &Op[Req, Res]{Operation{
		Contract: contract, Function: function, Kind: kind, Path: path, Summary: summary,
		Request: reflect.TypeFor[Req](), Result: reflect.TypeFor[Res](),
	}}
	for _, o := range opts {
		o(&op.Operation)
	}
	operations = append(operations, &op.Operation)
	return op
}

// submit declares a transaction.
func submit[Req, Res any](contract, function, path, summary string, opts ...opOption) *Op[Req, Res] {
	return declare[Req, Res](Submit, contract, function, path, summary, opts...)
}

// evaluate declares a query.
func evaluate[Req, Res any](contract, function, path, summary string, opts ...opOption) *Op[Req, Res] {
	return declare[Req, Res](Evaluate, contract, function, path, summary, opts...)
}

// Transport carries operations to the ledger: over the Fabric Gateway, over the gateway
// service's REST API, or in process. Requests reach it validated; it returns the
// contract's result as JSON.
type Transport interface {
	// Submit runs a transaction and returns once it committed VALID, or with a Pending
	// *cxlerr.Error carrying the transaction ID when its commit is not known at ctx's
	// deadline.
	Submit(ctx context.Context, op *Operation, req any) (*Committed[json.RawMessage], error)
	// Evaluate runs a query.
	Evaluate(ctx context.Context, op *Operation, req any) (json.RawMessage, error)
	// Transactions reports the outcome of transactions.
	Transactions() Transactions
	// Events streams chaincode events.
	Events() Events
}

// Run submits op with req through t once req is valid, and decodes the result.
func (op *Op[Req, Res]) Run(ctx context.Context, t Transport, req Req) (*Committed[Res], error) {
	if err := Validate(&req); err != nil {
		return nil, err
	}
	raw, err := t.Submit(ctx, &op.Operation, &req)
	if err != nil {
		return nil, err
	}
	out := &Committed[Res]{TransactionID: raw.TransactionID, BlockNumber: raw.BlockNumber}
	if err := decodeResult(op.Name(), raw.Result, &out.Result); err != nil {
		return nil, err.WithTransaction(raw.TransactionID)
	}
	return out, nil
}

// Query evaluates op with req through t once req is valid, and decodes the result.
func (op *Op[Req, Res]) Query(ctx context.Context, t Transport, req Req) (*Res, error) {
	if err := Validate(&req); err != nil {
		return nil, err
	}
	raw, err := t.Evaluate(ctx, &op.Operation, &req)
	if err != nil {
		return nil, err
	}
	var out Res
	if err := decodeResult(op.Name(), raw, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// decodeResult decodes a contract's JSON result.
func decodeResult(name string, raw json.RawMessage, v any) *cxlerr.Error {
	if len(raw) == 0 {
		raw = json.RawMessage("null")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return cxlerr.Errorf(cxlerr.Internal, "decode the result of %s: %w", name, err)
	}
	return nil
}
