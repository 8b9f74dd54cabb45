package cmdutil

import (
	"encoding/json"

	"github.com/cxledger/cxledger/ledgerapi"
)

// RawCommitted is a committed mutation with the contract's result as JSON.
type RawCommitted = ledgerapi.Committed[json.RawMessage]

// Client is the ledger as a command reaches it: a ledgerapi.Transport that commands call
// through the operations' descriptors (ledgerapi.OrdersPlace.Run(ctx, c, req),
// ledgerapi.OrdersGetOrder.Query(ctx, c, req)). Its Submit runs a mutation at most once per
// the context's idempotency key whichever transport is behind it (the gateway service keeps
// the keys; the direct Fabric transport keeps them in a local journal): the first call runs
// it, a repeat with the same key and request returns the first outcome, a repeat with
// another request is IDEMPOTENCY_MISMATCH.
type Client interface {
	ledgerapi.Transport
	// Target says what the client reaches, for messages ("gateway http://127.0.0.1:8080").
	Target() string
	// Close releases connections and files.
	Close() error
}

// Selection is what the global flags say about which ledger to reach; the environment and
// the configuration file fill in the rest.
type Selection struct {
	// Profile is --profile: a configured profile, or a network user "Org1MSP/User1".
	Profile string
	// Gateway is --gateway: the gateway service's URL.
	Gateway string
	// GatewayCA is --gateway-ca: the PEM file of the TLS CA certificate that verifies it.
	GatewayCA string
}
