// Package store is the gateway service's durable memory: for every mutating
// request, its idempotency key, a fingerprint of the request, the transaction it created
// (the signed envelope, stored before submission) and, once known, its outcome. Pending
// transactions are found here after a restart and reconciled with the ledger.
//
// The records live in a Backend: one bbolt file (Open, the embedded default, for one
// process) or a PostgreSQL database (OpenPostgres) that several replicas of one member's
// gateway share. Store holds what is the same for both: the keys whose requests run in this
// process and the outcomes being written; the Backend makes a key's claim hold across the
// processes that share it.
//
// A request's record is written once before its transaction is submitted (Pending, with
// the envelope: from then on the transaction may commit, and reconciliation can follow it
// and submit it again) and once with its outcome (Done). Only the first write is on the
// request's path: the outcome is written in the background, because a lost outcome is
// recovered from the ledger by reconciliation (the record is Pending with the endorsed
// result), while the request's answer is already known. Until that write is done, a repeat
// of the request gets the outcome from memory. Nothing is written before endorsement: a
// request whose transaction never left the process applied nothing, so running it again
// is the right answer to its repeat. Done records with a retryable error let the same
// request run again.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
)

// State is where a request's record stands.
type State string

// Record states.
const (
	// Reserved: the key is taken; the transaction has not been handed to ordering. Only a
	// store written by an earlier version of the service holds such records (Open settles
	// them).
	Reserved State = "RESERVED"
	// Pending: the signed transaction is stored; its commit is not known.
	Pending State = "PENDING"
	// Done: the outcome is final.
	Done State = "DONE"
)

// Record is one mutating request and the transaction it created.
type Record struct {
	// Principal is who sent the request; keys are scoped per principal.
	Principal string `json:"principal"`
	// Key is the request's idempotency key.
	Key string `json:"key"`
	// Fingerprint identifies the request (operation and body): the same key with another
	// fingerprint is refused.
	Fingerprint string `json:"fingerprint"`
	// Operation names the operation, e.g. "health.Ping".
	Operation string `json:"operation"`
	// State is where the record stands.
	State State `json:"state"`
	// TxID is the transaction the request created last (a read conflict creates a new one).
	TxID string `json:"txId,omitempty"`
	// SignedTx is the signed transaction envelope while Pending, so that it can be
	// submitted again. It is kept apart from the record (Pending fills it in).
	SignedTx []byte `json:"-"`
	// Result is the contract's endorsed result.
	Result json.RawMessage `json:"result,omitempty"`
	// Block is the block of the committed transaction.
	Block uint64 `json:"block,omitempty"`
	// Err is the outcome of a request that failed; nil with State Done means committed.
	Err *cxlerr.Error `json:"error,omitempty"`
	// Created is when the request first arrived; Updated when the record last changed.
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	// Submitted is when the transaction was last handed to ordering.
	Submitted time.Time `json:"submitted,omitzero"`
	// Resubmissions counts how often reconciliation submitted the envelope again.
	Resubmissions int `json:"resubmissions,omitempty"`
}

// Committed reports whether the record's transaction committed VALID.
func (r *Record) Committed() bool { return r.State == Done && r.Err == nil }

// Errors of Begin.
var (
	// ErrInFlight means a request with the same key is being processed right now.
	ErrInFlight = errors.New("a request with this idempotency key is in progress")
	// ErrMismatch means the key was used before with a different request.
	ErrMismatch = errors.New("this idempotency key was used with a different request")
)

