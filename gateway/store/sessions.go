package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	bolt "go.etcd.io/bbolt"
)

// A customer's prepared transaction (gateway/httpapi) lives in the memory of the replica
// that prepared it, with the claim on its Idempotency-Key. The store records which replica
// that is (its owner, the base URL the member's other replicas reach it at) until the
// session expires, so that a replica reached by the customer's next step forwards it there.

// PutSessionOwner records owner as the replica holding prepared transaction txID until
// expires.
func (s *Store) PutSessionOwner(txID, owner string, expires time.Time) error {
	if err := s.b.PutSessionOwner(txID, owner, expires); err != nil {
		return fmt.Errorf("record the replica of prepared transaction %s: %w", txID, err)
	}
	return nil
}

// SessionOwner is the replica holding prepared transaction txID at now, "" when none does
// (never prepared, ended, or expired).
func (s *Store) SessionOwner(txID string, now time.Time) (string, error) {
	owner, expires, err := s.b.SessionOwner(txID)
	if err != nil {
		return "", fmt.Errorf("find the replica of prepared transaction %s: %w", txID, err)
	}
	if owner == "" || !now.Before(expires) {
		return "", nil
	}
	return owner, nil
}

// DeleteSessionOwner forgets the replica of prepared transaction txID: its session ended.
func (s *Store) DeleteSessionOwner(txID string) error {
	if err := s.b.DeleteSessionOwner(txID); err != nil {
		return fmt.Errorf("forget the replica of prepared transaction %s: %w", txID, err)
	}
	return nil
}

// sessionOwner is a session's owner as the bbolt backend keeps it.
type sessionOwner struct {
	Owner   string    `json:"owner"`
	Expires time.Time `json:"expires"`
}

// sessionsBucket holds the owners of customers' prepared transactions by transaction ID.
var sessionsBucket = []byte("customerSessions")

// PutSessionOwner records the owner of txID.
func (b *boltBackend) PutSessionOwner(txID, owner string, expires time.Time) error {
	data, err := json.Marshal(sessionOwner{Owner: owner, Expires: expires})
	if err != nil {
		return err
	}
	return b.db.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists(sessionsBucket)
		if err != nil {
			return err
		}
		return bk.Put([]byte(txID), data)
	})
}

// SessionOwner returns the owner of txID and until when, "" when there is none.
func (b *boltBackend) SessionOwner(txID string) (string, time.Time, error) {
	var so sessionOwner
	err := b.db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket(sessionsBucket)
		if bk == nil {
			return nil
		}
		if data := bk.Get([]byte(txID)); data != nil {
			return json.Unmarshal(data, &so)
		}
		return nil
	})
	return so.Owner, so.Expires, err
}

// DeleteSessionOwner forgets the owner of txID.
func (b *boltBackend) DeleteSessionOwner(txID string) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		if bk := tx.Bucket(sessionsBucket); bk != nil {
			return bk.Delete([]byte(txID))
		}
		return nil
	})
}

// ExpireSessionOwners forgets the owners of sessions that expired before cutoff.
func (b *boltBackend) ExpireSessionOwners(cutoff time.Time) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(sessionsBucket)
		if bk == nil {
			return nil
		}
		var old [][]byte
		err := bk.ForEach(func(k, v []byte) error {
			var so sessionOwner
			if err := json.Unmarshal(v, &so); err != nil || so.Expires.Before(cutoff) {
				old = append(old, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			if err := bk.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// PutSessionOwner records the owner of txID.
func (b *pgBackend) PutSessionOwner(txID, owner string, expires time.Time) error {
	ctx, cancel := pgCtx()
	defer cancel()
	_, err := b.pool.Exec(ctx, `INSERT INTO customer_sessions (tx_id, owner, expires) VALUES ($1, $2, $3)
		ON CONFLICT (tx_id) DO UPDATE SET owner = EXCLUDED.owner, expires = EXCLUDED.expires`, []byte(txID), owner, expires)
	return err
}

// SessionOwner returns the owner of txID and until when, "" when there is none.
func (b *pgBackend) SessionOwner(txID string) (string, time.Time, error) {
	ctx, cancel := pgCtx()
	defer cancel()
	var owner string
	var expires time.Time
	err := b.pool.QueryRow(ctx, `SELECT owner, expires FROM customer_sessions WHERE tx_id = $1`, []byte(txID)).Scan(&owner, &expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", time.Time{}, nil
	}
	return owner, expires, err
}

// DeleteSessionOwner forgets the owner of txID.
func (b *pgBackend) DeleteSessionOwner(txID string) error {
	ctx, cancel := pgCtx()
	defer cancel()
	_, err := b.pool.Exec(ctx, `DELETE FROM customer_sessions WHERE tx_id = $1`, []byte(txID))
	return err
}

// ExpireSessionOwners forgets the owners of sessions that expired before cutoff.
func (b *pgBackend) ExpireSessionOwners(cutoff time.Time) error {
	ctx, cancel := pgCtx()
	defer cancel()
	_, err := b.pool.Exec(ctx, `DELETE FROM customer_sessions WHERE expires < $1`, cutoff)
	return err
}
