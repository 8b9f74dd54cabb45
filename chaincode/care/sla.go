package care

import (
	"slices"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
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

// Durations parses and checks terms: whole seconds, at least a second,
// resolution no sooner than first response, at most 366 days. field names
// the terms in errors, which are INVALID.
func (s SLATerms) Durations(field string) (firstResponse, resolution time.Duration, err error) {
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
	_, err := a.Policy("")
	return err
}

// Policy returns the terms as merchant's policy, each checked and rendered
// in time.Duration's own format ("1h30m0s").
func (a SLAPolicyArgs) Policy(merchant string) (SLAPolicy, error) {
	p := SLAPolicy{Merchant: merchant}
	for _, t := range []struct {
		priority string
		in       SLATerms
		out      *SLATerms
	}{{PriorityUrgent, a.Urgent, &p.Urgent}, {PriorityHigh, a.High, &p.High}, {PriorityNormal, a.Normal, &p.Normal}, {PriorityLow, a.Low, &p.Low}} {
		fr, res, err := t.in.Durations(t.priority)
		if err != nil {
			return SLAPolicy{}, err
		}
		*t.out = terms(fr, res)
	}
	return p, nil
}

// MerchantArgs is the argument of functions that name a merchant.
type MerchantArgs struct {
	Merchant string `json:"merchant"`
}

// Validate checks the merchant.
func (a MerchantArgs) Validate() error { return ledgertypes.ValidateMSP("merchant", a.Merchant) }

// Terms returns the policy's terms for a priority.
func (p *SLAPolicy) Terms(priority string) SLATerms {
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

// Breached reports whether the ticket recorded a breach of kind in round.
func (t *Ticket) Breached(kind string, round int) bool {
	return slices.ContainsFunc(t.Breaches, func(b SLABreach) bool { return b.Kind == kind && b.Round == round })
}

// Sweep limits.
const (
	maxSweepLimit = 1000
)

// SweepSLAArgs is the argument of SweepSLA.
type SweepSLAArgs struct {
	Merchant string `json:"merchant"`
	// Limit is the most deadlines to look at: 0 means 100, at most 1000.
	Limit int `json:"limit,omitempty" metadata:",optional"`
}

// Validate checks the merchant and the limit.
func (a SweepSLAArgs) Validate() error {
	if err := ledgertypes.ValidateMSP("merchant", a.Merchant); err != nil {
		return err
	}
	if a.Limit < 0 || a.Limit > maxSweepLimit {
		return cxlerr.Errorf(cxlerr.Invalid, "limit: must be 0 to %d, got %d", maxSweepLimit, a.Limit)
	}
	return nil
}

// BreachReportArgs is the argument of BreachReport.
type BreachReportArgs struct {
	Merchant string `json:"merchant"`
	PageSize int    `json:"pageSize,omitempty" metadata:",optional"`
	Bookmark string `json:"bookmark,omitempty" metadata:",optional"`
}

// Validate checks the merchant.
func (a BreachReportArgs) Validate() error {
	return ledgertypes.ValidateMSP("merchant", a.Merchant)
}
