package store

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// captureJobsBucket holds EPCIS capture jobs by principal and ID.
var captureJobsBucket = []byte("epcisCaptureJobs")

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
func (s *Store) PutCaptureJob(job CaptureJob) error {
	data, err := json.Marshal(job)
	if err != nil {
		return fmt.Errorf("encode capture job %s: %w", job.ID, err)
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(captureJobsBucket)
		if err != nil {
			return err
		}
		return b.Put(recordKey(job.Principal, job.ID), data)
	})
}

// CaptureJob returns the capture job id of principal, or nil when it has none of that ID.
func (s *Store) CaptureJob(principal, id string) (*CaptureJob, error) {
	var job *CaptureJob
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(captureJobsBucket)
		if b == nil {
			return nil
		}
		data := b.Get(recordKey(principal, id))
		if data == nil {
			return nil
		}
		job = &CaptureJob{}
		if err := json.Unmarshal(data, job); err != nil {
			return fmt.Errorf("decode capture job %s: %w", id, err)
		}
		job.Principal = principal
		return nil
	})
	return job, err
}
