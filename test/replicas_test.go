//go:build integration

package test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
	"github.com/cxledger/cxledger/network"
)

// gwReplica is one replica of Org1's gateway service that `cxl gateway up --replicas`
// started: its supervised process and a view of the service that sends Org1's requests to
// it.
type gwReplica struct {
	name string
	pid  int
	svc  *gwService
	dead atomic.Bool
}

// replicaView is g with member m's requests sent to url.
func replicaView(g *gwService, m *gwMember, url string) *gwService {
	mm := *m
	mm.URL = url
	svc := *g
	svc.members = map[string]*gwMember{}
	for k, v := range g.members {
		svc.members[k] = v
	}
	org := filepath.Base(filepath.Dir(m.Config))
	svc.members[org] = &mm
	if g.first == org {
		svc.url = mm.URL
	}
	return &svc
}

// replicasUp is what `cxl gateway up --replicas --json` reports of the member.
type replicasUp struct {
	Gateways []struct {
		Org      string `json:"org"`
		Replicas []struct {
			Replica int    `json:"replica"`
			URL     string `json:"url"`
			PID     int    `json:"pid"`
			Log     string `json:"log"`
		} `json:"replicas"`
		Store *struct {
			URL      string `json:"url"`
			PID      int    `json:"pid"`
			Data     string `json:"data"`
			PassFile string `json:"passFile"`
			Log      string `json:"log"`
		} `json:"store"`
	} `json:"gateways"`
}

// startReplicas replaces Org1's single service by two replicas on a PostgreSQL server of
// its own with `cxl gateway up --org Org1 --replicas 2`, checks what it reports and what
// `cxl gateway status` says, and at the end stops them with `cxl gateway down --org Org1`
// (checking that the server is gone with them) and starts the single service again for
// the other tests.
func startReplicas(t *testing.T, g *gwService, m *gwMember) [2]*gwReplica {
	t.Helper()
	if _, err := h.cli("gateway", "down", "--org", "Org1"); err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	out, err := h.cli("gateway", "up", "--org", "Org1", "--replicas", "2", "--json")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cxl gateway up --org Org1 --replicas 2: %s", time.Since(begin).Round(100*time.Millisecond))
	var up replicasUp
	if err := json.Unmarshal(out, &up); err != nil || len(up.Gateways) != 1 || len(up.Gateways[0].Replicas) != 2 || up.Gateways[0].Store == nil {
		t.Fatalf("cxl gateway up --replicas 2 --json: %v\n%s", err, out)
	}
	res := up.Gateways[0]
	pg := res.Store
	t.Cleanup(func() {
		if _, err := h.cli("gateway", "down", "--org", "Org1"); err != nil {
			t.Error(err)
		}
		// The server's parent (cxl gateway up) is gone, so what is left of it once it ends
		// may be a zombie until the machine's init reaps it: running means neither.
		if _, ok := network.Running(h.home, "postgres-org1"); ok || processRuns(pg.PID) {
			t.Errorf("PostgreSQL (pid %d) still runs after cxl gateway down", pg.PID)
		}
		if _, err := h.cli("gateway", "up", "--org", "Org1"); err != nil {
			t.Errorf("start Org1's single service again: %v", err)
		}
	})
	// The password is in its file (the owner's only), and in no log, configuration,
	// connection string, argument or environment of a replica.
	fi, err := os.Stat(pg.PassFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("password file %s: %v %v", pg.PassFile, fi, err)
	}
	line, err := os.ReadFile(pg.PassFile)
	if err != nil {
		t.Fatal(err)
	}
	password := strings.TrimSpace(string(line))[strings.LastIndexByte(strings.TrimSpace(string(line)), ':')+1:]
	if len(password) < 32 || strings.Contains(pg.URL, password) || !strings.Contains(pg.URL, "passfile=") {
		t.Fatalf("store URL %s and a password of %d characters", pg.URL, len(password))
	}
	leaks := []string{pg.Log, m.Config}
	var reps [2]*gwReplica
	for i, r := range res.Replicas {
		if r.Replica != i+1 || r.PID == 0 {
			t.Fatalf("replica %+v", r)
		}
		leaks = append(leaks, r.Log, fmt.Sprintf("/proc/%d/environ", r.PID), fmt.Sprintf("/proc/%d/cmdline", r.PID))
		reps[i] = &gwReplica{name: fmt.Sprintf("replica-%d", r.Replica), pid: r.PID, svc: replicaView(g, m, r.URL)}
		t.Logf("%s: pid %d at %s", reps[i].name, r.PID, r.URL)
	}
	for _, f := range leaks {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), password) {
			t.Fatalf("%s holds the PostgreSQL password", f)
		}
	}
	t.Logf("PostgreSQL (pid %d): %s", pg.PID, pg.URL)
	st := replicaStatus(t)
	if !st.Ready || len(st.Replicas) != 2 || st.Store == nil || !st.Store.Running || st.Store.PID != pg.PID || st.Replicas[1].URL != res.Replicas[1].URL {
		t.Fatalf("cxl gateway status --org Org1: %+v", st)
	}
	for _, r := range reps {
		eventually(t, time.Minute, r.name+" answering", func() error {
			resp, err := r.svc.call("GET", "/v1/health/version", "org1-user1", "", nil)
			if err != nil || resp.status != 200 {
				return fmt.Errorf("%v %d %s", err, resp.status, resp.body)
			}
			return nil
		})
	}
	return reps
}

