//go:build integration

package test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
	"github.com/cxledger/cxledger/network"
)

// gwOutcome is how one request of the load ended, from the client's side.
type gwOutcome struct {
	nonce    string
	status   int // the last status received; 0 if none
	code     cxlerr.Code
	txID     string
	attempts int
	latency  time.Duration
}

// gwFault is something done to the system at a moment of the load.
type gwFault struct {
	at   time.Duration
	what string
	do   func(t *testing.T)
}

// gwLoad sends pings at rate per second for d, each under its own Idempotency-Key, the way
// a careful client does: a transport error, a 409 (in flight), a 429 or a retryable 5xx is
// retried with the same key and the same body until it gets a final answer (200, 202 or a
// non-retryable error), within a minute. Faults run at their moments.
func gwLoad(t *testing.T, g *gwService, prefix string, rate int, d time.Duration, faults []gwFault) []gwOutcome {
	t.Helper()
	var (
		mu       sync.Mutex
		outcomes []gwOutcome
		wg       sync.WaitGroup
		sem      = make(chan struct{}, 128)
	)
	start := time.Now()
	var faultWG sync.WaitGroup
	for _, f := range faults {
		faultWG.Add(1)
		go func() {
			defer faultWG.Done()
			time.Sleep(f.at)
			t.Logf("%5.1fs  %s", time.Since(start).Seconds(), f.what)
			f.do(t)
			t.Logf("%5.1fs  done: %s", time.Since(start).Seconds(), f.what)
		}()
	}
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for i := 0; time.Since(start) < d; i++ {
		<-tick.C
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			o := gwSend(g, fmt.Sprintf("%s-%d", prefix, i))
			mu.Lock()
			outcomes = append(outcomes, o)
			mu.Unlock()
		}()
	}
	wg.Wait()
	faultWG.Wait()
	return outcomes
}

// gwSend is one request of the load, retried as gwLoad describes.
func gwSend(g *gwService, nonce string) gwOutcome {
	o := gwOutcome{nonce: nonce}
	begin := time.Now()
	deadline := begin.Add(time.Minute)
	for time.Now().Before(deadline) {
		o.attempts++
		r, err := g.call("POST", "/v1/health/pings", "org1-user1", nonce, map[string]string{"nonce": nonce})
		if err != nil {
			o.status, o.code = 0, ""
			time.Sleep(500 * time.Millisecond)
			continue
		}
		o.status = r.status
		var body struct {
			TransactionID string      `json:"transactionId"`
			Code          cxlerr.Code `json:"code"`
			Retryable     bool        `json:"retryable"`
		}
		_ = json.Unmarshal(r.body, &body)
		o.txID, o.code = body.TransactionID, body.Code
		switch {
		case r.status == 200 || r.status == 202:
			o.latency = time.Since(begin)
			return o
		case body.Retryable:
			wait := 500 * time.Millisecond
			if s, err := strconv.Atoi(r.header.Get("Retry-After")); err == nil && s > 0 {
				wait = time.Duration(s) * time.Second
			}
			time.Sleep(wait)
		default:
			o.latency = time.Since(begin)
			return o
		}
	}
	o.latency = time.Since(begin)
	return o
}

// gwLedgerPings reads the health.Pinged events of the nonces with prefix from block from
// on, straight from a peer, until every transaction in want has an event and no new event
// arrived for a few seconds. It returns the transaction IDs of each nonce's events.
func gwLedgerPings(t *testing.T, prefix string, from uint64, want map[string]bool) map[string][]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	events, err := h.gateway(t, "Org2MSP", "User1", 0).GetNetwork(h.profile.Channel).
		ChaincodeEvents(ctx, h.profile.Chaincode, client.WithStartBlock(from))
	if err != nil {
		t.Fatal(err)
	}
	byNonce := map[string][]string{}
	missing := len(want)
	quiet := time.NewTimer(time.Hour)
	if missing == 0 {
		quiet.Reset(5 * time.Second)
	}
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("event stream ended with %d committed transactions unseen", missing)
			}
			if ev.EventName != "health.Pinged" {
				continue
			}
			var p struct {
				Nonce string `json:"nonce"`
			}
			if json.Unmarshal(ev.Payload, &p) != nil || !strings.HasPrefix(p.Nonce, prefix+"-") {
				continue
			}
			byNonce[p.Nonce] = append(byNonce[p.Nonce], ev.TransactionID)
			if want[ev.TransactionID] {
				missing--
			}
			if missing <= 0 {
				quiet.Reset(5 * time.Second)
			}
		case <-quiet.C:
			return byNonce
		case <-ctx.Done():
			t.Fatalf("%d committed transactions have no event on the ledger", missing)
		}
	}
}

