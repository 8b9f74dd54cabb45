// Package store is the gateway service's durable memory, one bbolt file: for every mutating
// request, its idempotency key, a fingerprint of the request, the transaction it created
// (the signed envelope, stored before submission) and, once known, its outcome. Pending
// transactions are found here after a restart and reconciled with the ledger.
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
	bolt "go.etcd.io/bbolt"
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

var (
	requestsBucket  = []byte("requests")  // principal \x00 key -> Record
	txBucket        = []byte("tx")        // txID -> principal \x00 key
	pendingBucket   = []byte("pending")   // txID -> principal \x00 key, while Pending
	envelopesBucket = []byte("envelopes") // txID -> signed transaction, while Pending
)

// Store is the open bbolt file plus the set of keys whose requests run in this process.
type Store struct {
	db      *bolt.DB
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

// Open opens (creating if needed) the store at path. Records a crash left Reserved, whose
// transaction never left the process, become Done with a retryable Unavailable outcome, so
// that the client's retry runs again.
func Open(path string, opts ...Option) (*Store, error) {
	// The free-page list is rebuilt when the file is opened instead of written with every
	// commit: as the store grows that list is most of what each fsync writes.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// Concurrent requests share one fsync (a write waits up to 5 ms for company): under
	// load that halves the store's CPU; the default 10 ms would add more to every request's
	// latency than it saves.
	db.MaxBatchDelay = 5 * time.Millisecond
	s := &Store{db: db, now: time.Now, onError: func(error) {}, inFlight: map[string]bool{}, settled: map[string]*Record{}}
	for _, o := range opts {
		o(s)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{requestsBucket, txBucket, pendingBucket, envelopesBucket} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return tx.Bucket(requestsBucket).ForEach(func(k, v []byte) error {
			var r Record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("record %q: %w", k, err)
			}
			if r.State != Reserved {
				return nil
			}
			r.State, r.Updated = Done, s.now()
			r.Err = cxlerr.Errorf(cxlerr.Unavailable, "the service stopped before the transaction was submitted; nothing was applied").WithTransaction(r.TxID)
			return put(tx, &r)
		})
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("initialise store %s: %w", path, err), db.Close())
	}
	return s, nil
}

// Close waits for the outcomes being written, then closes the file.
func (s *Store) Close() error {
	s.writes.Wait()
	return s.db.Close()
}

func recordKey(principal, key string) []byte { return []byte(principal + "\x00" + key) }

func put(tx *bolt.Tx, r *Record) error {
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode record: %w", err)
	}
	return tx.Bucket(requestsBucket).Put(recordKey(r.Principal, r.Key), data)
}

func get(tx *bolt.Tx, k []byte) (*Record, error) {
	data := tx.Bucket(requestsBucket).Get(k)
	if data == nil {
		return nil, nil
	}
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decode record %q: %w", k, err)
	}
	return &r, nil
}

// Begin starts request key of principal with fingerprint. When the key is new, or its
// earlier outcome was a retryable failure of the same request, it returns a Ticket holding
// the key; the Ticket records the request durably with its signed transaction, before
// submission. Otherwise it returns the existing record and no Ticket: the caller answers
// with the record's outcome (Done) or as still pending (Pending). It fails with
// ErrInFlight while a request with the key runs in this process, and ErrMismatch when the
// key was used with another fingerprint.
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

	var existing *Record
	err := s.db.View(func(tx *bolt.Tx) error {
		r, err := get(tx, []byte(k))
		if answers(r, fingerprint) {
			existing = r
		}
		return err
	})
	switch {
	case err != nil:
		s.release(k)
		return nil, nil, fmt.Errorf("look up idempotency key: %w", err)
	case existing != nil && existing.Fingerprint != fingerprint:
		s.release(k)
		return nil, existing, ErrMismatch
	case existing != nil:
		s.release(k)
		return nil, existing, nil
	}
	return &Ticket{s: s, k: k, first: Record{Principal: principal, Key: key, Fingerprint: fingerprint, Operation: operation, State: Reserved}}, nil, nil
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

func (s *Store) release(k string) {
	s.mu.Lock()
	delete(s.inFlight, k)
	s.mu.Unlock()
}