// orphanTx is a customer's transaction prepared on replica 1 and not yet signed.
type orphanTx struct {
	c     *customer
	place ledgerapi.PlaceOrderRequest
	key   string
	p     stepAnswer
}

// customerAcrossReplicas enrols a customer through replica 2 and funds it, places an order
// prepared on replica 1 and endorsed and submitted through replica 2 (which forwards each
// signed step to replica 1), checks the order on the ledger through replica 2, and
// prepares a second order on replica 1 that it returns unsigned.
func customerAcrossReplicas(t *testing.T, reps [2]*gwReplica) *orphanTx {
	t.Helper()
	m1, m2 := reps[0].svc.members["org1"], reps[1].svc.members["org1"]
	alice := enrolCustomer(t, reps[1].svc, m2, "org1-user1", t.TempDir())
	code := gwFund(t, reps[1].svc, alice.account, 50_000)
	run := gwRun()
	order := func(id string) ledgerapi.PlaceOrderRequest {
		return ledgerapi.PlaceOrderRequest{ID: id, Merchant: "Org2MSP", Amount: 1_200, Currency: code,
			Deadline: time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second), Items: []orders.OrderItem{{SKU: "kettle", Quantity: 1}}}
	}
	begin := time.Now()
	p := alice.step(t, m1, "prepare", order("across-"+run), "across-"+run, 200)
	e := alice.step(t, m2, "endorse", alice.signed(t, p.TransactionID, p.Digest), "", 200)
	if e.TransactionID != p.TransactionID {
		t.Fatalf("endorsed %s, prepared %s", e.TransactionID, p.TransactionID)
	}
	alice.step(t, m2, "submit", alice.signed(t, e.TransactionID, e.Digest), "", 200)
	t.Logf("customer: prepared on replica 1, endorsed and submitted through replica 2 in %s", time.Since(begin).Round(time.Millisecond))
	// The signature is used once, wherever it is replayed.
	alice.step(t, m2, "submit", alice.signed(t, e.TransactionID, e.Digest), "", 409)
	alice.step(t, m1, "submit", alice.signed(t, e.TransactionID, e.Digest), "", 409)
	got, err := ledgerapi.OrdersGetOrder.Query(context.Background(), alice, ledgerapi.OrderRequest{ID: "across-" + run})
	if err != nil || got.Customer != alice.account || got.State != orders.StatePlaced {
		t.Fatalf("the order on the ledger: %+v %v", got, err)
	}
	// What forwarding costs: orders placed step by step on one replica, and prepared on
	// replica 1 then signed through replica 2, alternately.
	var same, across []time.Duration
	for i := range 10 {
		first, second := m2, m2
		if i%2 == 1 {
			first = m1
		}
		id := fmt.Sprintf("cost-%s-%d", run, i)
		begin := time.Now()
		p := alice.step(t, first, "prepare", order(id), id, 200)
		e := alice.step(t, second, "endorse", alice.signed(t, p.TransactionID, p.Digest), "", 200)
		alice.step(t, second, "submit", alice.signed(t, e.TransactionID, e.Digest), "", 200)
		if d := time.Since(begin); first == second {
			same = append(same, d)
		} else {
			across = append(across, d)
		}
	}
	slices.Sort(same)
	slices.Sort(across)
	t.Logf("customer prepare-endorse-submit, 5 each: on one replica median %s (min %s, max %s); endorse and submit forwarded to the other median %s (min %s, max %s)",
		same[2].Round(time.Millisecond), same[0].Round(time.Millisecond), same[4].Round(time.Millisecond),
		across[2].Round(time.Millisecond), across[0].Round(time.Millisecond), across[4].Round(time.Millisecond))
	o := &orphanTx{c: alice, place: order("orphan-" + run), key: "orphan-" + run}
	o.p = alice.step(t, m1, "prepare", o.place, o.key, 200)
	return o
}