// gwSettle resolves every 202 by polling its status URL, then checks the outcomes against
// the ledger: every 200 and every 202 that resolved COMMITTED is on the ledger exactly once,
// with the transaction ID the client was given; a FAILED one is not on it; no nonce is on
// it twice. It logs the counts.
func gwSettle(t *testing.T, g *gwService, name, prefix string, from uint64, outcomes []gwOutcome) {
	t.Helper()
	var ok, accepted, committedLater, failedLater, retried, final int
	var latencies []time.Duration
	want := map[string]bool{}
	failed := map[string]bool{}
	for _, o := range outcomes {
		if o.attempts > 1 {
			retried++
		}
		switch o.status {
		case 200:
			ok++
			want[o.txID] = true
			latencies = append(latencies, o.latency)
		case 202:
			accepted++
		default:
			final++
			t.Errorf("%s ended with %d %s after %d attempts", o.nonce, o.status, o.code, o.attempts)
		}
	}
	deadline := time.Now().Add(2 * time.Minute)
	for i := range outcomes {
		o := &outcomes[i]
		if o.status != 202 {
			continue
		}
		for {
			var st ledgerapi.TransactionStatus
			r, err := g.call("GET", "/v1/transactions/"+o.txID, "org1-user1", "", nil)
			if err == nil && r.status == 200 && json.Unmarshal(r.body, &st) == nil && st.State != ledgerapi.TxPending {
				if st.State == ledgerapi.TxCommitted {
					committedLater++
					want[o.txID] = true
				} else {
					failedLater++
					failed[o.txID] = true
					t.Logf("%s (%s) resolved FAILED: %+v", o.nonce, o.txID, st.Error)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s (%s) still pending after two minutes: %d %s", o.nonce, o.txID, r.status, r.body)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	onLedger := gwLedgerPings(t, prefix, from, want)
	twice := 0
	for nonce, txs := range onLedger {
		if len(txs) > 1 {
			twice++
			t.Errorf("%s applied %d times: %v", nonce, len(txs), txs)
		}
	}
	for _, o := range outcomes {
		txs := onLedger[o.nonce]
		switch {
		case want[o.txID] && (len(txs) != 1 || txs[0] != o.txID):
			t.Errorf("%s acknowledged as %s, on the ledger as %v", o.nonce, o.txID, txs)
		case failed[o.txID] && len(txs) != 0:
			t.Errorf("%s reported FAILED, on the ledger as %v", o.nonce, txs)
		}
	}
	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[int(p*float64(len(latencies)-1))].Round(time.Millisecond)
	}
	var counters []string
	if r, err := g.call("GET", "/metrics", "", "", nil); err == nil {
		for _, line := range strings.Split(string(r.body), "\n") {
			if strings.HasPrefix(line, "cxl_gateway_reconciled_total") || strings.HasPrefix(line, "cxl_gateway_idempotent_replays_total") {
				counters = append(counters, line)
			}
		}
	}
	t.Logf("service counters since its last start: %s", strings.Join(counters, "; "))
	t.Logf("%s: %d requests: %d answered 200 (p50 %s, p99 %s, max %s), %d answered 202 (%d resolved committed, %d failed), "+
		"%d retried by the client with the same key, %d other final answers; on the ledger: %d distinct pings, %d applied twice, %d acknowledged but missing",
		name, len(outcomes), ok, pct(0.5), pct(0.99), pct(1), accepted, committedLater, failedLater, retried, final,
		len(onLedger), twice, len(want)-countOnLedger(want, onLedger))
}

func countOnLedger(want map[string]bool, onLedger map[string][]string) int {
	n := 0
	for _, txs := range onLedger {
		for _, tx := range txs {
			if want[tx] {
				n++
			}
		}
	}
	return n
}

// gwMarker commits a ping and returns its block: the load's events come after it.
func gwMarker(t *testing.T, g *gwService, prefix string) uint64 {
	t.Helper()
	return g.post(t, "/v1/health/pings", "org1-user1", map[string]string{"nonce": prefix + "-marker"}, 200).committed(t).BlockNumber
}

// TestGatewayFaultRaftLeaderKilled kills the Raft leader (SIGKILL to its process, docker
// kill of its container) under steady load through the service and starts it again:
// transactions the orderer acknowledged and lost are found by reconciliation and submitted
// again, so every acknowledged request ends on the ledger exactly once.
func TestGatewayFaultRaftLeaderKilled(t *testing.T) {
	g := gwStart(t)
	ctx := context.Background()
	lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	leader, err := network.RaftLeader(lctx, h.topo)
	if err != nil {
		t.Fatal(err)
	}
	prefix := fmt.Sprintf("gw-leader-%d", time.Now().UnixNano())
	from := gwMarker(t, g, prefix)
	outcomes := gwLoad(t, g, prefix, 25, 30*time.Second, []gwFault{
		{at: 8 * time.Second, what: "kill the Raft leader " + leader.Name, do: func(t *testing.T) { h.kill(t, leader.Name) }},
		{at: 18 * time.Second, what: "start it again", do: func(t *testing.T) { h.start(t, leader.Name) }},
	})
	gwSettle(t, g, "Raft leader killed", prefix, from, outcomes)
}

// TestGatewayFaultServiceKilled kills Org1's gateway service, which carries the load (its
// process, or its container under Docker), under steady load and starts it again with cxl
// gateway up: requests it had journalled are reconciled from its store,
// clients that retry with their key get the outcome of the first attempt, and nothing is
// applied twice.
func TestGatewayFaultServiceKilled(t *testing.T) {
	g := gwStart(t)
	prefix := fmt.Sprintf("gw-restart-%d", time.Now().UnixNano())
	from := gwMarker(t, g, prefix)
	outcomes := gwLoad(t, g, prefix, 25, 30*time.Second, []gwFault{
		{at: 10 * time.Second, what: "kill the gateway service and start it again with cxl gateway up", do: func(t *testing.T) {
			h.kill(t, gwServiceName("Org1MSP"))
			if _, err := h.cli("gateway", "up"); err != nil {
				t.Error(err)
			}
		}},
	})
	gwSettle(t, g, "gateway service killed", prefix, from, outcomes)
}

// TestGatewayFailsOverOnlyWithinItsOrganisation: a member's gateway fails over between its
// own organisation's peers (Org2 has two: with peer0 stopped, Org2's service still commits
// and reads through peer1), and never to another member's: with Org1's only peer stopped,
// Org1's service answers a read UNAVAILABLE rather than asking Org2's peers, and serves
// again once its peer is back.
func TestGatewayFailsOverOnlyWithinItsOrganisation(t *testing.T) {
	g := gwStart(t)
	org1, org2 := h.topo.PeerOrgs()[0], h.topo.PeerOrgs()[1]
	if len(org2.PeerNodes) < 2 || len(org1.PeerNodes) != 1 {
		t.Fatalf("the test topology has Org1 with one peer and Org2 with two, not %d and %d", len(org1.PeerNodes), len(org2.PeerNodes))
	}
	nonce := func(what string) map[string]string {
		return map[string]string{"nonce": fmt.Sprintf("gw-failover-%s-%d", what, time.Now().UnixNano())}
	}

	h.stop(t, org2.PeerNodes[0].Name)
	c := g.post(t, "/v1/health/pings", "org2-user1", nonce("org2"), 200).committed(t)
	var st ledgerapi.TransactionStatus
	gwDecode(t, g.get(t, "/v1/transactions/"+c.TransactionID, "org2-user1", 200).body, &st)
	if st.State != ledgerapi.TxCommitted {
		t.Fatalf("the ping through Org2's second peer: %+v", st)
	}
	h.start(t, org2.PeerNodes[0].Name)

	h.stop(t, org1.PeerNodes[0].Name)
	g.get(t, "/v1/health/version", "org1-user1", 503).wantError(t, 503, cxlerr.Unavailable, "a read through Org1's gateway with its only peer stopped")
	h.start(t, org1.PeerNodes[0].Name)
	eventually(t, time.Minute, "Org1's gateway serving again through its own peer", func() error {
		body := nonce("org1")
		r, err := g.call("POST", "/v1/health/pings", "org1-user1", body["nonce"], body)
		if err != nil || r.status != 200 {
			return fmt.Errorf("%v %d %s", err, r.status, r.body)
		}
		return nil
	})
}
