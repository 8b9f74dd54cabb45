package gateway

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/store/pgserver"
	"github.com/cxledger/cxledger/network"
)

// A member's gateway in replicas (`cxl gateway up --org X --replicas N`, natively): its
// private PostgreSQL server, the store the replicas share, and N processes of its service.
// Ports, before the network's port offset, for member i of the topology (i from 0):
// PostgreSQL on 8090+i, replica r (from 1) on 8100+10i+r-1, so that up to 10 replicas of
// each of 8 members stay clear of the members' single services (8080+i) and of each other.
const (
	storeBasePort   = 8090
	replicaBasePort = 8100
	// MaxReplicas is the most replicas of one member's service `cxl gateway up` starts.
	MaxReplicas = 10
)

// stopGrace is how long a stopped process has to end before it is killed.
const stopGrace = 30 * time.Second

// memberIndex is m's index among the topology's peer organisations.
func memberIndex(topo network.Topology, m member) int {
	for i, o := range topo.PeerOrgs() {
		if o.MSPID == m.org.MSPID {
			return i
		}
	}
	return -1
}

// storePort is the loopback port of m's PostgreSQL server.
func storePort(topo network.Topology, m member) int {
	return storeBasePort + memberIndex(topo, m) + topo.PortOffset
}

// replicaPort is the loopback port of m's replica r (from 1).
func replicaPort(topo network.Topology, m member, r int) int {
	return replicaBasePort + 10*memberIndex(topo, m) + r - 1 + topo.PortOffset
}

// replicaProcess is the supervisor's name of m's replica r (from 1):
// "cxl-gateway-org1-replica2".
func (m member) replicaProcess(r int) string { return fmt.Sprintf("%s-replica%d", m.process(), r) }

// storeProcess is the supervisor's name of m's PostgreSQL server, "postgres-org1": it
// sorts after the gateway processes, so that `cxl network down`, which stops the
// processes in the order of their names, stops the replicas first.
func (m member) storeProcess() string { return "postgres-" + m.name() }

// postgresDir is the directory of m's PostgreSQL server (pgserver.Server.Dir).
func (m member) postgresDir() string { return filepath.Join(m.dir, "postgres") }

// replicaState is one replica of a member's service as the state directory records it.
type replicaState struct {
	N       int
	Process string
	PID     int
	Running bool
}

// replicasOf lists m's replicas that have a PID file (running or left by one that died),
// in order.
func replicasOf(home network.Home, m member) ([]replicaState, error) {
	procs, err := network.Processes(home)
	if err != nil {
		return nil, err
	}
	var out []replicaState
	prefix := m.process() + "-replica"
	for _, p := range procs {
		rest, ok := strings.CutPrefix(p.Name, prefix)
		if !ok {
			continue
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 || strconv.Itoa(n) != rest {
			continue
		}
		out = append(out, replicaState{N: n, Process: p.Name, PID: p.PID, Running: p.PID != 0})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].N < out[j].N })
	return out, nil
}

// stopReplicas stops m's replicas, then its PostgreSQL server, telling say of each; it
// reports whether there was any.
func stopReplicas(ctx context.Context, home network.Home, m member, say func(format string, args ...any)) (bool, error) {
	reps, err := replicasOf(home, m)
	if err != nil {
		return false, err
	}
	pg, pgRunning := network.Running(home, m.storeProcess())
	for _, r := range reps {
		if err := network.Stop(home, r.Process, stopGrace); err != nil {
			return true, err
		}
		if r.Running {
			say("stopped replica %d of the gateway service of %s (pid %d)", r.N, m.org.Name, r.PID)
		} else {
			say("replica %d of the gateway service of %s was not running", r.N, m.org.Name)
		}
	}
	if err := ctx.Err(); err != nil {
		return true, err
	}
	if err := network.Stop(home, m.storeProcess(), stopGrace); err != nil {
		return true, err
	}
	if pgRunning {
		say("stopped the PostgreSQL server of %s's replicas (pid %d; its data stays in %s)", m.org.Name, pg.PID, m.postgresDir())
	}
	return len(reps) > 0 || pgRunning, nil
}

// checkReplicas validates --replicas against the other flags of `cxl gateway up`.
func checkReplicas(cmd *cobra.Command, opts *UpOptions) error {
	if !cmd.Flags().Changed("replicas") {
		return nil
	}
	switch {
	case opts.Replicas < 2 || opts.Replicas > MaxReplicas:
		return cmdutil.UsageErrorf("--replicas %d: want 2 to %d (without --replicas the service runs as one process)", opts.Replicas, MaxReplicas)
	case opts.Org == "":
		return cmdutil.UsageErrorf("--replicas needs --org: it runs one member's service in replicas")
	case opts.Listen != "":
		return cmdutil.UsageErrorf("--replicas and --listen: the replicas listen on ports of their own on 127.0.0.1")
	case network.Runtime(opts.Runtime) == network.Docker:
		return cmdutil.UsageErrorf("--replicas runs the replicas natively, not under Docker")
	}
	return nil
}

