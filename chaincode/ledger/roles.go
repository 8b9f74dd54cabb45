package ledger

import (
	"encoding/json"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

// roleType is the object type of role grants.
const roleType = "ledger.role"

// OrgHasRole reports whether the organisation msp holds role.
func OrgHasRole(tx *Tx, msp string, role ledgertypes.Role) (bool, error) {
	g, found, err := readGrant(tx, msp, role)
	if err != nil || !found {
		return false, err
	}
	return g.InForce(), nil
}

// HoldsRole reports whether the caller plays role on the ledger: its
// certificate carries role (Caller.Carries) and its organisation holds role
// in force. It is RequireRole for a caller that may pass one of several
// roles.
func HoldsRole(tx *Tx, role ledgertypes.Role) (bool, error) {
	if !tx.caller.Carries(role) {
		return false, nil
	}
	return OrgHasRole(tx, tx.caller.MSP, role)
}

// RequireRole fails with FORBIDDEN unless the caller plays role for its
// own organisation: it is staff whose certificate carries role in RolesAttr
// (admins too: NodeOU admin gives no business role) and the organisation
// holds role in force on the ledger. The message says which of the two is
// missing, naming the caller and the role only.
func RequireRole(tx *Tx, role ledgertypes.Role) error {
	return ActsFor(tx, tx.caller.MSP, role)
}

// ActsFor fails with FORBIDDEN unless the caller acts for organisation msp
// in role: it is staff of msp (a customer never acts for its organisation)
// whose certificate carries role, and msp holds role in force on the
// ledger. With role "" any staff of msp acts for it and the ledger is not
// read. This is the one rule of acting for an organisation; functions that
// let an organisation finish, after it lost a role, what it began in it (a
// recall, a refund) check the identity alone with RequireStaff.
func ActsFor(tx *Tx, msp string, role ledgertypes.Role) error {
	if err := RequireStaff(tx, msp, role); err != nil || role == "" {
		return err
	}
	ok, err := OrgHasRole(tx, msp, role)
	if err != nil {
		return err
	}
	if !ok {
		return cxlerr.Errorf(cxlerr.Forbidden, "organisation %s does not hold the %s role", msp, role)
	}
	return nil
}

// RequireStaff fails with FORBIDDEN unless the caller is staff of
// organisation msp whose certificate carries role (any role when role is
// ""), whatever the ledger says of msp's roles (see ActsFor). The message
// names the caller and what it lacks.
func RequireStaff(tx *Tx, msp string, role ledgertypes.Role) error {
	c := tx.caller
	switch {
	case c.MSP != msp:
		return cxlerr.Errorf(cxlerr.Forbidden, "%s does not act for %s", c.Account, msp)
	case c.StaffOf(msp, role):
		return nil
	case !c.IsPerson():
		return cxlerr.Errorf(cxlerr.Forbidden, "%s is neither a client nor an admin and does not act for %s", c.Account, msp)
	case c.rolesMalformed:
		return cxlerr.Errorf(cxlerr.Forbidden, "%s is not staff: the %s attribute of its certificate names something that is not a role, so it gives none", c.Account, RolesAttr)
	case !c.IsStaff():
		return cxlerr.Errorf(cxlerr.Forbidden, "%s is not staff of %s: its certificate carries no roles (attribute %s), and a customer does not act for its organisation", c.Account, msp, RolesAttr)
	}
	return cxlerr.Errorf(cxlerr.Forbidden, "the certificate of %s does not carry the %s role (attribute %s)", c.Account, role, RolesAttr)
}

// ProposeRole records an admin's proposal that organisation msp get role.
// The caller must be an admin (NodeOU) of any organisation, msp included;
// the grant takes effect when an admin of another organisation approves it
// with ApproveRole, so no organisation gives itself a role alone. A grant
// already proposed or in force is CONFLICT.
func ProposeRole(tx *Tx, msp string, role ledgertypes.Role) (ledgertypes.RoleGrant, error) {
	g, found, err := adminReadGrant(tx, "propose", msp, role)
	if err != nil {
		return ledgertypes.RoleGrant{}, err
	}
	if found {
		if g.Status == ledgertypes.RoleProposed {
			return ledgertypes.RoleGrant{}, cxlerr.Errorf(cxlerr.Conflict, "role %s of %s is already proposed by %s", role, msp, g.ProposedBy)
		}
		return ledgertypes.RoleGrant{}, cxlerr.Errorf(cxlerr.Conflict, "%s already holds the %s role", msp, role)
	}
	g = ledgertypes.RoleGrant{MSP: msp, Role: role, Status: ledgertypes.RoleProposed, ProposedBy: tx.caller.MSP}
	return writeGrant(tx, g)
}

// ApproveRole approves the open proposal for role of msp: a proposed grant
// comes into force, a proposed revocation removes the role. The caller must
// be an admin of an organisation other than the proposer's (FORBIDDEN
// otherwise). No grant is NOT_FOUND; a grant with nothing to approve is
// CONFLICT.
func ApproveRole(tx *Tx, msp string, role ledgertypes.Role) (ledgertypes.RoleGrant, error) {
	g, found, err := adminReadGrant(tx, "approve", msp, role)
	if err != nil {
		return ledgertypes.RoleGrant{}, err
	}
	if !found {
		return ledgertypes.RoleGrant{}, cxlerr.Errorf(cxlerr.NotFound, "no proposal for the %s role of %s", role, msp)
	}
	if g.Status == ledgertypes.RoleActive {
		return ledgertypes.RoleGrant{}, cxlerr.Errorf(cxlerr.Conflict, "nothing to approve: %s holds the %s role and no change is proposed", msp, role)
	}
	if g.ProposedBy == tx.caller.MSP {
		return ledgertypes.RoleGrant{}, cxlerr.Errorf(cxlerr.Forbidden, "%s proposed this change; an admin of another organisation must approve it", g.ProposedBy)
	}
	if g.Status == ledgertypes.RoleRevoking {
		return removeGrant(tx, g, ledgertypes.RoleRevoked)
	}
	g.Status = ledgertypes.RoleActive
	g.GrantedBy = []string{g.ProposedBy, tx.caller.MSP}
	g.ProposedBy = ""
	return writeGrant(tx, g)
}

// RevokeRole proposes revoking role from msp; an admin of another
// organisation completes the revocation with ApproveRole, and until then the
// role stays in force. On a grant that is only proposed, RevokeRole by an
// admin of the proposing organisation withdraws the proposal (other
// organisations are FORBIDDEN: they simply do not approve it). The caller
// must be an admin. No grant is NOT_FOUND; a revocation already proposed is
// CONFLICT.
func RevokeRole(tx *Tx, msp string, role ledgertypes.Role) (ledgertypes.RoleGrant, error) {
	g, found, err := adminReadGrant(tx, "revoke", msp, role)
	if err != nil {
		return ledgertypes.RoleGrant{}, err
	}
	if !found {
		return ledgertypes.RoleGrant{}, cxlerr.Errorf(cxlerr.NotFound, "%s has no %s role to revoke", msp, role)
	}
	switch g.Status {
	case ledgertypes.RoleProposed:
		if g.ProposedBy != tx.caller.MSP {
			return ledgertypes.RoleGrant{}, cxlerr.Errorf(cxlerr.Forbidden, "only %s, which proposed the %s role of %s, can withdraw the proposal", g.ProposedBy, role, msp)
		}
		return removeGrant(tx, g, ledgertypes.RoleWithdrawn)
	case ledgertypes.RoleRevoking:
		return ledgertypes.RoleGrant{}, cxlerr.Errorf(cxlerr.Conflict, "revoking the %s role of %s is already proposed by %s; an admin of another organisation approves it", role, msp, g.ProposedBy)
	}
	g.Status = ledgertypes.RoleRevoking
	g.ProposedBy = tx.caller.MSP
	return writeGrant(tx, g)
}

// ListRoles returns every grant, in force or proposed, ordered by MSP ID and
// role.
func ListRoles(tx *Tx) ([]ledgertypes.RoleGrant, error) {
	grants := []ledgertypes.RoleGrant{}
	more, err := Scan(tx, roleType, nil, MaxScan, func(kv KV) error {
		var g ledgertypes.RoleGrant
		if err := json.Unmarshal(kv.Value, &g); err != nil {
			return cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", DescribeKey(kv.Key), err)
		}
		grants = append(grants, g)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if more {
		return nil, cxlerr.Errorf(cxlerr.Internal, "more than %d role grants", MaxScan)
	}
	return grants, nil
}

// adminReadGrant checks that the caller is an admin and the arguments are
// valid, then reads the grant. Role administration needs the NodeOU admin
// role alone, not RolesAttr: it is the organisation's admins who vote on
// the consortium's roles.
func adminReadGrant(tx *Tx, action, msp string, role ledgertypes.Role) (ledgertypes.RoleGrant, bool, error) {
	if !tx.caller.IsAdmin() {
		return ledgertypes.RoleGrant{}, false, cxlerr.Errorf(cxlerr.Forbidden, "%s is not an admin of %s; only admins %s roles", tx.caller.Name, tx.caller.MSP, action)
	}
	return readGrant(tx, msp, role)
}

func readGrant(tx *Tx, msp string, role ledgertypes.Role) (ledgertypes.RoleGrant, bool, error) {
	if err := ledgertypes.ValidateMSP("msp", msp); err != nil {
		return ledgertypes.RoleGrant{}, false, err
	}
	if _, err := ledgertypes.ParseRole(string(role)); err != nil {
		return ledgertypes.RoleGrant{}, false, err
	}
	key, err := Key(tx, roleType, msp, string(role))
	if err != nil {
		return ledgertypes.RoleGrant{}, false, err
	}
	var g ledgertypes.RoleGrant
	found, err := GetJSON(tx, key, &g)
	return g, found, err
}

func writeGrant(tx *Tx, g ledgertypes.RoleGrant) (ledgertypes.RoleGrant, error) {
	g.Updated = tx.time
	g.UpdatedTx = tx.id
	key, err := Key(tx, roleType, g.MSP, string(g.Role))
	if err != nil {
		return ledgertypes.RoleGrant{}, err
	}
	if err := PutJSON(tx, key, g); err != nil {
		return ledgertypes.RoleGrant{}, err
	}
	return g, nil
}

func removeGrant(tx *Tx, g ledgertypes.RoleGrant, status ledgertypes.RoleStatus) (ledgertypes.RoleGrant, error) {
	key, err := Key(tx, roleType, g.MSP, string(g.Role))
	if err != nil {
		return ledgertypes.RoleGrant{}, err
	}
	if err := Delete(tx, key); err != nil {
		return ledgertypes.RoleGrant{}, err
	}
	g.Status = status
	g.Updated = tx.time
	g.UpdatedTx = tx.id
	return g, nil
}
