package ledgerapi

import (
	"context"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
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
	if err := ledgertypes.ValidateMSP("msp", r.MSP); err != nil {
		return err
	}
	if _, err := ledgertypes.ParseRole(r.Role); err != nil {
		return err
	}
	return nil
}

// Consortium is the consortium contract: organisations grant each other roles, each change
// proposed by an admin of one organisation and approved by an admin of another.
type Consortium interface {
	// ProposeRole proposes that an organisation get a role (caller: an admin).
	ProposeRole(ctx context.Context, req RoleRequest) (*Committed[ledgertypes.RoleGrant], error)
	// ApproveRole approves the open proposal, grant or revocation, for an organisation's
	// role (caller: an admin of an organisation other than the proposer's).
	ApproveRole(ctx context.Context, req RoleRequest) (*Committed[ledgertypes.RoleGrant], error)
	// RevokeRole proposes revoking a role, or withdraws the caller's organisation's own
	// pending proposal (caller: an admin).
	RevokeRole(ctx context.Context, req RoleRequest) (*Committed[ledgertypes.RoleGrant], error)
	// ListRoles returns every role grant, in force or proposed.
	ListRoles(ctx context.Context) ([]ledgertypes.RoleGrant, error)
}

// The operations of the consortium contract.
var (
	// ConsortiumProposeRole is consortium:ProposeRole.
	ConsortiumProposeRole = submit[RoleRequest, ledgertypes.RoleGrant]("consortium", "ProposeRole", "/v1/consortium/role-proposals",
		"Propose that an organisation get a role (caller: an admin)")
	// ConsortiumApproveRole is consortium:ApproveRole.
	ConsortiumApproveRole = submit[RoleRequest, ledgertypes.RoleGrant]("consortium", "ApproveRole", "/v1/consortium/role-approvals",
		"Approve the open proposal, grant or revocation, for an organisation's role (caller: an admin of another organisation)")
	// ConsortiumRevokeRole is consortium:RevokeRole.
	ConsortiumRevokeRole = submit[RoleRequest, ledgertypes.RoleGrant]("consortium", "RevokeRole", "/v1/consortium/role-revocations",
		"Propose revoking an organisation's role, or withdraw your organisation's pending proposal (caller: an admin)")
	// ConsortiumListRoles is consortium:ListRoles.
	ConsortiumListRoles = evaluate[NoArgs, []ledgertypes.RoleGrant]("consortium", "ListRoles", "/v1/consortium/roles",
		"Every role grant, in force or proposed")
)

type consortiumOver struct{ t Transport }

func (o consortiumOver) ProposeRole(ctx context.Context, req RoleRequest) (*Committed[ledgertypes.RoleGrant], error) {
	return ConsortiumProposeRole.Run(ctx, o.t, req)
}

func (o consortiumOver) ApproveRole(ctx context.Context, req RoleRequest) (*Committed[ledgertypes.RoleGrant], error) {
	return ConsortiumApproveRole.Run(ctx, o.t, req)
}

func (o consortiumOver) RevokeRole(ctx context.Context, req RoleRequest) (*Committed[ledgertypes.RoleGrant], error) {
	return ConsortiumRevokeRole.Run(ctx, o.t, req)
}

func (o consortiumOver) ListRoles(ctx context.Context) ([]ledgertypes.RoleGrant, error) {
	res, err := ConsortiumListRoles.Query(ctx, o.t, NoArgs{})
	if err != nil {
		return nil, err
	}
	return *res, nil
}