// upReplicas starts m's service as opts.Replicas processes sharing its PostgreSQL server:
// the server first (created the first time), then each replica not yet running, and waits
// until every replica is ready. Everything that can refuse the request (the network's
// runtime, a single process or another number of replicas running, PostgreSQL missing, a
// port in use) is checked before anything changes.
func upReplicas(ctx context.Context, opts *UpOptions, home network.Home, topo network.Topology, prof *network.Profile, m member) (*upResult, error) {
	if topo.Runtime == network.Docker {
		return nil, cmdutil.UsageErrorf("--replicas runs the replicas natively; the network in %s runs under Docker", home)
	}
	if p, ok := network.Running(home, m.process()); ok {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "the gateway service of %s runs as one process (pid %d); stop it with `cxl gateway down --org %s` before starting replicas", m.org.Name, p.PID, m.org.Name)
	}
	reps, err := replicasOf(home, m)
	if err != nil {
		return nil, err
	}
	if n := len(reps); n > 0 && n != opts.Replicas {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "the gateway service of %s runs as %d replicas; stop them with `cxl gateway down --org %s` to start %d", m.org.Name, n, m.org.Name, opts.Replicas)
	}
	running := map[int]replicaState{}
	for _, r := range reps {
		if r.Running {
			running[r.N] = r
		}
	}
	srv := pgserver.Server{Dir: m.postgresDir(), Port: storePort(topo, m)}
	pg, pgUp := network.Running(home, m.storeProcess())
	var ports []int
	if !pgUp {
		if _, err := pgserver.BinDir(); err != nil {
			return nil, fmt.Errorf("--replicas runs a PostgreSQL server for %s's replicas: %w", m.org.Name, err)
		}
		ports = append(ports, srv.Port)
	}
	for r := 1; r <= opts.Replicas; r++ {
		if _, ok := running[r]; !ok {
			ports = append(ports, replicaPort(topo, m, r))
		}
	}
	if err := network.CheckPortsFree(ports); err != nil {
		return nil, err
	}
	keys, created, err := loadOrCreateKeys(m)
	if err != nil {
		return nil, err
	}
	s := nativeSite(m, fmt.Sprintf("127.0.0.1:%d", replicaPort(topo, m, 1)))
	cfg, err := buildConfig(s, m, prof, keys, os.Getenv)
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("configuration of %s's gateway service for the network in %s:\n%w", m.org.Name, home, err)
	}
	if err := cfg.Save(m.config()); err != nil {
		return nil, err
	}
	res := &upResult{Org: m.org.Name, MSPID: m.org.MSPID, URL: s.url, Runtime: network.Native, Config: m.config(), KeysFile: m.keys(),
		Log: filepath.Join(home.Logs(), m.replicaProcess(1)+".log")}
	res.Store = &storeResult{URL: srv.DSN(), PID: pg.PID, Data: srv.DataDir(), PassFile: srv.PassFile(), Log: filepath.Join(home.Logs(), m.storeProcess()+".log")}
	if !pgUp {
		if err := os.MkdirAll(home.Logs(), 0o755); err != nil {
			return nil, fmt.Errorf("create %s: %w", home.Logs(), err)
		}
		if err := pgserver.AllowTraverse(string(home), m.dir); err != nil {
			return nil, err
		}
		if err := srv.Init(ctx); err != nil {
			return nil, fmt.Errorf("PostgreSQL for %s's replicas: %w", m.org.Name, err)
		}
		if res.Store.PID, err = srv.Start(ctx, res.Store.Log); err != nil {
			return nil, fmt.Errorf("PostgreSQL for %s's replicas: %w", m.org.Name, err)
		}
		if err := network.Adopt(home, m.storeProcess(), res.Store.PID); err != nil {
			_ = pgserver.Stop(res.Store.PID, stopGrace)
			return nil, err
		}
		fmt.Fprintf(opts.IO.ErrOut, "PostgreSQL for %s's replicas on 127.0.0.1:%d (pid %d)\n", m.org.Name, srv.Port, res.Store.PID)
	}
	if len(running) < opts.Replicas {
		if err := buildGateway(ctx, opts, home); err != nil {
			return nil, err
		}
	}
	begin := time.Now()
	for r := 1; r <= opts.Replicas; r++ {
		listen := fmt.Sprintf("127.0.0.1:%d", replicaPort(topo, m, r))
		rr := &replicaResult{Replica: r, URL: "http://" + listen, Log: filepath.Join(home.Logs(), m.replicaProcess(r)+".log")}
		res.Replicas = append(res.Replicas, rr)
		if st, ok := running[r]; ok {
			rr.PID, rr.Already = st.PID, true
			continue
		}
		p, err := network.Start(home, m.replicaProcess(r), "cxl-gateway", []string{"-config", m.config()},
			[]string{"CXL_GATEWAY_LISTEN=" + listen, "CXL_GATEWAY_STORE_URL=" + srv.DSN()})
		if err != nil {
			return nil, err
		}
		rr.PID = p.PID
	}
	for _, rr := range res.Replicas {
		name := m.replicaProcess(rr.Replica)
		alive := func() bool { _, ok := network.Running(home, name); return ok }
		if err := waitReady(ctx, &http.Client{Timeout: 5 * time.Second}, rr.URL, alive, rr.Log); err != nil {
			return nil, fmt.Errorf("replica %d of the gateway service of %s: %w", rr.Replica, m.org.Name, err)
		}
	}
	res.Already = len(running) == opts.Replicas && pgUp
	if res.Already {
		fmt.Fprintf(opts.IO.ErrOut, "the %d replicas of the gateway service of %s are already up; nothing changed\n", opts.Replicas, m.org.Name)
	} else {
		fmt.Fprintf(opts.IO.ErrOut, "%d replicas of the gateway service of %s ready in %s\n", opts.Replicas, m.org.Name, time.Since(begin).Round(10*time.Millisecond))
	}
	if created {
		for i, k := range keys {
			if k.User == "User1" || i == len(keys)-1 {
				res.DemoKey = &keys[i]
				break
			}
		}
	}
	return res, nil
}

