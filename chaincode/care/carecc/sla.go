package carecc

import (
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

// setSLAPolicy sets the SLA terms of the caller's organisation, which must
// hold the merchant role. Tickets opened from then on take them; open
// tickets keep the terms they were opened with.
func setSLAPolicy(tx *ledger.Tx, a care.SLAPolicyArgs) (*care.SLAPolicy, error) {
	if err := ledger.RequireRole(tx, ledgertypes.Merchant); err != nil {
		return nil, err
	}
	if _, err := readPersonal(tx); err != nil {
		return nil, err
	}
	p, err := a.Policy(tx.Caller().MSP)
	if err != nil {
		return nil, err
	}
	p.Updated, p.UpdatedTx = tx.Time(), tx.ID()
	key, err := ledger.Key(tx, policyType, p.Merchant)
	if err != nil {
		return nil, err
	}
	if err := ledger.PutJSON(tx, key, p); err != nil {
		return nil, err
	}
	err = ledger.Emit(tx, ledger.Event{Contract: care.Name, Type: "SLAPolicySet", Keys: map[string]string{"merchant": p.Merchant}, Data: p})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// getSLAPolicy returns a merchant's SLA policy, the defaults when it has
// set none. SLA terms are public.
func getSLAPolicy(tx *ledger.Tx, a care.MerchantArgs) (*care.SLAPolicy, error) {
	return readPolicy(tx, a.Merchant)
}

// readPolicy reads a merchant's SLA policy, or the defaults.
func readPolicy(tx *ledger.Tx, merchant string) (*care.SLAPolicy, error) {
	key, err := ledger.Key(tx, policyType, merchant)
	if err != nil {
		return nil, err
	}
	var p care.SLAPolicy
	found, err := ledger.GetJSON(tx, key, &p)
	if err != nil {
		return nil, err
	}
	if found {
		return &p, nil
	}
	p = care.SLAPolicy{Merchant: merchant, Default: true}
	for _, t := range []struct {
		priority string
		terms    *care.SLATerms
	}{{care.PriorityUrgent, &p.Urgent}, {care.PriorityHigh, &p.High}, {care.PriorityNormal, &p.Normal}, {care.PriorityLow, &p.Low}} {
		if *t.terms, err = care.DefaultSLA(t.priority); err != nil {
			return nil, err
		}
	}
	return &p, nil
}

// deadline is a pending SLA deadline, stored in the due index so a sweep
// finds the overdue ones in time order.
type deadline struct {
	Merchant string    `json:"merchant"`
	Ticket   string    `json:"ticket"`
	Kind     string    `json:"kind"`
	Round    int       `json:"round"`
	Due      time.Time `json:"due"`
}

// same reports whether d and e are the same deadline.
func (d deadline) same(e deadline) bool {
	return d.Merchant == e.Merchant && d.Ticket == e.Ticket && d.Kind == e.Kind && d.Round == e.Round && d.Due.Equal(e.Due)
}

// active reports whether a ticket in state is in the merchant's court, with
// the resolution clock running.
func active(state string) bool {
	switch state {
	case care.StateOpen, care.StateAssigned, care.StateResponded, care.StateReopened:
		return true
	}
	return false
}

// pendingDeadlines are the deadlines of t still to be met or missed: the
// first response until the merchant responds or it is breached, and the
// resolution of the current round while the ticket is active and it is not
// breached. The zero Ticket has none.
func pendingDeadlines(t care.Ticket) []deadline {
	if t.ID == "" {
		return nil
	}
	var ds []deadline
	if t.FirstResponseAt.IsZero() && !t.Breached(care.BreachFirstResponse, 1) {
		ds = append(ds, deadline{Merchant: t.Merchant, Ticket: t.ID, Kind: care.BreachFirstResponse, Round: 1, Due: t.FirstResponseDue})
	}
	if active(t.State) && !t.Breached(care.BreachResolution, t.Round) {
		ds = append(ds, deadline{Merchant: t.Merchant, Ticket: t.ID, Kind: care.BreachResolution, Round: t.Round, Due: t.ResolutionDue})
	}
	return ds
}

// overdue returns the breaches of t's pending deadlines that have passed at
// now, without detection details.
func overdue(t care.Ticket, now time.Time) []care.SLABreach {
	breaches := []care.SLABreach{}
	for _, d := range pendingDeadlines(t) {
		if now.After(d.Due) {
			breaches = append(breaches, care.SLABreach{Ticket: t.ID, Merchant: t.Merchant, Kind: d.Kind, Round: d.Round, Priority: t.Priority, Due: d.Due})
		}
	}
	return breaches
}

// detectBreaches returns the breaches of old overdue at the transaction's
// time, stamped with the transaction. Every transaction that touches a
// ticket records them before taking its own step, so a late response is
// recorded as a breach by the response itself.
func detectBreaches(tx *ledger.Tx, old care.Ticket) []care.SLABreach {
	breaches := overdue(old, tx.Time())
	for i := range breaches {
		breaches[i].DetectedAt = tx.Time()
		breaches[i].DetectedTx = tx.ID()
	}
	return breaches
}

// saveBreaches writes the breach report rows of newly recorded breaches.
func saveBreaches(tx *ledger.Tx, breaches []care.SLABreach) error {
	for _, b := range breaches {
		key, err := breachKey(tx, b)
		if err != nil {
			return err
		}
		if err := ledger.PutJSON(tx, key, b); err != nil {
			return err
		}
	}
	return nil
}

// saveDeadlines brings the due index from old's pending deadlines to
// next's: it deletes those that are gone and adds the new ones.
func saveDeadlines(tx *ledger.Tx, old, next care.Ticket) error {
	before, after := pendingDeadlines(old), pendingDeadlines(next)
	for _, d := range before {
		if slices.ContainsFunc(after, d.same) {
			continue
		}
		key, err := dueKey(tx, d)
		if err != nil {
			return err
		}
		if err := ledger.Delete(tx, key); err != nil {
			return err
		}
	}
	for _, d := range after {
		if slices.ContainsFunc(before, d.same) {
			continue
		}
		key, err := dueKey(tx, d)
		if err != nil {
			return err
		}
		if err := ledger.PutJSON(tx, key, d); err != nil {
			return err
		}
	}
	return nil
}

// sweepSLA records the breaches of a merchant's overdue deadlines, oldest
// deadline first. The due index is ordered by deadline, so the scan stops
// at the first deadline still in the future. Callers: the merchant itself,
// auditors and arbiters.
func sweepSLA(tx *ledger.Tx, a care.SweepSLAArgs) (*care.SLASweep, error) {
	if err := requireOversight(tx, a.Merchant); err != nil {
		return nil, err
	}
	if _, err := readPersonal(tx); err != nil {
		return nil, err
	}
	limit := a.Limit
	if limit == 0 {
		limit = defaultSweepLimit
	}
	// stop ends the scan at the first deadline not yet due.
	stop := errors.New("care: no more overdue deadlines")
	var ids []string
	more, err := ledger.Scan(tx, dueType, []string{a.Merchant}, limit, func(kv ledger.KV) error {
		var d deadline
		if err := json.Unmarshal(kv.Value, &d); err != nil {
			return cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", ledger.DescribeKey(kv.Key), err)
		}
		if !tx.Time().After(d.Due) {
			return stop
		}
		if !slices.Contains(ids, d.Ticket) {
			ids = append(ids, d.Ticket)
		}
		return nil
	})
	if errors.Is(err, stop) {
		more, err = false, nil
	}
	if err != nil {
		return nil, err
	}
	out := &care.SLASweep{Merchant: a.Merchant, Recorded: []care.SLABreach{}, More: more}
	for _, id := range ids {
		old, err := readTicket(tx, id)
		if err != nil {
			return nil, err
		}
		breaches := detectBreaches(tx, old)
		if len(breaches) == 0 {
			continue
		}
		next := old.Clone()
		next.Breaches = append(next.Breaches, breaches...)
		next.Updated, next.UpdatedTx = tx.Time(), tx.ID()
		if err := saveTicket(tx, old, next); err != nil {
			return nil, err
		}
		if err := saveBreaches(tx, breaches); err != nil {
			return nil, err
		}
		out.Recorded = append(out.Recorded, breaches...)
	}
	if len(out.Recorded) == 0 {
		return out, nil
	}
	tickets := []string{}
	for _, b := range out.Recorded {
		if !slices.Contains(tickets, b.Ticket) {
			tickets = append(tickets, b.Ticket)
		}
	}
	err = ledger.Emit(tx, ledger.Event{
		Contract: care.Name,
		Type:     "SLABreachesRecorded",
		Keys:     map[string]string{"merchant": a.Merchant},
		Data:     map[string]any{"tickets": tickets, "breaches": out.Recorded},
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// breachReport lists one page of a merchant's recorded breaches. Readers:
// the merchant's members, arbiters and auditors.
func breachReport(tx *ledger.Tx, a care.BreachReportArgs) (*care.BreachReport, error) {
	if err := ledger.RequireReader(tx, ledger.Readers{Parties: []string{a.Merchant}, Roles: oversightRoles}); err != nil {
		return nil, err
	}
	rows, next, err := ledger.Page(tx, breachType, []string{a.Merchant}, a.PageSize, a.Bookmark)
	if err != nil {
		return nil, err
	}
	out := &care.BreachReport{Merchant: a.Merchant, Breaches: make([]care.SLABreach, 0, len(rows)), Next: next}
	for _, kv := range rows {
		var b care.SLABreach
		if err := json.Unmarshal(kv.Value, &b); err != nil {
			return nil, cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", ledger.DescribeKey(kv.Key), err)
		}
		out.Breaches = append(out.Breaches, b)
	}
	return out, nil
}

// Sweep limits.
const (
	defaultSweepLimit = 100
)
