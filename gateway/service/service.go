// Package service assembles the gateway service from its configuration: the Fabric client
// over the configured peers and identities, the store, the HTTP API, reconciliation, the
// verification cache and the vault of ticket keys (which opens the personal data of the
// tickets of the organisations whose identities the service holds, keeps their pools of
// published keys filled and destroys the keys of erased tickets), and runs them until it
// is told to stop.
package service

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/cxledger/cxledger/gateway/config"
	"github.com/cxledger/cxledger/gateway/fabric"
	"github.com/cxledger/cxledger/gateway/httpapi"
	"github.com/cxledger/cxledger/gateway/metrics"
	"github.com/cxledger/cxledger/gateway/querycache"
	"github.com/cxledger/cxledger/gateway/reconcile"
	"github.com/cxledger/cxledger/gateway/store"
	"github.com/cxledger/cxledger/gateway/vault"
	"github.com/cxledger/cxledger/ledgerapi"
)

// Service is the assembled gateway service.
type Service struct {
	cfg        *config.Config
	log        *slog.Logger
	fabric     *fabric.Client
	store      *store.Store
	api        *httpapi.Server
	reconciler *reconcile.Reconciler
	// verifications is nil when the verification cache is off.
	verifications *querycache.Verifications
	// keeper keeps the vault of ticket keys in step with the ledger.
	keeper *vault.Keeper
	public string
}

// New assembles the service from a validated configuration. Nothing listens yet.
func New(cfg *config.Config, log *slog.Logger) (*Service, error) {
	m := metrics.New()
	peers := make([]fabric.Peer, len(cfg.Peers))
	for i, p := range cfg.Peers {
		peers[i] = fabric.Peer{Address: p.Address, TLSRootCertPath: p.TLSRootCert, ServerName: p.ServerName}
	}
	settle := make([]fabric.Peer, len(cfg.SettlePeers))
	for i, p := range cfg.SettlePeers {
		settle[i] = fabric.Peer{Address: p.Address, TLSRootCertPath: p.TLSRootCert, ServerName: p.ServerName}
	}
	ids := map[string]fabric.Identity{}
	for name, id := range cfg.Identities {
		ids[name] = fabric.Identity{MSPID: id.MSPID, CertPath: id.Cert, KeyPath: id.Key}
	}
	fc, err := fabric.NewClient(cfg.Channel, cfg.Chaincode, peers, ids,
		fabric.WithTimeouts(fabric.Timeouts{Evaluate: cfg.Timeouts.Evaluate, Endorse: cfg.Timeouts.Endorse, Submit: cfg.Timeouts.Submit, Settle: cfg.Timeouts.Settle}),
		fabric.WithObserver(m.Phase), fabric.WithLogger(log), fabric.WithSettlePeers(settle...))
	if err != nil {
		return nil, fmt.Errorf("connect to Fabric: %w", err)
	}
	st, err := openStore(cfg, log)
	if err != nil {
		return nil, errors.Join(err, fc.Close())
	}
	principals := map[[32]byte]httpapi.Principal{}
	for _, p := range cfg.Principals {
		var h [32]byte
		if _, err := hex.Decode(h[:], []byte(p.KeySHA256)); err != nil {
			return nil, errors.Join(fmt.Errorf("principal %s: key hash: %w", p.Name, err), st.Close(), fc.Close())
		}
		principals[h] = httpapi.Principal{Name: p.Name, Identity: p.Identity}
	}
	public := cfg.PublicIdentity
	if public == "" {
		public = cfg.Principals[0].Identity
	}
	v, err := vault.Open(cfg.VaultDir())
	if err != nil {
		return nil, errors.Join(err, st.Close(), fc.Close())
	}
	keeper, err := newKeeper(cfg, fc, v, public, log)
	if err != nil {
		return nil, errors.Join(err, st.Close(), fc.Close())
	}
	b := backend{Client: fc, vault: v, keeper: keeper}
	var verifications *querycache.Verifications
	if cfg.Cache.VerifyTTL > 0 {
		verifications = querycache.NewVerifications(querycache.Options{TTL: cfg.Cache.VerifyTTL, MaxEntries: cfg.Cache.VerifyEntries},
			func(o querycache.Outcome) { m.CacheLookup("verify", string(o)) })
		b.verifications = verifications
	}
	customers, err := customersOf(cfg, fc)
	if err != nil {
		return nil, errors.Join(err, st.Close(), fc.Close())
	}
	api := httpapi.New(httpapi.Options{
		Backend: b, Store: st, Metrics: m, Log: log, Principals: principals, PublicIdentity: public,
		Limits: cfg.Limits, RequestTimeout: cfg.Timeouts.Request, Customers: customers,
	})
	rec := &reconcile.Reconciler{
		Store: st, Ledger: fc, Interval: cfg.Reconcile.Interval, ResubmitAfter: cfg.Reconcile.ResubmitAfter,
		Retention: cfg.Reconcile.Retention, Log: log,
		Observe: func(r reconcile.Result) {
			m.Pending(r.Pending)
			m.Reconciled("committed", r.Committed)
			m.Reconciled("failed", r.Failed)
			m.Reconciled("resubmitted", r.Resubmitted)
		},
	}
	return &Service{cfg: cfg, log: log, fabric: fc, store: st, api: api, reconciler: rec, verifications: verifications, keeper: keeper, public: public}, nil
}