// afterKill: the transaction prepared on the killed replica is NOT_FOUND through the
// survivor (its replica is gone with it), and the same request with the same key runs on
// the survivor: the killed replica's claim on the key ended with it.
func (o *orphanTx) afterKill(t *testing.T, survivor *gwReplica) {
	t.Helper()
	m2 := survivor.svc.members["org1"]
	o.c.step(t, m2, "endorse", o.c.signed(t, o.p.TransactionID, o.p.Digest), "", 404)
	p := o.c.step(t, m2, "prepare", o.place, o.key, 200)
	if p.TransactionID == o.p.TransactionID {
		t.Fatal("the survivor handed out the killed replica's proposal")
	}
	e := o.c.step(t, m2, "endorse", o.c.signed(t, p.TransactionID, p.Digest), "", 200)
	o.c.step(t, m2, "submit", o.c.signed(t, e.TransactionID, e.Digest), "", 200)
}

// processRuns reports whether pid is a process that runs (not a zombie).
func processRuns(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(stat), ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}

// replicaStatus is what `cxl gateway status --org Org1 --json` says of Org1's service (it
// exits with status 1 when one replica is not ready).
func replicaStatus(t *testing.T) gwReplicaStatus {
	t.Helper()
	out, _ := h.cli("gateway", "status", "--org", "Org1", "--json")
	var all []gwReplicaStatus
	if err := json.Unmarshal(out, &all); err != nil || len(all) != 1 {
		t.Fatalf("cxl gateway status --org Org1 --json: %v\n%s", err, out)
	}
	return all[0]
}

// gwReplicaStatus is the part of a member's `cxl gateway status --json` about replicas.
type gwReplicaStatus struct {
	Ready    bool `json:"ready"`
	Replicas []struct {
		Running bool   `json:"running"`
		Ready   bool   `json:"ready"`
		URL     string `json:"url"`
	} `json:"replicas"`
	Store *struct {
		Running bool `json:"running"`
		PID     int  `json:"pid"`
	} `json:"store"`
}

// replicaOutcome is one request of the load across the replicas.
type replicaOutcome struct {
	gwOutcome
	// failedOver: an attempt got no answer (the replica was killed) and a later one went to
	// the survivor with the same key; answered is when the final answer came (for a 202 of
	// a failed-over request, when the survivor knew the transaction committed).
	failedOver bool
	answered   time.Time
}

