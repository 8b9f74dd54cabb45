package fabric

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// settleObserver keeps the outcome of every settle phase.
type settleObserver struct {
	mu       sync.Mutex
	outcomes []error
	waits    []time.Duration
}

func (o *settleObserver) observe(p Phase, d time.Duration, err error) {
	if p != PhaseSettle {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.outcomes = append(o.outcomes, err)
	o.waits = append(o.waits, d)
}

func (o *settleObserver) last(t *testing.T) (error, time.Duration) {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.outcomes) == 0 {
		t.Fatal("no settle phase observed")
	}
	return o.outcomes[len(o.outcomes)-1], o.waits[len(o.waits)-1]
}

// newSettlingClient connects to the fake peers (the first is preferred, and reports every
// commit in block 7) waiting up to settle for the others.
func newSettlingClient(t *testing.T, settle time.Duration, peers ...Peer) (*Client, *settleObserver) {
	t.Helper()
	o := &settleObserver{}
	c, err := NewClient("ch", "cc", peers, map[string]Identity{"user": newTestIdentity(t, "Org1MSP")},
		WithTimeouts(Timeouts{Evaluate: 2 * time.Second, Endorse: 2 * time.Second, Submit: 2 * time.Second, Settle: settle}),
		WithObserver(o.observe))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, o
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestSettleWaitsForEveryPeer answers a commit only once every peer has the block, so
// that the next call sees it whichever peer endorses or answers it.
func TestSettleWaitsForEveryPeer(t *testing.T) {
	pki := newTestPKI(t)
	_, p1 := startFakePeer(t, pki, `{}`)
	behind, p2 := startFakePeer(t, pki, `{}`)
	ahead, p3 := startFakePeer(t, pki, `{}`)
	behind.setHeight(7)
	ahead.setHeight(8)
	c, o := newSettlingClient(t, time.Minute, p1, p2, p3)

	done := make(chan error, 1)
	go func() {
		_, err := session(t, c, nil).Health().Ping(context.Background(), ledgerapi.PingRequest{Nonce: "n"})
		done <- err
	}()
	waitFor(t, "the block streams to open at block 7", func() bool {
		return slices.Contains(behind.log(), "deliver filtered from 7") && slices.Contains(ahead.log(), "deliver filtered from 7")
	})
	select {
	case err := <-done:
		t.Fatalf("answered while a peer lacks the block (err %v)", err)
	case <-time.After(100 * time.Millisecond):
	}
	behind.setHeight(8)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("not answered after every peer committed the block")
	}
	if err, _ := o.last(t); err != nil {
		t.Fatalf("settle: %v", err)
	}
}

// TestSettleStopsWaitingForALaggingPeer gives up on a peer after the settle timeout, does
// not wait for it again until it catches up, and then waits for it again.
func TestSettleStopsWaitingForALaggingPeer(t *testing.T) {
	pki := newTestPKI(t)
	_, p1 := startFakePeer(t, pki, `{}`)
	stalled, p2 := startFakePeer(t, pki, `{}`)
	settle := 200 * time.Millisecond
	c, o := newSettlingClient(t, settle, p1, p2)
	ping := func() {
		t.Helper()
		if _, err := session(t, c, nil).Health().Ping(context.Background(), ledgerapi.PingRequest{Nonce: "n"}); err != nil {
			t.Fatal(err)
		}
	}

	ping()
	err, waited := o.last(t)
	if cxlerr.CodeOf(err) != cxlerr.Timeout || waited < settle {
		t.Fatalf("first commit with a stalled peer: settle %v after %v, want a timeout after %v", err, waited, settle)
	}
	ping()
	if err, _ := o.last(t); err != nil {
		t.Fatalf("second commit waited for the lagging peer: %v", err)
	}

	stalled.setHeight(8)
	waitFor(t, "the peer to catch up", func() bool {
		c.heights.mu.Lock()
		defer c.heights.mu.Unlock()
		return !c.heights.peers[1].lagging
	})
	c.heights.mu.Lock()
	behind := c.heights.behindLocked(8)
	c.heights.mu.Unlock()
	if !slices.Equal(behind, []int{0, 1}) {
		t.Fatalf("a commit of block 8 would wait for peers %v, want both once the laggard caught up", behind)
	}
}

// TestSettleSkipsAPeerThatIsDown does not wait for a peer whose block stream cannot open.
func TestSettleSkipsAPeerThatIsDown(t *testing.T) {
	pki := newTestPKI(t)
	_, p1 := startFakePeer(t, pki, `{}`)
	down, p2 := startFakePeer(t, pki, `{}`)
	down.server.Stop()
	c, o := newSettlingClient(t, time.Minute, p1, p2)
	if _, err := session(t, c, nil).Health().Ping(context.Background(), ledgerapi.PingRequest{Nonce: "n"}); err != nil {
		t.Fatal(err)
	}
	if err, _ := o.last(t); err != nil {
		t.Fatalf("settle with a peer down: %v", err)
	}
}

// TestSettlePeersAreOnlyFollowed: a commit also waits for a settle peer (another member's)
// to have the block, but the settle peer gets nothing but the block stream request: no
// proposal, submission, commit status or query, not even when the gateway peer is down.
func TestSettlePeersAreOnlyFollowed(t *testing.T) {
	pki := newTestPKI(t)
	own, p1 := startFakePeer(t, pki, `{}`)
	other, p2 := startFakePeer(t, pki, `{}`)
	other.setHeight(7)
	o := &settleObserver{}
	c, err := NewClient("ch", "cc", []Peer{p1}, map[string]Identity{"user": newTestIdentity(t, "Org1MSP")},
		WithTimeouts(Timeouts{Evaluate: 2 * time.Second, Endorse: 2 * time.Second, Submit: 2 * time.Second, Settle: time.Minute}),
		WithObserver(o.observe), WithSettlePeers(p2))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })

	done := make(chan error, 1)
	go func() {
		_, err := session(t, c, nil).Health().Ping(context.Background(), ledgerapi.PingRequest{Nonce: "n"})
		done <- err
	}()
	waitFor(t, "the settle peer's block stream to open at block 7", func() bool { return slices.Contains(other.log(), "deliver filtered from 7") })
	select {
	case err := <-done:
		t.Fatalf("answered while the settle peer lacks the block (err %v)", err)
	case <-time.After(100 * time.Millisecond):
	}
	other.setHeight(8)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("not answered after the settle peer committed the block")
	}
	own.server.Stop()
	if _, err := session(t, c, nil).Health().Version(context.Background()); err == nil {
		t.Fatal("a query answered with the only gateway peer down")
	}
	for _, call := range other.log() {
		if !strings.HasPrefix(call, "deliver filtered") {
			t.Fatalf("the settle peer was sent %q (calls %v)", call, other.log())
		}
	}
}
