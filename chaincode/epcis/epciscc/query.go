package epciscc

import (
	"encoding/json"

	"github.com/cxledger/cxledger/chaincode/epcis"
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/cxlerr"
	gepcis "github.com/cxledger/cxledger/gs1/epcis"
)

// filter is a validated query: the index it reads and the conditions every event must meet.
type filter struct {
	prefix []string
	match  []func(*gepcis.Event) bool
	// ge and lt bound the event time as index keys hold it; "" for no bound.
	ge, lt string
}

// inWindow reports whether an index row's event time is within the query's bounds.
func (f *filter) inWindow(row ledger.KV) bool {
	at := row.Parts[len(row.Parts)-2]
	return (f.ge == "" || at >= f.ge) && (f.lt == "" || at < f.lt)
}

func buildFilter(a epcis.QueryArgs) (*filter, error) {
	f := &filter{}
	use := func(param, value string, canon func(string) (string, error), has func(*gepcis.Event, string) bool) error {
		if value == "" {
			return nil
		}
		v, err := canon(value)
		if err != nil {
			return cxlerr.Errorf(cxlerr.Invalid, "%s: %s", param, cxlerr.From(err).Message)
		}
		if f.prefix == nil {
			// The index holds exactly the events with this value: no check of its own.
			f.prefix = []string{param, part(v)}
			return nil
		}
		f.match = append(f.match, func(e *gepcis.Event) bool { return has(e, v) })
		return nil
	}
	contains := func(l []string, v string) bool {
		for _, x := range l {
			if x == v {
				return true
			}
		}
		return false
	}
	classes := func(l []gepcis.Quantity) []string {
		var out []string
		for _, q := range l {
			out = append(out, q.EPCClass)
		}
		return out
	}
	steps := []error{
		use("epc", a.MatchEPC, gepcis.CanonicalEPC, func(e *gepcis.Event, v string) bool {
			return contains(e.EPCList, v) || contains(e.ChildEPCs, v)
		}),
		use("parentID", a.MatchParentID, gepcis.CanonicalEPC, func(e *gepcis.Event, v string) bool { return e.ParentID == v }),
		use("inputEPC", a.MatchInputEPC, gepcis.CanonicalEPC, func(e *gepcis.Event, v string) bool {
			return contains(e.InputEPCList, v) || contains(classes(e.InputQuantityList), v)
		}),
		use("outputEPC", a.MatchOutputEPC, gepcis.CanonicalEPC, func(e *gepcis.Event, v string) bool {
			return contains(e.OutputEPCList, v) || contains(classes(e.OutputQuantityList), v)
		}),
		use("anyEPC", a.MatchAnyEPC, gepcis.CanonicalEPC, func(e *gepcis.Event, v string) bool { return contains(e.EPCs(), v) }),
		use("bizLocation", a.EQBizLocation, gepcis.CanonicalLocation, func(e *gepcis.Event, v string) bool { return e.BizLocation == v }),
		use("bizStep", a.EQBizStep, gepcis.CanonicalBizStep, func(e *gepcis.Event, v string) bool { return e.BizStep == v }),
		use("disposition", a.EQDisposition, gepcis.CanonicalDisposition, func(e *gepcis.Event, v string) bool { return e.Disposition == v }),
	}
	for _, err := range steps {
		if err != nil {
			return nil, err
		}
	}
	if a.BizTransaction != "" || a.BizTransactionType != "" {
		if a.BizTransaction == "" || a.BizTransactionType == "" {
			return nil, cxlerr.Errorf(cxlerr.Invalid, "EQ_bizTransaction_<type>: both the type and the transaction are needed")
		}
		t, err := gepcis.CanonicalBizTransactionType(a.BizTransactionType)
		if err != nil {
			return nil, cxlerr.Errorf(cxlerr.Invalid, "EQ_bizTransaction_%s: %s", a.BizTransactionType, cxlerr.From(err).Message)
		}
		id := a.BizTransaction
		if f.prefix == nil {
			f.prefix = []string{"bizTransaction", part(t + " " + id)}
		} else {
			f.match = append(f.match, func(e *gepcis.Event) bool {
				for _, bt := range e.BizTransactions {
					if bt.Type == t && bt.ID == id {
						return true
					}
				}
				return false
			})
		}
	}
	if !a.GEEventTime.IsZero() {
		f.ge = timeKey(a.GEEventTime)
	}
	if !a.LTEventTime.IsZero() {
		f.lt = timeKey(a.LTEventTime)
	}
	if f.prefix == nil {
		f.prefix = []string{"time"}
	}
	return f, nil
}

func query(tx *ledger.Tx, a epcis.QueryArgs) (*epcis.QueryResult, error) {
	f, err := buildFilter(a)
	if err != nil {
		return nil, err
	}
	rows, next, err := ledger.Page(tx, indexType, f.prefix, a.PageSize, a.Bookmark)
	if err != nil {
		return nil, err
	}
	res := &epcis.QueryResult{Events: []epcis.StoredEvent{}, Bookmark: next}
	// Read the page's events and their error declarations at once.
	var keys []string
	for _, row := range rows {
		if !f.inWindow(row) {
			continue
		}
		h := row.Parts[len(row.Parts)-1]
		key, err := ledger.Key(tx, eventType, h)
		if err != nil {
			return nil, err
		}
		ekey, err := ledger.Key(tx, errorType, h)
		if err != nil {
			return nil, err
		}
		keys = append(keys, key, ekey)
	}
	if len(keys) == 0 {
		return res, nil
	}
	values, err := tx.Stub().GetMultipleStates(keys...)
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "read events: %w", err)
	}
	for i := 0; i < len(values); i += 2 {
		if values[i] == nil {
			return nil, cxlerr.Errorf(cxlerr.Internal, "index names %s, which is not stored", ledger.DescribeKey(keys[i]))
		}
		var s epcis.StoredEvent
		if err := json.Unmarshal(values[i], &s); err != nil {
			return nil, cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", ledger.DescribeKey(keys[i]), err)
		}
		if ledger.RequireReader(tx, ledger.Readers{Parties: []string{s.Capturer}}) != nil {
			continue
		}
		if len(f.match) > 0 {
			e, err := parseStored(s)
			if err != nil {
				return nil, err
			}
			ok := true
			for _, m := range f.match {
				ok = ok && m(e)
			}
			if !ok {
				continue
			}
		}
		if values[i+1] != nil {
			var d epcis.Declaration
			if err := json.Unmarshal(values[i+1], &d); err != nil {
				return nil, cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", ledger.DescribeKey(keys[i+1]), err)
			}
			s.ErrorDeclaration = &d
		}
		res.Events = append(res.Events, s)
	}
	return res, nil
}

// parseStored reads a stored event back into its canonical form.
func parseStored(s epcis.StoredEvent) (*gepcis.Event, error) {
	e, err := gepcis.ParseCheckedEvent(s.Event, gepcis.Namespaces(s.Namespaces), "stored")
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "stored event %s: %w", s.Hash, err)
	}
	return e, nil
}
