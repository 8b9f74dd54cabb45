package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultClaimLease is how long a process's claim on a Pending transaction keeps other
// processes sharing a PostgreSQL store from reconciling it: the time after which a replica
// that died holding it is taken over.
const DefaultClaimLease = 15 * time.Second

// pgTimeout bounds each operation on the database.
const pgTimeout = 10 * time.Second

// migrations are the PostgreSQL schema's versions in order; OpenPostgres applies those the
// database has not seen. Identifiers and records are bytea: keys, principals and IDs are
// whatever a client sent, which text (no NUL, valid UTF-8 only) would refuse.
var migrations = []string{
	`CREATE TABLE requests (
		principal bytea NOT NULL,
		key bytea NOT NULL,
		state text NOT NULL,
		tx_id bytea NOT NULL,
		updated timestamptz NOT NULL,
		record bytea NOT NULL,
		envelope bytea,
		claim_owner text,
		claim_until timestamptz,
		PRIMARY KEY (principal, key));
	CREATE INDEX requests_tx ON requests (tx_id);
	CREATE INDEX requests_pending ON requests (principal, key) WHERE state = 'PENDING';
	CREATE TABLE invitations (id bytea PRIMARY KEY, invitation bytea NOT NULL);
	CREATE TABLE capture_jobs (principal bytea NOT NULL, id bytea NOT NULL, job bytea NOT NULL, PRIMARY KEY (principal, id));`,
	// A claim names the advisory lock its process holds while it lives, so that another
	// process takes a dead one's transactions over without waiting for the lease.
	`ALTER TABLE requests ADD COLUMN claim_lock bigint;`,
	// Rows are found by a digest of principal and key (see rowID): a key of any length fits
	// the index, whose rows PostgreSQL bounds to about 2.7 KB.
	`ALTER TABLE requests ADD COLUMN id bytea;
	UPDATE requests SET id = sha256(int4send(length(principal)) || principal || key);
	ALTER TABLE requests ALTER COLUMN id SET NOT NULL;
	ALTER TABLE requests DROP CONSTRAINT requests_pkey;
	ALTER TABLE requests ADD PRIMARY KEY (id);
	DROP INDEX requests_pending;
	CREATE INDEX requests_pending ON requests (id) WHERE state = 'PENDING';`,
	// The replica holding each customer's prepared transaction (see Store.SessionOwner).
	`CREATE TABLE customer_sessions (tx_id bytea PRIMARY KEY, owner text NOT NULL, expires timestamptz NOT NULL);
	CREATE INDEX customer_sessions_expires ON customer_sessions (expires);`,
}

// rowID is the primary key of a request's row: SHA-256 of the principal's length (4 bytes,
// big-endian), the principal and the key, as migration 3 computes it.
func rowID(principal, key string) []byte {
	h := sha256.New()
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(principal)))
	h.Write(n[:])
	h.Write([]byte(principal))
	h.Write([]byte(key))
	return h.Sum(nil)
}

// pgBackend keeps the records in PostgreSQL, shared by the replicas of one member's gateway.
// A request's claim on its key is a session advisory lock held on one connection of the
// process (a process that dies loses its connection and so its claims); a Pending
// transaction's claim for reconciliation is a lease in its row, taken with SELECT ... FOR
// UPDATE SKIP LOCKED, so that two replicas never resubmit one envelope at once. The row
// also names the process's own advisory lock, held while it lives: a claim whose process is
// gone is taken over at once, without waiting for its lease.
type pgBackend struct {
	pool   *pgxpool.Pool
	owner  string
	lease  time.Duration
	schema string
	// alive is the advisory lock the process holds on its lock connection while it lives.
	alive int64

	lockMu sync.Mutex
	lock   *pgx.Conn
}

// PostgresOption configures OpenPostgres.
type PostgresOption func(*pgBackend)

// WithClaimLease sets how long a claim on a Pending transaction keeps other processes from
// reconciling it (DefaultClaimLease by default).
func WithClaimLease(d time.Duration) PostgresOption { return func(b *pgBackend) { b.lease = d } }

// RedactDSN returns dsn with its password (in the user information or the password
// parameter) replaced, fit for logs and errors.
func RedactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return "(a PostgreSQL connection string)"
	}
	q := u.Query()
	for k := range q {
		if strings.EqualFold(k, "password") {
			q[k] = []string{"xxxxx"}
		}
	}
	u.RawQuery = q.Encode()
	return u.Redacted()
}

