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

// Fabric reaches the ledger directly through a peer's Fabric Gateway with the user's own
// signing identity. Idempotency keys are kept in a local journal (the gateway service's
// store, one file per identity): the key, the transaction ID and the signed envelope
// before submission, so that repeating a command with its key returns the
// first outcome, and a transaction whose commit was unknown is found in a block, or
// submitted again as the same envelope, which the ledger applies at most once.
type Fabric struct {
	ledgerapi.Ledger
	client    *fabric.Client
	peer      string
	principal string
	account   string
	journal   string

	mu    sync.Mutex
	store *store.Store
}

var _ cmdutil.Client = (*Fabric)(nil)

// JournalDir is where the Fabric transport keeps its idempotency journals: beside the
// configuration file.
func JournalDir(cfg *cmdutil.Config) string {
	return filepath.Join(filepath.Dir(cfg.Path()), "journal")
}

// NewFabric connects to p's peer as p's identity, journalling mutations under dir. A
// profile whose files cannot be read is a usage error.
func NewFabric(_ context.Context, p cmdutil.Profile, dir string) (*Fabric, error) {
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
	l, err := c.Ledger(identityName, nil)
	if err != nil {
		return nil, errors.Join(err, c.Close())
	}
	sum := sha256.Sum256(cert)
	principal := p.MSPID + "-" + hex.EncodeToString(sum[:8])
	f := &Fabric{client: c, peer: p.Peer, principal: principal, journal: filepath.Join(dir, principal+".db")}
	if block, _ := pem.Decode(cert); block != nil {
		if x, err := x509.ParseCertificate(block.Bytes); err == nil {
			f.account = p.MSPID + "/" + x.Subject.CommonName
		}
	}
	f.Ledger = fabricLedger{Ledger: l, f: f}
	return f, nil
}

// Target names the peer and the identity.
func (f *Fabric) Target() string { return "peer " + f.peer + " as " + f.principal }

// Close closes the journal and the peer connection.
func (f *Fabric) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var errs []error
	if f.store != nil {
		errs = append(errs, f.store.Close())
		f.store = nil
	}
	return errors.Join(append(errs, f.client.Close())...)
}

// openStore opens the journal, waiting while another cxl process of the same identity
// holds it, until ctx ends.
func (f *Fabric) openStore(ctx context.Context) (*store.Store, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.store != nil {
		return f.store, nil
	}
	if err := os.MkdirAll(filepath.Dir(f.journal), 0o700); err != nil {
		return nil, fmt.Errorf("create the idempotency journal's directory: %w", err)
	}
	for {
		s, err := store.Open(f.journal)
		if err == nil {
			f.store = s
			return s, nil
		}
		if !errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("idempotency journal: %w", err)
		}
		select {
		case <-ctx.Done():
			return nil, cxlerr.Errorf(cxlerr.Timeout, "another cxl command of this identity holds the idempotency journal %s", f.journal)
		default:
		}
	}
}

// Submit runs the mutation under the context's idempotency key, journalled.
func (f *Fabric) Submit(ctx context.Context, op string, req any, run func(context.Context, ledgerapi.Ledger) (*cmdutil.RawCommitted, error)) (*cmdutil.RawCommitted, error) {
	key := ledgerapi.IdempotencyKey(ctx)
	if key == "" {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "a mutation needs an idempotency key")
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode %s request: %w", op, err)
	}
	sum := sha256.Sum256(append([]byte(op+"\n"), body...))
	st, err := f.openStore(ctx)
	if err != nil {
		return nil, err
	}
	ticket, existing, err := st.Begin(f.principal, key, hex.EncodeToString(sum[:]), op)
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
			f.reconcile(ctx, st)
			if rec, err := st.ByTransaction(existing.TxID); err == nil && rec != nil {
				existing = rec
			}
		}
		return outcome(existing)
	}
	l, err := f.client.Ledger(identityName, ticket)
	if err != nil {
		_, _ = ticket.Finish(0, err)
		return nil, err
	}
	res, runErr := run(ctx, l)
	var block uint64
	if res != nil {
		block = res.BlockNumber
	}
	if _, err := ticket.Finish(block, runErr); err != nil && runErr == nil {
		return nil, fmt.Errorf("record the outcome in the idempotency journal: %w", err)
	}
	return res, runErr
}

// reconcile asks the ledger about every pending transaction of the journal once: one in a
// block gets its verdict, one in no block for 10 s is submitted again.
func (f *Fabric) reconcile(ctx context.Context, st *store.Store) {
	r := &reconcile.Reconciler{Store: st, Ledger: f.client, ResubmitAfter: 10 * time.Second, Retention: 7 * 24 * time.Hour}
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

// fabricLedger is the session's ledger with Transactions answered from the journal first,
// so that the status of one's own transaction carries its result.
type fabricLedger struct {
	ledgerapi.Ledger
	f *Fabric
}

func (l fabricLedger) Transactions() ledgerapi.Transactions { return journalStatus(l) }

type journalStatus fabricLedger

func (j journalStatus) Status(ctx context.Context, txID string) (*ledgerapi.TransactionStatus, error) {
	if txID == "" {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "transaction ID is empty")
	}
	st, err := j.f.openStore(ctx)
	if err != nil {
		return nil, err
	}
	rec, err := st.ByTransaction(txID)
	if err != nil {
		return nil, fmt.Errorf("idempotency journal: %w", err)
	}
	if rec == nil {
		return j.Ledger.Transactions().Status(ctx, txID)
	}
	if rec.State == store.Pending {
		j.f.reconcile(ctx, st)
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

// Account is the identity's account as the contracts name it: "<MSP ID>/<common name>".
func (f *Fabric) Account() string { return f.account }