// replicaSend sends ping nonce to replica first, retrying the way gwSend does; an attempt
// that gets no answer, or any attempt once first is dead, goes to the other replica.
func replicaSend(reps [2]*gwReplica, first int, nonce string) replicaOutcome {
	o := replicaOutcome{gwOutcome: gwOutcome{nonce: nonce}}
	begin := time.Now()
	target := first
	for time.Since(begin) < time.Minute {
		if reps[target].dead.Load() {
			target = 1 - target
		}
		o.attempts++
		r, err := reps[target].svc.call("POST", "/v1/health/pings", "org1-user1", nonce, map[string]string{"nonce": nonce})
		if err != nil {
			o.status, o.code = 0, ""
			o.failedOver = true
			target = 1 - target
			time.Sleep(200 * time.Millisecond)
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
		if r.status == 200 || r.status == 202 || !body.Retryable {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	o.latency, o.answered = time.Since(begin), time.Now()
	// A failed-over request answered 202 has recovered when the survivor knows its commit:
	// its reconciler takes over the killed replica's pending transaction.
	for o.failedOver && o.status == 202 && time.Since(begin) < 2*time.Minute {
		var st ledgerapi.TransactionStatus
		r, err := reps[target].svc.call("GET", "/v1/transactions/"+o.txID, "org1-user1", "", nil)
		if err == nil && r.status == 200 && json.Unmarshal(r.body, &st) == nil && st.State != ledgerapi.TxPending {
			o.answered = time.Now()
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return o
}

// TestGatewayReplicas runs Org1's gateway service as two replicas sharing one PostgreSQL
// store, started the way a user starts them (`cxl gateway up --org Org1 --replicas 2`:
// a private server of Debian's PostgreSQL under CXL_HOME/gateway/org1/postgres, both
// replicas under the supervisor), natively: load through both with idempotency keys, every
// fourth key sent to both at once; one replica killed (SIGKILL by PID) mid-flight; what had
// no answer retried on the survivor with the same key. On the ledger: no acknowledged
// request lost, none applied twice, and a key sent to both got one transaction. It logs
// acknowledged, retried, lost, applied twice and the time to recover (from the kill until
// the last failed-over request is answered and, if it was answered 202, the survivor knows
// its commit). `cxl gateway status` then reports the killed replica down, and `cxl gateway
// down --org Org1` stops the survivor and the server.
func TestGatewayReplicas(t *testing.T) {
	if h.runtime != network.Native {
		t.Skip("the replicas run natively (processes beside the network); under Docker only the single service per member runs")
	}
	g := gwStart(t)
	m := g.member("org1-user1")
	// The run's currency is registered through Org1's single service, before it stops.
	if _, err := gwMoney(); err != nil {
		t.Fatal(err)
	}
	reps := startReplicas(t, g, m)
	// A customer prepares on one replica and signs through the other; a second
	// transaction prepared on replica 1 waits for the kill.
	orphan := customerAcrossReplicas(t, reps)

	prefix := fmt.Sprintf("gw-replicas-%d", time.Now().UnixNano())
	from := gwMarker(t, reps[1].svc, prefix)
	const (
		rate   = 30
		length = 30 * time.Second
		killAt = 10 * time.Second
	)
	var (
		mu        sync.Mutex
		outcomes  []replicaOutcome
		pairs     int
		disagreed int
		wg        sync.WaitGroup
		killed    time.Time
	)
	start := time.Now()
	wg.Add(1)
	go func() {
		defer wg.Done()
		time.Sleep(killAt)
		mu.Lock()
		killed = time.Now()
		mu.Unlock()
		reps[0].dead.Store(true)
		if err := network.Kill(h.home, "cxl-gateway-org1-replica1"); err != nil {
			t.Error(err)
		}
		t.Logf("%5.1fs  killed %s (pid %d, SIGKILL)", time.Since(start).Seconds(), reps[0].name, reps[0].pid)
	}()
	tick := time.NewTicker(time.Second / rate)
	for i := 0; time.Since(start) < length; i++ {
		<-tick.C
		nonce := fmt.Sprintf("%s-%d", prefix, i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%4 != 0 {
				o := replicaSend(reps, i%2, nonce)
				mu.Lock()
				outcomes = append(outcomes, o)
				mu.Unlock()
				return
			}
			// The same key to both replicas at once.
			var both [2]replicaOutcome
			var pair sync.WaitGroup
			for j := range 2 {
				pair.Add(1)
				go func() { defer pair.Done(); both[j] = replicaSend(reps, j, nonce) }()
			}
			pair.Wait()
			mu.Lock()
			defer mu.Unlock()
			pairs++
			ok := func(o replicaOutcome) bool { return o.status == 200 || o.status == 202 }
			if ok(both[0]) && ok(both[1]) && both[0].txID != both[1].txID {
				disagreed++
				t.Errorf("%s sent to both replicas got two transactions: %s and %s", nonce, both[0].txID, both[1].txID)
			}
			o := both[0]
			if !ok(o) {
				o = both[1]
			}
			o.failedOver = both[0].failedOver || both[1].failedOver
			o.attempts = max(both[0].attempts, both[1].attempts)
			outcomes = append(outcomes, o)
		}()
	}
	tick.Stop()
	wg.Wait()
	if st := replicaStatus(t); st.Ready || len(st.Replicas) != 2 || st.Replicas[0].Running || !st.Replicas[1].Ready {
		t.Errorf("cxl gateway status after replica 1 was killed: %+v", st)
	}
	orphan.afterKill(t, reps[1])

	var acknowledged, failedOver int
	var recovered time.Time
	plain := make([]gwOutcome, len(outcomes))
	for i, o := range outcomes {
		plain[i] = o.gwOutcome
		if o.status == 200 || o.status == 202 {
			acknowledged++
		}
		if o.failedOver {
			failedOver++
			if o.answered.After(recovered) {
				recovered = o.answered
			}
		}
	}
	if failedOver == 0 {
		t.Error("no request was in flight on the killed replica: the kill tested nothing")
	}
	// gwSettle resolves the 202s through the survivor and checks the ledger: every
	// acknowledged request on it once, nothing twice (it fails the test otherwise).
	gwSettle(t, reps[1].svc, "replicas, one killed", prefix, from, plain)
	t.Logf("replicas: %d requests (%d keys sent to both replicas at once, %d answered with two transactions), %d acknowledged (200/202), "+
		"%d retried on the survivor after the kill; time to recover (kill to the last of those answered and, if 202, known committed by the survivor): %s; lost and applied twice: see the counts above",
		len(outcomes), pairs, disagreed, acknowledged, failedOver, recovered.Sub(killed).Round(100*time.Millisecond))
}
