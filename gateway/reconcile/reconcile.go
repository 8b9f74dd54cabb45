// Package reconcile follows every transaction the gateway service handed to ordering whose
// commit it does not know, until the ledger says what became of it: at start-up (after a
// crash the requests that waited are gone) and then on a timer.
//
// A Raft orderer can lose transactions it already acknowledged when its leader dies. A
// transaction that is in no block some time after it was last submitted is therefore
// submitted again, as the same signed envelope: the ledger applies a transaction ID at most
// once (a later copy is marked DUPLICATE_TXID), so resubmitting can never apply it twice.
// Only the ledger's verdict is recorded.
package reconcile

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/store"
	"github.com/cxledger/cxledger/ledgerapi"
)

// Ledger is what reconciliation asks of Fabric.
type Ledger interface {
	// Lookup returns the status of a transaction in a block, NotFound when it is in none.
	Lookup(ctx context.Context, txID string) (*ledgerapi.TransactionStatus, error)
	// Resubmit sends a signed transaction envelope to ordering again.
	Resubmit(ctx context.Context, signedTx []byte) error
}

// Store is where the pending transactions are.
type Store interface {
	Pending() ([]*store.Record, error)
	Resolve(txID string, block uint64, err error) error
	Resubmitted(txID string) error
	Expire(cutoff time.Time) (int, error)
}

// Result counts what one pass did.
type Result struct {
	// Committed and Failed are the transactions the ledger gave a verdict on.
	Committed, Failed int
	// Resubmitted are the envelopes submitted again.
	Resubmitted int
	// Pending are the transactions still without a verdict after the pass.
	Pending int
}

// Reconciler follows pending transactions.
type Reconciler struct {
	// Store holds the pending transactions.
	Store Store
	// Ledger answers lookups and takes resubmissions.
	Ledger Ledger
	// Interval is the time between passes.
	Interval time.Duration
	// ResubmitAfter is how long a transaction may be in no block after its last submission
	// before it is submitted again.
	ResubmitAfter time.Duration
	// Retention is how long a finished request's record is kept (and its idempotency key
	// answered); 0 keeps them.
	Retention time.Duration
	// Workers bounds the lookups run at once (default 8).
	Workers int
	// Log receives what reconciliation does; nil discards it.
	Log *slog.Logger
	// Observe, if set, is told the result of every pass.
	Observe func(Result)

	// lastExpiry is when a pass last expired finished records.
	lastExpiry time.Time
}

// expireEvery is the least time between two expiries of finished records: each reads the
// whole store, which a pass every few seconds need not.
const expireEvery = time.Minute

// Run passes at once and then every Interval until ctx ends.
func (r *Reconciler) Run(ctx context.Context) {
	for {
		r.Pass(ctx)
		select {
		case <-ctx.Done():
			return
		case <-time.After(r.Interval):
		}
	}
}

func (r *Reconciler) log() *slog.Logger {
	if r.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Log
}

// Pass looks up every pending transaction once: a transaction in a block is resolved with
// the ledger's verdict; one in no block since ResubmitAfter is submitted again. At most
// once a minute it also expires finished records older than Retention. Passes must not
// run concurrently.
func (r *Reconciler) Pass(ctx context.Context) Result {
	var res Result
	pending, err := r.Store.Pending()
	if err != nil {
		r.log().Error("reconciliation: list pending transactions", "error", err)
		return res
	}
	workers := r.Workers
	if workers <= 0 {
		workers = 8
	}
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		sem = make(chan struct{}, workers)
	)
	for _, rec := range pending {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			outcome := r.follow(ctx, rec)
			mu.Lock()
			defer mu.Unlock()
			switch outcome {
			case "committed":
				res.Committed++
			case "failed":
				res.Failed++
			case "resubmitted":
				res.Resubmitted++
				res.Pending++
			default:
				res.Pending++
			}
		}()
	}
	wg.Wait()
	if now := time.Now(); r.Retention > 0 && now.Sub(r.lastExpiry) >= expireEvery {
		r.lastExpiry = now
		if n, err := r.Store.Expire(now.Add(-r.Retention)); err != nil {
			r.log().Error("reconciliation: expire records", "error", err)
		} else if n > 0 {
			r.log().Info("expired finished requests", "count", n)
		}
	}
	if res != (Result{}) {
		r.log().Info("reconciliation pass", "committed", res.Committed, "failed", res.Failed, "resubmitted", res.Resubmitted, "pending", res.Pending)
	}
	if r.Observe != nil {
		r.Observe(res)
	}
	return res
}

// follow looks up one pending transaction and acts on what the ledger says.
func (r *Reconciler) follow(ctx context.Context, rec *store.Record) string {
	log := r.log().With("transaction", rec.TxID, "operation", rec.Operation)
	st, err := r.Ledger.Lookup(ctx, rec.TxID)
	switch {
	case err == nil && st.State == ledgerapi.TxCommitted:
		if err := r.Store.Resolve(rec.TxID, st.BlockNumber, nil); err != nil {
			log.Error("record committed transaction", "error", err)
			return "pending"
		}
		log.Info("pending transaction committed", "block", st.BlockNumber, "resubmissions", rec.Resubmissions)
		return "committed"
	case err == nil:
		if err := r.Store.Resolve(rec.TxID, st.BlockNumber, st.Error); err != nil {
			log.Error("record failed transaction", "error", err)
			return "pending"
		}
		log.Info("pending transaction failed validation", "block", st.BlockNumber, "code", st.ValidationCode)
		return "failed"
	case cxlerr.CodeOf(err) != cxlerr.NotFound:
		log.Warn("look up pending transaction", "error", err)
		return "pending"
	case time.Since(rec.Submitted) < r.ResubmitAfter:
		return "pending"
	}
	if err := r.Ledger.Resubmit(ctx, rec.SignedTx); err != nil {
		e := cxlerr.From(err)
		if e.Retryable {
			log.Warn("resubmit pending transaction", "error", err)
			return "pending"
		}
		// Ordering refuses this envelope outright, so no copy of it can be in a block.
		if err := r.Store.Resolve(rec.TxID, 0, e.WithTransaction(rec.TxID)); err != nil {
			log.Error("record refused transaction", "error", err)
			return "pending"
		}
		log.Warn("ordering refused a pending transaction", "error", err)
		return "failed"
	}
	if err := r.Store.Resubmitted(rec.TxID); err != nil {
		log.Error("record resubmission", "error", err)
	}
	log.Info("resubmitted a transaction that is in no block", "since", time.Since(rec.Submitted).Round(time.Millisecond), "resubmissions", rec.Resubmissions+1)
	return "resubmitted"
}
