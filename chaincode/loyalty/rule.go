package loyalty

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

// MulDiv returns a*b/c rounded down, computed in 128 bits so that only a
// result above math.MaxInt64 overflows (INVALID, naming what). a and b must
// not be negative and c must be positive.
func MulDiv(what string, a, b, c ledgertypes.Amount) (ledgertypes.Amount, error) {
	if a < 0 || b < 0 || c <= 0 {
		return 0, cxlerr.Errorf(cxlerr.Internal, "%s: %d * %d / %d: operands out of range", what, a, b, c)
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi >= uint64(c) {
		return 0, cxlerr.Errorf(cxlerr.Invalid, "%s: %d * %d / %d overflows", what, a, b, c)
	}
	q, _ := bits.Div64(hi, lo, uint64(c))
	if q > math.MaxInt64 {
		return 0, cxlerr.Errorf(cxlerr.Invalid, "%s: %d * %d / %d overflows", what, a, b, c)
	}
	return ledgertypes.Amount(q), nil
}

// PointsFor applies the earn rule to a purchase of amount minor units made at t.
func (r EarnRule) PointsFor(amount ledgertypes.Amount, t time.Time) (ledgertypes.Amount, error) {
	points, per := r.Points, r.Per
	for _, tier := range r.Tiers {
		if amount >= tier.MinAmount {
			points, per = tier.Points, tier.Per
		}
	}
	earned, err := MulDiv("points earned", amount, points, per)
	if err != nil {
		return 0, err
	}
	percent := int64(100)
	for _, m := range r.Multipliers {
		if !t.Before(m.From) && t.Before(m.Until) && m.Percent > percent {
			percent = m.Percent
		}
	}
	if percent == 100 {
		return earned, nil
	}
	return MulDiv("points earned", earned, ledgertypes.Amount(percent), 100)
}

// validate checks the earn rule; field names the argument ("earn").
func (r EarnRule) validate(field string) error {
	if err := validateRate(field, r.Points, r.Per); err != nil {
		return err
	}
	if len(r.Tiers) > maxTiers {
		return cxlerr.Errorf(cxlerr.Invalid, "%s.tiers: %d tiers, more than %d", field, len(r.Tiers), maxTiers)
	}
	var last ledgertypes.Amount
	for i, t := range r.Tiers {
		name := fmt.Sprintf("%s.tiers[%d]", field, i)
		if err := ledgertypes.ValidateAmount(name+".minAmount", t.MinAmount); err != nil {
			return err
		}
		if t.MinAmount <= last {
			return cxlerr.Errorf(cxlerr.Invalid, "%s.minAmount: tiers must have strictly increasing minimum amounts", name)
		}
		last = t.MinAmount
		if err := validateRate(name, t.Points, t.Per); err != nil {
			return err
		}
	}
	if len(r.Multipliers) > maxMultipliers {
		return cxlerr.Errorf(cxlerr.Invalid, "%s.multipliers: %d multipliers, more than %d", field, len(r.Multipliers), maxMultipliers)
	}
	for i, m := range r.Multipliers {
		name := fmt.Sprintf("%s.multipliers[%d]", field, i)
		if m.From.IsZero() || !m.Until.After(m.From) {
			return cxlerr.Errorf(cxlerr.Invalid, "%s: from must be set and before until", name)
		}
		if m.Percent < 1 || m.Percent > maxPercent {
			return cxlerr.Errorf(cxlerr.Invalid, "%s.percent: must be 1 to %d, got %d", name, maxPercent, m.Percent)
		}
	}
	return nil
}

// Normalize puts multiplier times in UTC, so stored programmes compare and
// print the same everywhere.
func (r *EarnRule) Normalize() {
	r.Multipliers = slices.Clone(r.Multipliers)
	for i := range r.Multipliers {
		r.Multipliers[i].From = r.Multipliers[i].From.UTC()
		r.Multipliers[i].Until = r.Multipliers[i].Until.UTC()
	}
}

// validateRate checks a "points per minor units" or "value per points" pair.
func validateRate(field string, points, per ledgertypes.Amount) error {
	if err := ledgertypes.ValidateAmount(field+".points", points); err != nil {
		return err
	}
	return ledgertypes.ValidateAmount(field+".per", per)
}

// validateProgramID checks a programme ID, which is also the unit of its
// lots: 1 to 32 ASCII letters, digits, '.', '_' or '-', starting with a
// letter or digit.
func validateProgramID(field, id string) error {
	if id == "" || len(id) > maxProgramID {
		return cxlerr.Errorf(cxlerr.Invalid, "%s: programme ID must be 1 to %d bytes", field, maxProgramID)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || !strings.ContainsRune("._-", rune(c))) {
			return cxlerr.Errorf(cxlerr.Invalid, "%s: programme ID %q may hold only letters, digits, '.', '_' and '-', starting with a letter or digit", field, id)
		}
	}
	return nil
}

// ExpiryAfter returns when points earned at t expire, nil for never.
func (p *Program) ExpiryAfter(t time.Time) *time.Time {
	if p.ExpiryDays == 0 {
		return nil
	}
	e := t.AddDate(0, 0, p.ExpiryDays)
	return &e
}

// Partner returns the terms offered to msp, if any.
func (p *Program) Partner(msp string) (PartnerTerms, bool) {
	for _, t := range p.Partners {
		if t.MSP == msp {
			return t, true
		}
	}
	return PartnerTerms{}, false
}
