package ledger

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
)

// Role is a part an organisation plays in the consortium. Roles are
// registered on the ledger per MSP ID, so contracts check them with
// RequireRole and OrgHasRole instead of hard-coding organisation names.
type Role string

// The consortium roles.
const (
	// Brand registers products and lots and recalls them.
	Brand Role = "brand"
	// Merchant sells to customers and takes orders and loyalty points.
	Merchant Role = "merchant"
	// Carrier moves goods and takes custody of them.
	Carrier Role = "carrier"
	// Payment is a payment provider: it settles and refunds money.
	Payment Role = "payment"
	// Auditor certifies products and reads everything.
	Auditor Role = "auditor"
	// Arbiter settles disputes between members and customers.
	Arbiter Role = "arbiter"
)

// roles are the consortium roles, in the order messages list them.
var roles = []Role{Brand, Merchant, Carrier, Payment, Auditor, Arbiter}

// ParseRole returns the Role named s, INVALID for any other string.
func ParseRole(s string) (Role, error) {
	if r := Role(s); slices.Contains(roles, r) {
		return r, nil
	}
	return "", cxlerr.Errorf(cxlerr.Invalid, "role %q: want one of brand, merchant, carrier, payment, auditor, arbiter", s)
}

// RoleStatus is where a role grant stands.
type RoleStatus string

// Role grant states. Proposed, Active and Revoking are stored; Revoked and
// Withdrawn are only reported by the call that removed the grant.
const (
	// RoleProposed: one organisation proposed the grant; not yet in force.
	RoleProposed RoleStatus = "proposed"
	// RoleActive: in force.
	RoleActive RoleStatus = "active"
	// RoleRevoking: in force, and one organisation proposed revoking it.
	RoleRevoking RoleStatus = "revoking"
	// RoleRevoked: a second organisation approved the revocation; removed.
	RoleRevoked RoleStatus = "revoked"
	// RoleWithdrawn: the proposing organisation withdrew its proposal; removed.
	RoleWithdrawn RoleStatus = "withdrawn"
)

// roleType is the object type of role grants.
const roleType = "ledger.role"

// RoleGrant records that an organisation holds, or is proposed for, a role.
type RoleGrant struct {
	// MSP is the organisation the role is for.
	MSP string `json:"msp"`
	// Role is the role.
	Role Role `json:"role"`
	// Status is where the grant stands.
	Status RoleStatus `json:"status"`
	// ProposedBy is the MSP ID whose admin made the open proposal: the grant
	// while proposed, the revocation while revoking.
	ProposedBy string `json:"proposedBy,omitempty" metadata:",optional"`
	// GrantedBy are the proposing and the approving MSP IDs, once in force.
	GrantedBy []string `json:"grantedBy,omitempty" metadata:",optional"`
	// Updated is the time of the last change.
	Updated time.Time `json:"updated"`
	// UpdatedTx is the transaction of the last change.
	UpdatedTx string `json:"updatedTx"`
}

// InForce reports whether the grant gives the role: active, or active with a
// revocation proposed but not yet approved.
func (g RoleGrant) InForce() bool {
	return g.Status == RoleActive || g.Status == RoleRevoking
}

// OrgHasRole reports whether the organisation msp holds role.
func OrgHasRole(tx *Tx, msp string, role Role) (bool, error) {
	g, found, err := readGrant(tx, msp, role)
	if err != nil || !found {
		return false, err
	}
	return g.InForce(), nil
}

// RequireRole fails with FORBIDDEN, naming the organisation and the role,
// unless the caller's organisation holds role.
func RequireRole(tx *Tx, role Role) error {
	ok, err := OrgHasRole(tx, tx.caller.MSP, role)
	if err != nil {
		return err
	}
	if !ok {
		return cxlerr.Errorf(cxlerr.Forbidden, "organisation %s does not hold the %s role", tx.caller.MSP, role)
	}
	return nil
}

// ProposeRole records an admin's proposal that organisation msp get role.
// The caller must be an admin (NodeOU) of any organisation, msp included;
// the grant takes effect when an admin of another organisation approves it
// with ApproveRole, so no organisation gives itself a role alone. A grant
// already proposed or in force is CONFLICT.
func ProposeRole(tx *Tx, msp string, role Role) (RoleGrant, error) {
	g, found, err := adminReadGrant(tx, "propose", msp, role)
	if err != nil {
		return RoleGrant{}, err
	}
	if found {
		if g.Status == RoleProposed {
			return RoleGrant{}, cxlerr.Errorf(cxlerr.Conflict, "role %s of %s is already proposed by %s", role, msp, g.ProposedBy)
		}
		return RoleGrant{}, cxlerr.Errorf(cxlerr.Conflict, "%s already holds the %s role", msp, role)
	}
	g = RoleGrant{MSP: msp, Role: role, Status: RoleProposed, ProposedBy: tx.caller.MSP}
	return writeGrant(tx, g)
}

