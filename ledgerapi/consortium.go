package ledgerapi

import (
	"context"

	"github.com/cxledger/cxledger/chaincode/ledger"
)

// RoleRequest names an organisation's role in the consortium contract's role changes.
type RoleRequest struct {
	// MSP is the organisation's MSP ID.
	MSP string `json:"msp"`
	// Role is one of brand, merchant, carrier, payment, auditor, arbiter.
	Role string `json:"role"`
}

// Validate checks the MSP ID and the role name with the chaincode's own rules.
func (r RoleRequest) Validate() error {
	if err := ledger.ValidateMSP("msp", r.MSP); err != nil {
		return err
	}
	if _, err := ledger.ParseRole(r.Role); err != nil {
		return err
	}
	return nil
}

// Consortium is the consortium contract: organisations grant each other roles, each change
// proposed by an admin of one organisation and approved by an admin of another.
type Consortium interface {
	// ProposeRole proposes that an organisation get a role (caller: an admin).
	ProposeRole(ctx context.Context, req RoleRequest) (*Committed[ledger.RoleGrant], error)
	// ApproveRole approves the open proposal, grant or revocation, for an organisation's
	// role (caller: an admin of an organisation other than the proposer's).
	ApproveRole(ctx context.Context, req RoleRequest) (*Committed[ledger.RoleGrant], error)
	// RevokeRole proposes revoking a role, or withdraws the caller's organisation's own
	// pending proposal (caller: an admin).
	RevokeRole(ctx context.Context, req RoleRequest) (*Committed[ledger.RoleGrant], error)
	// ListRoles returns every role grant, in force or proposed.
	ListRoles(ctx context.Context) ([]ledger.RoleGrant, error)
}