// Backend is where a Store keeps its records: the durable operations, each atomic, that
// Store's idempotency logic is made of. A request's key is its principal and its
// idempotency key. Backends: bbolt (Open) and PostgreSQL (OpenPostgres).
type Backend interface {
	// Claim takes the key for a request of this process until Release, so that no other
	// process sharing the backend runs a request under it meanwhile; false when another
	// process holds it. A process that dies gives up its claims.
	Claim(principal, key string) (bool, error)
	// Release gives up the claim on the key.
	Release(principal, key string)
	// Get returns the record under the key, or nil.
	Get(principal, key string) (*Record, error)
	// Prepare writes r, Pending with its transaction, and the transaction's signed envelope,
	// keeping the Created time of a record the key had and forgetting that record's
	// transaction; it returns the record as written. The process that prepared it
	// reconciles it first (see Pending).
	Prepare(r *Record, signedTx []byte) (*Record, error)
	// Write writes the outcome r (Done) of the key's request, keeping the Created time of an
	// earlier record of another transaction under the key and forgetting that transaction.
	Write(r *Record) error
	// ByTransaction returns the record whose last transaction is txID, or nil.
	ByTransaction(txID string) (*Record, error)
	// Pending returns the Pending records, with their signed envelopes, that this process
	// is to reconcile: a shared backend leaves out those another live process reconciles or
	// still waits for.
	Pending() ([]*Record, error)
	// UpdatePending applies fn to the record of Pending transaction txID and writes it; a
	// record fn leaves Done loses its envelope. It does nothing when txID is not pending.
	UpdatePending(txID string, fn func(r *Record)) error
	// Expire deletes Done records last updated before cutoff and says how many.
	Expire(cutoff time.Time) (int, error)
	// AddInvitation records inv; an ID that exists is refused.
	AddInvitation(inv Invitation) error
	// UpdateInvitation applies fn to invitation id (nil when there is none) and, when fn
	// returns nil, writes what fn left; fn's error is returned as it is.
	UpdateInvitation(id string, fn func(inv *Invitation) error) error
	// PutCaptureJob records job, replacing an earlier version of it.
	PutCaptureJob(job CaptureJob) error
	// CaptureJob returns the capture job id of principal, or nil.
	CaptureJob(principal, id string) (*CaptureJob, error)
	// PutSessionOwner records owner as the process holding a customer's prepared
	// transaction txID until expires, replacing an earlier owner.
	PutSessionOwner(txID, owner string, expires time.Time) error
	// SessionOwner returns the owner of txID and until when, "" when there is none.
	SessionOwner(txID string) (owner string, expires time.Time, err error)
	// DeleteSessionOwner forgets the owner of txID.
	DeleteSessionOwner(txID string) error
	// ExpireSessionOwners forgets the owners whose sessions expired before cutoff.
	ExpireSessionOwners(cutoff time.Time) error
	// Close releases the backend's claims and closes it.
	Close() error
}

// Store is a Backend plus the keys whose requests run in this process and the outcomes
// being written.
type Store struct {
	b       Backend
	now     func() time.Time
	onError func(error)

	mu       sync.Mutex
	inFlight map[string]bool
	// settled holds the outcomes whose write is under way, by key.
	settled map[string]*Record
	writes  sync.WaitGroup
}

// Option configures a Store.
type Option func(*Store)

// WithWriteErrors sends the errors of the writes done in the background (outcomes) to fn;
// by default they are dropped, and reconciliation recovers the outcome from the ledger.
func WithWriteErrors(fn func(error)) Option { return func(s *Store) { s.onError = fn } }

