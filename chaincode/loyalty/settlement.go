package loyalty

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/cxlerr"
)

// Settlement rows are keyed by the two merchants in byte order and by time,
// so a statement between two merchants over a period is one range scan per
// day of the period.
const (
	dayLayout   = "2006-01-02"
	clockLayout = "15:04:05.000000000"
)

// putSettlement writes one obligation, stamped with the transaction.
func putSettlement(tx *ledger.Tx, s SettlementEntry) error {
	s.Time, s.TxID = tx.Time(), tx.ID()
	lo, hi := min(s.Debtor, s.Creditor), max(s.Debtor, s.Creditor)
	key, err := ledger.Key(tx, settlementType, lo, hi, s.Time.Format(dayLayout), s.Time.Format(clockLayout), s.TxID, s.Program, s.Redemption)
	if err != nil {
		return err
	}
	return ledger.PutJSON(tx, key, s)
}

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
	if err := ledger.ValidateMSP("merchant", a.Merchant); err != nil {
		return err
	}
	if err := ledger.ValidateMSP("counterparty", a.Counterparty); err != nil {
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
	if a.PageSize < 0 || a.PageSize > ledger.MaxPageSize {
		return cxlerr.Errorf(cxlerr.Invalid, "pageSize: must be 1 to %d, got %d", ledger.MaxPageSize, a.PageSize)
	}
	_, err := a.skip()
	return err
}

// skip returns how many entries the bookmark says were already returned:
// its decimal count, 0 without a bookmark.
func (a *StatementArgs) skip() (int, error) {
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
	Payable    ledger.Amount `json:"payable"`
	Receivable ledger.Amount `json:"receivable"`
	// NetDebtor owes NetCreditor Net; both are absent when the two are even.
	Net         ledger.Amount `json:"net"`
	NetDebtor   string        `json:"netDebtor,omitempty" metadata:",optional"`
	NetCreditor string        `json:"netCreditor,omitempty" metadata:",optional"`
}

// statement reads every obligation between the two merchants in the
// period, nets them per currency, and returns one page of them.
func statement(tx *ledger.Tx, a StatementArgs) (*SettlementStatement, error) {
	c := tx.Caller()
	if !actsFor(c, a.Merchant) && !actsFor(c, a.Counterparty) {
		if err := requireAuditor(tx, "see the settlement statement of "+a.Merchant+" and "+a.Counterparty); err != nil {
			return nil, err
		}
	}
	from, to := a.From.UTC(), a.To.UTC()
	lo, hi := min(a.Merchant, a.Counterparty), max(a.Merchant, a.Counterparty)
	var rows []SettlementEntry
	for day := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC); day.Before(to); day = day.AddDate(0, 0, 1) {
		more, err := ledger.Scan(tx, settlementType, []string{lo, hi, day.Format(dayLayout)}, ledger.MaxScan, func(kv ledger.KV) error {
			var s SettlementEntry
			if err := json.Unmarshal(kv.Value, &s); err != nil {
				return cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", ledger.DescribeKey(kv.Key), err)
			}
			if !s.Time.Before(from) && s.Time.Before(to) {
				rows = append(rows, s)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if more || len(rows) > ledger.MaxScan {
			return nil, cxlerr.Errorf(cxlerr.Conflict, "from, to: more than %d obligations between %s and %s in the period; ask for a shorter one", ledger.MaxScan, lo, hi)
		}
	}
	st := &SettlementStatement{Merchant: a.Merchant, Counterparty: a.Counterparty, From: from, To: to, Totals: []SettlementTotal{}}
	totals := map[string]*SettlementTotal{}
	for _, s := range rows {
		t := totals[s.Currency]
		if t == nil {
			t = &SettlementTotal{Currency: s.Currency}
			totals[s.Currency] = t
		}
		var err error
		if s.Debtor == a.Merchant {
			t.Payable, err = t.Payable.Add(s.Value)
		} else {
			t.Receivable, err = t.Receivable.Add(s.Value)
		}
		if err != nil {
			return nil, cxlerr.Errorf(cxlerr.Internal, "settlement total in %s overflows: %w", s.Currency, err)
		}
	}
	for _, cur := range slices.Sorted(maps.Keys(totals)) {
		t := totals[cur]
		switch {
		case t.Payable > t.Receivable:
			t.Net, t.NetDebtor, t.NetCreditor = t.Payable-t.Receivable, a.Merchant, a.Counterparty
		case t.Receivable > t.Payable:
			t.Net, t.NetDebtor, t.NetCreditor = t.Receivable-t.Payable, a.Counterparty, a.Merchant
		}
		st.Totals = append(st.Totals, *t)
	}
	skip, err := a.skip()
	if err != nil {
		return nil, err
	}
	size := a.PageSize
	if size == 0 {
		size = ledger.DefaultPageSize
	}
	start := min(skip, len(rows))
	end := min(start+size, len(rows))
	st.Entries = slices.Clone(rows[start:end])
	if st.Entries == nil {
		st.Entries = []SettlementEntry{}
	}
	if end < len(rows) {
		st.Bookmark = strconv.Itoa(end)
	}
	return st, nil
}
