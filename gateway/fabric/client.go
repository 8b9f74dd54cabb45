package fabric

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync/atomic"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// Phase is one step of a transaction's life, as reported to an Observer.
type Phase string

// The phases a Client reports.
const (
	PhaseEvaluate Phase = "evaluate"
	PhaseEndorse  Phase = "endorse"
	PhaseSubmit   Phase = "submit"
	PhaseCommit   Phase = "commit"
	// PhaseJournal is the journal's durable write of the signed transaction before
	// submission (Journal.Prepared).
	PhaseJournal Phase = "journal"
	// PhaseSettle is the wait, after a commit, for the other peers to commit the block
	// too; it fails when a peer did not in time.
	PhaseSettle Phase = "settle"
)

// Observer is told how long each phase of each call took and how it ended (err nil on
// success); the gateway service turns it into metrics.
type Observer func(p Phase, d time.Duration, err error)

// Option configures a Client.
type Option func(*Client)

// WithTimeouts bounds each phase of a transaction; the caller's context bounds the whole.
func WithTimeouts(t Timeouts) Option { return func(c *Client) { c.timeouts = t } }

// WithConflictRetries sets how many times a transaction that fails validation with an MVCC
// or phantom read conflict is run again as a new transaction (default 3).
func WithConflictRetries(n int) Option { return func(c *Client) { c.conflictRetries = n } }

// WithObserver reports the duration and outcome of every phase to o.
func WithObserver(o Observer) Option { return func(c *Client) { c.observe = o } }

// WithLogger logs reconnections and failovers to l (default: discarded).
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithSettlePeers names peers, typically other members' peers, that the Client only
// follows: after a commit it waits, as for its gateway peers, until each has the block
// (see Timeouts.Settle), so that a call through another member's gateway sees the
// transaction. It sends them no proposal, transaction or query, so it does not rely on
// their answers; it only reads their filtered block stream.
func WithSettlePeers(peers ...Peer) Option {
	return func(c *Client) { c.settlePeers = append(c.settlePeers, peers...) }
}

// Client reaches one chaincode on one channel through a list of gateway peers, as any of a
// set of signing identities. Calls go to the first peer that answers: when a peer is
// unavailable the Client fails over to the next one and prefers it from then on.
type Client struct {
	channel, chaincode string
	peers              []Peer
	conns              []*grpc.ClientConn
	// settlePeers are followed for their heights only, through settleGWs (as statusID).
	settlePeers []Peer
	settleConns []*grpc.ClientConn
	settleGWs   []*client.Gateway
	ids         map[string]*signer
	// statusID is the identity that asks for commit statuses and resubmits envelopes on
	// behalf of the service (any channel member may).
	statusID string
	// orgs are the organisations of the identities, sorted.
	orgs            []string
	preferred       atomic.Int64
	timeouts        Timeouts
	conflictRetries int
	observe         Observer
	log             *slog.Logger
	// heights follows every peer's block height, so that a commit is answered once every
	// peer has it (see peerHeights).
	heights *peerHeights
}

// signer is one identity with a gateway through each peer.
type signer struct {
	name string
	id   *identity.X509Identity
	sign identity.Sign
	gws  []*client.Gateway
}

// NewClient connects to channel and chaincode through peers (in order of preference, at least
// one) as the identities named in ids (at least one). No peer is contacted yet.
func NewClient(channel, chaincode string, peers []Peer, ids map[string]Identity, opts ...Option) (*Client, error) {
	if len(peers) == 0 {
		return nil, errors.New("no gateway peer configured")
	}
	if len(ids) == 0 {
		return nil, errors.New("no identity configured")
	}
	c := &Client{
		channel: channel, chaincode: chaincode, peers: peers, ids: map[string]*signer{},
		timeouts: DefaultTimeouts, conflictRetries: 3, observe: func(Phase, time.Duration, error) {},
		log: slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o(c)
	}
	// A restarted peer must be found again within seconds, not after gRPC's default backoff
	// of up to two minutes.
	bo := backoff.DefaultConfig
	bo.MaxDelay = 2 * time.Second
	for _, p := range peers {
		conn, err := Dial(p, grpc.WithConnectParams(grpc.ConnectParams{Backoff: bo, MinConnectTimeout: 2 * time.Second}))
		if err != nil {
			return nil, errors.Join(err, c.Close())
		}
		c.conns = append(c.conns, conn)
	}
	for _, p := range c.settlePeers {
		conn, err := Dial(p, grpc.WithConnectParams(grpc.ConnectParams{Backoff: bo, MinConnectTimeout: 2 * time.Second}))
		if err != nil {
			return nil, errors.Join(err, c.Close())
		}
		c.settleConns = append(c.settleConns, conn)
	}
	names := make([]string, 0, len(ids))
	for name := range ids {
		names = append(names, name)
	}
	sort.Strings(names)
	c.statusID = names[0]
	for _, name := range names {
		id := ids[name]
		x509ID, sign, err := id.Signer()
		if err != nil {
			return nil, errors.Join(fmt.Errorf("identity %s: %w", name, err), c.Close())
		}
		s := &signer{name: name, id: x509ID, sign: sign}
		for i, conn := range c.conns {
			gw, err := client.Connect(x509ID, client.WithSign(sign), client.WithClientConnection(conn))
			if err != nil {
				return nil, errors.Join(fmt.Errorf("gateway for %s at %s: %w", name, peers[i].Address, err), c.Close())
			}
			s.gws = append(s.gws, gw)
		}
		c.ids[name] = s
		if name == c.statusID {
			for i, conn := range c.settleConns {
				gw, err := client.Connect(x509ID, client.WithSign(sign), client.WithClientConnection(conn))
				if err != nil {
					return nil, errors.Join(fmt.Errorf("gateway for %s at %s: %w", name, c.settlePeers[i].Address, err), c.Close())
				}
				c.settleGWs = append(c.settleGWs, gw)
			}
		}
		if !slices.Contains(c.orgs, id.MSPID) {
			c.orgs = append(c.orgs, id.MSPID)
		}
	}
	slices.Sort(c.orgs)
	c.heights = newPeerHeights(c)
	return c, nil
}

