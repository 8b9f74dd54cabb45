package loyalty

import (
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

// DefaultSoonDays is the "expiring soon" window Balance uses when asked for 0.
const DefaultSoonDays = 30

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
		if err := ledgertypes.ValidateAccount("account", a.Account); err != nil {
			return err
		}
	}
	if a.SoonDays < 0 || a.SoonDays > maxSoonDays {
		return cxlerr.Errorf(cxlerr.Invalid, "soonDays: must be 0 (%d) to %d, got %d", DefaultSoonDays, maxSoonDays, a.SoonDays)
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
	Available ledgertypes.Amount `json:"available"`
	// Unexpired is the sum of the unexpired lots, before the debt.
	Unexpired ledgertypes.Amount `json:"unexpired"`
	// ExpiringSoon is the part of Unexpired that expires before SoonUntil.
	ExpiringSoon ledgertypes.Amount `json:"expiringSoon"`
	SoonUntil    time.Time          `json:"soonUntil"`
	// NextExpiry is the earliest expiry of the unexpired points, if any.
	NextExpiry *time.Time `json:"nextExpiry,omitempty" metadata:",optional"`
	// Expired is expired points not yet removed by an expiry sweep; they
	// cannot be spent.
	Expired ledgertypes.Amount `json:"expired"`
	// Debt is what refunds took back that the customer had already spent;
	// it is paid from the customer's next redemption or transfer.
	Debt ledgertypes.Amount `json:"debt"`
	// Lots is how many lots the points are made of, expired ones included.
	Lots int `json:"lots"`
	// Time is the time the balance is computed at.
	Time time.Time `json:"time"`
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
		return ledgertypes.ValidateAccount("account", a.Account)
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

// OrderArgs names an order.
type OrderArgs struct {
	Order string `json:"order"`
}

// Validate checks the order ID.
func (a *OrderArgs) Validate() error {
	return ledgertypes.ValidateID("order", a.Order)
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
