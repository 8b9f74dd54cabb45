package provenance

import (
	"github.com/cxledger/cxledger/cxlerr"
)

// Trace limits.
const (
	// defaultTraceItems and maxTraceItems are the item page sizes of Trace.
	defaultTraceItems = 1000
	maxTraceItems     = 10000
)

// TraceArgs is the argument of Trace.
type TraceArgs struct {
	GTIN     string `json:"gtin"`
	Lot      string `json:"lot"`
	PageSize int    `json:"pageSize,omitempty" metadata:",optional"`
	Bookmark string `json:"bookmark,omitempty" metadata:",optional"`
}

// Validate checks the fields and normalises the GTIN.
func (a *TraceArgs) Validate() error {
	gtin, err := NormalizeGTIN("gtin", a.GTIN)
	if err != nil {
		return err
	}
	a.GTIN = gtin
	if err := ValidateLotNumber("lot", a.Lot); err != nil {
		return err
	}
	if a.PageSize < 0 || a.PageSize > maxTraceItems {
		return cxlerr.Errorf(cxlerr.Invalid, "pageSize: must be 1 to %d (0 for %d), got %d", maxTraceItems, defaultTraceItems, a.PageSize)
	}
	if a.PageSize == 0 {
		a.PageSize = defaultTraceItems
	}
	return nil
}
