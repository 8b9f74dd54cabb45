package ledgertypes

// Page sizes and scan limits.
const (
	// MaxPageSize is the largest page Page and History return.
	MaxPageSize = 200
)
