package ledger

import (
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

// Readers says who may read a record, besides auditors, who read every
// record (see RequireReader).
type Readers struct {
	// Parties are the record's parties: customer accounts
	// ("<MSP ID>/<name>"), read by that identity alone, and organisations
	// (MSP IDs), read by their staff (Caller.IsStaff), never by their
	// customers. Empty strings are ignored, so optional parties (an order's
	// carrier) need no check.
	Parties []string
	// Roles are the roles whose holders read every record of the kind
	// (payment reads every order): staff whose certificate carries one of
	// them, of an organisation holding it in force (HoldsRole).
	Roles []ledgertypes.Role
}

// RequireReader fails with FORBIDDEN unless the caller may read a record
// whose readers are r: the caller is one of r.Parties (Caller.ActsForParty:
// the account itself, or staff of the organisation), or it holds one of
// r.Roles or the auditor role (HoldsRole: the role in its certificate and
// its organisation's grant in force). A customer reads only the records
// naming its own account. It is the one rule of who reads what: contracts
// name a record's parties and this decides.
//
// The message names the caller and nothing of the record, and is the same
// for every record, so a caller who may not read a record learns nothing
// from it. To keep a stranger from telling an existing record from a
// missing one, a query, and a write that acts on a record named by the
// caller (an order transition, a ticket step), looks the record up, calls
// RequireReader with empty Parties when it is missing, and answers
// NOT_FOUND, or refuses by what the record says, only after that:
// a missing record has no parties, so only role holders and auditors, who
// could read it if it existed, learn that it does not; everyone else gets
// this same FORBIDDEN.
func RequireReader(tx *Tx, r Readers) error {
	c := tx.caller
	for _, p := range r.Parties {
		if p != "" && c.ActsForParty(p) {
			return nil
		}
	}
	for _, role := range append([]ledgertypes.Role{ledgertypes.Auditor}, r.Roles...) {
		ok, err := HoldsRole(tx, role)
		if err != nil || ok {
			return err
		}
	}
	return cxlerr.Errorf(cxlerr.Forbidden, "%s may not read this record", c.Account)
}
