package clitest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/cli/transport"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/config"
	"github.com/cxledger/cxledger/gateway/fabric"
	"github.com/cxledger/cxledger/gateway/httpapi"
	"github.com/cxledger/cxledger/gateway/metrics"
	"github.com/cxledger/cxledger/gateway/reconcile"
	"github.com/cxledger/cxledger/gateway/store"
	"github.com/cxledger/cxledger/ledgerapi"
)

// Transport opens a cmdutil.Client over a fake ledger.
type Transport struct {
	// Name names the transport in subtests: "direct" or "rest".
	Name string
	// Open returns a client of f; it is closed when the test ends.
	Open func(t testing.TB, f *Fake) cmdutil.Client
}

// Transports are the two ways a command reaches a ledger: in process (the fake as the
// ledgerapi.Ledger, keys kept like the Fabric transport's journal keeps them), and over
// the gateway service's real REST API (gateway/httpapi serving the fake, reached through
// the CLI's gateway transport and gateway/client).
func Transports() []Transport {
	return []Transport{{Name: "direct", Open: InProcess}, {Name: "rest", Open: REST}}
}

// APIKey is the key the REST transport's service knows.
const APIKey = "test-key"

// InProcess is a client of the fake in this process.
// Like the service, it remembers keys for the fake's lifetime, across clients.
func InProcess(t testing.TB, f *Fake) cmdutil.Client {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.keys == nil {
		f.keys = map[string]*keyed{}
	}
	return &inProcess{f: f, keys: f.keys}
}

type keyed struct {
	fingerprint string
	res         *cmdutil.RawCommitted
	err         error
}

// inProcess keeps idempotency keys in memory: a repeat returns the first outcome (a
// retryable failure runs again), another request under a key is IDEMPOTENCY_MISMATCH.
type inProcess struct {
	f    *Fake
	keys map[string]*keyed
}

// view is the ledger as the fake's caller sees it now: tests change Caller between commands.
func (c *inProcess) view() ledgerapi.Ledger { return c.f.View(c.f.Caller, nil) }

func (c *inProcess) Health() ledgerapi.Health         { return c.view().Health() }
func (c *inProcess) Consortium() ledgerapi.Consortium { return c.view().Consortium() }
func (c *inProcess) Provenance() ledgerapi.Provenance { return c.view().Provenance() }
func (c *inProcess) Orders() ledgerapi.Orders         { return c.view().Orders() }
func (c *inProcess) Loyalty() ledgerapi.Loyalty       { return c.view().Loyalty() }
func (c *inProcess) Care() ledgerapi.Care             { return c.view().Care() }
func (c *inProcess) Events() ledgerapi.Events         { return c.view().Events() }

func (c *inProcess) Submit(ctx context.Context, op string, req any, run func(context.Context, ledgerapi.Ledger) (*cmdutil.RawCommitted, error)) (*cmdutil.RawCommitted, error) {
	key := ledgerapi.IdempotencyKey(ctx)
	body, _ := json.Marshal(req)
	sum := sha256.Sum256(append([]byte(op+"\n"), body...))
	fp := hex.EncodeToString(sum[:])
	c.f.keysMu.Lock()
	k, seen := c.keys[key]
	c.f.keysMu.Unlock()
	if seen {
		if k.fingerprint != fp {
			return nil, cxlerr.Errorf(cxlerr.IdempotencyMismatch, "this idempotency key was used for a different request")
		}
		if k.err == nil || !cxlerr.From(k.err).Retryable || cxlerr.CodeOf(k.err) == cxlerr.Pending {
			return k.res, k.err
		}
	}
	res, err := run(ctx, c.f.View(c.f.Caller, nil))
	c.f.keysMu.Lock()
	c.keys[key] = &keyed{fingerprint: fp, res: res, err: err}
	c.f.keysMu.Unlock()
	return res, err
}

func (c *inProcess) Transactions() ledgerapi.Transactions {
	return c.f.View(c.f.Caller, nil).Transactions()
}
func (c *inProcess) Target() string { return "fake ledger" }
func (c *inProcess) Close() error   { return nil }

// REST serves the fake through gateway/httpapi in an httptest server, with a reconciler
// resolving pending transactions as the service's does, and returns the CLI's gateway
// transport to it presenting APIKey. One server serves a fake for the test's lifetime.
func REST(t testing.TB, f *Fake) cmdutil.Client {
	f.mu.Lock()
	url := f.restURL
	f.mu.Unlock()
	if url == "" {
		url = RESTServer(t, f)
		f.mu.Lock()
		f.restURL = url
		f.mu.Unlock()
	}
	return transport.NewGateway(url, APIKey)
}

// RESTServer starts the service over f and returns its URL.
func RESTServer(t testing.TB, f *Fake) string {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "gateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	b := backend{f}
	srv := httpapi.New(httpapi.Options{
		Backend: b, Store: st, Metrics: metrics.New(),
		Principals:     map[[sha256.Size]byte]httpapi.Principal{httpapi.HashKey(APIKey): {Name: "tester", Identity: "tester"}},
		PublicIdentity: "tester", Limits: config.Defaults().Limits, RequestTimeout: 5 * time.Second,
	})
	hs := httptest.NewServer(srv)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		(&reconcile.Reconciler{Store: st, Ledger: b, Interval: 20 * time.Millisecond, ResubmitAfter: time.Hour}).Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		hs.Close()
		st.Close()
	})
	return hs.URL
}

type backend struct{ f *Fake }

func (b backend) Ledger(_ string, j fabric.Journal) (ledgerapi.Ledger, error) {
	return b.f.View(b.f.Caller, j), nil
}

// Lookup answers like the Fabric adapter: a transaction in no block yet is NOT_FOUND.
func (b backend) Lookup(_ context.Context, txID string) (*ledgerapi.TransactionStatus, error) {
	st, err := b.f.status(txID)
	if err == nil && st.State == ledgerapi.TxPending {
		return nil, cxlerr.Errorf(cxlerr.NotFound, "transaction %s is in no block", txID).WithTransaction(txID)
	}
	return st, err
}

func (b backend) Resubmit(context.Context, []byte) error { return nil }
func (b backend) Ready(context.Context) error            { return nil }
