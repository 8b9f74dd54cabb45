package loyaltycc

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/loyalty"
	"github.com/cxledger/cxledger/cxlerr"
)

// putSettlement writes one obligation, stamped with the transaction.
func putSettlement(tx *ledger.Tx, s loyalty.SettlementEntry) error {
	s.Time, s.TxID = tx.Time(), tx.ID()
	lo, hi := min(s.Debtor, s.Creditor), max(s.Debtor, s.Creditor)
	key, err := ledger.Key(tx, settlementType, lo, hi, s.Time.Format(dayLayout), s.Time.Format(clockLayout), s.TxID, s.Program, s.Redemption)
	if err != nil {
		return err
	}
	return ledger.PutJSON(tx, key, s)
}

// statement reads every obligation between the two merchants in the
// period, nets them per currency, and returns one page of them, to members
// of either merchant and auditors.
func statement(tx *ledger.Tx, a loyalty.StatementArgs) (*loyalty.SettlementStatement, error) {
	if err := ledger.RequireReader(tx, ledger.Readers{Parties: []string{a.Merchant, a.Counterparty}}); err != nil {
		return nil, err
	}
	from, to := a.From.UTC(), a.To.UTC()
	lo, hi := min(a.Merchant, a.Counterparty), max(a.Merchant, a.Counterparty)
	var rows []loyalty.SettlementEntry
	for day := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC); day.Before(to); day = day.AddDate(0, 0, 1) {
		more, err := ledger.Scan(tx, settlementType, []string{lo, hi, day.Format(dayLayout)}, ledger.MaxScan, func(kv ledger.KV) error {
			var s loyalty.SettlementEntry
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
	st := &loyalty.SettlementStatement{Merchant: a.Merchant, Counterparty: a.Counterparty, From: from, To: to, Totals: []loyalty.SettlementTotal{}}
	totals := map[string]*loyalty.SettlementTotal{}
	for _, s := range rows {
		t := totals[s.Currency]
		if t == nil {
			t = &loyalty.SettlementTotal{Currency: s.Currency}
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
	skip, err := a.Skip()
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
		st.Entries = []loyalty.SettlementEntry{}
	}
	if end < len(rows) {
		st.Bookmark = strconv.Itoa(end)
	}
	return st, nil
}

// Settlement rows are keyed by the two merchants in byte order and by time,
// so a statement between two merchants over a period is one range scan per
// day of the period.
const (
	dayLayout   = "2006-01-02"
	clockLayout = "15:04:05.000000000"
)
