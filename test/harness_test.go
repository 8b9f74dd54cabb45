//go:build integration

// Package test holds cxledger's tests against a real Fabric network. TestMain builds the
// binaries, starts a network of its own with `cxl network up` in a separate state directory
// and port range (so it never touches a network the user runs), runs the tests, and stops it
// with `cxl network down --purge`, checking that nothing of ours is left behind.
//
// CXL_TEST_NETWORK selects the runtime: "native" (default) runs the nodes as processes in
// .cxl/test on ports +1000; "docker" builds the images and runs the same tests against the
// Docker Compose network in .cxl/test-docker on ports +3000, under its own Compose project,
// and checks that `docker-compose down -v` leaves no container, network or volume of it.
//
// CXL_TEST_CONSENSUS selects the ordering: "raft" (default) or "bft", which runs the network
// with `--consensus bft` (four SmartBFT orderers) in .cxl/test-bft on ports +5000 (under
// Docker .cxl/test-docker-bft, ports +7000). `make test` runs the core tests and the BFT
// fault tests (bft_test.go) that way; the Raft fault tests need a Raft leader and fail on
// a BFT network.
//
// CXL_TEST_HOSTS=netns runs a native network with `--hosts netns`: each member and each
// orderer on a host of its own (a network namespace), so the partition tests cut real
// links (netns_cut_test.go); the harness checks `cxl network down` leaves none of them.
package test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/gateway/fabric"
	"github.com/cxledger/cxledger/network"
)

// The test networks' ports stay away from a network started by hand (offset 0) and from
// each other, so a native and a Docker run can share a machine.
const (
	nativePortOffset    = 1000
	dockerPortOffset    = 3000
	nativeBFTPortOffset = 5000
	dockerBFTPortOffset = 7000
)

// testTopology is the network the tests run on: the default, with a second peer in Org2 so
// a peer can be paused while its organisation still endorses.
const testTopology = `orgs:
  - {name: Org1}
  - {name: Org2, peers: 2}
`

// harness is the running test network.
type harness struct {
	repo    string
	home    network.Home
	cxl     string
	profile *network.Profile
	topo    network.Topology
	// runtime is how the nodes run: network.Native or network.Docker.
	runtime network.Runtime
	// nodes acts on single nodes: by PID natively, by container under Docker.
	nodes network.Supervisor
}

