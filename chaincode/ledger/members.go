package ledger

import (
	"encoding/json"
	"strings"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

// IsMember reports whether the organisation msp is a member of the
// consortium: whether it holds at least one role in force (active, or
// active with a revocation proposed but not yet approved).
//
// The consortium's own records are the role grants: an organisation is
// admitted when an admin of another organisation approves a role proposed
// for it (ProposeRole, ApproveRole), and it leaves when its last role is
// revoked. A grant only proposed does not make a member, so no organisation
// makes itself one alone. Fabric's channel configuration, which lists the
// organisations that run peers, is not readable by chaincode; an
// organisation there but without a role is not a member of the consortium.
//
// It reads the organisation's few grant keys by key, never by range, so
// it adds no range query to the transaction's read set.
func IsMember(tx *Tx, msp string) (bool, error) {
	keys := make([]string, len(ledgertypes.Roles()))
	for i, r := range ledgertypes.Roles() {
		key, err := Key(tx, roleType, msp, string(r))
		if err != nil {
			return false, err
		}
		keys[i] = key
	}
	values, err := tx.stub.GetMultipleStates(keys...)
	if err != nil {
		return false, cxlerr.Errorf(cxlerr.Internal, "read the roles of %s: %w", msp, err)
	}
	for i, raw := range values {
		if len(raw) == 0 {
			continue
		}
		var g ledgertypes.RoleGrant
		if err := json.Unmarshal(raw, &g); err != nil {
			return false, cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", DescribeKey(keys[i]), err)
		}
		if g.InForce() {
			return true, nil
		}
	}
	return false, nil
}

// RequireMember checks an organisation a request names in field (an order's
// merchant, the receiver of custody, a programme's partner, ...): a
// malformed MSP ID is INVALID, an organisation that is not a member of the
// consortium (see IsMember) NOT_FOUND, both naming field. Every transaction
// that records an organisation calls it, so nothing on the ledger can name
// an organisation that does not exist, such as the typo "Org2MSPX": a
// custody offer to one would lock the lot behind an endorsement policy no
// peer can satisfy, and money or points sent to one could never be spent.
func RequireMember(tx *Tx, field, msp string) error {
	if err := ledgertypes.ValidateMSP(field, msp); err != nil {
		return err
	}
	ok, err := IsMember(tx, msp)
	if err != nil {
		return err
	}
	if !ok {
		return cxlerr.Errorf(cxlerr.NotFound, "%s: organisation %s is not a member of the consortium (it holds no role in force)", field, msp)
	}
	return nil
}

// RequireMemberAccount checks an account "<MSP ID>/<name>" a request names
// in field as RequireMember checks an organisation: a malformed account is
// INVALID, an account of an organisation that is not a member NOT_FOUND.
//
// Only the organisation part is checked. Customers are not enrolled on the
// ledger yet, so the name part of a customer account cannot be checked: a
// well-formed account of a member organisation is accepted whether or not
// anyone holds a certificate with that common name. When customers are
// enrolled through a CA and registered on the ledger, this is the one place
// to check the name as well.
func RequireMemberAccount(tx *Tx, field, account string) error {
	if err := ledgertypes.ValidateAccount(field, account); err != nil {
		return err
	}
	msp, _, _ := strings.Cut(account, "/")
	return RequireMember(tx, field, msp)
}

// RequireMemberParty checks a party that is either an organisation (an MSP
// ID, no '/') or an account of one, with RequireMember or
// RequireMemberAccount.
func RequireMemberParty(tx *Tx, field, party string) error {
	if strings.Contains(party, "/") {
		return RequireMemberAccount(tx, field, party)
	}
	return RequireMember(tx, field, party)
}