// New returns a Store keeping its records in b.
func New(b Backend, opts ...Option) *Store {
	s := &Store{b: b, now: time.Now, onError: func(error) {}, inFlight: map[string]bool{}, settled: map[string]*Record{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Close waits for the outcomes being written, then closes the backend.
func (s *Store) Close() error {
	s.writes.Wait()
	return s.b.Close()
}

func recordKey(principal, key string) []byte { return []byte(principal + "\x00" + key) }

// Begin starts request key of principal with fingerprint. When the key is new, or its
// earlier outcome was a retryable failure of the same request, it returns a Ticket holding
// the key; the Ticket records the request durably with its signed transaction, before
// submission. Otherwise it returns the existing record and no Ticket: the caller answers
// with the record's outcome (Done) or as still pending (Pending). It fails with
// ErrInFlight while a request with the key runs in this process or another process sharing
// the backend, and ErrMismatch when the key was used with another fingerprint.
func (s *Store) Begin(principal, key, fingerprint, operation string) (*Ticket, *Record, error) {
	k := string(recordKey(principal, key))
	s.mu.Lock()
	if r, ok := s.settled[k]; ok {
		s.mu.Unlock()
		return settledAnswer(r, fingerprint)
	}
	if s.inFlight[k] {
		s.mu.Unlock()
		return nil, nil, ErrInFlight
	}
	s.inFlight[k] = true
	s.mu.Unlock()

	claimed, err := s.b.Claim(principal, key)
	if err != nil || !claimed {
		s.mu.Lock()
		delete(s.inFlight, k)
		s.mu.Unlock()
		if err != nil {
			return nil, nil, fmt.Errorf("claim idempotency key: %w", err)
		}
		return nil, nil, ErrInFlight
	}
	existing, err := s.b.Get(principal, key)
	switch {
	case err != nil:
		s.release(principal, key)
		return nil, nil, fmt.Errorf("look up idempotency key: %w", err)
	case existing != nil && existing.Fingerprint != fingerprint:
		s.release(principal, key)
		return nil, existing, ErrMismatch
	case answers(existing, fingerprint):
		s.release(principal, key)
		return nil, existing, nil
	}
	return &Ticket{s: s, first: Record{Principal: principal, Key: key, Fingerprint: fingerprint, Operation: operation, State: Reserved}}, nil, nil
}

// settledAnswer is Begin's answer from an outcome still being written: the outcome, or,
// for a retryable failure of the same request, which may run again once the write is
// done, ErrInFlight.
func settledAnswer(r *Record, fingerprint string) (*Ticket, *Record, error) {
	c := *r
	switch {
	case c.Fingerprint != fingerprint:
		return nil, &c, ErrMismatch
	case answers(&c, fingerprint):
		return nil, &c, nil
	}
	return nil, nil, ErrInFlight
}

// answers reports whether record r settles a request with fingerprint, so that the request
// must not run: the record of another request, or an outcome other than a retryable
// failure.
func answers(r *Record, fingerprint string) bool {
	return r != nil && (r.Fingerprint != fingerprint || !(r.State == Done && r.Err != nil && r.Err.Retryable))
}

// release gives up the key in the backend and in this process.
func (s *Store) release(principal, key string) {
	s.b.Release(principal, key)
	s.mu.Lock()
	delete(s.inFlight, string(recordKey(principal, key)))
	s.mu.Unlock()
}

// Ticket is a request that holds its idempotency key. It is the fabric.Journal of the
// request's transaction; Finish ends it.
type Ticket struct {
	s *Store
	// first is the record Prepared writes when the request has none yet.
	first Record
	// txID is the transaction being endorsed.
	txID string
	// stored is the record as last written, once Prepared wrote it.
	stored *Record
}

// Endorsing notes the transaction the request is about to send for endorsement; a new
// transaction of the same request (after a read conflict) replaces the earlier one, which
// applied nothing. Nothing is written: until Prepared, nothing can apply.
func (t *Ticket) Endorsing(_ context.Context, txID string) error {
	t.txID = txID
	return nil
}

// Prepared records the request with its signed transaction before it is submitted: from
// now on the transaction may commit, and reconciliation follows it if the request cannot.
// This is the one write a request waits for.
func (t *Ticket) Prepared(_ context.Context, txID string, signedTx, result []byte) error {
	if txID != t.txID {
		return fmt.Errorf("transaction %s prepared, but the request's transaction is %s", txID, t.txID)
	}
	now := t.s.now()
	r := t.first
	r.Created, r.TxID, r.State, r.Result, r.Submitted, r.Updated = now, txID, Pending, result, now, now
	stored, err := t.s.b.Prepare(&r, signedTx)
	if err != nil {
		return fmt.Errorf("record transaction %s before submitting it: %w", txID, err)
	}
	t.stored = stored
	return nil
}

// Finish ends the request: err nil means its transaction committed VALID in block; a
// Pending error leaves the transaction to reconciliation; any other error is the request's
// final outcome. It returns the record with the outcome at once and writes it in the
// background (a repeat of the request meanwhile gets it from memory). A request that
// failed before it had a transaction keeps nothing: it may run again.
func (t *Ticket) Finish(block uint64, err error) (*Record, error) {
	e := cxlerr.From(err)
	principal, key := t.first.Principal, t.first.Key
	if t.stored == nil && (e == nil || e.Code == cxlerr.Pending) {
		t.s.release(principal, key)
		return nil, fmt.Errorf("outcome %v of a request whose transaction was never prepared", err)
	}
	if t.txID == "" {
		t.s.release(principal, key)
		r := t.first
		r.State, r.Err = Done, e
		return &r, nil
	}
	if e != nil && e.Code == cxlerr.Pending {
		t.s.release(principal, key)
		c := *t.stored
		return &c, nil
	}
	var final Record
	if t.stored != nil {
		final = *t.stored
	} else {
		// Refused at endorsement: the outcome is kept, so a repeat gets the same answer.
		final = t.first
		final.Created, final.TxID = t.s.now(), t.txID
	}
	final.State, final.Block, final.Err, final.Updated = Done, block, e, t.s.now()
	if e != nil && e.Retryable {
		// The client may repeat it at once and should run again, not wait for the write:
		// a rare path, written before the answer.
		if err := t.s.write(&final); err != nil {
			t.s.release(principal, key)
			return nil, err
		}
		t.s.release(principal, key)
	} else {
		t.s.settle(&final)
	}
	c := final
	return &c, nil
}

// settle writes the outcome r in the background and releases its key once it is written;
// meanwhile Begin answers from r.
func (s *Store) settle(r *Record) {
	k := string(recordKey(r.Principal, r.Key))
	s.mu.Lock()
	s.settled[k] = r
	s.mu.Unlock()
	s.writes.Add(1)
	go func() {
		defer s.writes.Done()
		if err := s.write(r); err != nil {
			s.onError(err)
		}
		s.b.Release(r.Principal, r.Key)
		s.mu.Lock()
		delete(s.settled, k)
		delete(s.inFlight, k)
		s.mu.Unlock()
	}()
}

// write stores the outcome r.
func (s *Store) write(r *Record) error {
	rec := *r // r is shared with Begin
	if err := s.b.Write(&rec); err != nil {
		return fmt.Errorf("record the outcome of transaction %s: %w", r.TxID, err)
	}
	return nil
}

// ByTransaction returns the record whose last transaction is txID, or nil: the outcome
// being written if there is one, else the stored record.
func (s *Store) ByTransaction(txID string) (*Record, error) {
	s.mu.Lock()
	for _, r := range s.settled {
		if r.TxID == txID {
			c := *r
			s.mu.Unlock()
			return &c, nil
		}
	}
	s.mu.Unlock()
	r, err := s.b.ByTransaction(txID)
	if err != nil {
		return nil, fmt.Errorf("look up transaction %s: %w", txID, err)
	}
	return r, nil
}

// Pending lists the Pending records whose requests no longer run in this process (nor, with
// a shared backend, in another live process): the transactions reconciliation must follow.
func (s *Store) Pending() ([]*Record, error) {
	all, err := s.b.Pending()
	if err != nil {
		return nil, fmt.Errorf("list pending transactions: %w", err)
	}
	out := all[:0]
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range all {
		if !s.inFlight[string(recordKey(r.Principal, r.Key))] {
			out = append(out, r)
		}
	}
	return out, nil
}

// Resolve records the ledger's verdict on Pending transaction txID: err nil means it
// committed VALID in block. It does nothing when the transaction is no longer pending.
func (s *Store) Resolve(txID string, block uint64, err error) error {
	now := s.now()
	return s.b.UpdatePending(txID, func(r *Record) {
		r.State, r.Block, r.Err, r.Updated = Done, block, cxlerr.From(err), now
	})
}

// Resubmitted records that Pending transaction txID was handed to ordering again.
func (s *Store) Resubmitted(txID string) error {
	now := s.now()
	return s.b.UpdatePending(txID, func(r *Record) {
		r.Submitted, r.Updated = now, now
		r.Resubmissions++
	})
}

// Expire deletes Done records last updated before cutoff; their keys can be used again.
// It returns how many it deleted.
func (s *Store) Expire(cutoff time.Time) (int, error) {
	n, err := s.b.Expire(cutoff)
	if err != nil {
		return n, fmt.Errorf("expire records: %w", err)
	}
	if err := s.b.ExpireSessionOwners(cutoff); err != nil {
		return n, fmt.Errorf("expire the owners of prepared transactions: %w", err)
	}
	return n, nil
}