// ApproveRole approves the open proposal for role of msp: a proposed grant
// comes into force, a proposed revocation removes the role. The caller must
// be an admin of an organisation other than the proposer's (FORBIDDEN
// otherwise). No grant is NOT_FOUND; a grant with nothing to approve is
// CONFLICT.
func ApproveRole(tx *Tx, msp string, role Role) (RoleGrant, error) {
	g, found, err := adminReadGrant(tx, "approve", msp, role)
	if err != nil {
		return RoleGrant{}, err
	}
	if !found {
		return RoleGrant{}, cxlerr.Errorf(cxlerr.NotFound, "no proposal for the %s role of %s", role, msp)
	}
	if g.Status == RoleActive {
		return RoleGrant{}, cxlerr.Errorf(cxlerr.Conflict, "nothing to approve: %s holds the %s role and no change is proposed", msp, role)
	}
	if g.ProposedBy == tx.caller.MSP {
		return RoleGrant{}, cxlerr.Errorf(cxlerr.Forbidden, "%s proposed this change; an admin of another organisation must approve it", g.ProposedBy)
	}
	if g.Status == RoleRevoking {
		return removeGrant(tx, g, RoleRevoked)
	}
	g.Status = RoleActive
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
func RevokeRole(tx *Tx, msp string, role Role) (RoleGrant, error) {
	g, found, err := adminReadGrant(tx, "revoke", msp, role)
	if err != nil {
		return RoleGrant{}, err
	}
	if !found {
		return RoleGrant{}, cxlerr.Errorf(cxlerr.NotFound, "%s has no %s role to revoke", msp, role)
	}
	switch g.Status {
	case RoleProposed:
		if g.ProposedBy != tx.caller.MSP {
			return RoleGrant{}, cxlerr.Errorf(cxlerr.Forbidden, "only %s, which proposed the %s role of %s, can withdraw the proposal", g.ProposedBy, role, msp)
		}
		return removeGrant(tx, g, RoleWithdrawn)
	case RoleRevoking:
		return RoleGrant{}, cxlerr.Errorf(cxlerr.Conflict, "revoking the %s role of %s is already proposed by %s; an admin of another organisation approves it", role, msp, g.ProposedBy)
	}
	g.Status = RoleRevoking
	g.ProposedBy = tx.caller.MSP
	return writeGrant(tx, g)
}

// ListRoles returns every grant, in force or proposed, ordered by MSP ID and
// role.
func ListRoles(tx *Tx) ([]RoleGrant, error) {
	grants := []RoleGrant{}
	more, err := Scan(tx, roleType, nil, MaxScan, func(kv KV) error {
		var g RoleGrant
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
// valid, then reads the grant.
func adminReadGrant(tx *Tx, action, msp string, role Role) (RoleGrant, bool, error) {
	if !tx.caller.IsAdmin() {
		return RoleGrant{}, false, cxlerr.Errorf(cxlerr.Forbidden, "%s is not an admin of %s; only admins %s roles", tx.caller.Name, tx.caller.MSP, action)
	}
	return readGrant(tx, msp, role)
}

func readGrant(tx *Tx, msp string, role Role) (RoleGrant, bool, error) {
	if err := ValidateMSP("msp", msp); err != nil {
		return RoleGrant{}, false, err
	}
	if _, err := ParseRole(string(role)); err != nil {
		return RoleGrant{}, false, err
	}
	key, err := Key(tx, roleType, msp, string(role))
	if err != nil {
		return RoleGrant{}, false, err
	}
	var g RoleGrant
	found, err := GetJSON(tx, key, &g)
	return g, found, err
}

func writeGrant(tx *Tx, g RoleGrant) (RoleGrant, error) {
	g.Updated = tx.time
	g.UpdatedTx = tx.id
	key, err := Key(tx, roleType, g.MSP, string(g.Role))
	if err != nil {
		return RoleGrant{}, err
	}
	if err := PutJSON(tx, key, g); err != nil {
		return RoleGrant{}, err
	}
	return g, nil
}

func removeGrant(tx *Tx, g RoleGrant, status RoleStatus) (RoleGrant, error) {
	key, err := Key(tx, roleType, g.MSP, string(g.Role))
	if err != nil {
		return RoleGrant{}, err
	}
	if err := Delete(tx, key); err != nil {
		return RoleGrant{}, err
	}
	g.Status = status
	g.Updated = tx.time
	g.UpdatedTx = tx.id
	return g, nil
}