// Ticket is a request that holds its idempotency key. It is the fabric.Journal of the
// request's transaction; Finish ends it.
type Ticket struct {
	s *Store
	k string
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

// forget removes what a transaction that will not apply left in the indexes.
func forget(tx *bolt.Tx, txID string) error {
	if txID == "" {
		return nil
	}
	for _, b := range [][]byte{pendingBucket, txBucket, envelopesBucket} {
		if err := tx.Bucket(b).Delete([]byte(txID)); err != nil {
			return err
		}
	}
	return nil
}

// Prepared records the request with its signed transaction before it is submitted: from
// now on the transaction may commit, and reconciliation follows it if the request cannot.
// This is the one write a request waits for.
func (t *Ticket) Prepared(_ context.Context, txID string, signedTx, result []byte) error {
	if txID != t.txID {
		return fmt.Errorf("transaction %s prepared, but the request's transaction is %s", txID, t.txID)
	}
	var stored Record
	err := t.s.db.Batch(func(tx *bolt.Tx) error {
		r, err := get(tx, []byte(t.k))
		if err != nil {
			return err
		}
		now := t.s.now()
		fresh := t.first
		fresh.Created = now
		if r != nil {
			// A retryable failure run again, or this request's earlier transaction, which
			// a read conflict replaced.
			fresh.Created = r.Created
			if err := forget(tx, r.TxID); err != nil {
				return err
			}
		}
		r = &fresh
		r.TxID, r.State, r.Result, r.Submitted, r.Updated = txID, Pending, result, now, now
		for _, b := range [][]byte{txBucket, pendingBucket} {
			if err := tx.Bucket(b).Put([]byte(txID), []byte(t.k)); err != nil {
				return err
			}
		}
		if err := tx.Bucket(envelopesBucket).Put([]byte(txID), signedTx); err != nil {
			return err
		}
		stored = *r
		return put(tx, r)
	})
	if err != nil {
		return err
	}
	t.stored = &stored
	return nil
}

// Finish ends the request: err nil means its transaction committed VALID in block; a
// Pending error leaves the transaction to reconciliation; any other error is the request's
// final outcome. It returns the record with the outcome at once and writes it in the
// background (a repeat of the request meanwhile gets it from memory). A request that
// failed before it had a transaction keeps nothing: it may run again.
func (t *Ticket) Finish(block uint64, err error) (*Record, error) {
	e := cxlerr.From(err)
	if t.stored == nil && (e == nil || e.Code == cxlerr.Pending) {
		t.s.release(t.k)
		return nil, fmt.Errorf("outcome %v of a request whose transaction was never prepared", err)
	}
	if t.txID == "" {
		t.s.release(t.k)
		r := t.first
		r.State, r.Err = Done, e
		return &r, nil
	}
	if e != nil && e.Code == cxlerr.Pending {
		t.s.release(t.k)
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
		if err := t.s.write(t.k, &final); err != nil {
			t.s.release(t.k)
			return nil, err
		}
		t.s.release(t.k)
	} else {
		t.s.settle(t.k, &final)
	}
	c := final
	return &c, nil
}

// settle writes the outcome r of the request under k in the background and releases the
// key once it is written; meanwhile Begin answers from r.
func (s *Store) settle(k string, r *Record) {
	s.mu.Lock()
	s.settled[k] = r
	s.mu.Unlock()
	s.writes.Add(1)
	go func() {
		defer s.writes.Done()
		if err := s.write(k, r); err != nil {
			s.onError(err)
		}
		s.mu.Lock()
		delete(s.settled, k)
		delete(s.inFlight, k)
		s.mu.Unlock()
	}()
}

// write stores the outcome r of the request under k.
func (s *Store) write(k string, r *Record) error {
	err := s.db.Batch(func(tx *bolt.Tx) error {
		rec := *r // r is shared with Begin; bbolt may run this function again
		earlier, err := get(tx, []byte(k))
		if err != nil {
			return err
		}
		if earlier != nil && earlier.TxID != rec.TxID {
			// A retryable failure's transaction, replaced by this one.
			rec.Created = earlier.Created
			if err := forget(tx, earlier.TxID); err != nil {
				return err
			}
		}
		for _, b := range [][]byte{pendingBucket, envelopesBucket} {
			if err := tx.Bucket(b).Delete([]byte(rec.TxID)); err != nil {
				return err
			}
		}
		if err := tx.Bucket(txBucket).Put([]byte(rec.TxID), []byte(k)); err != nil {
			return err
		}
		return put(tx, &rec)
	})
	if err != nil {
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
	var out *Record
	err := s.db.View(func(tx *bolt.Tx) error {
		k := tx.Bucket(txBucket).Get([]byte(txID))
		if k == nil {
			return nil
		}
		r, err := get(tx, k)
		if err != nil || r == nil || r.TxID != txID {
			return err
		}
		out = r
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("look up transaction %s: %w", txID, err)
	}
	return out, nil
}

// Pending lists the Pending records whose requests no longer run in this process: the
// transactions reconciliation must follow.
func (s *Store) Pending() ([]*Record, error) {
	var out []*Record
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(pendingBucket).ForEach(func(_, k []byte) error {
			s.mu.Lock()
			running := s.inFlight[string(k)]
			s.mu.Unlock()
			if running {
				return nil
			}
			r, err := get(tx, k)
			if err != nil || r == nil || r.State != Pending {
				return err
			}
			r.SignedTx = append([]byte(nil), tx.Bucket(envelopesBucket).Get([]byte(r.TxID))...)
			out = append(out, r)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list pending transactions: %w", err)
	}
	return out, nil
}

// Resolve records the ledger's verdict on Pending transaction txID: err nil means it
// committed VALID in block. It does nothing when the transaction is no longer pending.
func (s *Store) Resolve(txID string, block uint64, err error) error {
	return s.onPending(txID, func(tx *bolt.Tx, r *Record) error {
		r.State, r.Block, r.Err = Done, block, cxlerr.From(err)
		if err := tx.Bucket(envelopesBucket).Delete([]byte(txID)); err != nil {
			return err
		}
		return tx.Bucket(pendingBucket).Delete([]byte(txID))
	})
}

// Resubmitted records that Pending transaction txID was handed to ordering again.
func (s *Store) Resubmitted(txID string) error {
	return s.onPending(txID, func(_ *bolt.Tx, r *Record) error {
		r.Submitted = s.now()
		r.Resubmissions++
		return nil
	})
}

func (s *Store) onPending(txID string, fn func(tx *bolt.Tx, r *Record) error) error {
	return s.db.Batch(func(tx *bolt.Tx) error {
		k := tx.Bucket(pendingBucket).Get([]byte(txID))
		if k == nil {
			return nil
		}
		k = append([]byte(nil), k...)
		r, err := get(tx, k)
		if err != nil || r == nil || r.TxID != txID || r.State != Pending {
			return err
		}
		if err := fn(tx, r); err != nil {
			return err
		}
		r.Updated = s.now()
		return put(tx, r)
	})
}

// expireBatch bounds the records one write transaction of Expire deletes, so that the
// requests' own writes never wait long behind it.
const expireBatch = 1000

// Expire deletes Done records last updated before cutoff; their keys can be used again.
// It returns how many it deleted. It finds them in a read transaction, which requests'
// writes do not wait for, and takes the write lock only to delete them, expireBatch at a
// time.
func (s *Store) Expire(cutoff time.Time) (int, error) {
	var found [][]byte
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(requestsBucket).ForEach(func(k, v []byte) error {
			var r struct {
				State   State     `json:"state"`
				Updated time.Time `json:"updated"`
			}
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode record %q: %w", k, err)
			}
			if r.State == Done && r.Updated.Before(cutoff) {
				found = append(found, append([]byte(nil), k...))
			}
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("expire records: %w", err)
	}
	n := 0
	for len(found) > 0 {
		batch := found[:min(expireBatch, len(found))]
		found = found[len(batch):]
		err := s.db.Update(func(tx *bolt.Tx) error {
			for _, k := range batch {
				// The record may have changed since the scan (its key used again).
				r, err := get(tx, k)
				if err != nil {
					return err
				}
				if r == nil || r.State != Done || !r.Updated.Before(cutoff) {
					continue
				}
				if r.TxID != "" {
					if err := tx.Bucket(txBucket).Delete([]byte(r.TxID)); err != nil {
						return err
					}
				}
				if err := tx.Bucket(requestsBucket).Delete(k); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("expire records: %w", err)
		}
	}
	return n, nil
}
