package transport

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/fabric"
	"github.com/cxledger/cxledger/gateway/reconcile"
	"github.com/cxledger/cxledger/gateway/store"
	"github.com/cxledger/cxledger/ledgerapi"
)

// identityName is the one identity a Fabric transport's client holds.
const identityName = "cli"

// Backend is what a Direct transport reaches the ledger through: the Fabric client holding
// the user's identity, or, in tests, the chaincode running in process.
type Backend interface {
	// Transport is the ledger as identity; every transaction it submits is recorded in j
	// before it leaves the process (j may be nil for queries).
	Transport(identity string, j fabric.Journal) (ledgerapi.Transport, error)
	// Lookup and Resubmit settle the journal's pending transactions.
	reconcile.Ledger
	// Close releases the backend's connections.
	Close() error
}

// DirectOptions say whom a Direct transport acts as and where it keeps its journal.
type DirectOptions struct {
	// Identity is the backend's identity to use.
	Identity string
	// Principal scopes the idempotency keys in the journal ("Org1MSP-<certificate hash>").
	Principal string
	// Account is the identity's account ("Org1MSP/User1"), "" when unknown.
	Account string
	// Target names what is reached, for messages.
	Target string
	// Journal is the journal file.
	Journal string
}

// Direct reaches the ledger directly with the user's own signing identity (through a peer's
// Fabric Gateway, NewFabric). Idempotency keys are kept in a local journal (the gateway
// service's store, one file per identity): the key, the transaction ID and the signed
// envelope before submission, so that repeating a command with its key returns the first
// outcome, and a transaction whose commit was unknown is found in a block, or submitted
// again as the same envelope, which the ledger applies at most once.
type Direct struct {
	backend Backend
	opts    DirectOptions

	mu    sync.Mutex
	store *store.Store
	query ledgerapi.Transport
}

var _ cmdutil.Client = (*Direct)(nil)

// NewDirect returns a transport that submits through b as opts.Identity, journalled in
// opts.Journal.
func NewDirect(b Backend, opts DirectOptions) *Direct {
	return &Direct{backend: b, opts: opts}
}

// JournalDir is where the Fabric transport keeps its idempotency journals: beside the
// configuration file.
func JournalDir(cfg *cmdutil.Config) string {
	return filepath.Join(filepath.Dir(cfg.Path()), "journal")
}

// NewFabric connects to p's peer as p's identity, journalling mutations under dir. A
// profile whose files cannot be read is a usage error.
func NewFabric(_ context.Context, p cmdutil.Profile, dir string) (*Direct, error) {
	id := fabric.Identity{MSPID: p.MSPID, CertPath: p.Cert, KeyPath: p.Key}
	cert, err := os.ReadFile(p.Cert)
	if err != nil {
		return nil, cmdutil.UsageErrorf("Fabric profile: read certificate: %v", err)
	}
	peers := []fabric.Peer{{Address: p.Peer, TLSRootCertPath: p.TLSRootCert, ServerName: p.ServerName}}
	for _, o := range p.OtherPeers {
		peers = append(peers, fabric.Peer{Address: o.Address, TLSRootCertPath: o.TLSRootCert, ServerName: o.ServerName})
	}
	c, err := fabric.NewClient(p.ChannelName(), p.ChaincodeName(), peers, map[string]fabric.Identity{identityName: id})
	if err != nil {
		return nil, cmdutil.UsageErrorf("Fabric profile: %s", oneLine(err))
	}
	sum := sha256.Sum256(cert)
	principal := p.MSPID + "-" + hex.EncodeToString(sum[:8])
	opts := DirectOptions{Identity: identityName, Principal: principal, Target: "peer " + p.Peer + " as " + principal,
		Journal: filepath.Join(dir, principal+".db")}
	if block, _ := pem.Decode(cert); block != nil {
		if x, err := x509.ParseCertificate(block.Bytes); err == nil {
			opts.Account = p.MSPID + "/" + x.Subject.CommonName
		}
	}
	return NewDirect(c, opts), nil
}

// Target names the peer and the identity.
func (d *Direct) Target() string { return d.opts.Target }

// Account is the identity's account as the contracts name it: "<MSP ID>/<common name>".
func (d *Direct) Account() string { return d.opts.Account }

// Close closes the journal and the backend.
func (d *Direct) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var errs []error
	if d.store != nil {
		errs = append(errs, d.store.Close())
		d.store = nil
	}
	return errors.Join(append(errs, d.backend.Close())...)
}

// openStore opens the journal, waiting while another cxl process of the same identity
// holds it, until ctx ends.
func (d *Direct) openStore(ctx context.Context) (*store.Store, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.store != nil {
		return d.store, nil
	}
	if err := os.MkdirAll(filepath.Dir(d.opts.Journal), 0o700); err != nil {
		return nil, fmt.Errorf("create the idempotency journal's directory: %w", err)
	}
	for {
		s, err := store.Open(d.opts.Journal)
		if err == nil {
			d.store = s
			return s, nil
		}
		if !errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("idempotency journal: %w", err)
		}
		select {
		case <-ctx.Done():
			return nil, cxlerr.Errorf(cxlerr.Timeout, "another cxl command of this identity holds the idempotency journal %s", d.opts.Journal)
		default:
		}
	}
}

// queries is the backend's transport without a journal, for queries, transaction status
// and events.
func (d *Direct) queries() (ledgerapi.Transport, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.query == nil {
		t, err := d.backend.Transport(d.opts.Identity, nil)
		if err != nil {
			return nil, err
		}
		d.query = t
	}
	return d.query, nil
}

