package loyaltycc

import (
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/loyalty"
	"github.com/cxledger/cxledger/cxlerr"
)

// expirePoints deletes the expired lots of the given accounts in a
// programme. Expired points are unusable whether swept or not; the sweep
// tidies the state and records the expiry in each account's history. The
// issuer sweeps any accounts, a customer only their own.
func expirePoints(tx *ledger.Tx, a loyalty.ExpireArgs) (*loyalty.ExpirySweep, error) {
	p, err := getProgram(tx, a.Program)
	if err != nil {
		return nil, err
	}
	c := tx.Caller()
	if len(a.Accounts) != 1 || a.Accounts[0] != c.Account {
		if err := requireMerchant(tx, p.Merchant, "expire points of other customers in programme "+p.ID); err != nil {
			return nil, err
		}
	}
	sweep := &loyalty.ExpirySweep{Program: p.ID, Accounts: []loyalty.SweptAccount{}, Time: tx.Time(), TxID: tx.ID()}
	for _, account := range a.Accounts {
		lots, err := ledger.ListLots(tx, lotBook, account)
		if err != nil {
			return nil, err
		}
		expired := func(l ledger.Lot) bool { return l.Unit == p.ID && l.ExpiredAt(tx.Time()) }
		points, err := sumLots(lots, expired)
		if err != nil {
			return nil, err
		}
		if points == 0 {
			continue
		}
		for _, l := range lots {
			if !expired(l) {
				continue
			}
			key, err := ledger.Key(tx, lotBook, account, l.ID)
			if err != nil {
				return nil, err
			}
			if err := ledger.Delete(tx, key); err != nil {
				return nil, err
			}
		}
		if err := putEntry(tx, "expired", loyalty.PointsEntry{Program: p.ID, Account: account, Type: loyalty.EntryExpired, Debited: points}); err != nil {
			return nil, err
		}
		sweep.Accounts = append(sweep.Accounts, loyalty.SweptAccount{Account: account, Points: points})
		if sweep.Points, err = sweep.Points.Add(points); err != nil {
			return nil, cxlerr.Errorf(cxlerr.Internal, "expired points of programme %s overflow: %w", p.ID, err)
		}
	}
	if sweep.Points == 0 {
		return sweep, nil
	}
	err = ledger.Emit(tx, ledger.Event{
		Contract: loyalty.Name, Type: "PointsExpired",
		Keys: map[string]string{"program": p.ID},
		Data: sweep,
	})
	if err != nil {
		return nil, err
	}
	return sweep, nil
}
