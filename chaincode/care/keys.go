package care

// Limits.
const (
	// MaxTicketSteps is the most steps a ticket records.
	MaxTicketSteps = 1000
	// MaxReviewEntries is the most versions and replies a review records.
	MaxReviewEntries = 200
)
