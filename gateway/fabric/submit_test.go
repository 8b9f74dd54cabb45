package fabric

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// newTestClient connects to the fake peers as one identity, "user".
func newTestClient(t *testing.T, peers ...Peer) *Client {
	t.Helper()
	c, err := NewClient("ch", "cc", peers, map[string]Identity{"user": newTestIdentity(t, "Org1MSP")},
		WithTimeouts(Timeouts{Evaluate: 2 * time.Second, Endorse: 2 * time.Second, Submit: 2 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func session(t *testing.T, c *Client, j Journal) ledgerapi.Ledger {
	t.Helper()
	s, err := c.Ledger("user", j)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSubmitJournalsBeforeEachStep checks that the transaction ID is journalled before
// endorsement and the signed envelope before submission, that the journalled envelope is
// the one submitted, and that success is reported only once the commit is VALID.
func TestSubmitJournalsBeforeEachStep(t *testing.T) {
	pki := newTestPKI(t)
	fake, p := startFakePeer(t, pki, `{"nonce":"n1","mspId":"Org1MSP"}`)
	j := &recordingJournal{}
	var order []string
	fake.endorse = func(txID string) (*gateway.EndorseResponse, error) {
		order = append(order, j.log()...)
		return &gateway.EndorseResponse{PreparedTransaction: envelope(t, txID, []byte(`{"nonce":"n1","mspId":"Org1MSP"}`), nil)}, nil
	}
	fake.submit = func(string) error {
		order = append(order, j.log()...)
		return nil
	}
	c := newTestClient(t, p)
	got, err := session(t, c, j).Health().Ping(context.Background(), ledgerapi.PingRequest{Nonce: "n1"})
	if err != nil {
		t.Fatal(err)
	}
	tx := got.TransactionID
	if got.BlockNumber != 7 || got.Result.Nonce != "n1" || got.Result.MSPID != "Org1MSP" {
		t.Fatalf("committed %+v", got)
	}
	want := []string{"endorsing " + tx, "endorsing " + tx, "prepared " + tx}
	if !slices.Equal(order, want) {
		t.Fatalf("journal seen by endorse, then by submit: %v, want %v", order, want)
	}
	if !slices.Equal(fake.log(), []string{"endorse " + tx, "submit " + tx, "status " + tx}) {
		t.Fatalf("peer calls %v", fake.log())
	}
	// The journalled envelope is signed and can be submitted again as it is.
	if err := c.Resubmit(context.Background(), j.signed[tx]); err != nil {
		t.Fatalf("resubmit the journalled envelope: %v", err)
	}
}

// TestSubmitRetriesReadConflicts runs a transaction that fails validation with MVCC read
// conflicts again as a new transaction, a bounded number of times.
func TestSubmitRetriesReadConflicts(t *testing.T) {
	pki := newTestPKI(t)
	fake, p := startFakePeer(t, pki, `{}`)
	var conflicts atomic.Int32
	conflicts.Store(2)
	fake.status = func(context.Context, string) (*gateway.CommitStatusResponse, error) {
		if conflicts.Add(-1) >= 0 {
			return &gateway.CommitStatusResponse{Result: peer.TxValidationCode_MVCC_READ_CONFLICT, BlockNumber: 3}, nil
		}
		return &gateway.CommitStatusResponse{Result: peer.TxValidationCode_VALID, BlockNumber: 4}, nil
	}
	c := newTestClient(t, p)
	j := &recordingJournal{}
	got, err := session(t, c, j).Health().Ping(context.Background(), ledgerapi.PingRequest{Nonce: "n"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(j.log()); n != 6 {
		t.Fatalf("journal %v: want three transactions endorsed and prepared", j.log())
	}
	if !strings.HasSuffix(j.log()[5], got.TransactionID) {
		t.Fatalf("committed %s is not the last transaction journalled: %v", got.TransactionID, j.log())
	}

	// Always in conflict: 1 + 3 attempts, then a retryable Conflict.
	conflicts.Store(100)
	j = &recordingJournal{}
	_, err = session(t, c, j).Health().Ping(context.Background(), ledgerapi.PingRequest{Nonce: "n"})
	if e := cxlerr.From(err); e.Code != cxlerr.Conflict || !e.Retryable || e.TransactionID == "" {
		t.Fatalf("endless conflicts: %v", err)
	}
	if n := len(j.log()); n != 8 {
		t.Fatalf("journal %v: want four transactions", j.log())
	}
}

// TestSubmitPendingAtDeadline reports a transaction whose commit is unknown at the caller's
// deadline as Pending with its ID, after journalling its envelope.
func TestSubmitPendingAtDeadline(t *testing.T) {
	pki := newTestPKI(t)
	fake, p := startFakePeer(t, pki, `{}`)
	fake.status = func(ctx context.Context, _ string) (*gateway.CommitStatusResponse, error) {
		<-ctx.Done()
		return nil, status.Error(codes.DeadlineExceeded, "waiting")
	}
	c := newTestClient(t, p)
	j := &recordingJournal{}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := session(t, c, j).Health().Ping(ctx, ledgerapi.PingRequest{Nonce: "n"})
	e := cxlerr.From(err)
	if e.Code != cxlerr.Pending || e.TransactionID == "" {
		t.Fatalf("want Pending with a transaction ID, got %v", err)
	}
	if _, ok := j.signed[e.TransactionID]; !ok {
		t.Fatalf("pending transaction %s has no journalled envelope", e.TransactionID)
	}
}

// TestSubmitUnavailableOrderersIsPending leaves a transaction that no peer could hand to
// ordering, or whose commit status no peer gives, to reconciliation instead of reporting a
// failure that may be false.
func TestSubmitUnavailableOrderersIsPending(t *testing.T) {
	pki := newTestPKI(t)
	fake, p := startFakePeer(t, pki, `{}`)
	fake.submit = func(string) error {
		return status.Error(codes.Unavailable, "insufficient number of orderers could successfully process transaction")
	}
	c := newTestClient(t, p)
	_, err := session(t, c, nil).Health().Ping(context.Background(), ledgerapi.PingRequest{Nonce: "n"})
	if cxlerr.CodeOf(err) != cxlerr.Pending {
		t.Fatalf("want Pending, got %v", err)
	}
	// Once submitted, a transaction whose status cannot be had is pending, whatever the
	// reason.
	fake.submit = func(string) error { return nil }
	fake.status = func(context.Context, string) (*gateway.CommitStatusResponse, error) {
		return nil, status.Error(codes.PermissionDenied, "access denied")
	}
	_, err = session(t, c, nil).Health().Ping(context.Background(), ledgerapi.PingRequest{Nonce: "n"})
	if cxlerr.CodeOf(err) != cxlerr.Pending {
		t.Fatalf("commit status refused: want Pending, got %v", err)
	}
}

// TestEndorsementFailureIsNotPrepared: a transaction refused at endorsement never reaches
// the journal's Prepared step and keeps the chaincode's code.
func TestEndorsementFailureIsNotPrepared(t *testing.T) {
	pki := newTestPKI(t)
	fake, p := startFakePeer(t, pki, `{}`)
	fake.endorse = func(string) (*gateway.EndorseResponse, error) {
		return nil, withDetails(t, codes.Aborted, "failed to endorse", "chaincode response 500, cxl:CONFLICT: already registered")
	}
	c := newTestClient(t, p)
	j := &recordingJournal{}
	_, err := session(t, c, j).Health().Ping(context.Background(), ledgerapi.PingRequest{Nonce: "n"})
	if cxlerr.CodeOf(err) != cxlerr.Conflict {
		t.Fatalf("want Conflict, got %v", err)
	}
	if len(j.log()) != 1 || !strings.HasPrefix(j.log()[0], "endorsing ") {
		t.Fatalf("journal %v", j.log())
	}
	// Validation happens before any call.
	before := len(fake.log())
	_, err = session(t, c, j).Health().Ping(context.Background(), ledgerapi.PingRequest{})
	if cxlerr.CodeOf(err) != cxlerr.Invalid || len(fake.log()) != before {
		t.Fatalf("invalid request: %v, peer calls %v", err, fake.log()[before:])
	}
}

// TestFailover sends every phase to the second peer when the first is down, and prefers it
// afterwards.
func TestFailover(t *testing.T) {
	pki := newTestPKI(t)
	down, p1 := startFakePeer(t, pki, `{"version":"1.2.3"}`)
	up, p2 := startFakePeer(t, pki, `{"version":"1.2.3"}`)
	down.server.Stop()
	c := newTestClient(t, p1, p2)
	s := session(t, c, nil)
	if _, err := s.Health().Ping(context.Background(), ledgerapi.PingRequest{Nonce: "n"}); err != nil {
		t.Fatalf("submit with the first peer down: %v", err)
	}
	if v, err := s.Health().Version(context.Background()); err != nil || v.Version != "1.2.3" {
		t.Fatalf("evaluate with the first peer down: %v %v", v, err)
	}
	if c.preferred.Load() != 1 {
		t.Fatalf("preferred peer %d, want 1", c.preferred.Load())
	}
	if n := len(up.log()); n != 4 {
		t.Fatalf("second peer calls %v", up.log())
	}
	if err := c.Ready(context.Background()); err != nil {
		t.Fatalf("ready with one peer up: %v", err)
	}
	up.server.Stop()
	err := c.Ready(context.Background())
	if cxlerr.CodeOf(err) != cxlerr.Unavailable {
		t.Fatalf("ready with no peer: %v", err)
	}
}

// TestLookup reports a transaction in a block with its validation code and one in no block
// as NotFound.
func TestLookup(t *testing.T) {
	pki := newTestPKI(t)
	fake, p := startFakePeer(t, pki, `{}`)
	c := newTestClient(t, p)
	fake.status = func(ctx context.Context, txID string) (*gateway.CommitStatusResponse, error) {
		switch txID {
		case "valid":
			return &gateway.CommitStatusResponse{Result: peer.TxValidationCode_VALID, BlockNumber: 5}, nil
		case "mvcc":
			return &gateway.CommitStatusResponse{Result: peer.TxValidationCode_MVCC_READ_CONFLICT, BlockNumber: 6}, nil
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}
	st, err := c.Lookup(context.Background(), "valid")
	if err != nil || st.State != ledgerapi.TxCommitted || st.BlockNumber != 5 || st.ValidationCode != "VALID" {
		t.Fatalf("valid: %+v %v", st, err)
	}
	st, err = c.Lookup(context.Background(), "mvcc")
	if err != nil || st.State != ledgerapi.TxFailed || st.Error.Code != cxlerr.Conflict {
		t.Fatalf("mvcc: %+v %v", st, err)
	}
	_, err = c.Lookup(context.Background(), "lost")
	if cxlerr.CodeOf(err) != cxlerr.NotFound {
		t.Fatalf("lost: %v", err)
	}
}

// TestUnansweredEndorsementIsUnavailable: a peer that never answers (cut off by a
// partition, its packets dropped) makes a query and a transaction Unavailable and retryable
// once the phase's deadline passes, not a Timeout, since nothing was submitted and the
// outcome is known; nothing reaches the orderers.
func TestUnansweredEndorsementIsUnavailable(t *testing.T) {
	pki := newTestPKI(t)
	fake, p := startFakePeer(t, pki, `{}`)
	hang := func() { time.Sleep(2500 * time.Millisecond) }
	fake.endorse = func(string) (*gateway.EndorseResponse, error) {
		hang()
		return nil, status.Error(codes.DeadlineExceeded, "too late")
	}
	fake.evaluate = func() (*gateway.EvaluateResponse, error) {
		hang()
		return nil, status.Error(codes.DeadlineExceeded, "too late")
	}
	c := newTestClient(t, p)
	_, err := session(t, c, nil).Health().Ping(context.Background(), ledgerapi.PingRequest{Nonce: "n"})
	if e := cxlerr.From(err); e.Code != cxlerr.Unavailable || !e.Retryable || !strings.Contains(e.Message, "nothing was submitted") {
		t.Fatalf("unanswered endorsement: want retryable Unavailable saying nothing was submitted, got %v", err)
	}
	_, err = session(t, c, nil).Health().Version(context.Background())
	if e := cxlerr.From(err); e.Code != cxlerr.Unavailable || !e.Retryable {
		t.Fatalf("unanswered query: want retryable Unavailable, got %v", err)
	}
	for _, call := range fake.log() {
		if strings.HasPrefix(call, "submit") {
			t.Fatalf("a transaction reached the orderers: %v", fake.log())
		}
	}
}
