package loyaltycc

import (
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/loyalty"
	"github.com/cxledger/cxledger/cxlerr"
)

// earn mints points to a customer on behalf of the issuing merchant.
func earn(tx *ledger.Tx, a loyalty.EarnArgs) (*loyalty.Earn, error) {
	p, err := getProgram(tx, a.Program)
	if err != nil {
		return nil, err
	}
	if err := requireMerchant(tx, p.Merchant, "award points of programme "+p.ID); err != nil {
		return nil, err
	}
	if err := ledger.RequireMemberAccount(tx, "account", a.Account); err != nil {
		return nil, err
	}
	e := &loyalty.Earn{Program: p.ID, ID: a.ID, Account: a.Account, Points: a.Points}
	if a.Amount != 0 {
		e.Amount, e.Currency = a.Amount, p.Currency
		if e.Points, err = p.Earn.PointsFor(a.Amount, tx.Time()); err != nil {
			return nil, err
		}
		if e.Points == 0 {
			return nil, cxlerr.Errorf(cxlerr.Conflict, "amount: a purchase of %d %s earns no points in programme %s", a.Amount, p.Currency, p.ID)
		}
	}
	if err := mintEarn(tx, p, e); err != nil {
		return nil, err
	}
	err = ledger.Emit(tx, ledger.Event{
		Contract: loyalty.Name, Type: "PointsEarned",
		Keys: map[string]string{"program": p.ID, "earn": e.ID},
		Data: e,
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// mintEarn records e (Program, ID, Account, Points and the purchase set),
// minting its lot with a blind write: it reads only the earn's own key,
// never anything shared by other earns, so concurrent earns to one account
// never conflict. A second earn with the same ID is CONFLICT.
func mintEarn(tx *ledger.Tx, p *loyalty.Program, e *loyalty.Earn) error {
	key, err := ledger.Key(tx, earnType, p.ID, e.ID)
	if err != nil {
		return err
	}
	if err := mustBeNew(tx, key, "earn "+e.ID+" of programme "+p.ID); err != nil {
		return err
	}
	meta := map[string]string{"earn": e.ID}
	if e.Order != "" {
		meta = map[string]string{"order": e.Order}
	}
	lot, err := ledger.MintLot(tx, lotBook, e.Account, ledger.Lot{
		Amount: e.Points, Unit: p.ID, Expires: p.ExpiryAfter(tx.Time()), Meta: meta,
	})
	if err != nil {
		return err
	}
	e.Expires, e.Lot, e.Time, e.TxID = lot.Expires, lot.ID, tx.Time(), tx.ID()
	if err := ledger.PutJSON(tx, key, e); err != nil {
		return err
	}
	return putEntry(tx, "earn:"+e.ID, loyalty.PointsEntry{
		Program: p.ID, Account: e.Account, Type: loyalty.EntryEarned, Credited: e.Points,
		Earn: e.ID, Order: e.Order, Merchant: p.Merchant,
	})
}
