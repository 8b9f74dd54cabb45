//go:build integration

package test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
	"github.com/cxledger/cxledger/network"
)

// partOutage is the least time an orderer stays cut off; partOutageAtMost bounds how long
// a cut waits for a request to commit without the orderer: a peer whose deliver stream (or
// whose gateway's broadcast stream) went to the cut orderer finds it dead only by gRPC
// keepalive, Fabric's default 60 s interval and 20 s timeout.
const (
	partOutage       = 12 * time.Second
	partOutageAtMost = 120 * time.Second
)

// partRate is the rate of each partition test's load through the members' gateway
// services: pings, each under its own Idempotency-Key.
const partRate = 10

// partOutcome is how one request of a partition test's load ended, from the client's side.
type partOutcome struct {
	gwOutcome
	principal string
	// answered is when the final answer came.
	answered time.Time
}

// partLoad sends pings through the members' gateway services at a fixed rate, alternating
// principals of different members, each ping under its own Idempotency-Key and retried with
// the same key and body, the way gwSend does, until it gets a final answer. It tallies every
// answer an attempt got, by member, so a test can say what a cut-off member's gateway
// answered.
type partLoad struct {
	g      *gwService
	prefix string
	stop   chan struct{}
	done   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once

	mu       sync.Mutex
	outcomes []partOutcome
	answers  map[string]int
}

// startPartLoad starts pings at rate per second, the i-th as principals[i%len(principals)];
// the load stops when the test ends if the test did not stop it.
func startPartLoad(t *testing.T, g *gwService, prefix string, rate int, principals ...string) *partLoad {
	l := &partLoad{g: g, prefix: prefix, stop: make(chan struct{}), done: make(chan struct{}), answers: map[string]int{}}
	sem := make(chan struct{}, 256)
	go func() {
		defer close(l.done)
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-l.stop:
				return
			case <-tick.C:
			}
			select {
			case sem <- struct{}{}:
			default:
				continue // as many in flight as a client would keep: skip this tick
			}
			l.wg.Add(1)
			go func() {
				defer func() { <-sem; l.wg.Done() }()
				o := l.send(principals[i%len(principals)], fmt.Sprintf("%s-%d", prefix, i))
				l.mu.Lock()
				l.outcomes = append(l.outcomes, o)
				l.mu.Unlock()
			}()
		}
	}()
	t.Cleanup(func() { l.finish() })
	return l
}

// send is one request of the load: a transport error or a retryable error is retried with
// the same key and body (after Retry-After when given) for up to 90 s.
func (l *partLoad) send(principal, nonce string) partOutcome {
	o := partOutcome{gwOutcome: gwOutcome{nonce: nonce}, principal: principal}
	member, _, _ := strings.Cut(principal, "-")
	begin := time.Now()
	for time.Since(begin) < 90*time.Second {
		o.attempts++
		r, err := l.g.call("POST", "/v1/health/pings", principal, nonce, map[string]string{"nonce": nonce})
		if err != nil {
			l.tally(member, "no answer")
			o.status, o.code = 0, ""
			time.Sleep(500 * time.Millisecond)
			continue
		}
		var body struct {
			TransactionID string      `json:"transactionId"`
			Code          cxlerr.Code `json:"code"`
			Retryable     bool        `json:"retryable"`
		}
		_ = json.Unmarshal(r.body, &body)
		o.status, o.txID, o.code = r.status, body.TransactionID, body.Code
		if r.status == 200 || r.status == 202 {
			l.tally(member, strconv.Itoa(r.status))
			break
		}
		l.tally(member, fmt.Sprintf("%d %s retryable=%t", r.status, body.Code, body.Retryable))
		if !body.Retryable {
			break
		}
		wait := 500 * time.Millisecond
		if s, err := strconv.Atoi(r.header.Get("Retry-After")); err == nil && s > 0 {
			wait = time.Duration(s) * time.Second
		}
		time.Sleep(wait)
	}
	o.latency, o.answered = time.Since(begin), time.Now()
	return o
}

