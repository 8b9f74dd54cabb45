// Package consortium is the "consortium" contract: the organisations of the
// channel grant each other roles (brand, merchant, carrier, payment, auditor,
// arbiter) that the other contracts check with ledger.RequireRole and
// ledger.ActsFor. A role on the ledger is half of what acting in it takes:
// the caller's certificate must carry it too, in the Fabric CA attribute
// cxl.roles, which the organisation's own CA registrar gives its staff.
//
// Who may do what: ProposeRole, ApproveRole and RevokeRole are for admins
// (the NodeOU admin role of the certificate), with or without cxl.roles;
// no other identity, staff or customer, administers roles. ListRoles is
// open to every caller: the grants are the consortium's public record of
// who belongs.
//
// No organisation gives itself a role alone: an admin of any organisation
// proposes a grant, and an admin of a different organisation approves it.
// Revocation works the same way: RevokeRole proposes it (or, on a grant not
// yet approved, lets the proposing organisation withdraw it) and ApproveRole
// from another organisation completes it. The rules live in the ledger kit
// (ledger.ProposeRole and friends); this contract exposes them and emits one
// event per change.
//
// Functions (argument: one JSON object; result: JSON):
//
//	ProposeRole  {"msp":"Org2MSP","role":"carrier"} -> RoleGrant
//	ApproveRole  {"msp":"Org2MSP","role":"carrier"} -> RoleGrant
//	RevokeRole   {"msp":"Org2MSP","role":"carrier"} -> RoleGrant
//	ListRoles    (evaluate, no argument)            -> [RoleGrant]
//
// Events, named "consortium.<Type>" with keys {"msp","role"} and the
// RoleGrant as data: RoleProposed, RoleGranted, RoleRevocationProposed,
// RoleRevoked, RoleProposalWithdrawn.
package consortium

import (
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
)

// Name is the contract's name in the chaincode.
const Name = "consortium"

// Contract is the consortium contract.
type Contract struct {
	contractapi.Contract
}

// NewContract returns the contract, named "consortium".
func NewContract() *Contract {
	c := &Contract{}
	c.Name = Name
	return c
}

// GetEvaluateTransactions lists the query functions.
func (c *Contract) GetEvaluateTransactions() []string {
	return []string{"ListRoles"}
}

// ProposeRole proposes that an organisation get a role. The caller must be
// an admin. Argument: {"msp","role"}.
func (c *Contract) ProposeRole(ctx contractapi.TransactionContextInterface, args RoleArgs) (*ledgertypes.RoleGrant, error) {
	return ledger.Run(ctx.GetStub(), args, change(ledger.ProposeRole))
}

// ApproveRole approves the open proposal (grant or revocation) for an
// organisation's role. The caller must be an admin of an organisation other
// than the proposer's. Argument: {"msp","role"}.
func (c *Contract) ApproveRole(ctx contractapi.TransactionContextInterface, args RoleArgs) (*ledgertypes.RoleGrant, error) {
	return ledger.Run(ctx.GetStub(), args, change(ledger.ApproveRole))
}

// RevokeRole proposes revoking an organisation's role, or withdraws the
// caller's organisation's own pending proposal. The caller must be an
// admin. Argument: {"msp","role"}.
func (c *Contract) RevokeRole(ctx contractapi.TransactionContextInterface, args RoleArgs) (*ledgertypes.RoleGrant, error) {
	return ledger.Run(ctx.GetStub(), args, change(ledger.RevokeRole))
}

// ListRoles returns every role grant, in force or proposed, ordered by MSP
// ID and role.
func (c *Contract) ListRoles(ctx contractapi.TransactionContextInterface) ([]ledgertypes.RoleGrant, error) {
	return ledger.Query(ctx.GetStub(), ledger.ListRoles)
}

// RoleArgs is the argument of the role changes: an organisation and a role.
type RoleArgs struct {
	MSP  string `json:"msp"`
	Role string `json:"role"`
}

// Validate checks the MSP ID and the role name.
func (a RoleArgs) Validate() error {
	if err := ledgertypes.ValidateMSP("msp", a.MSP); err != nil {
		return err
	}
	_, err := ledgertypes.ParseRole(a.Role)
	return err
}

// change runs one of the kit's role operations and emits its event.
func change(op func(*ledger.Tx, string, ledgertypes.Role) (ledgertypes.RoleGrant, error)) func(*ledger.Tx, RoleArgs) (*ledgertypes.RoleGrant, error) {
	return func(tx *ledger.Tx, a RoleArgs) (*ledgertypes.RoleGrant, error) {
		g, err := op(tx, a.MSP, ledgertypes.Role(a.Role))
		if err != nil {
			return nil, err
		}
		err = ledger.Emit(tx, ledger.Event{
			Contract: Name,
			Type:     eventType(g.Status),
			Keys:     map[string]string{"msp": g.MSP, "role": string(g.Role)},
			Data:     g,
		})
		if err != nil {
			return nil, err
		}
		return &g, nil
	}
}

// eventType names the event of the change that left a grant in status.
func eventType(status ledgertypes.RoleStatus) string {
	switch status {
	case ledgertypes.RoleProposed:
		return "RoleProposed"
	case ledgertypes.RoleActive:
		return "RoleGranted"
	case ledgertypes.RoleRevoking:
		return "RoleRevocationProposed"
	case ledgertypes.RoleRevoked:
		return "RoleRevoked"
	default:
		return "RoleProposalWithdrawn"
	}
}
