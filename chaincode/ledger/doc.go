// Package ledger is the kit every cxledger contract is written on: the
// transaction context and caller identity, composite keys, JSON state, strict
// argument decoding, token lots, events, pagination, history and the
// transactions on the consortium's organisation roles.
//
// It depends on the standard library, fabric-chaincode-go, packages strictjson
// and ledgertypes and, for [Serializer] alone, contractapi's serializer and
// metadata packages. What the contracts' argument and result types are made of
// (checked amounts, the roles and role grants, the validators of identifiers,
// MSP IDs, accounts and text) is package ledgertypes, which imports nothing of
// Fabric, so clients share those types without linking the shim. Each contract
// keeps the same split: package provenance holds its argument and result types
// and their validation, package provenancecc the contract on this kit.
//
// # Errors
//
// Contracts speak the one error vocabulary of package cxlerr: they return
// [*cxlerr.Error] values made with cxlerr.Errorf, and [Run] and [Query] render them for
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
//   - A transaction function takes its argument as a typed parameter, a struct
//     whose JSON form is what the client sends as the function's one string
//     argument, so contractapi's metadata describes it with the type's JSON
//     schema; a function without input takes no parameter. The chaincode's
//     [Serializer] decodes the argument strictly with [DecodeArgs] (one value,
//     at most 64 KiB of valid UTF-8, no unknown field, no repeated key, nothing
//     after it; every failure INVALID). [Run] builds the [Tx], runs the type's
//     optional Validate method and then the function's logic; [Query] builds the
//     Tx for a function without argument. Both render every error with
//     cxlerr.Wire, so no function answers an uncoded error:
//
//     func (c *Contract) RegisterLot(ctx contractapi.TransactionContextInterface, args RegisterLotArgs) (*ProductLot, error) {
//     return ledger.Run(ctx.GetStub(), args, registerLot)
//     }
//
//   - An optional argument field has `json:",omitempty"` and
//     `metadata:",optional"`, so the schema does not list it as required; a
//     type that must tell a zero value given from one left out implements
//     [FieldChecker].
//
//   - A function builds exactly one [Tx] per invocation (through [Run] or
//     [Query]) and passes it down; the Tx carries the once-per-transaction state
//     (the emitted event, the lot counter).
//
//   - Results are JSON-serialisable structs. The metadata publishes a schema
//     contractapi derives from the Go type, and contract tests check every
//     result against it (ledgertest.Serializer), so a result field that can
//     be absent needs `json:",omitempty"` (`omitzero` for a time.Time)
//     together with `metadata:",optional"`; a slice or map field that can be
//     nil must be returned non-nil or be optional; json.RawMessage must not
//     appear in results (the schema says string); and, because contractapi
//     names schemas by the bare Go type name across every contract in the
//     chaincode, two contracts must not return different types with the same
//     name: give result and argument types names unique to the contract
//     (orders.IDArgs and care.IDArgs may share theirs only because their
//     schemas are the same).
//
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
// # Staff, customers and roles
//
// Every caller is a [Caller]: an MSP, a certificate common name and the
// account "<MSP>/<name>". A client or admin identity (NodeOU) is a person:
//
//   - Staff of its organisation when its certificate carries the Fabric CA
//     attribute [RolesAttr] ("cxl.roles", comma-separated role names, read
//     with [ParseStaffRoles]: spaces and empty entries ignored, any name
//     that is not a consortium role makes the whole attribute give none).
//     Admins are treated like any staff: NodeOU admin gives no business
//     role; it is what role administration ([ProposeRole], [ApproveRole],
//     [RevokeRole]) needs, and all it needs.
//   - A customer otherwise: it acts for its own account only (its orders,
//     custody offered to it, its tickets, reviews and points) and never for
//     its organisation, whichever organisation's CA enrolled it.
//
// The one rule of acting for an organisation is [ActsFor]: staff of it,
// carrying the role, the organisation holding the role in force on the
// ledger; [RequireRole] is ActsFor for the caller's own organisation and
// [HoldsRole] its yes-or-no form. [RequireStaff] checks the identity alone,
// for what an organisation may finish after losing a role (a recall, a
// refund of an order it took). [Caller.ActsForParty] says who acts for a
// holder of custody, money or points, and [RequireReader] who reads a
// record. Contracts name the organisation and the role; they never test
// NodeOUs or attributes themselves.
//
// # Members
//
// An organisation is a member of the consortium while it holds at least one
// role in force ([IsMember]); the role grants are the consortium's own
// record of who belongs. Every transaction that records an organisation or
// an account a request names (a receiver of custody, an order's merchant,
// carrier or arbiter, an account credited with money or points, a
// programme's partner) checks it with [RequireMember],
// [RequireMemberAccount] or [RequireMemberParty]: a malformed name is
// INVALID, a non-member NOT_FOUND. Of an account only the organisation is
// checked until customers are enrolled on the ledger. Queries that merely
// filter by an organisation or an account do not check: a non-member has
// nothing, so they answer with an empty result.
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
