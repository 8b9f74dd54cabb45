package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	bolt "go.etcd.io/bbolt"
)

var (
	requestsBucket  = []byte("requests")  // principal \x00 key -> Record
	txBucket        = []byte("tx")        // txID -> principal \x00 key
	pendingBucket   = []byte("pending")   // txID -> principal \x00 key, while Pending
	envelopesBucket = []byte("envelopes") // txID -> signed transaction, while Pending
)

// boltBackend keeps the records in one bbolt file, which one process holds open (bbolt
// locks the file): the process's own claims are all the exclusivity it needs.
type boltBackend struct {
	db  *bolt.DB
	now func() time.Time
}

// Open opens (creating if needed) the bbolt store at path, the embedded default. Records a
// crash left Reserved, whose transaction never left the process, become Done with a
// retryable Unavailable outcome, so that the client's retry runs again.
func Open(path string, opts ...Option) (*Store, error) {
	b, err := openBolt(path)
	if err != nil {
		return nil, err
	}
	return New(b, opts...), nil
}

func openBolt(path string) (*boltBackend, error) {
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
	b := &boltBackend{db: db, now: time.Now}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{requestsBucket, txBucket, pendingBucket, envelopesBucket} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
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
			r.State, r.Updated = Done, b.now()
			r.Err = cxlerr.Errorf(cxlerr.Unavailable, "the service stopped before the transaction was submitted; nothing was applied").WithTransaction(r.TxID)
			return putAt(tx, append([]byte(nil), k...), &r)
		})
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("initialise store %s: %w", path, err), db.Close())
	}
	return b, nil
}

// Close closes the file.
func (b *boltBackend) Close() error { return b.db.Close() }

// Claim always succeeds: no other process opens the file.
func (b *boltBackend) Claim(_, _ string) (bool, error) { return true, nil }

// Release has nothing to give up.
func (b *boltBackend) Release(_, _ string) {}

func put(tx *bolt.Tx, r *Record) error { return putAt(tx, recordKey(r.Principal, r.Key), r) }

// putAt writes r under k: a record read back has its principal and key as JSON decoded
// them (invalid UTF-8 replaced), so a record read is written back under the key it was
// read from.
func putAt(tx *bolt.Tx, k []byte, r *Record) error {
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode record: %w", err)
	}
	return tx.Bucket(requestsBucket).Put(k, data)
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

// forget removes what a transaction that will not apply left in the indexes.
func forget(tx *bolt.Tx, txID string) error {
	if txID == "" {
		return nil
	}
	for _, name := range [][]byte{pendingBucket, txBucket, envelopesBucket} {
		if err := tx.Bucket(name).Delete([]byte(txID)); err != nil {
			return err
		}
	}
	return nil
}

// Get returns the record under the key.
func (b *boltBackend) Get(principal, key string) (*Record, error) {
	var out *Record
	err := b.db.View(func(tx *bolt.Tx) error {
		r, err := get(tx, recordKey(principal, key))
		out = r
		return err
	})
	return out, err
}

// Prepare writes the Pending record r with its envelope.
func (b *boltBackend) Prepare(r *Record, signedTx []byte) (*Record, error) {
	var stored Record
	k := recordKey(r.Principal, r.Key)
	err := b.db.Batch(func(tx *bolt.Tx) error {
		rec := *r // bbolt may run this function again
		earlier, err := get(tx, k)
		if err != nil {
			return err
		}
		if earlier != nil {
			// A retryable failure run again, or this request's earlier transaction, which
			// a read conflict replaced.
			rec.Created = earlier.Created
			if err := forget(tx, earlier.TxID); err != nil {
				return err
			}
		}
		for _, name := range [][]byte{txBucket, pendingBucket} {
			if err := tx.Bucket(name).Put([]byte(rec.TxID), k); err != nil {
				return err
			}
		}
		if err := tx.Bucket(envelopesBucket).Put([]byte(rec.TxID), signedTx); err != nil {
			return err
		}
		stored = rec
		return put(tx, &rec)
	})
	if err != nil {
		return nil, err
	}
	return &stored, nil
}

// Write stores the outcome r.
func (b *boltBackend) Write(r *Record) error {
	k := recordKey(r.Principal, r.Key)
	return b.db.Batch(func(tx *bolt.Tx) error {
		rec := *r // bbolt may run this function again
		earlier, err := get(tx, k)
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
		for _, name := range [][]byte{pendingBucket, envelopesBucket} {
			if err := tx.Bucket(name).Delete([]byte(rec.TxID)); err != nil {
				return err
			}
		}
		if err := tx.Bucket(txBucket).Put([]byte(rec.TxID), k); err != nil {
			return err
		}
		return put(tx, &rec)
	})
}

