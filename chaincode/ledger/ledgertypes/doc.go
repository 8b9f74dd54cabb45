// Package ledgertypes is the shim-free vocabulary of the cxledger ledger: amounts in
// minor units, the consortium's roles and role grants, and the validators of
// identifiers, MSP IDs, accounts, text, currencies and lot units.
//
// The contracts' argument and result types are built from it, and so are the
// clients (ledgerapi, the gateway, the CLI): it imports nothing of Fabric, so a
// client links it without the chaincode shim. The transaction kit that runs on
// the shim — transaction context, caller, keys, state, lots, events, pages and the
// role transactions — is package ledger.
package ledgertypes
