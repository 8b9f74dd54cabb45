package orders

import (
	"github.com/cxledger/cxledger/cxlerr"
)

// Sweep limits.
const (
	// DefaultSweep is how many overdue orders Sweep refunds when not told.
	DefaultSweep = 20
	// MaxSweep is the most overdue orders one Sweep refunds.
	MaxSweep = 100
	// MaxSweepCount is the most overdue orders Sweep counts beyond those it
	// refunds, to report how many remain.
	MaxSweepCount = 1000
)

// SweepArgs is the argument of Sweep.
type SweepArgs struct {
	Limit int `json:"limit,omitempty" metadata:",optional"`
}

// Validate checks the limit.
func (a SweepArgs) Validate() error {
	if a.Limit < 0 || a.Limit > MaxSweep {
		return cxlerr.Errorf(cxlerr.Invalid, "limit: want 1 to %d (0 for %d), got %d", MaxSweep, DefaultSweep, a.Limit)
	}
	return nil
}
