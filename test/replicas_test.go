//go:build integration

package test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/store/pgtest"
	"github.com/cxledger/cxledger/ledgerapi"
	"github.com/cxledger/cxledger/network"
)

// gwReplica is one replica of Org1's gateway service the test started: the cxl-gateway
// binary with Org1's configuration, its own port and the shared PostgreSQL store.
type gwReplica struct {
	name string
	cmd  *exec.Cmd
	svc  *gwService
	dead atomic.Bool
}

// startReplica starts a replica of member m's gateway service on a free loopback port with
// the store dsn, and waits until it answers.
func startReplica(t *testing.T, g *gwService, m *gwMember, name, dsn string) *gwReplica {
	t.Helper()
	port, err := pgtest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(m.URL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = fmt.Sprintf("127.0.0.1:%d", port)
	logFile, err := os.Create(filepath.Join(string(h.home), name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logFile.Close() })
	cmd := exec.Command(filepath.Join(h.home.Bin(), "cxl-gateway"), "-config", m.Config)
	cmd.Env = append(os.Environ(),
		"CXL_GATEWAY_LISTEN="+u.Host,
		"CXL_GATEWAY_STORE_URL="+dsn,
		"CXL_GATEWAY_RECONCILE_EVERY=1s",
		"CXL_GATEWAY_RESUBMIT_AFTER=3s")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &gwReplica{name: name, cmd: cmd}
	t.Cleanup(func() {
		if !r.dead.Load() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
		}
	})
	mm := *m
	mm.URL = u.String()
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
	r.svc = &svc
	eventually(t, time.Minute, name+" answering", func() error {
		resp, err := r.svc.call("GET", "/v1/health/version", "org1-user1", "", nil)
		if err != nil || resp.status != 200 {
			return fmt.Errorf("%v %d %s", err, resp.status, resp.body)
		}
		return nil
	})
	t.Logf("%s: pid %d at %s", name, cmd.Process.Pid, mm.URL)
	return r
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

// TestGatewayReplicas runs two replicas of Org1's gateway service sharing one PostgreSQL
// store (a private cluster of Debian's PostgreSQL in the test's state directory), natively:
// load through both with idempotency keys, every fourth key sent to both at once; one
// replica killed (SIGKILL by PID) mid-flight; what had no answer retried on the survivor
// with the same key. On the ledger: no acknowledged request lost, none applied twice, and
// a key sent to both got one transaction. It logs acknowledged, retried, lost, applied
// twice and the time to recover (from the kill until the last failed-over request is
// answered and, if it was answered 202, the survivor knows its commit).
func TestGatewayReplicas(t *testing.T) {
	if h.runtime != network.Native {
		t.Skip("the replicas run natively (processes beside the network); under Docker only the single service per member runs")
	}
	g := gwStart(t)
	m := g.member("org1-user1")
	port, err := pgtest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cluster, err := pgtest.Start(filepath.Join(string(h.home), "postgres-replicas"), port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cluster.Stop(); err != nil {
			t.Error(err)
		}
	})
	t.Logf("PostgreSQL (pid %d) on 127.0.0.1:%d", cluster.PID, port)
	reps := [2]*gwReplica{startReplica(t, g, m, "replica-a", cluster.DSN), startReplica(t, g, m, "replica-b", cluster.DSN)}

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
		if err := syscall.Kill(reps[0].cmd.Process.Pid, syscall.SIGKILL); err != nil {
			t.Error(err)
		}
		_ = reps[0].cmd.Wait()
		t.Logf("%5.1fs  killed %s (pid %d, SIGKILL)", time.Since(start).Seconds(), reps[0].name, reps[0].cmd.Process.Pid)
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
