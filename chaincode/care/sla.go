package care

import (
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/cxlerr"
)

// Ticket priorities.
const (
	PriorityLow    = "low"
	PriorityNormal = "normal"
	PriorityHigh   = "high"
	PriorityUrgent = "urgent"
)

// DefaultSLA returns the first-response and resolution times of a priority
// for a merchant that has not set its own policy (SetSLAPolicy):
//
//	urgent   1 h    8 h
//	high     4 h   24 h
//	normal   8 h   72 h
//	low     24 h  168 h
//
// Any other priority is INVALID.
func DefaultSLA(priority string) (SLATerms, error) {
	switch priority {
	case PriorityUrgent:
		return terms(time.Hour, 8*time.Hour), nil
	case PriorityHigh:
		return terms(4*time.Hour, 24*time.Hour), nil
	case PriorityNormal:
		return terms(8*time.Hour, 72*time.Hour), nil
	case PriorityLow:
		return terms(24*time.Hour, 168*time.Hour), nil
	}
	return SLATerms{}, cxlerr.Errorf(cxlerr.Invalid, "priority %q: want one of low, normal, high, urgent", priority)
}

func terms(firstResponse, resolution time.Duration) SLATerms {
	return SLATerms{FirstResponse: firstResponse.String(), Resolution: resolution.String()}
}

// Limits on SLA terms.
const (
	minSLA = time.Second
	maxSLA = 366 * 24 * time.Hour
)

// durations parses and checks terms: whole seconds, at least a second,
// resolution no sooner than first response, at most 366 days. field names
// the terms in errors, which are INVALID.
func (s SLATerms) durations(field string) (firstResponse, resolution time.Duration, err error) {
	parse := func(name, value string) (time.Duration, error) {
		d, err := time.ParseDuration(value)
		switch {
		case err != nil:
			return 0, cxlerr.Errorf(cxlerr.Invalid, "%s.%s: %q is not a duration such as \"90m\" or \"4h\"", field, name, value)
		case d < minSLA || d > maxSLA || d%time.Second != 0:
			return 0, cxlerr.Errorf(cxlerr.Invalid, "%s.%s: %s must be whole seconds from %s to %s", field, name, value, minSLA, maxSLA)
		}
		return d, nil
	}
	if firstResponse, err = parse("firstResponse", s.FirstResponse); err != nil {
		return 0, 0, err
	}
	if resolution, err = parse("resolution", s.Resolution); err != nil {
		return 0, 0, err
	}
	if resolution < firstResponse {
		return 0, 0, cxlerr.Errorf(cxlerr.Invalid, "%s.resolution: %s is sooner than the first response, %s", field, resolution, firstResponse)
	}
	return firstResponse, resolution, nil
}

// SLAPolicyArgs is the argument of SetSLAPolicy: the terms of every priority.
type SLAPolicyArgs struct {
	Urgent SLATerms `json:"urgent"`
	High   SLATerms `json:"high"`
	Normal SLATerms `json:"normal"`
	Low    SLATerms `json:"low"`
}

// Validate checks every priority's terms.
func (a SLAPolicyArgs) Validate() error {
	_, err := a.policy("")
	return err
}

// policy returns the terms as merchant's policy, each checked and rendered
// in time.Duration's own format ("1h30m0s").
func (a SLAPolicyArgs) policy(merchant string) (SLAPolicy, error) {
	p := SLAPolicy{Merchant: merchant}
	for _, t := range []struct {
		priority string
		in       SLATerms
		out      *SLATerms
	}{{PriorityUrgent, a.Urgent, &p.Urgent}, {PriorityHigh, a.High, &p.High}, {PriorityNormal, a.Normal, &p.Normal}, {PriorityLow, a.Low, &p.Low}} {
		fr, res, err := t.in.durations(t.priority)
		if err != nil {
			return SLAPolicy{}, err
		}
		*t.out = terms(fr, res)
	}
	return p, nil
}

