package store

import "time"

// CaptureJob is an EPCIS capture job (GS1 EPCIS 2.0 REST binding, /capture/{captureID}): a
// document accepted for capture and, once its transaction is known, how it ended.
type CaptureJob struct {
	// ID is the capture ID; Principal the API client that sent it, the only one that reads it.
	ID        string `json:"captureID"`
	Principal string `json:"-"`
	// ErrorBehaviour is "rollback" or "proceed".
	ErrorBehaviour string `json:"captureErrorBehaviour"`
	// CreatedAt and FinishedAt bound the job; FinishedAt is zero while it runs.
	CreatedAt  time.Time `json:"createdAt"`
	FinishedAt time.Time `json:"finishedAt,omitzero"`
	// Running is true until the job ends; Success then says whether it captured.
	Running bool `json:"running"`
	Success bool `json:"success"`
	// Events is how many events the document held; Captured how many the ledger recorded
	// new, Duplicates how many it held already.
	Events     int `json:"events"`
	Captured   int `json:"captured"`
	Duplicates int `json:"duplicates"`
	// TransactionID is the capture's transaction, once submitted.
	TransactionID string `json:"transactionId,omitempty"`
	// Errors say what failed: each event refused, or the whole capture.
	Errors []CaptureError `json:"errors,omitempty"`
	// Mapped are the captured events that also became provenance records; every other
	// captured event is kept whole only.
	Mapped []CaptureMapping `json:"mapped,omitempty"`
	// Deliveries say what captured events did to orders (a receiving event naming an
	// order, a custody acceptance of an order's shipment): released or why not.
	Deliveries []CaptureDelivery `json:"deliveries,omitempty"`
}

// CaptureDelivery is what one captured event did to an order, as the epcis contract says.
type CaptureDelivery struct {
	// Index is the event's place in the document; Hash its CBV event hash.
	Index int    `json:"eventIndex"`
	Hash  string `json:"eventHash"`
	// Order is the order; absent when the capturer may not read the one the event names.
	Order string `json:"order,omitempty"`
	// Released says whether the event delivered the order, releasing Amount in Currency
	// (minor units) to the merchant; Reason why not.
	Released bool   `json:"released"`
	Amount   int64  `json:"amount,omitempty"`
	Currency string `json:"currency,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// CaptureMapping is what one captured event became besides itself.
type CaptureMapping struct {
	// Index is the event's place in the document; Hash its CBV event hash.
	Index int    `json:"eventIndex"`
	Hash  string `json:"eventHash"`
	// Records are what it became ("items:3", "lineage"), as the epcis contract says.
	Records []string `json:"records"`
}

// CaptureError is one error of a capture job, in EPCIS's exception vocabulary.
type CaptureError struct {
	// Type is the EPCIS exception ("epcisException:ValidationException").
	Type string `json:"type"`
	// Title says what happened; Index is the event's place in the document, -1 for the
	// whole document.
	Title string `json:"title"`
	Index int    `json:"eventIndex"`
}

// PutCaptureJob records job, replacing an earlier version of it.
func (s *Store) PutCaptureJob(job CaptureJob) error { return s.b.PutCaptureJob(job) }

// CaptureJob returns the capture job id of principal, or nil when it has none of that ID.
func (s *Store) CaptureJob(principal, id string) (*CaptureJob, error) {
	return s.b.CaptureJob(principal, id)
}
