package fabric

import (
	"context"
	"sync"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
)

// A transaction's commit status comes from one peer, but the next call may be endorsed or
// answered by another: a peer of the other organisation, or another peer of the same one,
// that has not committed the block yet. Without a wait that call does not see the
// transaction, or its endorsers disagree ("ProposalResponsePayloads do not match"). So a
// Client answers a commit only once every configured peer has the block too, or the
// settle timeout has passed.
//
// peerHeights knows each peer's height from a filtered block stream per peer, opened at
// the first commit and kept open until the Client closes, so the wait costs no call per
// transaction. A peer whose stream is broken is not waited for (it answers no call
// either); a peer that misses the settle timeout is marked lagging and not waited for
// until it catches up, so that a stalled peer delays only the calls in flight when it
// stalled.
type peerHeights struct {
	c *Client

	mu sync.Mutex
	// changed is closed, and replaced, whenever a peer's state changes.
	changed chan struct{}
	peers   []peerState
	// target is the highest block any commit has waited for.
	target  uint64
	started bool
	// closed is set by close: no stream starts after it.
	closed bool
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// peerState is what a Client knows of one peer's ledger.
type peerState struct {
	// next is the number of the next block the peer will commit: it has every lower one.
	next uint64
	// down means the peer's block stream is broken and not yet delivering again.
	down bool
	// lagging means the peer missed a settle timeout and has not caught up since.
	lagging bool
}

func newPeerHeights(c *Client) *peerHeights {
	return &peerHeights{c: c, changed: make(chan struct{}), peers: make([]peerState, len(c.peers)+len(c.settlePeers))}
}

// peer is peer p of the heights: a gateway peer, then a settle peer.
func (h *peerHeights) peer(p int) Peer {
	if p < len(h.c.peers) {
		return h.c.peers[p]
	}
	return h.c.settlePeers[p-len(h.c.peers)]
}

// gateway is the status identity's gateway through peer p of the heights.
func (h *peerHeights) gateway(p int) *client.Gateway {
	if p < len(h.c.peers) {
		return h.c.ids[h.c.statusID].gws[p]
	}
	return h.c.settleGWs[p-len(h.c.peers)]
}

// settle waits until every peer has committed block, or the settle timeout passes, or ctx
// ends. committedAt is the peer that reported the commit. It reports the peers waited for
// in vain (those are now lagging).
func (h *peerHeights) settle(ctx context.Context, committedAt int, block uint64) []int {
	timeout := h.c.timeouts.Settle
	if len(h.peers) < 2 || timeout <= 0 {
		return nil
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.startLocked(block)
	h.peers[committedAt].next = max(h.peers[committedAt].next, block+1)
	h.target = max(h.target, block)
	h.mu.Unlock()

	deadline := time.Now().Add(timeout)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		h.mu.Lock()
		behind := h.behindLocked(block)
		expired := !time.Now().Before(deadline)
		if len(behind) > 0 && expired {
			for _, p := range behind {
				h.peers[p].lagging = true
				h.c.log.Warn("peer has not committed a block that another peer has; not waiting for it until it catches up",
					"peer", h.peer(p).Address, "block", block, "peerHeight", h.peers[p].next, "waited", timeout)
			}
		}
		changed := h.changed
		h.mu.Unlock()
		if len(behind) == 0 || expired {
			return behind
		}
		select {
		case <-changed:
		case <-timer.C:
		case <-ctx.Done():
			return nil
		}
	}
}

// behindLocked lists the peers that a commit of block still waits for.
func (h *peerHeights) behindLocked(block uint64) []int {
	var behind []int
	for p, s := range h.peers {
		if !s.down && !s.lagging && s.next <= block {
			behind = append(behind, p)
		}
	}
	return behind
}

// startLocked opens every peer's block stream at block, the first time.
func (h *peerHeights) startLocked(block uint64) {
	if h.started {
		return
	}
	h.started = true
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	for p := range h.peers {
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			h.follow(ctx, p, block)
		}()
	}
}

// follow keeps peer p's height up to date from its filtered block stream, from block
// from on, reconnecting after a failure until ctx ends.
func (h *peerHeights) follow(ctx context.Context, p int, from uint64) {
	network := h.gateway(p).GetNetwork(h.c.channel)
	for ctx.Err() == nil {
		blocks, err := network.FilteredBlockEvents(ctx, client.WithStartBlock(from))
		if err == nil {
			for b := range blocks {
				from = b.GetNumber() + 1
				h.mu.Lock()
				h.advanceLocked(p, from)
				h.mu.Unlock()
			}
		}
		if ctx.Err() != nil {
			return
		}
		h.mu.Lock()
		if !h.peers[p].down {
			h.peers[p].down = true
			h.notifyLocked()
			h.c.log.Warn("peer's block stream broke; not waiting for the peer until it delivers again", "peer", h.peer(p).Address, "error", err)
		}
		h.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-time.After(reconnectDelay):
		}
	}
}

// advanceLocked records that peer p has every block below next.
func (h *peerHeights) advanceLocked(p int, next uint64) {
	s := &h.peers[p]
	if next <= s.next && !s.down {
		return
	}
	s.next = max(s.next, next)
	s.down = false
	if s.lagging && s.next > h.target {
		s.lagging = false
		h.c.log.Info("peer caught up", "peer", h.peer(p).Address, "height", s.next)
	}
	h.notifyLocked()
}

func (h *peerHeights) notifyLocked() {
	close(h.changed)
	h.changed = make(chan struct{})
}

// close stops the block streams and waits for them to end.
func (h *peerHeights) close() {
	h.mu.Lock()
	h.closed = true
	cancel := h.cancel
	h.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	h.wg.Wait()
}