var h *harness

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration harness:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	repo, err := cmdutil.FindRepo(".")
	if err != nil {
		return 1, err
	}
	runtime, offset, homeName := network.Native, nativePortOffset, "test"
	switch env := os.Getenv("CXL_TEST_NETWORK"); env {
	case "", string(network.Native):
	case string(network.Docker):
		runtime, offset, homeName = network.Docker, dockerPortOffset, "test-docker"
	default:
		return 1, fmt.Errorf("CXL_TEST_NETWORK=%q: want native or docker", env)
	}
	consensus := network.Raft
	switch env := os.Getenv("CXL_TEST_CONSENSUS"); env {
	case "", string(network.Raft):
	case string(network.BFT):
		consensus, homeName, offset = network.BFT, homeName+"-bft", nativeBFTPortOffset
		if runtime == network.Docker {
			offset = dockerBFTPortOffset
		}
	default:
		return 1, fmt.Errorf("CXL_TEST_CONSENSUS=%q: want raft or bft", env)
	}
	home := network.Home(filepath.Join(repo, ".cxl", homeName))
	if env := os.Getenv("CXL_TEST_HOME"); env != "" {
		home = network.Home(env)
	}
	// Engineers sharing a machine each run their own test network: CXL_TEST_HOME and
	// CXL_TEST_PORT_OFFSET keep them apart.
	if env := os.Getenv("CXL_TEST_PORT_OFFSET"); env != "" {
		n, err := strconv.Atoi(env)
		if err != nil || n < 0 {
			return 1, fmt.Errorf("CXL_TEST_PORT_OFFSET=%q: want a port offset", env)
		}
		offset = n
	}
	hosts, err := network.ParseHosts(os.Getenv("CXL_TEST_HOSTS"))
	if err != nil || hosts != "" && runtime != network.Native {
		return 1, fmt.Errorf("CXL_TEST_HOSTS=%q: want netns, on a native network", os.Getenv("CXL_TEST_HOSTS"))
	}
	h = &harness{repo: repo, home: home, runtime: runtime}
	// Two test runs on one machine (two engineers, or CI beside a developer) would share
	// the state directory and ports: the second waits for the first.
	if err := os.MkdirAll(filepath.Dir(string(home)), 0o755); err != nil {
		return 1, err
	}
	lock, err := os.OpenFile(string(home)+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return 1, fmt.Errorf("open test lock: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return 1, fmt.Errorf("lock %s: %w", lock.Name(), err)
	}
	// Reuse the binaries of the main state directory: a second build of Fabric would only
	// cost time.
	ctx := context.Background()
	shared := network.Home(filepath.Join(repo, ".cxl"))
	if err := network.Build(ctx, repo, shared, os.Stderr); err != nil {
		return 1, err
	}
	h.cxl = filepath.Join(shared.Bin(), "cxl")
	if err := os.MkdirAll(string(home), 0o755); err != nil {
		return 1, err
	}
	if err := exec.Command("go", "build", "-o", h.cxl, filepath.Join(repo, "cmd", "cxl")).Run(); err != nil {
		return 1, fmt.Errorf("build cxl: %w", err)
	}
	if _, err := os.Lstat(home.Bin()); os.IsNotExist(err) {
		if err := os.Symlink(shared.Bin(), home.Bin()); err != nil {
			return 1, err
		}
	}
	if runtime == network.Docker {
		if _, err := h.cli("network", "images"); err != nil {
			return 1, err
		}
	}
	// A previous run that was killed may have left its network behind.
	if _, err := h.cli("network", "down", "--purge"); err != nil {
		return 1, err
	}
	topoFile := string(home) + ".topology.yaml"
	if err := os.WriteFile(topoFile, []byte(testTopology), 0o644); err != nil {
		return 1, err
	}
	args := []string{"network", "up", "--json", "--port-offset", fmt.Sprint(offset), "--topology", topoFile, "--consensus", string(consensus)}
	if runtime == network.Docker {
		args = append(args, "--docker")
	}
	if hosts != "" {
		args = append(args, "--hosts", string(hosts))
	}
	started := time.Now()
	out, err := h.cli(args...)
	if err != nil {
		// A network half up holds ports and processes that would fail the next run on
		// this machine (another checkout's suite included): take it down before failing.
		if _, downErr := h.cli("network", "down", "--purge"); downErr != nil {
			return 1, fmt.Errorf("%w; and taking the half-started network down: %v", err, downErr)
		}
		return 1, err
	}
	fmt.Fprintf(os.Stderr, "integration harness: %s %s network up in %s\n", runtime, consensus, time.Since(started).Round(100*time.Millisecond))
	var prof network.Profile
	if err := json.Unmarshal(out, &prof); err != nil {
		return 1, fmt.Errorf("parse profile printed by cxl network up: %w\n%s", err, out)
	}
	h.profile = &prof
	topo, _, err := network.LoadHomeTopology(home)
	if err != nil {
		return 1, err
	}
	h.topo = topo
	if h.nodes, err = network.OpenSupervisor(home); err != nil {
		return 1, err
	}

	code := m.Run()

	if runtime == network.Docker {
		return code, h.downDocker()
	}
	procs, _ := network.Processes(home)
	if _, err := h.cli("network", "down", "--purge"); err != nil {
		return code, err
	}
	for _, p := range procs {
		if p.PID != 0 && processAlive(p.PID) {
			return code, fmt.Errorf("`cxl network down` left %s (pid %d) running", p.Name, p.PID)
		}
	}
	if left := processesOf(home); len(left) > 0 {
		return code, fmt.Errorf("`cxl network down` left processes running: %v", left)
	}
	if hosts == network.NetNS {
		if left, err := network.NetNSLeftovers(home); err != nil || len(left) > 0 {
			return code, fmt.Errorf("`cxl network down` left the network's hosts: %v %v", left, err)
		}
	}
	return code, nil
}

