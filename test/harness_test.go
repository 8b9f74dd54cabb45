//go:build integration

// Package test holds cxledger's tests against a real Fabric network. TestMain builds the
// binaries, starts a network of its own with `cxl network up` in a separate state directory
// and port range (so it never touches a network the user runs), runs the tests, and stops it
// with `cxl network down --purge`, checking that no process of ours is left behind.
package test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/cxledger/cxledger/gateway/fabric"
	"github.com/cxledger/cxledger/network"
)

// testPortOffset keeps the test network's ports away from a network started by hand.
const testPortOffset = 1000

// harness is the running test network.
type harness struct {
	repo    string
	home    network.Home
	cxl     string
	profile *network.Profile
	topo    network.Topology
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
	repo, err := network.FindRepo(".")
	if err != nil {
		return 1, err
	}
	home := network.Home(filepath.Join(repo, ".cxl", "test"))
	if env := os.Getenv("CXL_TEST_HOME"); env != "" {
		home = network.Home(env)
	}
	h = &harness{repo: repo, home: home}
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
	// A previous run that was killed may have left its network behind.
	if _, err := h.cli("network", "down", "--purge"); err != nil {
		return 1, err
	}
	out, err := h.cli("network", "up", "--json", "--port-offset", fmt.Sprint(testPortOffset))
	if err != nil {
		return 1, err
	}
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

	code := m.Run()

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
	return code, nil
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