// backend is the Fabric client with the personal data of tickets opened by the vault, and
// verifications answered through the cache when it is on.
type backend struct {
	*fabric.Client
	vault         *vault.Vault
	keeper        *vault.Keeper
	verifications *querycache.Verifications
}

// Ready reports whether the vault made its first pass (the merchants' pools of ticket keys
// are published) and a peer answers.
func (b backend) Ready(ctx context.Context) error {
	if err := b.keeper.Ready(); err != nil {
		return err
	}
	return b.Client.Ready(ctx)
}

// Transport is the client's transport with the vault, and the cache in front of
// provenance Verify.
func (b backend) Transport(identity string, j fabric.Journal) (ledgerapi.Transport, error) {
	t, err := b.Client.Transport(identity, j)
	if err != nil {
		return nil, err
	}
	t = b.vault.Wrap(t)
	if b.verifications != nil {
		t = b.verifications.Wrap(t)
	}
	return t, nil
}

// newKeeper is the keeper of the vault for every organisation the service holds an
// identity of: each signs as the first of its identities by name; the keeper follows the
// events as the public identity.
func newKeeper(cfg *config.Config, fc *fabric.Client, v *vault.Vault, public string, log *slog.Logger) (*vault.Keeper, error) {
	names := slices.Sorted(maps.Keys(cfg.Identities))
	orgs := map[string]ledgerapi.Transport{}
	for _, name := range names {
		msp := cfg.Identities[name].MSPID
		if _, ok := orgs[msp]; ok {
			continue
		}
		t, err := fc.Transport(name, nil)
		if err != nil {
			return nil, fmt.Errorf("vault: identity %s: %w", name, err)
		}
		orgs[msp] = t
	}
	events, err := fc.Transport(public, nil)
	if err != nil {
		return nil, fmt.Errorf("vault: identity %s: %w", public, err)
	}
	return &vault.Keeper{Vault: v, Orgs: orgs, Events: events.Events(), Pool: cfg.Vault.Pool, Threshold: cfg.Vault.Threshold,
		Interval: cfg.Vault.Interval, Log: log}, nil
}

// followProvenance drops cached verifications whenever a provenance transaction commits,
// until ctx ends; if it cannot follow the chain it turns the cache's answers into misses
// by invalidating them, and tries again.
func (s *Service) followProvenance(ctx context.Context) {
	t, err := s.fabric.Transport(s.public, nil)
	if err != nil {
		s.log.Error("verification cache: cannot follow provenance events", "error", err)
		return
	}
	for ctx.Err() == nil {
		err := s.verifications.Follow(ctx, t.Events())
		s.verifications.Invalidate()
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("verification cache: provenance event stream ended; following again", "error", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// Run serves the API on the configured address and reconciles pending transactions (a
// pass at once, then on the interval) until ctx ends, then shuts down: new connections
// stop, event streams end, requests in progress get the request timeout to finish.
func (s *Service) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Listen, err)
	}
	return s.Serve(ctx, ln)
}

// Serve is Run on a listener the caller opened: HTTPS with the configured certificate when
// the configuration has one, plain HTTP otherwise.
func (s *Service) Serve(ctx context.Context, ln net.Listener) error {
	base, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	srv := &http.Server{
		Handler:           s.api,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	recCtx, stopRec := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.reconciler.Run(recCtx)
	}()
	followed := make(chan struct{})
	go func() {
		defer close(followed)
		if s.verifications != nil {
			s.followProvenance(recCtx)
		}
	}()
	kept := make(chan struct{})
	go func() {
		defer close(kept)
		s.keeper.Run(recCtx)
	}()
	serveErr := make(chan error, 1)
	if t := s.cfg.TLS; t != nil {
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		go func() { serveErr <- srv.ServeTLS(ln, t.Cert, t.Key) }()
	} else {
		go func() { serveErr <- srv.Serve(ln) }()
	}
	s.log.Info("gateway service listening", "address", ln.Addr().String(), "tls", s.cfg.TLS != nil, "peers", len(s.cfg.Peers),
		"identities", len(s.cfg.Identities), "principals", len(s.cfg.Principals))
	var err error
	select {
	case err = <-serveErr:
	case <-ctx.Done():
		s.log.Info("shutting down")
		// Event streams last as long as their clients: end them so that Shutdown can.
		cancelBase()
		sctx, cancel := context.WithTimeout(context.Background(), s.cfg.Timeouts.Request+5*time.Second)
		err = srv.Shutdown(sctx)
		cancel()
	}
	stopRec()
	<-done
	<-followed
	<-kept
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Close releases the store and the peer connections.
func (s *Service) Close() error {
	return errors.Join(s.store.Close(), s.fabric.Close())
}

// openStore opens the bbolt file, or the PostgreSQL store replicas share when StoreURL is
// set (logged without its password).
func openStore(cfg *config.Config, log *slog.Logger) (*store.Store, error) {
	werr := store.WithWriteErrors(func(err error) {
		log.Error("store: an outcome was not written; reconciliation will take it from the ledger", "error", err)
	})
	if cfg.StoreURL == "" {
		return store.Open(cfg.Store, werr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := store.OpenPostgres(ctx, cfg.StoreURL, nil, werr)
	if err == nil {
		log.Info("store: PostgreSQL, shared with the member's other replicas", "url", store.RedactDSN(cfg.StoreURL))
	}
	return st, err
}
