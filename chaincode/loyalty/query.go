package loyalty

import (
	"encoding/json"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/cxlerr"
)

// defaultSoonDays is the "expiring soon" window Balance uses when asked for 0.
const defaultSoonDays = 30

// getProgramQuery returns a programme with its partners' acceptance.
// Programmes are consortium terms: every member may read them.
func getProgramQuery(tx *ledger.Tx, a ProgramArgs) (*Program, error) {
	p, err := getProgram(tx, a.Program)
	if err != nil {
		return nil, err
	}
	return withAcceptance(tx, p)
}

// PageArgs asks for one page of a listing.
type PageArgs struct {
	PageSize int    `json:"pageSize,omitempty" metadata:",optional"`
	Bookmark string `json:"bookmark,omitempty" metadata:",optional"`
}

// ProgramPage is one page of programmes.
type ProgramPage struct {
	// Programs are the programmes of the page, ordered by ID.
	Programs []Program `json:"programs"`
	// Bookmark continues the listing; absent after the last page.
	Bookmark string `json:"bookmark,omitempty" metadata:",optional"`
}

// listPrograms returns one page of programmes with their partners' acceptance.
func listPrograms(tx *ledger.Tx, a PageArgs) (*ProgramPage, error) {
	rows, next, err := ledger.Page(tx, programType, nil, a.PageSize, a.Bookmark)
	if err != nil {
		return nil, err
	}
	page := &ProgramPage{Programs: make([]Program, 0, len(rows)), Bookmark: next}
	for _, kv := range rows {
		var p Program
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

// BalanceArgs is the argument of Balance; the account defaults to the caller's.
type BalanceArgs struct {
	Program  string `json:"program"`
	Account  string `json:"account,omitempty" metadata:",optional"`
	SoonDays int    `json:"soonDays,omitempty" metadata:",optional"`
}

// Validate checks the programme, the account when given and the window.
func (a *BalanceArgs) Validate() error {
	if err := validateProgramID("program", a.Program); err != nil {
		return err
	}
	if a.Account != "" {
		if err := ledger.ValidateAccount("account", a.Account); err != nil {
			return err
		}
	}
	if a.SoonDays < 0 || a.SoonDays > maxSoonDays {
		return cxlerr.Errorf(cxlerr.Invalid, "soonDays: must be 0 (%d) to %d, got %d", defaultSoonDays, maxSoonDays, a.SoonDays)
	}
	return nil
}

// PointsBalance is a customer's points in one programme at the
// transaction time.
type PointsBalance struct {
	// Program and Account say whose points these are.
	Program string `json:"program"`
	Account string `json:"account"`
	// Unit is the programme's name for a point.
	Unit string `json:"unit"`
	// Available is what the customer can spend: the unexpired points less
	// the debt, never below zero.
	Available ledger.Amount `json:"available"`
	// Unexpired is the sum of the unexpired lots, before the debt.
	Unexpired ledger.Amount `json:"unexpired"`
	// ExpiringSoon is the part of Unexpired that expires before SoonUntil.
	ExpiringSoon ledger.Amount `json:"expiringSoon"`
	SoonUntil    time.Time     `json:"soonUntil"`
	// NextExpiry is the earliest expiry of the unexpired points, if any.
	NextExpiry *time.Time `json:"nextExpiry,omitempty" metadata:",optional"`
	// Expired is expired points not yet removed by an expiry sweep; they
	// cannot be spent.
	Expired ledger.Amount `json:"expired"`
	// Debt is what refunds took back that the customer had already spent;
	// it is paid from the customer's next redemption or transfer.
	Debt ledger.Amount `json:"debt"`
	// Lots is how many lots the points are made of, expired ones included.
	Lots int `json:"lots"`
	// Time is the time the balance is computed at.
	Time time.Time `json:"time"`
}

// balance sums a customer's lots in a programme.
func balance(tx *ledger.Tx, a BalanceArgs) (*PointsBalance, error) {
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
		soonDays = defaultSoonDays
	}
	now := tx.Time()
	b := &PointsBalance{Program: p.ID, Account: account, Unit: p.Unit, Debt: d.Points, SoonUntil: now.AddDate(0, 0, soonDays), Time: now}
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

// HistoryArgs is the argument of History; the account defaults to the caller's.
type HistoryArgs struct {
	Program  string `json:"program"`
	Account  string `json:"account,omitempty" metadata:",optional"`
	PageSize int    `json:"pageSize,omitempty" metadata:",optional"`
	Bookmark string `json:"bookmark,omitempty" metadata:",optional"`
}

// Validate checks the programme and the account when given.
func (a *HistoryArgs) Validate() error {
	if err := validateProgramID("program", a.Program); err != nil {
		return err
	}
	if a.Account != "" {
		return ledger.ValidateAccount("account", a.Account)
	}
	return nil
}

// PointsHistory is one page of a customer's history in a programme.
type PointsHistory struct {
	// Program and Account say whose history this is.
	Program string `json:"program"`
	Account string `json:"account"`
	// Entries are the changes, oldest first.
	Entries []PointsEntry `json:"entries"`
	// Bookmark continues the listing; absent after the last page.
	Bookmark string `json:"bookmark,omitempty" metadata:",optional"`
}

// history lists one page of a customer's changes in a programme.
func history(tx *ledger.Tx, a HistoryArgs) (*PointsHistory, error) {
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
	h := &PointsHistory{Program: p.ID, Account: account, Entries: make([]PointsEntry, 0, len(rows)), Bookmark: next}
	for _, kv := range rows {
		var e PointsEntry
		if err := json.Unmarshal(kv.Value, &e); err != nil {
			return nil, cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", ledger.DescribeKey(kv.Key), err)
		}
		h.Entries = append(h.Entries, e)
	}
	return h, nil
}

// OrderArgs names an order.
type OrderArgs struct {
	Order string `json:"order"`
}

// Validate checks the order ID.
func (a *OrderArgs) Validate() error {
	return ledger.ValidateID("order", a.Order)
}

// OrderPoints links an order to its points: the earn of its delivery, the
// redemptions against it and what each refund reversed.
type OrderPoints struct {
	// Order is the order.
	Order string `json:"order"`
	// Earn is what its delivery earned, if anything.
	Earn *Earn `json:"earn,omitempty" metadata:",optional"`
	// Redemptions are the points redeemed against it.
	Redemptions []Redemption `json:"redemptions"`
	// Reversals are what its refunds did to the points, oldest first.
	Reversals []Reversal `json:"reversals"`
}

// orderPoints returns the points linked to an order, for its customer, its
// merchant and auditors.
func orderPoints(tx *ledger.Tx, a OrderArgs) (*OrderPoints, error) {
	o, err := orders.GetOrder(tx, a.Order)
	if err != nil {
		return nil, err
	}
	if c := tx.Caller(); c.Account != o.Customer && !actsFor(c, o.Merchant) {
		if err := requireAuditor(tx, "see the points of order "+o.ID); err != nil {
			return nil, err
		}
	}
	e, err := orderEarn(tx, o.ID)
	if err != nil {
		return nil, err
	}
	reds, err := orderRedemptions(tx, o.ID)
	if err != nil {
		return nil, err
	}
	op := &OrderPoints{Order: o.ID, Earn: e, Redemptions: make([]Redemption, 0, len(reds)), Reversals: []Reversal{}}
	for _, r := range reds {
		op.Redemptions = append(op.Redemptions, *r)
	}
	more, err := ledger.Scan(tx, reversalType, []string{o.ID}, ledger.MaxScan, func(kv ledger.KV) error {
		var r Reversal
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
