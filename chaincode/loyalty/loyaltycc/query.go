package loyaltycc

import (
	"encoding/json"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/loyalty"
	"github.com/cxledger/cxledger/chaincode/orders/orderscc"
	"github.com/cxledger/cxledger/cxlerr"
)

// getProgramQuery returns a programme with its partners' acceptance.
// Programmes are consortium terms: every member may read them.
func getProgramQuery(tx *ledger.Tx, a loyalty.ProgramArgs) (*loyalty.Program, error) {
	p, err := getProgram(tx, a.Program)
	if err != nil {
		return nil, err
	}
	return withAcceptance(tx, p)
}

// listPrograms returns one page of programmes with their partners' acceptance.
func listPrograms(tx *ledger.Tx, a loyalty.PageArgs) (*loyalty.ProgramPage, error) {
	rows, next, err := ledger.Page(tx, programType, nil, a.PageSize, a.Bookmark)
	if err != nil {
		return nil, err
	}
	page := &loyalty.ProgramPage{Programs: make([]loyalty.Program, 0, len(rows)), Bookmark: next}
	for _, kv := range rows {
		var p loyalty.Program
		if err := json.Unmarshal(kv.Value, &p); err != nil {
			return nil, cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", ledger.DescribeKey(kv.Key), err)
		}
		view, err := withAcceptance(tx, &p)
		if err != nil {
			return nil, err
		}
		page.Programs = append(page.Programs, *view)
	}
	return page, nil
}

// balance sums a customer's lots in a programme.
func balance(tx *ledger.Tx, a loyalty.BalanceArgs) (*loyalty.PointsBalance, error) {
	p, err := getProgram(tx, a.Program)
	if err != nil {
		return nil, err
	}
	account := a.Account
	if account == "" {
		account = tx.Caller().Account
	}
	if err := requireViewer(tx, p, account); err != nil {
		return nil, err
	}
	lots, err := ledger.ListLots(tx, lotBook, account)
	if err != nil {
		return nil, err
	}
	d, err := readDebt(tx, p.ID, account)
	if err != nil {
		return nil, err
	}
	soonDays := a.SoonDays
	if soonDays == 0 {
		soonDays = loyalty.DefaultSoonDays
	}
	now := tx.Time()
	b := &loyalty.PointsBalance{Program: p.ID, Account: account, Unit: p.Unit, Debt: d.Points, SoonUntil: now.AddDate(0, 0, soonDays), Time: now}
	for _, l := range lots {
		if l.Unit != p.ID {
			continue
		}
		b.Lots++
		if l.ExpiredAt(now) {
			if b.Expired, err = b.Expired.Add(l.Amount); err != nil {
				return nil, cxlerr.Errorf(cxlerr.Internal, "expired points of %s overflow: %w", account, err)
			}
			continue
		}
		if b.Unexpired, err = b.Unexpired.Add(l.Amount); err != nil {
			return nil, cxlerr.Errorf(cxlerr.Internal, "points of %s overflow: %w", account, err)
		}
		if l.Expires == nil {
			continue
		}
		if l.Expires.Before(b.SoonUntil) {
			b.ExpiringSoon += l.Amount // at most Unexpired, which did not overflow
		}
		if b.NextExpiry == nil || l.Expires.Before(*b.NextExpiry) {
			next := *l.Expires
			b.NextExpiry = &next
		}
	}
	b.Available = max(b.Unexpired-b.Debt, 0)
	return b, nil
}

// history lists one page of a customer's changes in a programme.
func history(tx *ledger.Tx, a loyalty.HistoryArgs) (*loyalty.PointsHistory, error) {
	p, err := getProgram(tx, a.Program)
	if err != nil {
		return nil, err
	}
	account := a.Account
	if account == "" {
		account = tx.Caller().Account
	}
	if err := requireViewer(tx, p, account); err != nil {
		return nil, err
	}
	rows, next, err := ledger.Page(tx, entryType, []string{account, p.ID}, a.PageSize, a.Bookmark)
	if err != nil {
		return nil, err
	}
	h := &loyalty.PointsHistory{Program: p.ID, Account: account, Entries: make([]loyalty.PointsEntry, 0, len(rows)), Bookmark: next}
	for _, kv := range rows {
		var e loyalty.PointsEntry
		if err := json.Unmarshal(kv.Value, &e); err != nil {
			return nil, cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", ledger.DescribeKey(kv.Key), err)
		}
		h.Entries = append(h.Entries, e)
	}
	return h, nil
}

// orderPoints returns the points linked to an order, for its customer, its
// merchant and auditors. A missing order is FORBIDDEN to all others too, so
// only auditors learn that it is NOT_FOUND.
func orderPoints(tx *ledger.Tx, a loyalty.OrderArgs) (*loyalty.OrderPoints, error) {
	o, err := orderscc.FindOrder(tx, a.Order)
	if err != nil {
		return nil, err
	}
	var readers ledger.Readers
	if o != nil {
		readers.Parties = []string{o.Customer, o.Merchant}
	}
	if err := ledger.RequireReader(tx, readers); err != nil {
		return nil, err
	}
	if o == nil {
		return nil, cxlerr.Errorf(cxlerr.NotFound, "order %s not found", a.Order)
	}
	e, err := orderEarn(tx, o.ID)
	if err != nil {
		return nil, err
	}
	reds, err := orderRedemptions(tx, o.ID)
	if err != nil {
		return nil, err
	}
	op := &loyalty.OrderPoints{Order: o.ID, Earn: e, Redemptions: make([]loyalty.Redemption, 0, len(reds)), Reversals: []loyalty.Reversal{}}
	for _, r := range reds {
		op.Redemptions = append(op.Redemptions, *r)
	}
	more, err := ledger.Scan(tx, reversalType, []string{o.ID}, ledger.MaxScan, func(kv ledger.KV) error {
		var r loyalty.Reversal
		if err := json.Unmarshal(kv.Value, &r); err != nil {
			return cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", ledger.DescribeKey(kv.Key), err)
		}
		op.Reversals = append(op.Reversals, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if more {
		return nil, cxlerr.Errorf(cxlerr.Internal, "order %s has more than %d reversals", o.ID, ledger.MaxScan)
	}
	return op, nil
}
