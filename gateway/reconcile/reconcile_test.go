package reconcile

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/store"
	"github.com/cxledger/cxledger/ledgerapi"
)

// fakeLedger answers lookups from a table and records resubmissions.
type fakeLedger struct {
	mu          sync.Mutex
	status      map[string]*ledgerapi.TransactionStatus
	lookupErr   map[string]error
	resubmitErr error
	resubmitted []string
}

func (f *fakeLedger) Lookup(_ context.Context, txID string) (*ledgerapi.TransactionStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.lookupErr[txID]; err != nil {
		return nil, err
	}
	if st, ok := f.status[txID]; ok {
		return st, nil
	}
	return nil, cxlerr.Errorf(cxlerr.NotFound, "transaction %s is in no block", txID)
}

func (f *fakeLedger) Resubmit(_ context.Context, signed []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.resubmitErr != nil {
		return f.resubmitErr
	}
	f.resubmitted = append(f.resubmitted, string(signed))
	return nil
}

// pendingTx leaves a request pending on transaction txID with envelope "env-<txID>".
func pendingTx(t *testing.T, s *store.Store, txID string) {
	t.Helper()
	ctx := context.Background()
	tk, _, err := s.Begin("alice", "key-"+txID, "fp", "health.Ping")
	if err != nil {
		t.Fatal(err)
	}
	if err := tk.Endorsing(ctx, txID); err != nil {
		t.Fatal(err)
	}
	if err := tk.Prepared(ctx, txID, []byte("env-"+txID), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := tk.Finish(0, cxlerr.Errorf(cxlerr.Pending, "pending").WithTransaction(txID)); err != nil {
		t.Fatal(err)
	}
}

func TestPass(t *testing.T) {
	s, err := store.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tx := range []string{"committed", "conflicted", "lost", "unreachable"} {
		pendingTx(t, s, tx)
	}
	led := &fakeLedger{
		status: map[string]*ledgerapi.TransactionStatus{
			"committed": {TransactionID: "committed", State: ledgerapi.TxCommitted, BlockNumber: 9, ValidationCode: "VALID"},
			"conflicted": {TransactionID: "conflicted", State: ledgerapi.TxFailed, BlockNumber: 10, ValidationCode: "MVCC_READ_CONFLICT",
				Error: cxlerr.Errorf(cxlerr.Conflict, "read conflict")},
		},
		lookupErr: map[string]error{"unreachable": cxlerr.Errorf(cxlerr.Unavailable, "no peer")},
	}
	var observed Result
	r := &Reconciler{Store: s, Ledger: led, ResubmitAfter: time.Hour, Observe: func(res Result) { observed = res }}

	// Within ResubmitAfter a transaction in no block is left alone.
	res := r.Pass(context.Background())
	if res != (Result{Committed: 1, Failed: 1, Pending: 2}) || observed != res {
		t.Fatalf("first pass %+v", res)
	}
	if rec, _ := s.ByTransaction("committed"); !rec.Committed() || rec.Block != 9 {
		t.Fatalf("committed: %+v", rec)
	}
	if rec, _ := s.ByTransaction("conflicted"); rec.State != store.Done || rec.Err.Code != cxlerr.Conflict {
		t.Fatalf("conflicted: %+v", rec)
	}

	// After it, the lost transaction's envelope is submitted again, as it was stored.
	r.ResubmitAfter = 0
	res = r.Pass(context.Background())
	if res != (Result{Resubmitted: 1, Pending: 2}) || len(led.resubmitted) != 1 || led.resubmitted[0] != "env-lost" {
		t.Fatalf("second pass %+v, resubmitted %v", res, led.resubmitted)
	}
	if rec, _ := s.ByTransaction("lost"); rec.State != store.Pending || rec.Resubmissions != 1 {
		t.Fatalf("lost after resubmission: %+v", rec)
	}

	// Once it is in a block, it resolves.
	led.mu.Lock()
	led.status["lost"] = &ledgerapi.TransactionStatus{TransactionID: "lost", State: ledgerapi.TxCommitted, BlockNumber: 12}
	led.mu.Unlock()
	if res = r.Pass(context.Background()); res.Committed != 1 || res.Pending != 1 {
		t.Fatalf("third pass %+v", res)
	}

	// An envelope ordering refuses outright resolves as failed.
	led.mu.Lock()
	delete(led.lookupErr, "unreachable")
	led.resubmitErr = cxlerr.Errorf(cxlerr.Forbidden, "signature invalid")
	led.mu.Unlock()
	if res = r.Pass(context.Background()); res != (Result{Failed: 1}) {
		t.Fatalf("fourth pass %+v", res)
	}
	if rec, _ := s.ByTransaction("unreachable"); rec.State != store.Done || rec.Err.Code != cxlerr.Forbidden || rec.Err.TransactionID != "unreachable" {
		t.Fatalf("refused: %+v", rec)
	}
}