// setSLAPolicy sets the SLA terms of the caller's organisation, which must
// hold the merchant role. Tickets opened from then on take them; open
// tickets keep the terms they were opened with.
func setSLAPolicy(tx *ledger.Tx, a SLAPolicyArgs) (*SLAPolicy, error) {
	if err := ledger.RequireRole(tx, ledger.Merchant); err != nil {
		return nil, err
	}
	if _, err := readPersonal(tx); err != nil {
		return nil, err
	}
	p, err := a.policy(tx.Caller().MSP)
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
	err = ledger.Emit(tx, ledger.Event{Contract: Name, Type: "SLAPolicySet", Keys: map[string]string{"merchant": p.Merchant}, Data: p})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// MerchantArgs is the argument of functions that name a merchant.
type MerchantArgs struct {
	Merchant string `json:"merchant"`
}

// Validate checks the merchant.
func (a MerchantArgs) Validate() error { return ledger.ValidateMSP("merchant", a.Merchant) }

// getSLAPolicy returns a merchant's SLA policy, the defaults when it has
// set none. SLA terms are public.
func getSLAPolicy(tx *ledger.Tx, a MerchantArgs) (*SLAPolicy, error) {
	return readPolicy(tx, a.Merchant)
}

// readPolicy reads a merchant's SLA policy, or the defaults.
func readPolicy(tx *ledger.Tx, merchant string) (*SLAPolicy, error) {
	key, err := ledger.Key(tx, policyType, merchant)
	if err != nil {
		return nil, err
	}
	var p SLAPolicy
	found, err := ledger.GetJSON(tx, key, &p)
	if err != nil {
		return nil, err
	}
	if found {
		return &p, nil
	}
	p = SLAPolicy{Merchant: merchant, Default: true}
	for _, t := range []struct {
		priority string
		terms    *SLATerms
	}{{PriorityUrgent, &p.Urgent}, {PriorityHigh, &p.High}, {PriorityNormal, &p.Normal}, {PriorityLow, &p.Low}} {
		if *t.terms, err = DefaultSLA(t.priority); err != nil {
			return nil, err
		}
	}
	return &p, nil
}

// terms returns the policy's terms for a priority.
func (p *SLAPolicy) terms(priority string) SLATerms {
	switch priority {
	case PriorityUrgent:
		return p.Urgent
	case PriorityHigh:
		return p.High
	case PriorityNormal:
		return p.Normal
	}
	return p.Low
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
	case StateOpen, StateAssigned, StateResponded, StateReopened:
		return true
	}
	return false
}

// breached reports whether the ticket recorded a breach of kind in round.
func (t *Ticket) breached(kind string, round int) bool {
	return slices.ContainsFunc(t.Breaches, func(b SLABreach) bool { return b.Kind == kind && b.Round == round })
}

// pendingDeadlines are the deadlines of t still to be met or missed: the
// first response until the merchant responds or it is breached, and the
// resolution of the current round while the ticket is active and it is not
// breached. The zero Ticket has none.
func pendingDeadlines(t Ticket) []deadline {
	if t.ID == "" {
		return nil
	}
	var ds []deadline
	if t.FirstResponseAt.IsZero() && !t.breached(BreachFirstResponse, 1) {
		ds = append(ds, deadline{Merchant: t.Merchant, Ticket: t.ID, Kind: BreachFirstResponse, Round: 1, Due: t.FirstResponseDue})
	}
	if active(t.State) && !t.breached(BreachResolution, t.Round) {
		ds = append(ds, deadline{Merchant: t.Merchant, Ticket: t.ID, Kind: BreachResolution, Round: t.Round, Due: t.ResolutionDue})
	}
	return ds
}

// overdue returns the breaches of t's pending deadlines that have passed at
// now, without detection details.
func overdue(t Ticket, now time.Time) []SLABreach {
	breaches := []SLABreach{}
	for _, d := range pendingDeadlines(t) {
		if now.After(d.Due) {
			breaches = append(breaches, SLABreach{Ticket: t.ID, Merchant: t.Merchant, Kind: d.Kind, Round: d.Round, Priority: t.Priority, Due: d.Due})
		}
	}
	return breaches
}

