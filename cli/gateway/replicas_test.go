package gateway

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/network"
)

// TestUpReplicasFlags: --replicas takes 2 to MaxReplicas with --org, natively, and refuses
// everything else as a usage error before anything runs.
func TestUpReplicasFlags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		want    int
		wantErr string
	}{
		{name: "two", args: []string{"--org", "Org1", "--replicas", "2"}, want: 2},
		{name: "most", args: []string{"--org", "Org1MSP", "--replicas", strconv.Itoa(MaxReplicas), "--json"}, want: MaxReplicas},
		{name: "native runtime", args: []string{"--org", "Org1", "--replicas", "3", "--runtime", "native"}, want: 3},
		{name: "not given", args: []string{"--org", "Org1"}},
		{name: "one", args: []string{"--org", "Org1", "--replicas", "1"}, wantErr: "want 2 to 10"},
		{name: "zero", args: []string{"--org", "Org1", "--replicas", "0"}, wantErr: "want 2 to 10"},
		{name: "negative", args: []string{"--org", "Org1", "--replicas", "-2"}, wantErr: "want 2 to 10"},
		{name: "too many", args: []string{"--org", "Org1", "--replicas", "11"}, wantErr: "want 2 to 10"},
		{name: "huge", args: []string{"--org", "Org1", "--replicas", "99999999999999999999"}, wantErr: "invalid argument"},
		{name: "not a number", args: []string{"--org", "Org1", "--replicas", "two"}, wantErr: "invalid argument"},
		{name: "invalid UTF-8", args: []string{"--org", "Org1", "--replicas", "2\xff"}, wantErr: "invalid argument"},
		{name: "without org", args: []string{"--replicas", "2"}, wantErr: "--replicas needs --org"},
		{name: "with listen", args: []string{"--org", "Org1", "--replicas", "2", "--listen", "127.0.0.1:9000"}, wantErr: "--replicas and --listen"},
		{name: "under docker", args: []string{"--org", "Org1", "--replicas", "2", "--runtime", "docker"}, wantErr: "not under Docker"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := testFactory(t.TempDir())
			var got *UpOptions
			cmd := NewCmdUp(f, func(o *UpOptions) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || got != nil {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if tc.wantErr != "invalid argument" && cmdutil.CodeOf(err) != cmdutil.ExitUsage {
					t.Fatalf("exit code %d, want usage", cmdutil.CodeOf(err))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Replicas != tc.want {
				t.Fatalf("replicas %d, want %d", got.Replicas, tc.want)
			}
		})
	}
}

// TestReplicaLayout: with 8 members and 10 replicas each, every replica's and every
// PostgreSQL server's port is distinct and none is a port of the network or of a member's
// single service, at any offset; the supervisor's names sort the servers after the
// gateway processes (cxl network down stops in that order) and the server's directory is
// the member's.
func TestReplicaLayout(t *testing.T) {
	for _, offset := range []int{0, 3000, 23000} {
		var specs []network.OrgSpec
		for i := 1; i <= 8; i++ {
			specs = append(specs, network.OrgSpec{Name: fmt.Sprintf("Org%d", i), Peers: 2})
		}
		topo := network.Topology{PortOffset: offset, Orgs: specs}.WithDefaults()
		home := network.Home(t.TempDir())
		used := map[int]string{}
		claim := func(p int, what string) {
			if other, ok := used[p]; ok {
				t.Fatalf("offset %d: port %d of %s is %s's too", offset, p, what, other)
			}
			used[p] = what
		}
		for _, n := range topo.Nodes() {
			claim(n.Port, n.Name)
			claim(n.OperationsPort, n.Name+" operations")
			if n.AdminPort != 0 {
				claim(n.AdminPort, n.Name+" admin")
			}
			if n.ChaincodePort != 0 {
				claim(n.ChaincodePort, n.Name+" chaincode")
			}
		}
		var names []string
		for _, org := range topo.PeerOrgs() {
			claim(org.ChaincodePort, org.Name+" chaincode server")
			claim(org.ChaincodePort+50, org.Name+" next chaincode server")
			claim(org.BaselinePort, org.Name+" baseline server")
			claim(org.CA.Port, org.CA.Name)
			claim(org.CA.OperationsPort, org.CA.Name+" operations")
			claim(topo.GatewayHostPort(org), org.Name+" gateway")
			m := member{org: org, dir: home.Path("gateway", network.GatewayName(org))}
			claim(storePort(topo, m), org.Name+" PostgreSQL")
			for r := 1; r <= MaxReplicas; r++ {
				claim(replicaPort(topo, m, r), fmt.Sprintf("%s replica %d", org.Name, r))
				names = append(names, m.replicaProcess(r))
			}
			names = append(names, m.process(), m.storeProcess())
			if m.postgresDir() != filepath.Join(m.dir, "postgres") {
				t.Fatalf("PostgreSQL of %s in %s", org.Name, m.postgresDir())
			}
		}
		if offset == 0 {
			m := member{org: topo.PeerOrgs()[1]}
			if storePort(topo, m) != 8091 || replicaPort(topo, m, 1) != 8110 || replicaPort(topo, m, 3) != 8112 || m.replicaProcess(3) != "cxl-gateway-org2-replica3" || m.storeProcess() != "postgres-org2" {
				t.Fatalf("Org2: PostgreSQL %d, replicas 1 and 3 on %d and %d as %s, server %s", storePort(topo, m), replicaPort(topo, m, 1), replicaPort(topo, m, 3), m.replicaProcess(3), m.storeProcess())
			}
		}
		sort.Strings(names)
		lastGateway, firstServer := -1, len(names)
		for i, n := range names {
			if strings.HasPrefix(n, "cxl-gateway-") {
				lastGateway = i
			} else if i < firstServer {
				firstServer = i
			}
		}
		if lastGateway > firstServer {
			t.Fatalf("a PostgreSQL server sorts before a gateway process: %v", names)
		}
	}
}

// writePID records pid as the supervised process name in home.
func writePID(t *testing.T, home network.Home, name string, pid int) {
	t.Helper()
	if err := network.Adopt(home, name, pid); err != nil {
		t.Fatal(err)
	}
}

// deadPID is the PID of a process that has ended.
func deadPID(t *testing.T) int {
	t.Helper()
	p, err := os.StartProcess("/bin/true", []string{"true"}, &os.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	return p.Pid
}

// TestReplicasOf: a member's replicas are the PID files named after it with a replica
// number; another member's, a malformed number and the single service's are not.
func TestReplicasOf(t *testing.T) {
	home := network.Home(t.TempDir())
	topo, prof := testNetwork(t, home, network.Native)
	m := testMembers(t, home, topo, prof)[0]
	me, dead := os.Getpid(), deadPID(t)
	writePID(t, home, "cxl-gateway-org1-replica2", me)
	writePID(t, home, "cxl-gateway-org1-replica10", dead)
	for _, other := range []string{"cxl-gateway-org1", "cxl-gateway-org10-replica1", "cxl-gateway-org1-replica02", "cxl-gateway-org1-replica0",
		"cxl-gateway-org1-replica-1", "cxl-gateway-org1-replicax", "cxl-gateway-org1-replica", "cxl-gateway-org2-replica1", "postgres-org1"} {
		writePID(t, home, other, me)
	}
	reps, err := replicasOf(home, m)
	if err != nil {
		t.Fatal(err)
	}
	want := []replicaState{{N: 2, Process: "cxl-gateway-org1-replica2", PID: me, Running: true}, {N: 10, Process: "cxl-gateway-org1-replica10"}}
	if fmt.Sprint(reps) != fmt.Sprint(want) {
		t.Fatalf("replicas %+v, want %+v", reps, want)
	}
	if none, err := replicasOf(network.Home(t.TempDir()), m); err != nil || len(none) != 0 {
		t.Fatalf("no run directory: %v %v", none, err)
	}
}

// TestUpReplicasRefuses: what up --replicas refuses it refuses with a coded error before it
// writes a configuration or creates the PostgreSQL server: a Docker network, the member's
// single process running, another number of replicas, a port in use.
func TestUpReplicasRefuses(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		runtime network.Runtime
		setup   func(t *testing.T, home network.Home, topo network.Topology, m member)
		code    cmdutil.ExitCode
		want    string
	}{
		{name: "docker network", runtime: network.Docker, code: cmdutil.ExitUsage, want: "runs under Docker"},
		{name: "single process up", runtime: network.Native, code: cmdutil.ExitConflict, want: "cxl gateway down --org Org1",
			setup: func(t *testing.T, home network.Home, _ network.Topology, m member) {
				writePID(t, home, m.process(), os.Getpid())
			}},
		{name: "three replicas", runtime: network.Native, code: cmdutil.ExitConflict, want: "runs as 3 replicas",
			setup: func(t *testing.T, home network.Home, _ network.Topology, m member) {
				for r := 1; r <= 3; r++ {
					writePID(t, home, m.replicaProcess(r), os.Getpid())
				}
			}},
		{name: "replica port in use", runtime: network.Native, code: cmdutil.ExitFailure, want: "already in use",
			setup: func(t *testing.T, home network.Home, topo network.Topology, m member) {
				// The server is up, so only the replicas' ports are checked.
				writePID(t, home, m.storeProcess(), os.Getpid())
				l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", replicaPort(topo, m, 2)))
				if err != nil {
					t.Skipf("port of replica 2 taken here: %v", err)
				}
				t.Cleanup(func() { l.Close() })
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := network.Home(t.TempDir())
			topo, prof := testNetwork(t, home, tc.runtime)
			topo.PortOffset = 23000 + 17
			m := testMembers(t, home, topo, prof)[0]
			if tc.setup != nil {
				tc.setup(t, home, topo, m)
			}
			f, _, errOut := testFactory(string(home))
			opts := &UpOptions{IO: f.IO, Org: "Org1", Replicas: 2, Repo: func() (string, error) { return "", fmt.Errorf("no build in this test") }}
			_, err := upReplicas(ctx, opts, home, topo, prof, m)
			if err == nil || !strings.Contains(err.Error(), tc.want) || cmdutil.CodeOf(err) != tc.code {
				t.Fatalf("err = %v (exit %d), want %q (exit %d)", err, cmdutil.CodeOf(err), tc.want, tc.code)
			}
			for _, p := range []string{m.config(), m.keys(), m.postgresDir()} {
				if _, err := os.Stat(p); !os.IsNotExist(err) {
					t.Fatalf("%s exists after a refusal: %v", p, err)
				}
			}
			if errOut.Len() != 0 {
				t.Fatalf("said %q", errOut)
			}
		})
	}
}

// TestStatusOfReplicas: status lists each replica with its URL and PID and the PostgreSQL
// server; a replica or a server not running makes the member not ready.
func TestStatusOfReplicas(t *testing.T) {
	home := network.Home(t.TempDir())
	topo, prof := testNetwork(t, home, network.Native)
	m := testMembers(t, home, topo, prof)[0]
	writePID(t, home, m.replicaProcess(1), deadPID(t))
	writePID(t, home, m.replicaProcess(2), deadPID(t))
	var st Status
	ok, err := replicasStatus(context.Background(), home, topo, m, &st)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if len(st.Replicas) != 2 || st.Replicas[1].URL != fmt.Sprintf("http://127.0.0.1:%d", replicaPort(topo, m, 2)) || st.Running || st.Ready ||
		st.Store == nil || st.Store.Running || st.Store.Address != fmt.Sprintf("127.0.0.1:%d", storePort(topo, m)) || !strings.Contains(st.Detail, "0 of 2 replicas ready") {
		t.Fatalf("status %+v", st)
	}
	if ok, err := replicasStatus(context.Background(), home, topo, testMembers(t, home, topo, prof)[1], &Status{}); ok || err != nil {
		t.Fatalf("a member without replicas: %v %v", ok, err)
	}
}

// sleeper starts a process that runs until it is signalled, reaped when it ends.
func sleeper(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
	return cmd.Process.Pid
}

// TestStopReplicas: down stops every replica (one that died is cleaned up), then the
// PostgreSQL server, and removes their PID files; a member without replicas has nothing
// stopped.
func TestStopReplicas(t *testing.T) {
	home := network.Home(t.TempDir())
	topo, prof := testNetwork(t, home, network.Native)
	ms := testMembers(t, home, topo, prof)
	m := ms[0]
	r1, pg := sleeper(t), sleeper(t)
	writePID(t, home, m.replicaProcess(1), r1)
	writePID(t, home, m.replicaProcess(2), deadPID(t))
	writePID(t, home, m.storeProcess(), pg)
	var said []string
	say := func(format string, args ...any) { said = append(said, fmt.Sprintf(format, args...)) }
	had, err := stopReplicas(context.Background(), home, m, say)
	if err != nil || !had {
		t.Fatal(had, err)
	}
	if len(said) != 3 || !strings.Contains(said[0], "stopped replica 1") || !strings.Contains(said[1], "replica 2 of the gateway service of Org1 was not running") ||
		!strings.Contains(said[2], fmt.Sprintf("PostgreSQL server of Org1's replicas (pid %d", pg)) {
		t.Fatalf("said %q", said)
	}
	for _, name := range []string{m.replicaProcess(1), m.replicaProcess(2), m.storeProcess()} {
		if p, ok := network.Running(home, name); ok {
			t.Fatalf("%s still runs: %+v", name, p)
		}
	}
	if procs, err := network.Processes(home); err != nil || len(procs) != 0 {
		t.Fatalf("PID files left: %v %v", procs, err)
	}
	said = nil
	if had, err := stopReplicas(context.Background(), home, ms[1], say); had || err != nil || len(said) != 0 {
		t.Fatalf("a member without replicas: %v %v %q", had, err, said)
	}
}