// Fingerprint identifies a request of op under an idempotency key: the SHA-256 of the
// operation's name, a newline and the request's JSON.
func Fingerprint(op *ledgerapi.Operation, req any) (string, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return "", fmt.Errorf("encode the request of %s: %w", op.Name(), err)
	}
	sum := sha256.Sum256(append([]byte(op.Name()+"\n"), body...))
	return hex.EncodeToString(sum[:]), nil
}

// Submit runs op under the context's idempotency key, journalled.
func (d *Direct) Submit(ctx context.Context, op *ledgerapi.Operation, req any) (*cmdutil.RawCommitted, error) {
	key := ledgerapi.IdempotencyKey(ctx)
	if key == "" {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "a mutation needs an idempotency key")
	}
	fp, err := Fingerprint(op, req)
	if err != nil {
		return nil, err
	}
	st, err := d.openStore(ctx)
	if err != nil {
		return nil, err
	}
	ticket, existing, err := st.Begin(d.opts.Principal, key, fp, op.Name())
	switch {
	case errors.Is(err, store.ErrInFlight):
		e := cxlerr.Errorf(cxlerr.Conflict, "a command with this idempotency key is still running")
		e.Retryable = true
		return nil, e
	case errors.Is(err, store.ErrMismatch):
		return nil, cxlerr.Errorf(cxlerr.IdempotencyMismatch, "idempotency key %q was used for a different request (%s); use a new key", key, existing.Operation).WithTransaction(existing.TxID)
	case err != nil:
		return nil, fmt.Errorf("idempotency journal: %w", err)
	case existing != nil:
		if existing.State == store.Pending {
			d.reconcile(ctx, st)
			if rec, err := st.ByTransaction(existing.TxID); err == nil && rec != nil {
				existing = rec
			}
		}
		return outcome(existing)
	}
	t, err := d.backend.Transport(d.opts.Identity, ticket)
	if err != nil {
		_, _ = ticket.Finish(0, err)
		return nil, err
	}
	res, runErr := t.Submit(ctx, op, req)
	var block uint64
	if res != nil {
		block = res.BlockNumber
	}
	if _, err := ticket.Finish(block, runErr); err != nil && runErr == nil {
		return nil, fmt.Errorf("record the outcome in the idempotency journal: %w", err)
	}
	return res, runErr
}

// Evaluate runs a query; queries are not journalled.
func (d *Direct) Evaluate(ctx context.Context, op *ledgerapi.Operation, req any) (json.RawMessage, error) {
	t, err := d.queries()
	if err != nil {
		return nil, err
	}
	return t.Evaluate(ctx, op, req)
}

// Events streams the chaincode events the identity may see.
func (d *Direct) Events() ledgerapi.Events { return directEvents{d} }

// Transactions answers from the journal first, so that the status of one's own transaction
// carries its result.
func (d *Direct) Transactions() ledgerapi.Transactions { return journalStatus{d} }

// reconcile asks the ledger about every pending transaction of the journal once: one in a
// block gets its verdict, one in no block for 10 s is submitted again.
func (d *Direct) reconcile(ctx context.Context, st *store.Store) {
	r := &reconcile.Reconciler{Store: st, Ledger: d.backend, ResubmitAfter: 10 * time.Second, Retention: 7 * 24 * time.Hour}
	r.Pass(ctx)
}

// outcome is a journal record as a command's result.
func outcome(rec *store.Record) (*cmdutil.RawCommitted, error) {
	switch {
	case rec.Committed():
		return &cmdutil.RawCommitted{TransactionID: rec.TxID, BlockNumber: rec.Block, Result: rec.Result}, nil
	case rec.State == store.Done && rec.Err != nil:
		return nil, rec.Err
	default:
		return nil, cxlerr.Errorf(cxlerr.Pending, "transaction %s was submitted and its commit is not known yet", rec.TxID).WithTransaction(rec.TxID)
	}
}

type directEvents struct{ d *Direct }

func (e directEvents) Subscribe(ctx context.Context, q ledgerapi.EventQuery) (<-chan ledgerapi.Event, error) {
	t, err := e.d.queries()
	if err != nil {
		return nil, err
	}
	return t.Events().Subscribe(ctx, q)
}

type journalStatus struct{ d *Direct }

func (j journalStatus) Status(ctx context.Context, txID string) (*ledgerapi.TransactionStatus, error) {
	if txID == "" {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "transaction ID is empty")
	}
	st, err := j.d.openStore(ctx)
	if err != nil {
		return nil, err
	}
	rec, err := st.ByTransaction(txID)
	if err != nil {
		return nil, fmt.Errorf("idempotency journal: %w", err)
	}
	if rec == nil {
		t, err := j.d.queries()
		if err != nil {
			return nil, err
		}
		return t.Transactions().Status(ctx, txID)
	}
	if rec.State == store.Pending {
		j.d.reconcile(ctx, st)
		if r, err := st.ByTransaction(txID); err == nil && r != nil {
			rec = r
		}
	}
	s := &ledgerapi.TransactionStatus{TransactionID: txID, State: ledgerapi.TxPending}
	switch {
	case rec.Committed():
		s.State, s.BlockNumber, s.ValidationCode, s.Result = ledgerapi.TxCommitted, rec.Block, "VALID", rec.Result
	case rec.State == store.Done:
		s.State, s.Error = ledgerapi.TxFailed, rec.Err
	}
	return s, nil
}