// detectBreaches returns the breaches of old overdue at the transaction's
// time, stamped with the transaction. Every transaction that touches a
// ticket records them before taking its own step, so a late response is
// recorded as a breach by the response itself.
func detectBreaches(tx *ledger.Tx, old Ticket) []SLABreach {
	breaches := overdue(old, tx.Time())
	for i := range breaches {
		breaches[i].DetectedAt = tx.Time()
		breaches[i].DetectedTx = tx.ID()
	}
	return breaches
}

// saveBreaches writes the breach report rows of newly recorded breaches.
func saveBreaches(tx *ledger.Tx, breaches []SLABreach) error {
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
func saveDeadlines(tx *ledger.Tx, old, next Ticket) error {
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

// Sweep limits.
const (
	defaultSweepLimit = 100
	maxSweepLimit     = 1000
)

// SweepSLAArgs is the argument of SweepSLA.
type SweepSLAArgs struct {
	Merchant string `json:"merchant"`
	// Limit is the most deadlines to look at: 0 means 100, at most 1000.
	Limit int `json:"limit,omitempty" metadata:",optional"`
}

// Validate checks the merchant and the limit.
func (a SweepSLAArgs) Validate() error {
	if err := ledger.ValidateMSP("merchant", a.Merchant); err != nil {
		return err
	}
	if a.Limit < 0 || a.Limit > maxSweepLimit {
		return cxlerr.Errorf(cxlerr.Invalid, "limit: must be 0 to %d, got %d", maxSweepLimit, a.Limit)
	}
	return nil
}

// sweepSLA records the breaches of a merchant's overdue deadlines, oldest
// deadline first. The due index is ordered by deadline, so the scan stops
// at the first deadline still in the future. Callers: the merchant itself,
// auditors and arbiters.
func sweepSLA(tx *ledger.Tx, a SweepSLAArgs) (*SLASweep, error) {
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
	out := &SLASweep{Merchant: a.Merchant, Recorded: []SLABreach{}, More: more}
	for _, id := range ids {
		old, err := readTicket(tx, id)
		if err != nil {
			return nil, err
		}
		breaches := detectBreaches(tx, old)
		if len(breaches) == 0 {
			continue
		}
		next := old.clone()
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
		Contract: Name,
		Type:     "SLABreachesRecorded",
		Keys:     map[string]string{"merchant": a.Merchant},
		Data:     map[string]any{"tickets": tickets, "breaches": out.Recorded},
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// BreachReportArgs is the argument of BreachReport.
type BreachReportArgs struct {
	Merchant string `json:"merchant"`
	PageSize int    `json:"pageSize,omitempty" metadata:",optional"`
	Bookmark string `json:"bookmark,omitempty" metadata:",optional"`
}

// Validate checks the merchant.
func (a BreachReportArgs) Validate() error {
	return ledger.ValidateMSP("merchant", a.Merchant)
}

// breachReport lists one page of a merchant's recorded breaches. Callers:
// the merchant itself, auditors and arbiters.
func breachReport(tx *ledger.Tx, a BreachReportArgs) (*BreachReport, error) {
	if err := requireOversight(tx, a.Merchant); err != nil {
		return nil, err
	}
	rows, next, err := ledger.Page(tx, breachType, []string{a.Merchant}, a.PageSize, a.Bookmark)
	if err != nil {
		return nil, err
	}
	out := &BreachReport{Merchant: a.Merchant, Breaches: make([]SLABreach, 0, len(rows)), Next: next}
	for _, kv := range rows {
		var b SLABreach
		if err := json.Unmarshal(kv.Value, &b); err != nil {
			return nil, cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", ledger.DescribeKey(kv.Key), err)
		}
		out.Breaches = append(out.Breaches, b)
	}
	return out, nil
}
