// Package ledger is the kit every cxledger contract is written on: the transaction context and caller identity, composite keys, JSON state,
// strict argument decoding, checked amounts, token lots, events, pagination,
// history and the consortium's organisation roles.
//
// It depends on the standard library and fabric-chaincode-go only; contracts
// add contractapi on top.
//
// # Errors
//
// Contracts speak the one error vocabulary of package cxlerr: they return
// [*cxlerr.Error] values made with cxlerr.Errorf, and [Call] renders them for
// Fabric with cxlerr.Wire as
//
//	cxl:<CODE>: <message>
//
// for example "cxl:NOT_FOUND: provenance.lot 09506000134352/L42 not found".
// Fabric wraps the message on its way to the client, and cxlerr.Parse finds
// the code again wherever it is nested; the gateway maps the code to an HTTP
// status and the CLI to an exit code, so the format is stable.
//
// # Transaction function convention
//
// Every contract built on this kit follows one shape, so the gateway, the CLI
// and the tests can drive any of them the same way:
//
//   - A transaction function takes only string parameters. Structured input is
//     one string holding a JSON object, decoded by [DecodeArgs] (strict: unknown
//     fields, trailing data, invalid UTF-8 and more than 64 KiB are INVALID).
//     [Call] builds the [Tx], decodes the argument and runs an optional
//     Validate method, which is all most functions need before their logic.
//   - A function builds exactly one [Tx] per invocation with [NewTx] (or
//     [Call]) and passes it down; the Tx carries the once-per-transaction state
//     (the emitted event, the lot counter).
//   - Results are JSON-serialisable structs. contractapi validates every result
//     against a schema it derives from the Go type, so a result field that can
//     be absent needs `json:",omitempty"` (`omitzero` for a time.Time)
//     together with `metadata:",optional"`; a slice or map field that can be
//     nil must be returned non-nil or be optional; json.RawMessage must not
//     appear in results (the schema says string); and, because contractapi
//     names schemas by the bare Go type name across every contract in the
//     chaincode, two contracts must not return different types with the same
//     name: give result types names unique to the contract.
//   - Queries are listed in GetEvaluateTransactions.
//
// # Fabric rules the kit encodes
//
// Fabric does not let a transaction read its own writes: GetState and range
// queries return the committed state even after PutState in the same
// transaction. Functions therefore read everything first, deduplicate their
// input, and never read back what they wrote. Fabric also keeps only the last
// SetEvent of a transaction; [Emit] refuses a second event. Paginated queries
// ([Page]) are refused by the peer in a transaction that writes, and key
// history ([History]) is not validated at commit, so both belong in evaluate
// (query) functions; [Scan] is the bounded iteration for update transactions.
//
// All times come from the transaction timestamp ([Tx.Time]); nothing reads the
// clock, random numbers, maps in iteration order or the network. encoding/json
// writes struct fields in declaration order and map keys sorted, so [PutJSON]
// output is deterministic for structs and maps alike.
//
// # Personal data
//
// Nothing on the channel is private: state, history and events are readable
// by every member. Keys, state and events hold business identifiers only
// (GTINs, lot numbers, MSP IDs, account identifiers); personal data goes to a
// private data collection and appears on the ledger only as a salted hash.
// Account identifiers ("<MSP>/<certificate common name>", see [Caller]) are on
// the ledger, so enrolment must give customers pseudonymous common names, not
// e-mail addresses or names.
package ledger
