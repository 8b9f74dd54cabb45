package loyalty

import (
	"strconv"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

// StatementArgs is the argument of Statement: the period is [from, to).
type StatementArgs struct {
	Merchant     string    `json:"merchant"`
	Counterparty string    `json:"counterparty"`
	From         time.Time `json:"from"`
	To           time.Time `json:"to"`
	PageSize     int       `json:"pageSize,omitempty" metadata:",optional"`
	Bookmark     string    `json:"bookmark,omitempty" metadata:",optional"`
}

// Validate checks the merchants, the period (at most 366 days) and the page.
func (a *StatementArgs) Validate() error {
	if err := ledgertypes.ValidateMSP("merchant", a.Merchant); err != nil {
		return err
	}
	if err := ledgertypes.ValidateMSP("counterparty", a.Counterparty); err != nil {
		return err
	}
	if a.Merchant == a.Counterparty {
		return cxlerr.Errorf(cxlerr.Invalid, "counterparty: a statement is between two different merchants")
	}
	if a.From.IsZero() || !a.To.After(a.From) {
		return cxlerr.Errorf(cxlerr.Invalid, "from, to: from must be set and before to")
	}
	if a.To.Sub(a.From) > maxPeriod {
		return cxlerr.Errorf(cxlerr.Invalid, "from, to: a statement covers at most 366 days")
	}
	if a.PageSize < 0 || a.PageSize > ledgertypes.MaxPageSize {
		return cxlerr.Errorf(cxlerr.Invalid, "pageSize: must be 1 to %d, got %d", ledgertypes.MaxPageSize, a.PageSize)
	}
	_, err := a.Skip()
	return err
}

// Skip returns how many entries the bookmark says were already returned:
// its decimal count, 0 without a bookmark.
func (a *StatementArgs) Skip() (int, error) {
	if a.Bookmark == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(a.Bookmark)
	if err != nil || n < 0 || strconv.Itoa(n) != a.Bookmark {
		return 0, cxlerr.Errorf(cxlerr.Invalid, "bookmark %q: not a statement bookmark", a.Bookmark)
	}
	return n, nil
}

// SettlementStatement nets the obligations between two merchants over a
// period, from the point of view of Merchant.
type SettlementStatement struct {
	// Merchant and Counterparty are the two organisations.
	Merchant     string `json:"merchant"`
	Counterparty string `json:"counterparty"`
	// From and To bound the period [From, To).
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Totals net the whole period, one per currency, ordered by currency.
	Totals []SettlementTotal `json:"totals"`
	// Entries are one page of the period's obligations, oldest first.
	Entries []SettlementEntry `json:"entries"`
	// Bookmark continues with the next page; absent after the last.
	Bookmark string `json:"bookmark,omitempty" metadata:",optional"`
}

// SettlementTotal is the net of a period's obligations in one currency.
type SettlementTotal struct {
	// Currency of the amounts.
	Currency string `json:"currency"`
	// Payable is what Merchant owes Counterparty, gross; Receivable what
	// Counterparty owes Merchant.
	Payable    ledgertypes.Amount `json:"payable"`
	Receivable ledgertypes.Amount `json:"receivable"`
	// NetDebtor owes NetCreditor Net; both are absent when the two are even.
	Net         ledgertypes.Amount `json:"net"`
	NetDebtor   string             `json:"netDebtor,omitempty" metadata:",optional"`
	NetCreditor string             `json:"netCreditor,omitempty" metadata:",optional"`
}
