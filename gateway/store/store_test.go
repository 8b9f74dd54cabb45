package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
)

func begin(t *testing.T, s *Store, key, fp string) (*Ticket, *Record, error) {
	t.Helper()
	return s.Begin("alice", key, fp, "health.Ping")
}

// commitThrough runs a ticket through endorsement, preparation and a VALID commit.
func commitThrough(t *testing.T, tk *Ticket, txID string) *Record {
	t.Helper()
	ctx := context.Background()
	if err := tk.Endorsing(ctx, txID); err != nil {
		t.Fatal(err)
	}
	if err := tk.Prepared(ctx, txID, []byte("envelope"), []byte(`{"ok":true}`)); err != nil {
		t.Fatal(err)
	}
	r, err := tk.Finish(12, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func testSameKeySameRequestReturnsFirstOutcome(t *testing.T, bk backend) {
	s := bk.open(t, bk.fresh(t))
	defer s.Close()
	tk, _, err := begin(t, s, "k1", "fp")
	if err != nil || tk == nil {
		t.Fatalf("first request: %v", err)
	}
	first := commitThrough(t, tk, "tx1")
	if !first.Committed() || first.Block != 12 || string(first.Result) != `{"ok":true}` || first.SignedTx != nil {
		t.Fatalf("committed record %+v", first)
	}
	tk, again, err := begin(t, s, "k1", "fp")
	if err != nil || tk != nil || again == nil || !again.Committed() || again.TxID != "tx1" {
		t.Fatalf("repeat: ticket %v record %+v err %v", tk, again, err)
	}
	// Another principal's key is another key.
	if tk, _, err := s.Begin("bob", "k1", "fp", "health.Ping"); err != nil || tk == nil {
		t.Fatalf("bob's k1: %v", err)
	}
}

func testSameKeyOtherRequestIsRefused(t *testing.T, bk backend) {
	s := bk.open(t, bk.fresh(t))
	defer s.Close()
	tk, _, _ := begin(t, s, "k1", "fp")
	commitThrough(t, tk, "tx1")
	if _, _, err := begin(t, s, "k1", "other"); !errors.Is(err, ErrMismatch) {
		t.Fatalf("other body: %v, want ErrMismatch", err)
	}
}

// TestConcurrentDuplicates starts the same request many times at once: exactly one runs,
// the others are told it is in flight.
func testConcurrentDuplicates(t *testing.T, bk backend) {
	s := bk.open(t, bk.fresh(t))
	defer s.Close()
	const n = 32
	var (
		wg               sync.WaitGroup
		mu               sync.Mutex
		tickets, blocked int
	)
	start := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			tk, _, err := s.Begin("alice", "dup", "fp", "health.Ping")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case tk != nil:
				tickets++
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
		t.Fatalf("%d tickets, %d in flight; want 1 and %d", tickets, blocked, n-1)
	}
}

func testRetryableFailureLetsTheRequestRunAgain(t *testing.T, bk backend) {
	s := bk.open(t, bk.fresh(t))
	defer s.Close()
	tk, _, _ := begin(t, s, "k", "fp")
	if err := tk.Endorsing(context.Background(), "tx1"); err != nil {
		t.Fatal(err)
	}
	r, err := tk.Finish(0, cxlerr.Errorf(cxlerr.Unavailable, "no peer"))
	if err != nil || r.State != Done || r.Err.Code != cxlerr.Unavailable {
		t.Fatalf("record %+v, %v", r, err)
	}
	tk, _, err = begin(t, s, "k", "fp")
	if err != nil || tk == nil {
		t.Fatalf("retry after a retryable failure: %v", err)
	}
	commitThrough(t, tk, "tx2")

	// A final failure of a transaction is kept.
	tk, _, _ = begin(t, s, "k2", "fp")
	if err := tk.Endorsing(context.Background(), "tx3"); err != nil {
		t.Fatal(err)
	}
	if _, err := tk.Finish(0, cxlerr.Errorf(cxlerr.NotFound, "no such lot")); err != nil {
		t.Fatal(err)
	}
	if tk, r, err := begin(t, s, "k2", "fp"); tk != nil || err != nil || r.Err.Code != cxlerr.NotFound {
		t.Fatalf("repeat of a final failure: %v %+v %v", tk, r, err)
	}

	// A request that failed before it had a transaction leaves nothing: it runs again.
	tk, _, _ = begin(t, s, "k3", "fp")
	r, err = tk.Finish(0, cxlerr.Errorf(cxlerr.Invalid, "bad"))
	if err != nil || r.State != Done || r.Err.Code != cxlerr.Invalid {
		t.Fatalf("failure before a transaction: %+v %v", r, err)
	}
	if tk, _, err := begin(t, s, "k3", "other"); err != nil || tk == nil {
		t.Fatalf("key of a request that left nothing: %v", err)
	}
}

// TestRestart reopens the store after a crash: a request whose transaction was being
// endorsed left nothing (it applied nothing, so its repeat runs again), a pending
// transaction stays pending with its envelope for reconciliation.
func testRestart(t *testing.T, bk backend) {
	path := bk.fresh(t)
	s := bk.open(t, path)
	ctx := context.Background()
	reserved, _, _ := begin(t, s, "reserved", "fp")
	if err := reserved.Endorsing(ctx, "txR"); err != nil {
		t.Fatal(err)
	}
	pending, _, _ := begin(t, s, "pending", "fp")
	if err := pending.Endorsing(ctx, "txP"); err != nil {
		t.Fatal(err)
	}
	if err := pending.Prepared(ctx, "txP", []byte("env"), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.Pending(); len(list) != 0 {
		t.Fatalf("pending list holds a transaction whose request still runs: %+v", list)
	}
	s.Close()

	s = bk.open(t, path)
	defer s.Close()
	if r, err := s.ByTransaction("txR"); r != nil || err != nil {
		t.Fatalf("a transaction that never left the process after restart: %+v %v", r, err)
	}
	if tk, r, err := begin(t, s, "reserved", "fp"); tk == nil || r != nil || err != nil {
		t.Fatalf("repeat of a request that was being endorsed: %v %+v %v", tk, r, err)
	} else {
		tk.Finish(0, cxlerr.Errorf(cxlerr.Invalid, "abandoned"))
	}
	list, err := s.Pending()
	if err != nil || len(list) != 1 || list[0].TxID != "txP" || string(list[0].SignedTx) != "env" {
		t.Fatalf("pending after restart: %+v %v", list, err)
	}
	// A repeat while pending gets the pending record.
	if tk, r, err := begin(t, s, "pending", "fp"); tk != nil || err != nil || r.State != Pending {
		t.Fatalf("repeat while pending: %v %+v %v", tk, r, err)
	}
	if err := s.Resubmitted("txP"); err != nil {
		t.Fatal(err)
	}
	if err := s.Resolve("txP", 40, nil); err != nil {
		t.Fatal(err)
	}
	r, _ := s.ByTransaction("txP")
	if !r.Committed() || r.Block != 40 || r.Resubmissions != 1 || r.SignedTx != nil {
		t.Fatalf("resolved: %+v", r)
	}
	if list, _ := s.Pending(); len(list) != 0 {
		t.Fatalf("still pending: %+v", list)
	}
	// Resolving twice changes nothing.
	if err := s.Resolve("txP", 41, cxlerr.Errorf(cxlerr.Internal, "x")); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.ByTransaction("txP"); !r.Committed() || r.Block != 40 {
		t.Fatalf("second resolve changed the record: %+v", r)
	}
}

func testReadConflictReplacesTheTransaction(t *testing.T, bk backend) {
	s := bk.open(t, bk.fresh(t))
	defer s.Close()
	ctx := context.Background()
	tk, _, _ := begin(t, s, "k", "fp")
	if err := tk.Endorsing(ctx, "tx1"); err != nil {
		t.Fatal(err)
	}
	if err := tk.Prepared(ctx, "tx1", []byte("e1"), nil); err != nil {
		t.Fatal(err)
	}
	commitThrough(t, tk, "tx2")
	if r, _ := s.ByTransaction("tx1"); r != nil {
		t.Fatalf("the conflicted transaction still maps to the request: %+v", r)
	}
	if r, _ := s.ByTransaction("tx2"); r == nil || !r.Committed() {
		t.Fatalf("tx2: %+v", r)
	}
}

func testExpire(t *testing.T, bk backend) {
	s := bk.open(t, bk.fresh(t))
	defer s.Close()
	tk, _, _ := begin(t, s, "old", "fp")
	commitThrough(t, tk, "tx1")
	pending, _, _ := begin(t, s, "pending", "fp")
	if err := pending.Endorsing(context.Background(), "tx2"); err != nil {
		t.Fatal(err)
	}
	s.writes.Wait() // the outcome is written in the background
	n, err := s.Expire(time.Now().Add(time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("expired %d, %v; want 1 (the Done record only)", n, err)
	}
	if tk, _, err := begin(t, s, "old", "other"); err != nil || tk == nil {
		t.Fatalf("expired key reused: %v", err)
	}
}

// TestOutcomeIsAnsweredWhileWrittenAndKept checks the outcome written in the background:
// a repeat at once gets it (from memory or the file), another request under the key is
// refused, the transaction's status says committed, and after Close the file holds it.
func testOutcomeIsAnsweredWhileWrittenAndKept(t *testing.T, bk backend) {
	path := bk.fresh(t)
	s := bk.open(t, path)
	tk, _, _ := begin(t, s, "k", "fp")
	commitThrough(t, tk, "tx1")
	if tk, r, err := begin(t, s, "k", "fp"); tk != nil || err != nil || !r.Committed() || r.Block != 12 {
		t.Fatalf("repeat at once: %v %+v %v", tk, r, err)
	}
	if _, _, err := begin(t, s, "k", "other"); !errors.Is(err, ErrMismatch) {
		t.Fatalf("other request under the key at once: %v", err)
	}
	if r, err := s.ByTransaction("tx1"); err != nil || r == nil || !r.Committed() {
		t.Fatalf("status at once: %+v %v", r, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = bk.open(t, path)
	defer s.Close()
	r, err := s.ByTransaction("tx1")
	if err != nil || r == nil || !r.Committed() || r.Block != 12 || string(r.Result) != `{"ok":true}` {
		t.Fatalf("after reopening: %+v %v", r, err)
	}
	if list, _ := s.Pending(); len(list) != 0 {
		t.Fatalf("a settled transaction is still pending: %+v", list)
	}
}