// replicasUp is what up reports of m's service when it runs in replicas (nil when it has
// none): the replicas and the server as the state directory records them.
func replicasUp(home network.Home, topo network.Topology, m member) (*upResult, error) {
	reps, err := replicasOf(home, m)
	if err != nil || len(reps) == 0 {
		return nil, err
	}
	srv := pgserver.Server{Dir: m.postgresDir(), Port: storePort(topo, m)}
	pg, _ := network.Running(home, m.storeProcess())
	res := &upResult{Org: m.org.Name, MSPID: m.org.MSPID, URL: fmt.Sprintf("http://127.0.0.1:%d", replicaPort(topo, m, 1)), Runtime: network.Native,
		Config: m.config(), KeysFile: m.keys(), Log: filepath.Join(home.Logs(), m.replicaProcess(1)+".log"), Already: true,
		Store: &storeResult{URL: srv.DSN(), PID: pg.PID, Data: srv.DataDir(), PassFile: srv.PassFile(), Log: filepath.Join(home.Logs(), m.storeProcess()+".log")}}
	for _, r := range reps {
		res.Replicas = append(res.Replicas, &replicaResult{Replica: r.N, URL: fmt.Sprintf("http://127.0.0.1:%d", replicaPort(topo, m, r.N)), PID: r.PID,
			Log: filepath.Join(home.Logs(), r.Process+".log"), Already: r.Running})
	}
	return res, nil
}

// replicasStatus fills st for m's service when it runs in replicas, reporting whether it
// does (has any replica's PID file).
func replicasStatus(ctx context.Context, home network.Home, topo network.Topology, m member, st *Status) (bool, error) {
	reps, err := replicasOf(home, m)
	if err != nil || len(reps) == 0 {
		return false, err
	}
	srv := pgserver.Server{Dir: m.postgresDir(), Port: storePort(topo, m)}
	pg, pgUp := network.Running(home, m.storeProcess())
	st.Store = &StoreStatus{Running: pgUp, PID: pg.PID, Address: fmt.Sprintf("127.0.0.1:%d", srv.Port), Data: srv.DataDir()}
	st.Runtime = network.Native
	nReady := 0
	for _, r := range reps {
		rs := ReplicaStatus{Replica: r.N, Running: r.Running, PID: r.PID, URL: fmt.Sprintf("http://127.0.0.1:%d", replicaPort(topo, m, r.N))}
		if r.Running {
			st.Running = true
			rs.Ready, rs.Detail = ready(ctx, nativeSite(m, strings.TrimPrefix(rs.URL, "http://")), home, m)
		} else {
			rs.Detail = fmt.Sprintf("not running; cxl gateway up --org %s --replicas %d starts it", m.org.Name, len(reps))
		}
		if rs.Ready {
			nReady++
		}
		st.Replicas = append(st.Replicas, rs)
	}
	st.URL = st.Replicas[0].URL
	st.Ready = nReady == len(reps) && pgUp
	st.Detail = fmt.Sprintf("%d of %d replicas ready", nReady, len(reps))
	if !pgUp {
		st.Detail += fmt.Sprintf("; their PostgreSQL server is not running (cxl gateway up --org %s --replicas %d starts it)", m.org.Name, len(reps))
	}
	return true, nil
}