func (l *partLoad) tally(member, answer string) {
	l.mu.Lock()
	l.answers[member+": "+answer]++
	l.mu.Unlock()
}

// committedBetween counts the requests answered 200 (committed) between two instants.
func (l *partLoad) committedBetween(from, to time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, o := range l.outcomes {
		if o.status == 200 && !o.answered.Before(from) && !o.answered.After(to) {
			n++
		}
	}
	return n
}

// firstCommitAfter returns when the first request answered 200 after from was answered,
// waiting up to atMost for one.
func (l *partLoad) firstCommitAfter(from time.Time, atMost time.Duration) (time.Time, bool) {
	deadline := from.Add(atMost)
	for {
		l.mu.Lock()
		var first time.Time
		for _, o := range l.outcomes {
			if o.status == 200 && o.answered.After(from) && (first.IsZero() || o.answered.Before(first)) {
				first = o.answered
			}
		}
		l.mu.Unlock()
		if !first.IsZero() {
			return first, true
		}
		if time.Now().After(deadline) {
			return time.Time{}, false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// finish stops sending, waits for every request in flight, and returns the outcomes and
// the answers the attempts got, sorted.
func (l *partLoad) finish() ([]partOutcome, []string) {
	l.once.Do(func() { close(l.stop) })
	<-l.done
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	var answers []string
	for a, n := range l.answers {
		answers = append(answers, fmt.Sprintf("%s ×%d", a, n))
	}
	sort.Strings(answers)
	return l.outcomes, answers
}

// partFigures are what a partition test reports.
type partFigures struct {
	requests, acknowledged, refused, lost, twice int
}

// partSettle resolves every 202 through the gateway that gave it (its reconciler finds
// the outcome), then checks the ledger: every acknowledged request (200, or 202 resolved
// COMMITTED) is VALID on every peer, and no nonce (idempotency key) has more than one
// VALID transaction. It fails the test when one is lost or applied twice.
func partSettle(t *testing.T, g *gwService, name, prefix string, from uint64, outcomes []partOutcome) partFigures {
	t.Helper()
	began := time.Now()
	defer func() {
		t.Logf("%s: settled and checked on the ledger in %s", name, time.Since(began).Round(100*time.Millisecond))
	}()
	f := partFigures{requests: len(outcomes)}
	want := map[string]bool{}
	var acked []string
	deadline := time.Now().Add(2 * time.Minute)
	for _, o := range outcomes {
		switch o.status {
		case 200:
		case 202:
			for {
				var st ledgerapi.TransactionStatus
				r, err := g.call("GET", "/v1/transactions/"+o.txID, o.principal, "", nil)
				if err == nil && r.status == 200 && json.Unmarshal(r.body, &st) == nil && st.State != ledgerapi.TxPending {
					if st.State != ledgerapi.TxCommitted {
						t.Logf("%s (%s, by %s) resolved %s: %+v", o.nonce, o.txID, o.principal, st.State, st.Error)
						o.status = 0
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s (%s) still pending two minutes after the load: %d %s", o.nonce, o.txID, r.status, r.body)
				}
				time.Sleep(500 * time.Millisecond)
			}
		default:
			f.refused++
			t.Logf("%s by %s ended with %d %s after %d attempts in %s", o.nonce, o.principal, o.status, o.code, o.attempts, o.latency.Round(time.Second))
			continue
		}
		if o.status == 0 {
			f.refused++
			continue
		}
		want[o.txID] = true
		acked = append(acked, o.txID)
	}
	f.acknowledged = len(acked)
	if f.acknowledged == 0 {
		t.Fatalf("%s: no request was acknowledged", name)
	}
	// Every peer at one height, each with every acknowledged transaction VALID.
	f.lost = ackedOnEveryPeer(t, from, acked)
	// One VALID transaction per key: the ledger's Pinged events by nonce.
	onLedger := gwLedgerPings(t, prefix, from, want)
	for nonce, txs := range onLedger {
		if len(txs) > 1 {
			f.twice++
			t.Errorf("%s applied %d times: %v", nonce, len(txs), txs)
		}
	}
	for _, o := range outcomes {
		if want[o.txID] {
			if txs := onLedger[o.nonce]; len(txs) == 0 || txs[0] != o.txID {
				t.Errorf("%s acknowledged as %s, on the ledger as %v", o.nonce, o.txID, txs)
			}
		}
	}
	if f.lost != 0 {
		t.Errorf("%s: %d acknowledged requests lost", name, f.lost)
	}
	if f.twice != 0 {
		t.Errorf("%s: %d requests applied twice", name, f.twice)
	}
	return f
}

// partitionNodes cuts the containers of nodes (Compose services) off from their host's
// Docker network (`docker network disconnect`; each organisation and each orderer is a
// host with a network of its own, see network.DockerHosts), so that a cut container
// reaches nothing and nothing reaches it, not even at the ports it published, and returns
// how to connect them again with their aliases. Whatever the test does, each cut is healed
// when it ends.
func partitionNodes(t *testing.T, nodes ...string) (heal func()) {
	t.Helper()
	if h.topo.Hosts == network.NetNS {
		return netnsCut(t, nodes...)
	}
	var heals []func()
	for _, n := range nodes {
		heals = append(heals, disconnectContainer(t, n))
	}
	return func() {
		for _, h := range heals {
			h()
		}
	}
}

// partRequireDocker skips a partition test natively (but with --hosts netns) or on a BFT
// network, and returns the members' gateway services.
func partRequireDocker(t *testing.T) *gwService {
	t.Helper()
	if h.runtime != network.Docker && h.topo.Hosts != network.NetNS {
		t.Skip("partitions need Docker (CXL_TEST_NETWORK=docker) or hosts of their own (CXL_TEST_HOSTS=netns): natively every node shares the loopback interface, so no link between two nodes can be cut without cutting all")
	}
	if h.topo.Consensus != network.Raft {
		t.Skip("the partition tests cut Raft orderers; the BFT ones are in bft_test.go")
	}
	return gwStart(t)
}

// partFrom waits until every peer and every orderer is at one height (an earlier test may
// have left one catching up) and returns it: the load's blocks come after it.
func partFrom(t *testing.T) uint64 {
	t.Helper()
	ctx := context.Background()
	var from uint64
	eventually(t, 90*time.Second, "every node at one height", func() error {
		hs, err := ordererHeights(ctx, h.topo.OrdererNodes())
		if err != nil {
			return err
		}
		ph, err := peerHeights(ctx)
		if err != nil {
			return err
		}
		for _, p := range ph {
			if p != hs[0] {
				return fmt.Errorf("orderers at %d, peers at %v", hs[0], ph)
			}
		}
		from = hs[0]
		return nil
	})
	return from
}

// peerHeights returns every peer's height, in topology order.
func peerHeights(ctx context.Context) ([]uint64, error) {
	var hs []uint64
	for _, org := range h.topo.PeerOrgs() {
		for _, p := range org.PeerNodes {
			hp, err := network.PeerHeight(ctx, h.home, h.topo, org, p)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p.Name, err)
			}
			hs = append(hs, hp)
		}
	}
	return hs, nil
}

// partReport logs a partition test's figures in one line the README quotes.
func partReport(t *testing.T, name string, f partFigures, recover string) {
	t.Helper()
	t.Logf("PARTITION %s: %d requests, %d acknowledged, %d lost, %d applied twice, %d without an acknowledgement; %s",
		name, f.requests, f.acknowledged, f.lost, f.twice, f.refused, recover)
}

// TestPartitionOrganisationCutOff cuts Org1 off from everyone under load through both
// members' gateway services: its peer, chaincode servers and CA are disconnected from Org1's
// host network, its gateway container stays on it. While cut, Org1's gateway
// must answer a mutation and a read with a coded, retryable 503 UNAVAILABLE and never a 200:
// its peer's connection hangs rather than fails (the packets go nowhere), and a query or an
// endorsement that no peer answers by its phase's deadline submitted nothing, so the
// service says UNAVAILABLE (retry) rather than TIMEOUT (outcome unknown). The chaincode's endorsement policy is MAJORITY of the two members, so
// Org2 alone commits nothing either: both members' requests are retried with their keys
// until the cut heals. After the heal Org1's peer catches up, both gateways commit again,
// and every acknowledged request is VALID on every peer exactly once.
func TestPartitionOrganisationCutOff(t *testing.T) {
	g := partRequireDocker(t)
	org1 := h.topo.PeerOrgs()[0]
	var cut []string
	for _, s := range h.topo.Services() {
		if strings.HasSuffix(s, "."+org1.Domain) {
			cut = append(cut, s)
		}
	}
	from := partFrom(t)
	l := startPartLoad(t, g, fmt.Sprintf("part-org-%d", time.Now().UnixNano()), partRate, "org1-user1", "org2-user1")
	time.Sleep(3 * time.Second)

	heal := partitionNodes(t, cut...)
	out := time.Now()
	t.Logf("Org1 cut off: %s", strings.Join(cut, ", "))
	// What Org1's gateway says while its peer is out of reach: a mutation and a read, sent
	// at once, each answer with its code and retryable flag. Neither may succeed, and
	// neither may be final: the client is to retry it.
	var probes [2]gwResp
	var probeNonce string
	var probeErrs [2]error
	var pw sync.WaitGroup
	pw.Add(2)
	go func() {
		defer pw.Done()
		nonce := fmt.Sprintf("part-org-probe-%d", time.Now().UnixNano())
		probes[0], probeErrs[0] = g.call("POST", "/v1/health/pings", "org1-user1", nonce, map[string]string{"nonce": nonce})
		probeNonce = nonce
	}()
	go func() {
		defer pw.Done()
		probes[1], probeErrs[1] = g.call("GET", "/v1/health/version", "org1-user1", "", nil)
	}()
	pw.Wait()
	for i, what := range []string{"a mutation", "a read"} {
		if probeErrs[i] != nil {
			t.Fatalf("%s through Org1's gateway while Org1 is cut off: %v", what, probeErrs[i])
		}
		r := probes[i]
		var env struct {
			Code      cxlerr.Code `json:"code"`
			Retryable bool        `json:"retryable"`
		}
		_ = json.Unmarshal(r.body, &env)
		t.Logf("while cut off, Org1's gateway answers %s %d %s (%s after the cut)", what, r.status, r.body, time.Since(out).Round(100*time.Millisecond))
		switch {
		case r.status != http.StatusServiceUnavailable || env.Code != cxlerr.Unavailable:
			t.Errorf("Org1's gateway answered %s %d %s while its only peer is cut off, want 503 UNAVAILABLE", what, r.status, r.body)
		case !env.Retryable:
			t.Errorf("Org1's gateway answered %s while cut off without retryable: %s", what, r.body)
		}
	}
	time.Sleep(time.Until(out.Add(15 * time.Second)))
	during := l.committedBetween(out.Add(3*time.Second), time.Now())
	t.Logf("requests committed from 3 s after the cut to the heal (%s): %d", time.Since(out).Round(time.Second), during)

	heal()
	healed := time.Now()
	first, ok := l.firstCommitAfter(healed, 90*time.Second)
	if !ok {
		t.Errorf("no request committed within 90 s of the heal")
	}
	var caughtUp time.Duration
	eventually(t, 90*time.Second, "Org1's peer at the others' height", func() error {
		ph, err := peerHeights(context.Background())
		if err != nil {
			return err
		}
		for _, p := range ph[1:] {
			if p != ph[0] {
				return fmt.Errorf("peer heights %v", ph)
			}
		}
		caughtUp = time.Since(healed)
		return nil
	})
	time.Sleep(3 * time.Second)
	outcomes, answers := l.finish()
	t.Logf("answers the load's attempts got: %s", strings.Join(answers, "; "))
	f := partSettle(t, g, "organisation cut off", l.prefix, from, outcomes)
	// The probe's 504 was not retried: what the gateway's store says of it now, and what a
	// retry with its key answers.
	var probe struct {
		TransactionID string `json:"transactionId"`
	}
	if json.Unmarshal(probes[0].body, &probe) == nil && probe.TransactionID != "" {
		if r, err := g.call("GET", "/v1/transactions/"+probe.TransactionID, "org1-user1", "", nil); err == nil {
			t.Logf("after the heal, Org1's gateway reports the probe's transaction %s: %d %s", probe.TransactionID, r.status, r.body)
		}
	}
	if r, err := g.call("POST", "/v1/health/pings", "org1-user1", probeNonce, map[string]string{"nonce": probeNonce}); err == nil {
		t.Logf("after the heal, the probe retried with its key: %d %s", r.status, r.body)
	}
	partReport(t, "organisation cut off", f, fmt.Sprintf("%d committed while cut (MAJORITY endorsement needs both members); heal to the first commit %.1f s, to Org1's peer at the others' height %.1f s (under load)",
		during, first.Sub(healed).Seconds(), caughtUp.Seconds()))
}

// TestPartitionOrdererFollowerCutOff cuts a Raft follower off from the other orderers
// under load through both members' gateways: the leader and the other follower keep a
// quorum, so commits go on, though a peer delivering blocks from the cut orderer, or a
// peer's gateway broadcasting to it, waits until it finds that connection dead (the cut
// drops packets; it refuses nothing), so the cut lasts until a request commits without the
// follower; after the heal the follower catches up.
func TestPartitionOrdererFollowerCutOff(t *testing.T) {
	g := partRequireDocker(t)
	from := partFrom(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	leader, err := network.RaftLeader(ctx, h.topo)
	if err != nil {
		t.Fatal(err)
	}
	var victim network.Node
	for _, o := range h.topo.OrdererNodes() {
		if o.Name != leader.Name {
			victim = o
			break
		}
	}
	l := startPartLoad(t, g, fmt.Sprintf("part-follower-%d", time.Now().UnixNano()), partRate, "org1-user1", "org2-user1")
	time.Sleep(3 * time.Second)
	heal := partitionNodes(t, victim.Name)
	out := time.Now()
	t.Logf("Raft follower %s cut off (leader %s)", victim.Name, leader.Name)
	ordered := ordererAdvances(t, leader)
	// The cut lasts partOutage, and longer, up to partOutageAtMost, until a request has
	// committed without the follower: a peer whose deliver stream or whose gateway's
	// broadcast stream went to the cut orderer waits until that connection is found dead.
	first, ok := l.firstCommitAfter(out, partOutageAtMost)
	if !ok {
		t.Errorf("nothing committed in the %s the follower %s was cut off", partOutageAtMost, victim.Name)
	}
	time.Sleep(time.Until(out.Add(partOutage)))
	during := l.committedBetween(out, time.Now())
	heal()
	healed := time.Now()
	caughtUp := ordererCaughtUp(t, victim, healed)
	time.Sleep(3 * time.Second)
	outcomes, answers := l.finish()
	t.Logf("answers the load's attempts got: %s", strings.Join(answers, "; "))
	f := partSettle(t, g, "orderer follower cut off", l.prefix, from, outcomes)
	partReport(t, "orderer follower cut off", f, fmt.Sprintf("cut to the leader's next block %.1f s, to the first request committed without it %.1f s, %d committed in the %s cut; heal to %s at the others' height %.1f s (under load)",
		(<-ordered).Sub(out).Seconds(), first.Sub(out).Seconds(), during, healed.Sub(out).Round(time.Second), victim.Name, caughtUp.Seconds()))
}

// TestPartitionRaftLeaderCutOff cuts the Raft leader off from the other orderers under
// load: the two followers elect a new leader and commit again; after the heal the old
// leader rejoins as a follower and catches up.
func TestPartitionRaftLeaderCutOff(t *testing.T) {
	g := partRequireDocker(t)
	from := partFrom(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	leader, err := network.RaftLeader(ctx, h.topo)
	if err != nil {
		t.Fatal(err)
	}
	l := startPartLoad(t, g, fmt.Sprintf("part-leader-%d", time.Now().UnixNano()), partRate, "org1-user1", "org2-user1")
	time.Sleep(3 * time.Second)
	heal := partitionNodes(t, leader.Name)
	out := time.Now()
	t.Logf("Raft leader %s cut off", leader.Name)
	next, elected := awaitNewLeader(h.topo, leader, out.Add(leaderDownAtMost))
	ordered := make(chan time.Time, 1)
	if next.Name == "" {
		t.Errorf("no new leader within %s of cutting %s off", leaderDownAtMost, leader.Name)
		ordered <- time.Time{}
	} else {
		t.Logf("%s leads %.1f s after %s was cut off", next.Name, elected.Seconds(), leader.Name)
		ordered = ordererAdvances(t, next)
	}
	resumed, ok := l.firstCommitAfter(out.Add(elected), partOutageAtMost)
	if !ok {
		t.Errorf("nothing committed after the new leader was elected")
	}
	// Commits go on without the old leader for a few seconds before the heal.
	time.Sleep(time.Until(resumed.Add(5 * time.Second)))
	during := l.committedBetween(out, time.Now())
	heal()
	healed := time.Now()
	caughtUp := ordererCaughtUp(t, leader, healed)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	if now, err := network.RaftLeader(ctx2, h.topo); err != nil {
		t.Error(err)
	} else if now.Name == leader.Name {
		t.Errorf("%s leads again right after the heal: it should rejoin as a follower of the new leader's higher term", leader.Name)
	} else {
		t.Logf("%s rejoined as a follower of %s", leader.Name, now.Name)
	}
	time.Sleep(3 * time.Second)
	outcomes, answers := l.finish()
	t.Logf("answers the load's attempts got: %s", strings.Join(answers, "; "))
	f := partSettle(t, g, "Raft leader cut off", l.prefix, from, outcomes)
	partReport(t, "Raft leader cut off", f, fmt.Sprintf("new leader %.1f s after the cut, its first block %.1f s after the cut, the first request committed after it %.1f s after the cut, %d committed during the %s cut; heal to the old leader at the others' height %.1f s (under load)",
		elected.Seconds(), (<-ordered).Sub(out).Seconds(), resumed.Sub(out).Seconds(), during, healed.Sub(out).Round(time.Second), caughtUp.Seconds()))
}

// ordererAdvances returns a channel that receives when orderer o's height first grows past
// what it is now (polled every 100 ms, for up to partOutageAtMost; the zero time if not):
// when the orderers cut a block, whether or not a peer has received it yet.
func ordererAdvances(t *testing.T, o network.Node) chan time.Time {
	t.Helper()
	ch := make(chan time.Time, 1)
	ctx := context.Background()
	start, err := network.OrdererHeight(ctx, h.home, h.topo, o)
	if err != nil {
		t.Errorf("height of %s: %v", o.Name, err)
		ch <- time.Time{}
		return ch
	}
	go func() {
		deadline := time.Now().Add(partOutageAtMost)
		for time.Now().Before(deadline) {
			if hgt, err := network.OrdererHeight(ctx, h.home, h.topo, o); err == nil && hgt > start {
				ch <- time.Now()
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		ch <- time.Time{}
	}()
	return ch
}

// ordererCaughtUp waits until orderer o, back on the network since healed, is at the
// other orderers' height, and returns how long after healed that was.
func ordererCaughtUp(t *testing.T, o network.Node, healed time.Time) time.Duration {
	t.Helper()
	var took time.Duration
	eventually(t, 90*time.Second, o.Name+" at the others' height", func() error {
		if _, err := ordererHeights(context.Background(), h.topo.OrdererNodes()); err != nil {
			return err
		}
		took = time.Since(healed)
		return nil
	})
	return took
}
