package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/store/pgtest"
	"github.com/jackc/pgx/v5"
)

// cluster is the private PostgreSQL cluster TestMain starts when CXL_TEST_POSTGRES is set
// (make unit sets it): "1" for a temporary directory, else the directory to use.
var cluster *pgtest.Cluster

func TestMain(m *testing.M) {
	dir := os.Getenv("CXL_TEST_POSTGRES")
	if dir == "" {
		os.Exit(m.Run())
	}
	if dir == "1" {
		d, err := os.MkdirTemp("", "cxl-store-pg-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer os.RemoveAll(d)
		dir = d
	}
	port, err := pgtest.FreePort()
	if err == nil {
		cluster, err = pgtest.Start(dir, port)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "PostgreSQL for the store's tests:", err)
		os.Exit(1)
	}
	code := m.Run()
	if err := cluster.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// backend is a kind of Backend the conformance suite runs against: fresh makes an empty
// store's location, openErr opens (again) the store at a location.
type backend struct {
	name     string
	fresh    func(t *testing.T) string
	openErr  func(t *testing.T, loc string) (*Store, error)
	contents func(t *testing.T, loc string) []byte
}

func (b backend) open(t *testing.T, loc string) *Store {
	t.Helper()
	s, err := b.openErr(t, loc)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var boltBackendKind = backend{
	name:    "bbolt",
	fresh:   func(t *testing.T) string { return filepath.Join(t.TempDir(), "s.db") },
	openErr: func(_ *testing.T, path string) (*Store, error) { return Open(path) },
	contents: func(t *testing.T, path string) []byte {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return data
	},
}

// pgSchemas numbers the schemas of the PostgreSQL stores the tests make.
var (
	pgMu      sync.Mutex
	pgSchemas int
)

// pgDSN is the cluster's DSN with search_path set to schema.
func pgDSN(schema string) string { return cluster.DSN + "&search_path=" + schema }

var pgBackendKind = backend{
	name: "postgres",
	fresh: func(t *testing.T) string {
		pgMu.Lock()
		pgSchemas++
		schema := fmt.Sprintf("t%d_%d", os.Getpid(), pgSchemas)
		pgMu.Unlock()
		conn, err := pgx.Connect(context.Background(), cluster.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "CREATE SCHEMA "+schema); err != nil {
			t.Fatal(err)
		}
		return schema
	},
	openErr: func(_ *testing.T, schema string) (*Store, error) {
		return OpenPostgres(context.Background(), pgDSN(schema), nil)
	},
	contents: func(t *testing.T, schema string) []byte {
		conn, err := pgx.Connect(context.Background(), pgDSN(schema))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		var all []byte
		for _, q := range []string{"SELECT coalesce(string_agg(record || coalesce(envelope, ''), ''), '') FROM requests", "SELECT coalesce(string_agg(invitation, ''), '') FROM invitations"} {
			var b []byte
			if err := conn.QueryRow(context.Background(), q).Scan(&b); err != nil {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		return all
	},
}

// TestConformance runs every behaviour of the store against each backend.
func TestConformance(t *testing.T) {
	suite := []struct {
		name string
		fn   func(*testing.T, backend)
	}{
		{"SameKeySameRequestReturnsFirstOutcome", testSameKeySameRequestReturnsFirstOutcome},
		{"SameKeyOtherRequestIsRefused", testSameKeyOtherRequestIsRefused},
		{"ConcurrentDuplicates", testConcurrentDuplicates},
		{"RetryableFailureLetsTheRequestRunAgain", testRetryableFailureLetsTheRequestRunAgain},
		{"Restart", testRestart},
		{"ReadConflictReplacesTheTransaction", testReadConflictReplacesTheTransaction},
		{"Expire", testExpire},
		{"OutcomeIsAnsweredWhileWrittenAndKept", testOutcomeIsAnsweredWhileWrittenAndKept},
		{"CaptureJobs", testCaptureJobs},
		{"Invitations", testInvitations},
		{"HostileKeys", testHostileKeys},
		{"SessionOwners", testSessionOwners},
	}
	for _, bk := range []backend{boltBackendKind, pgBackendKind} {
		t.Run(bk.name, func(t *testing.T) {
			if bk.name == pgBackendKind.name && cluster == nil {
				t.Skip("CXL_TEST_POSTGRES is unset: the PostgreSQL backend is not tested (make unit sets it and starts a private cluster)")
			}
			for _, tc := range suite {
				t.Run(tc.name, func(t *testing.T) { tc.fn(t, bk) })
			}
		})
	}
}

// testHostileKeys: keys and principals with NUL bytes, invalid UTF-8 and SQL are only
// bytes: each is its own key, and one principal's key is not another's.
func testHostileKeys(t *testing.T, bk backend) {
	s := bk.open(t, bk.fresh(t))
	defer s.Close()
	for i, key := range []string{"a\x00b", "\xff\xfe", "'); DROP TABLE requests; --", strings.Repeat("k", 4096), randomKey(t, 4096), ""} {
		tk, _, err := s.Begin("alice", key, "fp", "health.Ping")
		if err != nil || tk == nil {
			t.Fatalf("key %q: %v", key, err)
		}
		tx := fmt.Sprintf("tx%d", i)
		if i%2 == 0 {
			commitThrough(t, tk, tx)
			s.writes.Wait()
		} else {
			// Left pending, then resolved by reconciliation.
			ctx := context.Background()
			if err := tk.Endorsing(ctx, tx); err != nil {
				t.Fatal(err)
			}
			if err := tk.Prepared(ctx, tx, []byte("env"), nil); err != nil {
				t.Fatal(err)
			}
			if _, err := tk.Finish(0, cxlerr.Errorf(cxlerr.Pending, "commit not known")); err != nil {
				t.Fatal(err)
			}
			if err := s.Resubmitted(tx); err != nil {
				t.Fatal(err)
			}
			if err := s.Resolve(tx, 3, nil); err != nil {
				t.Fatal(err)
			}
		}
		if r, err := s.ByTransaction(tx); err != nil || r == nil || !r.Committed() {
			t.Fatalf("transaction of key %q: %+v %v", key, r, err)
		}
		if tk, r, err := s.Begin("alice", key, "fp", "health.Ping"); tk != nil || err != nil || r == nil || r.TxID != tx {
			t.Fatalf("repeat of key %q: %v %+v %v", key, tk, r, err)
		}
		if tk, _, err := s.Begin("alice\x00"+key, "", "fp", "health.Ping"); err != nil || tk == nil {
			t.Fatalf("another principal's key beside %q: %v", key, err)
		} else {
			tk.Finish(0, cxlerr.Errorf(cxlerr.Invalid, "abandoned"))
		}
	}
	if r, err := s.ByTransaction("nope\x00\xff'"); r != nil || err != nil {
		t.Fatalf("unknown transaction: %+v %v", r, err)
	}
}

// TestReplicas checks what two processes sharing a PostgreSQL store rely on: one key's
// request runs in one of them (the other hears it is in flight, then gets its outcome), a
// Pending transaction is reconciled by one at a time, and the other takes it over when the
// first closes, its claim lapses or its connection is gone.
func TestReplicas(t *testing.T) {
	if cluster == nil {
		t.Skip("CXL_TEST_POSTGRES is unset: no PostgreSQL cluster to share (make unit sets it and starts a private one)")
	}
	schema := pgBackendKind.fresh(t)
	open := func(lease time.Duration) *Store {
		s, err := OpenPostgres(context.Background(), pgDSN(schema), []PostgresOption{WithClaimLease(lease)})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := open(time.Minute), open(time.Minute)
	defer b.Close()

	// The same key on both at once: exactly one runs.
	const n = 16
	var (
		wg               sync.WaitGroup
		mu               sync.Mutex
		tickets, blocked int
		winner           *Ticket
	)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			s := a
			if i%2 == 1 {
				s = b
			}
			tk, _, err := s.Begin("alice", "dup", "fp", "health.Ping")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case tk != nil:
				tickets++
				winner = tk
			case errors.Is(err, ErrInFlight):
				blocked++
			default:
				t.Errorf("unexpected: %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if tickets != 1 || blocked != n-1 {
		t.Fatalf("%d tickets, %d in flight across two stores; want 1 and %d", tickets, blocked, n-1)
	}
	commitThrough(t, winner, "txDup")
	winner.s.writes.Wait()
	for _, s := range []*Store{a, b} {
		if tk, r, err := s.Begin("alice", "dup", "fp", "health.Ping"); tk != nil || err != nil || !r.Committed() || r.TxID != "txDup" {
			t.Fatalf("replay after the outcome: %v %+v %v", tk, r, err)
		}
	}

	// A Pending transaction of a's: a reconciles it, b does not while a's claim holds.
	ctx := context.Background()
	tk, _, _ := a.Begin("alice", "p", "fp", "health.Ping")
	if err := tk.Endorsing(ctx, "txP"); err != nil {
		t.Fatal(err)
	}
	if err := tk.Prepared(ctx, "txP", []byte("env"), nil); err != nil {
		t.Fatal(err)
	}
	if list, _ := b.Pending(); len(list) != 0 {
		t.Fatalf("b lists a transaction whose request runs in a: %+v", list)
	}
	if tk, r, err := b.Begin("alice", "p", "fp", "health.Ping"); tk != nil || r != nil || !errors.Is(err, ErrInFlight) {
		t.Fatalf("b's repeat while a runs the request: %v %+v %v", tk, r, err)
	}
	if _, err := tk.Finish(0, cxlerr.Errorf(cxlerr.Pending, "commit not known")); err != nil {
		t.Fatal(err)
	}
	if tk, r, err := b.Begin("alice", "p", "fp", "health.Ping"); tk != nil || err != nil || r.State != Pending {
		t.Fatalf("b's repeat once pending: %v %+v %v", tk, r, err)
	}
	if list, _ := a.Pending(); len(list) != 1 || string(list[0].SignedTx) != "env" {
		t.Fatalf("a's pending: %+v", list)
	}
	if list, _ := b.Pending(); len(list) != 0 {
		t.Fatalf("b lists a transaction a reconciles: %+v", list)
	}
	// a closes: b takes it over at once.
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if list, _ := b.Pending(); len(list) != 1 || list[0].TxID != "txP" {
		t.Fatalf("b's pending after a closed: %+v", list)
	}

	// A process that stops answering (its claim not given up) is taken over once the
	// claim lapses.
	c := open(300 * time.Millisecond)
	tk, _, _ = c.Begin("alice", "q", "fp", "health.Ping")
	if err := tk.Endorsing(ctx, "txQ"); err != nil {
		t.Fatal(err)
	}
	if err := tk.Prepared(ctx, "txQ", []byte("envQ"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := tk.Finish(0, cxlerr.Errorf(cxlerr.Pending, "commit not known")); err != nil {
		t.Fatal(err)
	}
	has := func(list []*Record, txID string) bool {
		for _, r := range list {
			if r.TxID == txID {
				return true
			}
		}
		return false
	}
	if list, _ := b.Pending(); has(list, "txQ") {
		t.Fatalf("b took c's transaction while c's claim holds: %+v", list)
	}
	time.Sleep(400 * time.Millisecond)
	if list, _ := b.Pending(); !has(list, "txQ") {
		t.Fatalf("b did not take c's transaction after c's claim lapsed: %+v", list)
	}
	if err := b.Resolve("txQ", 9, nil); err != nil {
		t.Fatal(err)
	}
	if r, _ := c.ByTransaction("txQ"); r == nil || !r.Committed() || r.Block != 9 {
		t.Fatalf("c reads b's verdict: %+v", r)
	}
	c.Close()

	// A process that died (its lock connection gone, its claims not given up) is taken
	// over as soon as the server has ended its session, its lease notwithstanding; so is its
	// key's claim.
	d := open(time.Hour)
	tk, _, _ = d.Begin("alice", "r", "fp", "health.Ping")
	if err := tk.Endorsing(ctx, "txR"); err != nil {
		t.Fatal(err)
	}
	if err := tk.Prepared(ctx, "txR", []byte("envR"), nil); err != nil {
		t.Fatal(err)
	}
	if list, _ := b.Pending(); has(list, "txR") {
		t.Fatalf("b took d's transaction while d lives: %+v", list)
	}
	if err := d.b.(*pgBackend).lock.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// The server drops d's advisory locks when its backend process ends, a moment after the
	// client closed the connection: b takes the transaction then, long before d's lease.
	closed := time.Now()
	for list, _ := b.Pending(); !has(list, "txR"); list, _ = b.Pending() {
		if time.Since(closed) > 10*time.Second {
			t.Fatalf("b did not take the transaction of d, whose connection is gone, within 10s: %+v", list)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("b took over d's transaction %s after d's connection closed", time.Since(closed).Round(time.Millisecond))
	if tk, r, err := b.Begin("alice", "r", "fp", "health.Ping"); tk != nil || err != nil || r == nil || r.State != Pending {
		t.Fatalf("b's repeat of d's request: %v %+v %v", tk, r, err)
	}
	d.b.(*pgBackend).pool.Close()
}

// TestPostgresDSNNotInErrors: a wrong password's error names the server, never the password.
func TestPostgresDSNNotInErrors(t *testing.T) {
	if cluster == nil {
		t.Skip("CXL_TEST_POSTGRES is unset: no PostgreSQL cluster (make unit sets it and starts a private one)")
	}
	// A password in the URL wins over the cluster's password file.
	dsn := strings.Replace(cluster.DSN, "cxl@", "cxl:Sekrit-Pw-@", 1)
	if dsn == cluster.DSN {
		t.Fatalf("no user cxl in %s", cluster.DSN)
	}
	_, err := OpenPostgres(context.Background(), dsn, nil)
	if err == nil || strings.Contains(err.Error(), "Sekrit-Pw-") {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := OpenPostgres(context.Background(), "postgres://u:Sekrit@[::1", nil); err == nil || strings.Contains(err.Error(), "Sekrit") {
		t.Fatalf("unparsable DSN: %v", err)
	}
}

// TestPostgresMigrations: a database at an older schema version is brought to the current
// one with its records kept; one at a newer version than the service knows is refused.
func TestPostgresMigrations(t *testing.T) {
	if cluster == nil {
		t.Skip("CXL_TEST_POSTGRES is unset: no PostgreSQL cluster (make unit sets it and starts a private one)")
	}
	ctx := context.Background()
	schema := pgBackendKind.fresh(t)
	conn, err := pgx.Connect(ctx, pgDSN(schema))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rec := []byte(`{"principal":"alice","key":"old","fingerprint":"fp","state":"DONE","txId":"tx0"}`)
	for _, q := range []string{
		`CREATE TABLE cxl_schema (version int NOT NULL)`, migrations[0], `INSERT INTO cxl_schema VALUES (1)`,
		`INSERT INTO requests (principal, key, state, tx_id, updated, record) VALUES ('alice', 'old', 'DONE', 'tx0', now(), '` + string(rec) + `')`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	s, err := OpenPostgres(ctx, pgDSN(schema), nil)
	if err != nil {
		t.Fatal(err)
	}
	if tk, r, err := s.Begin("alice", "old", "fp", "health.Ping"); tk != nil || err != nil || r == nil || r.TxID != "tx0" {
		t.Fatalf("the record of version 1 after migrating: %v %+v %v", tk, r, err)
	}
	s.Close()
	var version int
	if err := conn.QueryRow(ctx, `SELECT version FROM cxl_schema`).Scan(&version); err != nil || version != len(migrations) {
		t.Fatalf("schema version %d %v, want %d", version, err, len(migrations))
	}
	if _, err := conn.Exec(ctx, `UPDATE cxl_schema SET version = 99`); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenPostgres(ctx, pgDSN(schema), nil); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("a schema newer than the service's: %v", err)
	}
}

// randomKey is n random bytes: a key no compression shortens.
func randomKey(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRedactDSN: neither form of a password survives.
func TestRedactDSN(t *testing.T) {
	for _, dsn := range []string{
		"postgres://cxl:Sekrit@db:5432/cxl",
		"postgres://cxl@db/cxl?sslmode=verify-full&password=Sekrit",
		"postgres://cxl@db/cxl?PASSWORD=Sekrit",
		"host=db user=cxl password=Sekrit",
		"postgres://cxl:Sekrit@[::1/cxl",
	} {
		if got := RedactDSN(dsn); strings.Contains(got, "Sekrit") {
			t.Errorf("RedactDSN(%q) = %q", dsn, got)
		}
	}
	if got := RedactDSN("postgres://cxl@db:5432/cxl?sslmode=disable"); got != "postgres://cxl@db:5432/cxl?sslmode=disable" {
		t.Errorf("a DSN without password changed: %q", got)
	}
}
