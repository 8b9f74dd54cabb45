package clitest

import (
	"context"
	"crypto/sha256"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/cli/transport"
	"github.com/cxledger/cxledger/gateway/config"
	"github.com/cxledger/cxledger/gateway/fabric"
	"github.com/cxledger/cxledger/gateway/httpapi"
	"github.com/cxledger/cxledger/gateway/metrics"
	"github.com/cxledger/cxledger/gateway/reconcile"
	"github.com/cxledger/cxledger/gateway/store"
	"github.com/cxledger/cxledger/ledgerapi"
)

// Transport opens a cmdutil.Client of a ledger.
type Transport struct {
	// Name names the transport in subtests: "direct" or "rest".
	Name string
	// Open returns a client of l; it is closed when the test ends.
	Open func(t testing.TB, l *Ledger) cmdutil.Client
}

// Transports are the two ways a command reaches a ledger: directly (the CLI's direct
// transport, with its idempotency journal, over the chaincode in process), and over the
// gateway service's real REST API (gateway/httpapi serving the chaincode in process,
// reached through the CLI's gateway transport and gateway/client).
func Transports() []Transport {
	return []Transport{{Name: "direct", Open: InProcess}, {Name: "rest", Open: REST}}
}

// APIKey is the key the REST transport's service knows.
const APIKey = "test-key"

// InProcess is the CLI's direct transport over l: the one the Fabric profiles use, with its
// journal in a directory of the test, acting as l's current caller. Like the service, it
// remembers keys for the test's lifetime, across clients of l.
func InProcess(t testing.TB, l *Ledger) cmdutil.Client {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.journal == "" {
		l.journal = filepath.Join(t.TempDir(), "journal.db")
	}
	return transport.NewDirect(backend{l}, transport.DirectOptions{Identity: "cli", Principal: "in-process",
		Target: "the chaincode in process", Journal: l.journal})
}

// REST serves l through gateway/httpapi in an httptest server, with a reconciler resolving
// pending transactions as the service's does, and returns the CLI's gateway transport to it
// presenting APIKey. One server serves a ledger for the test's lifetime.
func REST(t testing.TB, l *Ledger) cmdutil.Client {
	t.Helper()
	l.mu.Lock()
	url := l.restURL
	l.mu.Unlock()
	if url == "" {
		url = RESTServer(t, l)
		l.mu.Lock()
		l.restURL = url
		l.mu.Unlock()
	}
	g, err := transport.NewGateway(url, APIKey, "")
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// RESTServer starts the service over l and returns its URL.
func RESTServer(t testing.TB, l *Ledger) string {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "gateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	b := backend{l}
	srv := httpapi.New(httpapi.Options{
		Backend: b, Store: st, Metrics: metrics.New(),
		Principals:     map[[sha256.Size]byte]httpapi.Principal{config.HashKey(APIKey): {Name: "tester", Identity: "tester"}},
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

// backend is l as the direct transport and the gateway service reach a Fabric client:
// whatever identity is named, the ledger's current caller acts.
type backend struct{ *Ledger }

func (b backend) Transport(_ string, j fabric.Journal) (ledgerapi.Transport, error) {
	return b.Ledger.Transport(j), nil
}

func (b backend) Ready(context.Context) error { return nil }
func (b backend) Close() error                { return nil }