// OpenPostgres opens the store in the PostgreSQL database dsn names (postgres://...),
// creating or migrating its schema. Several processes may open the same database: a key's
// request runs in one of them at a time, and each Pending transaction is reconciled by one.
func OpenPostgres(ctx context.Context, dsn string, pgOpts []PostgresOption, opts ...Option) (*Store, error) {
	b, err := openPostgres(ctx, dsn, pgOpts...)
	if err != nil {
		return nil, err
	}
	return New(b, opts...), nil
}

func openPostgres(ctx context.Context, dsn string, opts ...PostgresOption) (*pgBackend, error) {
	where := RedactDSN(dsn)
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("store %s: the connection string does not parse", where)
	}
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("store owner ID: %w", err)
	}
	b := &pgBackend{owner: hex.EncodeToString(id), lease: DefaultClaimLease}
	for _, o := range opts {
		o(b)
	}
	if b.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("open store %s: %w", where, err)
	}
	if err := b.migrate(ctx); err != nil {
		b.pool.Close()
		return nil, fmt.Errorf("initialise store %s: %w", where, err)
	}
	if err := b.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&b.schema); err != nil {
		b.pool.Close()
		return nil, fmt.Errorf("initialise store %s: %w", where, err)
	}
	if b.lock, err = pgx.ConnectConfig(ctx, cfg.ConnConfig); err != nil {
		b.pool.Close()
		return nil, fmt.Errorf("open store %s: lock connection: %w", where, err)
	}
	b.alive = b.lockID("\x00owner", b.owner)
	if _, err := b.lock.Exec(ctx, `SELECT pg_advisory_lock($1)`, b.alive); err != nil {
		b.pool.Close()
		return nil, errors.Join(fmt.Errorf("open store %s: lock connection: %w", where, err), b.lock.Close(ctx))
	}
	return b, nil
}

