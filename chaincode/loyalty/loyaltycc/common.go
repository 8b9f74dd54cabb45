package loyaltycc

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/loyalty"
	"github.com/cxledger/cxledger/cxlerr"
)

// timeKeyLayout renders a transaction time as a fixed-width key part, so
// that key order is time order.
const timeKeyLayout = "2006-01-02T15:04:05.000000000Z"

// getProgram reads a programme as stored (partners without acceptance).
// A missing programme is NOT_FOUND.
func getProgram(tx *ledger.Tx, id string) (*loyalty.Program, error) {
	key, err := ledger.Key(tx, programType, id)
	if err != nil {
		return nil, err
	}
	var p loyalty.Program
	if err := ledger.MustGetJSON(tx, key, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// withAcceptance returns p with each partner's acceptance filled in.
func withAcceptance(tx *ledger.Tx, p *loyalty.Program) (*loyalty.Program, error) {
	accepted := map[string]time.Time{}
	more, err := ledger.Scan(tx, acceptanceType, []string{p.ID}, loyalty.MaxPartners, func(kv ledger.KV) error {
		var a acceptance
		if err := json.Unmarshal(kv.Value, &a); err != nil {
			return cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", ledger.DescribeKey(kv.Key), err)
		}
		accepted[kv.Parts[1]] = a.Accepted
		return nil
	})
	if err != nil {
		return nil, err
	}
	if more {
		return nil, cxlerr.Errorf(cxlerr.Internal, "programme %s has more than %d partner acceptances", p.ID, loyalty.MaxPartners)
	}
	view := *p
	view.Partners = make([]loyalty.PartnerTerms, len(p.Partners))
	for i, t := range p.Partners {
		if at, ok := accepted[t.MSP]; ok {
			t.Accepted = &at
		}
		view.Partners[i] = t
	}
	return &view, nil
}

// hasAccepted reports whether partner msp accepted programme's terms.
func hasAccepted(tx *ledger.Tx, program, msp string) (bool, error) {
	key, err := ledger.Key(tx, acceptanceType, program, msp)
	if err != nil {
		return false, err
	}
	return ledger.GetJSON(tx, key, &acceptance{})
}

// requireMerchant fails with FORBIDDEN unless the caller acts for msp as
// its merchant (ledger.ActsFor: staff of msp carrying the merchant role, msp
// holding it); what says what the caller attempted.
func requireMerchant(tx *ledger.Tx, msp, what string) error {
	if c := tx.Caller(); c.MSP != msp {
		return cxlerr.Errorf(cxlerr.Forbidden, "%s may not %s: only %s may", c.Account, what, msp)
	}
	return ledger.ActsFor(tx, msp, ledgertypes.Merchant)
}

// requireHolder fails with FORBIDDEN unless the caller is account: only a
// customer spends or moves their own points.
func requireHolder(tx *ledger.Tx, account, what string) error {
	if c := tx.Caller(); c.Account != account {
		return cxlerr.Errorf(cxlerr.Forbidden, "%s may not %s the points of %s", c.Account, what, account)
	}
	return nil
}

// requireViewer fails with FORBIDDEN unless the caller may see account's
// points in p: the account itself, the issuer's staff and auditors. A
// partner sees what concerns it in the Statement, not customers' points.
func requireViewer(tx *ledger.Tx, p *loyalty.Program, account string) error {
	return ledger.RequireReader(tx, ledger.Readers{Parties: []string{account, p.Merchant}})
}

// putEntry writes an account's history entry for this transaction. cause
// tells apart the entries one transaction writes for one account and
// programme ("earn:<id>", "order:<id>", ...): the orders contract may
// refund several orders of a customer in one transaction.
func putEntry(tx *ledger.Tx, cause string, e loyalty.PointsEntry) error {
	e.Time, e.TxID = tx.Time(), tx.ID()
	key, err := ledger.Key(tx, entryType, e.Account, e.Program, tx.Time().Format(timeKeyLayout), tx.ID(), cause)
	if err != nil {
		return err
	}
	return ledger.PutJSON(tx, key, e)
}

// readDebt returns the account's debt in a programme, zero when none.
func readDebt(tx *ledger.Tx, program, account string) (debt, error) {
	key, err := ledger.Key(tx, debtType, program, account)
	if err != nil {
		return debt{}, err
	}
	var d debt
	_, err = ledger.GetJSON(tx, key, &d)
	return d, err
}

// writeDebt stores the account's debt, deleting the row when it is zero.
func writeDebt(tx *ledger.Tx, program, account string, points ledgertypes.Amount) error {
	key, err := ledger.Key(tx, debtType, program, account)
	if err != nil {
		return err
	}
	if points == 0 {
		return ledger.Delete(tx, key)
	}
	return ledger.PutJSON(tx, key, debt{Points: points, Updated: tx.Time(), TxID: tx.ID()})
}

// mustBeNew fails with CONFLICT when key exists; what names the record.
func mustBeNew(tx *ledger.Tx, key, what string) error {
	var raw json.RawMessage
	found, err := ledger.GetJSON(tx, key, &raw)
	if err != nil {
		return err
	}
	if found {
		return cxlerr.Errorf(cxlerr.Conflict, "%s already exists", what)
	}
	return nil
}

// compareExpiry orders expiries soonest first, never-expiring last.
func compareExpiry(a, b *time.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return a.Compare(*b)
}

// expiredAt reports whether an expiry has passed at t.
func expiredAt(expires *time.Time, t time.Time) bool {
	return expires != nil && !t.Before(*expires)
}

// sumLots returns the total of the lots keep keeps.
func sumLots(lots []ledger.Lot, keep func(ledger.Lot) bool) (ledgertypes.Amount, error) {
	var sum ledgertypes.Amount
	for _, l := range lots {
		if !keep(l) {
			continue
		}
		var err error
		if sum, err = sum.Add(l.Amount); err != nil {
			return 0, cxlerr.Errorf(cxlerr.Internal, "points of %s in %s overflow: %w", l.Owner, l.Unit, err)
		}
	}
	return sum, nil
}

// insufficient rewrites an INSUFFICIENT_FUNDS error from the kit with
// context; other errors pass through.
func insufficient(err error, format string, args ...any) error {
	var e *cxlerr.Error
	if !errors.As(err, &e) || e.Code != cxlerr.InsufficientFunds {
		return err
	}
	return cxlerr.Errorf(cxlerr.InsufficientFunds, "%s: %s", fmt.Sprintf(format, args...), e.Message)
}