// ByTransaction returns the record whose last transaction is txID.
func (b *boltBackend) ByTransaction(txID string) (*Record, error) {
	var out *Record
	err := b.db.View(func(tx *bolt.Tx) error {
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
	return out, err
}

// Pending returns every Pending record with its envelope.
func (b *boltBackend) Pending() ([]*Record, error) {
	var out []*Record
	err := b.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(pendingBucket).ForEach(func(_, k []byte) error {
			r, err := get(tx, k)
			if err != nil || r == nil || r.State != Pending {
				return err
			}
			r.SignedTx = append([]byte(nil), tx.Bucket(envelopesBucket).Get([]byte(r.TxID))...)
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

// UpdatePending applies fn to the record of Pending transaction txID.
func (b *boltBackend) UpdatePending(txID string, fn func(r *Record)) error {
	return b.db.Batch(func(tx *bolt.Tx) error {
		k := tx.Bucket(pendingBucket).Get([]byte(txID))
		if k == nil {
			return nil
		}
		k = append([]byte(nil), k...)
		r, err := get(tx, k)
		if err != nil || r == nil || r.TxID != txID || r.State != Pending {
			return err
		}
		fn(r)
		if r.State != Pending {
			for _, name := range [][]byte{envelopesBucket, pendingBucket} {
				if err := tx.Bucket(name).Delete([]byte(txID)); err != nil {
					return err
				}
			}
		}
		return putAt(tx, k, r)
	})
}

// expireBatch bounds the records one write transaction of Expire deletes, so that the
// requests' own writes never wait long behind it.
const expireBatch = 1000

// Expire finds the Done records older than cutoff in a read transaction, which requests'
// writes do not wait for, and takes the write lock only to delete them, expireBatch at a
// time.
func (b *boltBackend) Expire(cutoff time.Time) (int, error) {
	var found [][]byte
	err := b.db.View(func(tx *bolt.Tx) error {
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
		return 0, err
	}
	n := 0
	for len(found) > 0 {
		batch := found[:min(expireBatch, len(found))]
		found = found[len(batch):]
		err := b.db.Update(func(tx *bolt.Tx) error {
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
			return n, err
		}
	}
	return n, nil
}

// invitationsBucket holds invitations by ID.
var invitationsBucket = []byte("invitations")

// AddInvitation records inv unless its ID exists.
func (b *boltBackend) AddInvitation(inv Invitation) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists(invitationsBucket)
		if err != nil {
			return err
		}
		if bk.Get([]byte(inv.ID)) != nil {
			return fmt.Errorf("invitation %s exists", inv.ID)
		}
		data, err := json.Marshal(inv)
		if err != nil {
			return err
		}
		return bk.Put([]byte(inv.ID), data)
	})
}

// UpdateInvitation applies fn to invitation id in one write transaction.
func (b *boltBackend) UpdateInvitation(id string, fn func(inv *Invitation) error) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists(invitationsBucket)
		if err != nil {
			return err
		}
		var inv *Invitation
		if data := bk.Get([]byte(id)); data != nil {
			inv = &Invitation{}
			if err := json.Unmarshal(data, inv); err != nil {
				return fmt.Errorf("invitation %s: %w", id, err)
			}
		}
		if err := fn(inv); err != nil {
			return err
		}
		data, err := json.Marshal(inv)
		if err != nil {
			return err
		}
		return bk.Put([]byte(id), data)
	})
}

// captureJobsBucket holds EPCIS capture jobs by principal and ID.
var captureJobsBucket = []byte("epcisCaptureJobs")

// PutCaptureJob records job.
func (b *boltBackend) PutCaptureJob(job CaptureJob) error {
	data, err := json.Marshal(job)
	if err != nil {
		return fmt.Errorf("encode capture job %s: %w", job.ID, err)
	}
	return b.db.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists(captureJobsBucket)
		if err != nil {
			return err
		}
		return bk.Put(recordKey(job.Principal, job.ID), data)
	})
}

// CaptureJob returns the capture job id of principal.
func (b *boltBackend) CaptureJob(principal, id string) (*CaptureJob, error) {
	var job *CaptureJob
	err := b.db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket(captureJobsBucket)
		if bk == nil {
			return nil
		}
		data := bk.Get(recordKey(principal, id))
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