// downDocker runs `cxl network down --purge` (docker-compose down -v) and then asks Docker
// itself whether any container, network or volume of the test's Compose project is left.
func (h *harness) downDocker() error {
	if _, err := h.cli("network", "down", "--purge"); err != nil {
		return err
	}
	filter := "label=com.docker.compose.project=" + h.profile.ComposeProject
	var left []string
	for _, args := range [][]string{
		{"ps", "--all", "--filter", filter, "--format", "container {{.Names}}"},
		{"network", "ls", "--filter", filter, "--format", "network {{.Name}}"},
		{"volume", "ls", "--filter", filter, "--format", "volume {{.Name}}"},
	} {
		out, err := exec.Command("docker", args...).Output()
		if err != nil {
			return fmt.Errorf("docker %s: %w", strings.Join(args[:2], " "), err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if line != "" {
				left = append(left, line)
			}
		}
	}
	if len(left) > 0 {
		return fmt.Errorf("`docker-compose down -v` left Docker resources of project %s: %s", h.profile.ComposeProject, strings.Join(left, " "))
	}
	return nil
}

// kill ends a node abruptly (SIGKILL to its process, docker kill of its container). The
// node is started again when the test ends if the test did not.
func (h *harness) kill(t testing.TB, node string) {
	t.Helper()
	h.act(t, "kill", node, h.nodes.Kill)
	t.Cleanup(func() { h.ensureRunning(t, node) })
}

// stop ends a node gracefully (SIGTERM, docker stop); like kill, it is started again when
// the test ends if the test did not.
func (h *harness) stop(t testing.TB, node string) {
	t.Helper()
	h.act(t, "stop", node, h.nodes.Stop)
	t.Cleanup(func() { h.ensureRunning(t, node) })
}

// logTails logs the last lines of each node's log (`cxl network logs`), to tell a failed
// fault test's story.
func (h *harness) logTails(t testing.TB, nodes []network.Node, lines int) {
	t.Helper()
	for _, n := range nodes {
		out, err := h.cli("network", "logs", n.Name, "--lines", strconv.Itoa(lines))
		if err != nil {
			t.Logf("log of %s: %v", n.Name, err)
			continue
		}
		t.Logf("last %d lines of %s:\n%s", lines, n.Name, out)
	}
}

// start starts a stopped or killed node again, with its ledger.
func (h *harness) start(t testing.TB, node string) {
	t.Helper()
	h.act(t, "start", node, h.nodes.Start)
}

// pause freezes a node (SIGSTOP, docker pause) until resume, or until the test ends.
func (h *harness) pause(t testing.TB, node string) {
	t.Helper()
	h.act(t, "pause", node, h.nodes.Pause)
	t.Cleanup(func() { _ = h.nodes.Resume(context.Background(), node) })
}

// resume thaws a paused node (SIGCONT, docker unpause).
func (h *harness) resume(t testing.TB, node string) {
	t.Helper()
	h.act(t, "resume", node, h.nodes.Resume)
}

func (h *harness) act(t testing.TB, what, node string, op func(context.Context, string) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := op(ctx, node); err != nil {
		t.Fatalf("%s %s: %v", what, node, err)
	}
	t.Logf("%s %s (%s)", what, node, h.runtime)
}

// ensureRunning starts a node a test left down, so the tests after it find the whole
// network.
func (h *harness) ensureRunning(t testing.TB, node string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if ok, err := h.nodes.Running(ctx, node); err == nil && !ok {
		if err := h.nodes.Start(ctx, node); err != nil {
			t.Errorf("start %s again after the test: %v", node, err)
		}
	}
}

// cli runs the cxl binary against the test network's state directory and returns stdout.
func (h *harness) cli(args ...string) ([]byte, error) {
	cmd := exec.Command(h.cxl, args...)
	cmd.Env = append(os.Environ(), "CXL_HOME="+string(h.home), "CXL_REPO="+h.repo)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("cxl %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes(), nil
}

// org returns the profile of an organisation by MSP ID.
func (h *harness) org(t testing.TB, msp string) network.OrgProfile {
	t.Helper()
	for _, o := range h.profile.Orgs {
		if o.MSPID == msp {
			return o
		}
	}
	t.Fatalf("no organisation %s in the test network", msp)
	return network.OrgProfile{}
}

// gateway connects user of msp to the organisation's peer number peer.
func (h *harness) gateway(t testing.TB, msp, user string, peer int) *client.Gateway {
	t.Helper()
	o := h.org(t, msp)
	u, ok := o.Users[user]
	if !ok {
		t.Fatalf("no user %s in %s", user, msp)
	}
	p := o.Peers[peer]
	conn, err := fabric.Connect(fabric.Identity{MSPID: msp, CertPath: u.Cert, KeyPath: u.Key},
		fabric.Peer{Address: p.Address, TLSRootCertPath: p.TLSRootCert}, fabric.DefaultTimeouts)
	if err != nil {
		t.Fatalf("connect %s %s: %v", msp, user, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn.Gateway
}

// contract returns a named contract of the cxledger chaincode for user of msp.
func (h *harness) contract(t testing.TB, msp, user, name string) *client.Contract {
	t.Helper()
	return h.gateway(t, msp, user, 0).GetNetwork(h.profile.Channel).GetContractWithName(h.profile.Chaincode, name)
}

func processAlive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// processesOf lists live processes started for the network in home: every process the
// supervisor starts inherits CXL_HOME from the cxl command that started it.
func processesOf(home network.Home) []string {
	marker := []byte("CXL_HOME=" + string(home) + "\x00")
	entries, _ := os.ReadDir("/proc")
	var found []string
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(env, marker) || !processAlive(pid) {
			continue
		}
		exe, _ := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		found = append(found, fmt.Sprintf("%s (pid %d)", exe, pid))
	}
	return found
}

// eventually retries fn until it returns nil or the timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within %s: %v", what, timeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