// migrate applies the migrations the database has not seen, one process at a time.
func (b *pgBackend) migrate(ctx context.Context) error {
	return pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7306142718)`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS cxl_schema (version int NOT NULL)`); err != nil {
			return err
		}
		var version int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM cxl_schema`).Scan(&version); err != nil {
			return err
		}
		if version > len(migrations) {
			return fmt.Errorf("the database's schema is version %d, newer than this service's %d", version, len(migrations))
		}
		for i := version; i < len(migrations); i++ {
			if _, err := tx.Exec(ctx, migrations[i]); err != nil {
				return fmt.Errorf("schema version %d: %w", i+1, err)
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM cxl_schema`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO cxl_schema (version) VALUES ($1)`, len(migrations))
		return err
	})
}

func pgCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), pgTimeout)
}

// lockID is the advisory lock of a key: a hash of the schema, the principal and the key.
func (b *pgBackend) lockID(principal, key string) int64 {
	h := fnv.New64a()
	h.Write([]byte(b.schema + "\x00" + principal + "\x00" + key))
	return int64(h.Sum64())
}

// Claim takes the key's advisory lock on the lock connection. A broken connection is
// replaced (the claims it held are gone with it) and the claim refused with the error.
func (b *pgBackend) Claim(principal, key string) (bool, error) {
	ctx, cancel := pgCtx()
	defer cancel()
	b.lockMu.Lock()
	defer b.lockMu.Unlock()
	var ok bool
	err := b.lock.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, b.lockID(principal, key)).Scan(&ok)
	if err != nil && b.lock.IsClosed() {
		if c, cerr := pgx.ConnectConfig(ctx, b.lock.Config()); cerr == nil {
			if _, cerr := c.Exec(ctx, `SELECT pg_advisory_lock($1)`, b.alive); cerr == nil {
				b.lock = c
			} else {
				_ = c.Close(ctx)
			}
		}
	}
	return ok, err
}

// Release gives up the key's advisory lock.
func (b *pgBackend) Release(principal, key string) {
	ctx, cancel := pgCtx()
	defer cancel()
	b.lockMu.Lock()
	defer b.lockMu.Unlock()
	// An error means the connection broke, and its locks with it.
	_, _ = b.lock.Exec(ctx, `SELECT pg_advisory_unlock($1)`, b.lockID(principal, key))
}

func decodeRecord(data []byte) (*Record, error) {
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decode record: %w", err)
	}
	return &r, nil
}

// Get returns the record under the key.
func (b *pgBackend) Get(principal, key string) (*Record, error) {
	ctx, cancel := pgCtx()
	defer cancel()
	var data []byte
	err := b.pool.QueryRow(ctx, `SELECT record FROM requests WHERE id = $1`, rowID(principal, key)).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeRecord(data)
}

// upsert writes rec under its key in tx after locking the row; keep decides from the
// earlier record (nil when none) what rec keeps of it.
func upsert(ctx context.Context, tx pgx.Tx, rec *Record, envelope []byte, claim *pgBackend, keep func(earlier *Record)) error {
	var data []byte
	err := tx.QueryRow(ctx, `SELECT record FROM requests WHERE id = $1 FOR UPDATE`, rowID(rec.Principal, rec.Key)).Scan(&data)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		keep(nil)
	case err != nil:
		return err
	default:
		earlier, err := decodeRecord(data)
		if err != nil {
			return err
		}
		keep(earlier)
	}
	data, err = json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode record: %w", err)
	}
	var (
		owner *string
		alive *int64
		lease float64
	)
	if claim != nil {
		owner, alive, lease = &claim.owner, &claim.alive, claim.lease.Seconds()
	}
	_, err = tx.Exec(ctx, `INSERT INTO requests (principal, key, state, tx_id, updated, record, envelope, claim_owner, claim_until, claim_lock, id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text, CASE WHEN $8::text IS NULL THEN NULL ELSE now() + make_interval(secs => $9) END, $10, $11)
		ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, tx_id = EXCLUDED.tx_id, updated = EXCLUDED.updated,
			record = EXCLUDED.record, envelope = EXCLUDED.envelope, claim_owner = EXCLUDED.claim_owner, claim_until = EXCLUDED.claim_until,
			claim_lock = EXCLUDED.claim_lock`,
		[]byte(rec.Principal), []byte(rec.Key), string(rec.State), []byte(rec.TxID), rec.Updated, data, envelope, owner, lease, alive, rowID(rec.Principal, rec.Key))
	return err
}

// Prepare writes the Pending record r with its envelope, claimed for this process's
// reconciliation for one lease.
func (b *pgBackend) Prepare(r *Record, signedTx []byte) (*Record, error) {
	ctx, cancel := pgCtx()
	defer cancel()
	rec := *r
	if signedTx == nil {
		signedTx = []byte{}
	}
	err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		rec = *r
		return upsert(ctx, tx, &rec, signedTx, b, func(earlier *Record) {
			if earlier != nil {
				rec.Created = earlier.Created
			}
		})
	})
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

// Write stores the outcome r.
func (b *pgBackend) Write(r *Record) error {
	ctx, cancel := pgCtx()
	defer cancel()
	return pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		rec := *r
		return upsert(ctx, tx, &rec, nil, nil, func(earlier *Record) {
			if earlier != nil && earlier.TxID != rec.TxID {
				rec.Created = earlier.Created
			}
		})
	})
}

// ByTransaction returns the record whose last transaction is txID.
func (b *pgBackend) ByTransaction(txID string) (*Record, error) {
	ctx, cancel := pgCtx()
	defer cancel()
	var data []byte
	err := b.pool.QueryRow(ctx, `SELECT record FROM requests WHERE tx_id = $1 LIMIT 1`, []byte(txID)).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	r, err := decodeRecord(data)
	if err != nil || r.TxID != txID {
		return nil, err
	}
	return r, nil
}

// Pending claims, for one lease, the Pending records no other live process holds a claim
// on (skipping the rows another process is claiming at this moment) and returns them with
// their envelopes. A claim is another's while its lease runs and its process holds its
// advisory lock (an advisory lock of key k is in pg_locks as classid k>>32, objid k&0xffffffff,
// objsubid 1).
func (b *pgBackend) Pending() ([]*Record, error) {
	ctx, cancel := pgCtx()
	defer cancel()
	rows, err := b.pool.Query(ctx, `UPDATE requests r SET claim_owner = $1, claim_until = now() + make_interval(secs => $2), claim_lock = $3
		FROM (SELECT id FROM requests q
			WHERE state = 'PENDING' AND (claim_owner IS NULL OR claim_owner = $1 OR claim_until < now()
				OR NOT EXISTS (SELECT 1 FROM pg_locks l
					WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
					AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
					AND ((l.classid::bigint << 32) | l.objid::bigint) = q.claim_lock))
			FOR UPDATE SKIP LOCKED) c
		WHERE r.id = c.id
		RETURNING r.record, r.envelope`, b.owner, b.lease.Seconds(), b.alive)
	if err != nil {
		return nil, err
	}
	var out []*Record
	for rows.Next() {
		var data, envelope []byte
		if err := rows.Scan(&data, &envelope); err != nil {
			rows.Close()
			return nil, err
		}
		r, err := decodeRecord(data)
		if err != nil {
			rows.Close()
			return nil, err
		}
		r.SignedTx = envelope
		out = append(out, r)
	}
	return out, rows.Err()
}

// UpdatePending applies fn to the record of Pending transaction txID under a row lock.
func (b *pgBackend) UpdatePending(txID string, fn func(r *Record)) error {
	ctx, cancel := pgCtx()
	defer cancel()
	return pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		var data, id []byte
		err := tx.QueryRow(ctx, `SELECT id, record FROM requests WHERE tx_id = $1 AND state = 'PENDING' FOR UPDATE`, []byte(txID)).Scan(&id, &data)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		r, err := decodeRecord(data)
		if err != nil || r.TxID != txID || r.State != Pending {
			return err
		}
		fn(r)
		if data, err = json.Marshal(r); err != nil {
			return fmt.Errorf("encode record: %w", err)
		}
		_, err = tx.Exec(ctx, `UPDATE requests SET state = $2, updated = $3, record = $4,
			envelope = CASE WHEN $2 = 'PENDING' THEN envelope END,
			claim_owner = CASE WHEN $2 = 'PENDING' THEN claim_owner END,
			claim_until = CASE WHEN $2 = 'PENDING' THEN claim_until END,
			claim_lock = CASE WHEN $2 = 'PENDING' THEN claim_lock END
			WHERE id = $1`, id, string(r.State), r.Updated, data)
		return err
	})
}

// Expire deletes the Done records last updated before cutoff.
func (b *pgBackend) Expire(cutoff time.Time) (int, error) {
	ctx, cancel := pgCtx()
	defer cancel()
	tag, err := b.pool.Exec(ctx, `DELETE FROM requests WHERE state = 'DONE' AND updated < $1`, cutoff)
	return int(tag.RowsAffected()), err
}

// AddInvitation records inv unless its ID exists.
func (b *pgBackend) AddInvitation(inv Invitation) error {
	ctx, cancel := pgCtx()
	defer cancel()
	data, err := json.Marshal(inv)
	if err != nil {
		return err
	}
	tag, err := b.pool.Exec(ctx, `INSERT INTO invitations (id, invitation) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, []byte(inv.ID), data)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("invitation %s exists", inv.ID)
	}
	return nil
}