// Close closes every gateway and peer connection.
func (c *Client) Close() error {
	if c.heights != nil {
		c.heights.close()
	}
	var errs []error
	for _, s := range c.ids {
		for _, gw := range s.gws {
			errs = append(errs, gw.Close())
		}
	}
	for _, gw := range c.settleGWs {
		errs = append(errs, gw.Close())
	}
	for _, conn := range append(slices.Clip(c.conns), c.settleConns...) {
		errs = append(errs, conn.Close())
	}
	return errors.Join(errs...)
}

// Ledger returns the ledger as identity name sees it: every contract's operations over the
// Session that Transport returns.
func (c *Client) Ledger(name string, j Journal) (ledgerapi.Ledger, error) {
	s, err := c.session(name, j)
	if err != nil {
		return nil, err
	}
	return ledgerapi.Over(s), nil
}

// Transport returns the Session of identity name, which carries any operation to the
// ledger. Each transaction it submits is recorded in j before it leaves the process; j may
// be nil.
func (c *Client) Transport(name string, j Journal) (ledgerapi.Transport, error) {
	return c.session(name, j)
}

func (c *Client) session(name string, j Journal) (*Session, error) {
	s, ok := c.ids[name]
	if !ok {
		return nil, cxlerr.Errorf(cxlerr.Internal, "no identity %q configured", name)
	}
	if j == nil {
		j = noJournal{}
	}
	return &Session{c: c, s: s, journal: j}, nil
}

// Ready reports whether a peer answers a query: the chaincode's health:Version, evaluated
// through each peer in turn until one answers.
func (c *Client) Ready(ctx context.Context) error {
	s, err := c.session(c.statusID, nil)
	if err != nil {
		return err
	}
	_, err = ledgerapi.HealthVersion.Query(ctx, s, ledgerapi.NoArgs{})
	return err
}

// unavailable reports whether err means the gateway peer could not be reached or could not
// serve the call, so that another peer may.
func unavailable(err error) bool {
	return cxlerr.CodeOf(Classify(err)) == cxlerr.Unavailable
}

// failover calls fn with each peer's index in turn, starting at the preferred one, until fn
// returns an error that is not "unavailable" or the peers are exhausted. A peer that
// answers becomes the preferred one.
func (c *Client) failover(ctx context.Context, what string, fn func(peer int) error) error {
	start := int(c.preferred.Load())
	var err error
	for i := range c.peers {
		p := (start + i) % len(c.peers)
		err = fn(p)
		if err == nil || !unavailable(err) || ctx.Err() != nil {
			if i > 0 && err == nil {
				c.preferred.Store(int64(p))
				c.log.Info("failed over to another gateway peer", "operation", what, "peer", c.peers[p].Address)
			}
			return err
		}
		c.log.Warn("gateway peer unavailable", "operation", what, "peer", c.peers[p].Address, "error", err)
	}
	return err
}

// timed runs fn under a timeout and reports its duration and outcome as phase p.
//
// A deadline in a phase that submits nothing (evaluate, endorse) is Unavailable, not a
// Timeout: nothing reached the orderers, so the outcome is known (nothing changed) and the
// caller may retry at once, and failover tries the next peer. A peer cut off by a network
// partition drops packets rather than refusing connections, so calls to it end at their
// deadline; reporting that as a Timeout would tell clients the outcome is unknown.
func (c *Client) timed(ctx context.Context, p Phase, timeout time.Duration, fn func(ctx context.Context) error) error {
	pctx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		pctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	start := time.Now()
	err := fn(pctx)
	elapsed := time.Since(start)
	if (p == PhaseEvaluate || p == PhaseEndorse) && deadlineExceeded(err) {
		err = cxlerr.Errorf(cxlerr.Unavailable, "no peer answered the %s within %s; nothing was submitted", p, elapsed.Round(time.Millisecond)).WithCause(err)
	}
	c.observe(p, elapsed, err)
	return err
}

// deadlineExceeded reports whether err is a context deadline or a gRPC DeadlineExceeded
// status, wherever it is wrapped.
func deadlineExceeded(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	st, ok := status.FromError(err)
	return ok && st.Code() == codes.DeadlineExceeded
}
