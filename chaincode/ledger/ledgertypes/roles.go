package ledgertypes

import (
	"slices"
	"strings"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
)

// Role is a part an organisation plays in the consortium. Roles are
// registered on the ledger per MSP ID, so contracts check them with
// ledger.RequireRole and ledger.OrgHasRole instead of hard-coding organisation names.
type Role string

// roles are the consortium roles, in the order messages list them.
var roles = []Role{Brand, Merchant, Carrier, Payment, Auditor, Arbiter}

// Roles returns the consortium roles, in the order messages list them.
func Roles() []Role { return slices.Clone(roles) }

// ParseRole returns the Role named s, INVALID for any other string.
func ParseRole(s string) (Role, error) {
	if r := Role(s); slices.Contains(roles, r) {
		return r, nil
	}
	return "", cxlerr.Errorf(cxlerr.Invalid, "role %q: want one of %s", s, RoleList())
}

// RoleList is the consortium roles as messages list them: "brand, merchant, ...".
func RoleList() string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// RoleStatus is where a role grant stands.
type RoleStatus string

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