// UpdateInvitation applies fn to invitation id under a row lock.
func (b *pgBackend) UpdateInvitation(id string, fn func(inv *Invitation) error) error {
	ctx, cancel := pgCtx()
	defer cancel()
	return pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		var data []byte
		err := tx.QueryRow(ctx, `SELECT invitation FROM invitations WHERE id = $1 FOR UPDATE`, []byte(id)).Scan(&data)
		var inv *Invitation
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return err
		default:
			inv = &Invitation{}
			if err := json.Unmarshal(data, inv); err != nil {
				return fmt.Errorf("invitation %s: %w", id, err)
			}
		}
		if err := fn(inv); err != nil {
			return err
		}
		if data, err = json.Marshal(inv); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO invitations (id, invitation) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET invitation = EXCLUDED.invitation`, []byte(id), data)
		return err
	})
}

// PutCaptureJob records job.
func (b *pgBackend) PutCaptureJob(job CaptureJob) error {
	ctx, cancel := pgCtx()
	defer cancel()
	data, err := json.Marshal(job)
	if err != nil {
		return fmt.Errorf("encode capture job %s: %w", job.ID, err)
	}
	_, err = b.pool.Exec(ctx, `INSERT INTO capture_jobs (principal, id, job) VALUES ($1, $2, $3)
		ON CONFLICT (principal, id) DO UPDATE SET job = EXCLUDED.job`, []byte(job.Principal), []byte(job.ID), data)
	return err
}

// CaptureJob returns the capture job id of principal.
func (b *pgBackend) CaptureJob(principal, id string) (*CaptureJob, error) {
	ctx, cancel := pgCtx()
	defer cancel()
	var data []byte
	err := b.pool.QueryRow(ctx, `SELECT job FROM capture_jobs WHERE principal = $1 AND id = $2`, []byte(principal), []byte(id)).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	job := &CaptureJob{}
	if err := json.Unmarshal(data, job); err != nil {
		return nil, fmt.Errorf("decode capture job %s: %w", id, err)
	}
	job.Principal = principal
	return job, nil
}

// Close gives up this process's claims on Pending transactions (so that another process
// reconciles them at once) and its keys' locks, and closes the connections.
func (b *pgBackend) Close() error {
	ctx, cancel := pgCtx()
	defer cancel()
	_, err := b.pool.Exec(ctx, `UPDATE requests SET claim_owner = NULL, claim_until = NULL, claim_lock = NULL WHERE claim_owner = $1`, b.owner)
	b.lockMu.Lock()
	err = errors.Join(err, b.lock.Close(ctx))
	b.lockMu.Unlock()
	b.pool.Close()
	return err
}
