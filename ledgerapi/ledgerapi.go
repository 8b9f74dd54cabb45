// Package ledgerapi is cxledger's ledger as its clients see it: one typed descriptor per
// chaincode function ([Op]: contract, function, submit or evaluate, HTTP route, request and
// result types, and how its request reaches the chaincode), the interfaces built on them
// (Health, Consortium, Provenance, Orders, Loyalty, Care), Transactions for the outcome of
// a transaction by its ID, and Events for the chaincode events. Errors are cxlerr's.
//
// Adapters implement [Transport] once and every descriptor works through them: gateway/fabric
// over the Fabric Gateway (inside the gateway service and the CLI's direct transport),
// gateway/client over the service's REST API, and the CLI's tests in process over the real
// contracts. [Over] turns a Transport into the [Ledger], so a command works the same
// against any of them. The request and result types are the contracts' own wire types
// (packages chaincode/<area>, which import nothing from Fabric); this package adds only
// what the contracts do not have, and links neither the chaincode shim nor the gateway
// server (a test checks it).
//
// # Mutations
//
// A mutating operation returns once its transaction has committed VALID, as a
// [Committed] carrying the transaction ID, the block and the contract's result. When the
// outcome is still unknown at the caller's deadline it returns a *cxlerr.Error with code
// PENDING and the transaction ID; [Transactions.Status] resolves it later. A mutation is
// safe to repeat with the same idempotency key ([WithIdempotencyKey]): the service applies
// it at most once.
package ledgerapi

import "context"

// Ledger is the whole ledger as one caller sees it.
type Ledger interface {
	// Health is the liveness contract.
	Health() Health
	// Consortium is the role-grant contract.
	Consortium() Consortium
	// Provenance is the products, lots, custody and certificates contract.
	Provenance() Provenance
	// Orders is the escrowed orders and settlement contract.
	Orders() Orders
	// Loyalty is the coalition points contract.
	Loyalty() Loyalty
	// Care is the support tickets and reviews contract.
	Care() Care
	// Epcis is the GS1 EPCIS 2.0 events contract.
	Epcis() EPCIS
	// Transactions reports the outcome of transactions.
	Transactions() Transactions
	// Events streams chaincode events.
	Events() Events
}

// Committed is what a mutation returns once its transaction committed VALID.
type Committed[T any] struct {
	// TransactionID identifies the transaction on the channel.
	TransactionID string `json:"transactionId"`
	// BlockNumber is the block that holds it.
	BlockNumber uint64 `json:"blockNumber"`
	// Result is the contract's result.
	Result T `json:"result"`
}

type idempotencyKey struct{}

// WithIdempotencyKey returns a context whose mutations carry key as their idempotency key:
// repeating a mutation with the same key and the same request returns the first outcome
// instead of applying it again.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idempotencyKey{}, key)
}

// IdempotencyKey returns the key set by WithIdempotencyKey, or "".
func IdempotencyKey(ctx context.Context) string {
	k, _ := ctx.Value(idempotencyKey{}).(string)
	return k
}

// Validator is a request that checks itself before any ledger call; an invalid request
// returns an *Error with code Invalid.
type Validator interface {
	Validate() error
}
