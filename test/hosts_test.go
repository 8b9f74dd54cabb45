//go:build integration

package test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/cxledger/cxledger/network"
)

// hostContainer is a Compose service's container as the host sees it: its main process
// (whose network namespace a probe enters) and its address on its host's network.
type hostContainer struct {
	id, ip string
	pid    int
}

// hostContainers inspects the running container of each service.
func hostContainers(t *testing.T, services ...string) map[string]hostContainer {
	t.Helper()
	cs := map[string]hostContainer{}
	for _, s := range services {
		id := strings.TrimSpace(string(dockerOut(t, "ps", "-q",
			"--filter", "label=com.docker.compose.project="+h.profile.ComposeProject,
			"--filter", "label=com.docker.compose.service="+s)))
		f := strings.Fields(string(dockerOut(t, "inspect", "-f", "{{.State.Pid}} {{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", id)))
		if len(f) != 2 {
			t.Fatalf("%s: want one PID and one address on one network, got %q", s, f)
		}
		pid, err := strconv.Atoi(f[0])
		if err != nil || pid <= 0 {
			t.Fatalf("%s: PID %q", s, f[0])
		}
		cs[s] = hostContainer{id: id, ip: f[1], pid: pid}
	}
	return cs
}

// connectFrom tries a TCP connection to addr from inside the network namespace of the
// process pid (nsenter, then bash's /dev/tcp, for at most 3 s) and says how it went:
// "connected", "refused" or "timed out" (the packets went nowhere).
func connectFrom(t *testing.T, pid int, addr string) string {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("nsenter", "-t", strconv.Itoa(pid), "-n", "--", "timeout", "3", "bash", "-c", `exec 3<>"/dev/tcp/$0/$1"`, host, port)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return "connected"
	case errors.As(err, &ee) && ee.ExitCode() == 124:
		return "timed out"
	case strings.Contains(string(out), "refused"):
		return "refused"
	case strings.Contains(string(out), "unreachable"):
		return "unreachable"
	}
	t.Fatalf("probe of %s from pid %d: %v %s", addr, pid, err, out)
	return ""
}

// composeVarOf reads one variable of the test network's compose.env.
func composeVarOf(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(string(h.home), "compose.env"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, name+"="); ok {
			return v
		}
	}
	t.Fatalf("compose.env sets no %s", name)
	return ""
}

// TestHostsReachOnlyWhatTheyPublish: under Docker each organisation and each orderer is a
// host of its own. From inside Org2's peer's network namespace (and an orderer's), the
// other hosts' published endpoints (Org1's peer's and every orderer's service port, at
// the Docker host, where the container's /etc/hosts sends their names) accept a
// connection; Org1's CA, chaincode servers, gateway service, its peer's and the orderers'
// admin and operations ports, and every container of another host at its own address,
// do not. Inside its own host the same probe reaches its CA and chaincode server, so a
// refusal is the topology's, not the probe's.
func TestHostsReachOnlyWhatTheyPublish(t *testing.T) {
	if h.runtime != network.Docker {
		t.Skip("hosts of their own are Docker networks (CXL_TEST_NETWORK=docker); natively see --hosts netns")
	}
	if os.Geteuid() != 0 {
		t.Skip("entering a container's network namespace (nsenter) needs root")
	}
	gwStart(t)
	gw := composeVarOf(t, "CXL_HOST_GATEWAY")
	org1, org2 := h.topo.PeerOrgs()[0], h.topo.PeerOrgs()[1]
	peer1, peer2 := org1.PeerNodes[0], org2.PeerNodes[0]
	o1, o2 := h.topo.OrdererNodes()[0], h.topo.OrdererNodes()[1]
	cs := hostContainers(t, peer1.Name, peer2.Name, o1.Name, o2.Name, org1.CA.Name, org2.CA.Name,
		"chaincode."+org1.Domain, "chaincode."+org2.Domain, network.GatewayService(org1))
	at := func(ip string, port int) string { return net.JoinHostPort(ip, strconv.Itoa(port)) }

	hostsFile, err := os.ReadFile(fmt.Sprintf("/proc/%d/root/etc/hosts", cs[peer2.Name].pid))
	if err != nil {
		t.Fatal(err)
	}
	mapped := map[string]string{}
	for _, line := range strings.Split(string(hostsFile), "\n") {
		if f := strings.Fields(line); len(f) >= 2 {
			for _, name := range f[1:] {
				mapped[name] = f[0]
			}
		}
	}
	for _, name := range []string{peer1.Name, o1.Name, o2.Name} {
		if mapped[name] != gw {
			t.Errorf("in %s's /etc/hosts %s is %q, want the Docker host %s", peer2.Name, name, mapped[name], gw)
		}
	}
	for _, name := range []string{org1.CA.Name, "chaincode." + org1.Domain, network.GatewayService(org1)} {
		if ip, ok := mapped[name]; ok {
			t.Errorf("%s's /etc/hosts names %s (%s): an internal service of another host", peer2.Name, name, ip)
		}
	}

	began := time.Now()
	type probe struct {
		from, what, addr string
		open             bool
	}
	probes := []probe{
		{peer2.Name, "Org1's peer at its published port", at(gw, peer1.Port), true},
		{peer2.Name, "orderer1 at its published port", at(gw, o1.Port), true},
		{peer2.Name, "Org2's own CA", at(cs[org2.CA.Name].ip, org2.CA.Port), true},
		{peer2.Name, "Org2's own chaincode server", at(cs["chaincode."+org2.Domain].ip, org2.ChaincodePort), true},
		{peer2.Name, "Org1's peer at its own address", at(cs[peer1.Name].ip, peer1.Port), false},
		{peer2.Name, "Org1's peer's operations port, published", at(gw, peer1.OperationsPort), false},
		{peer2.Name, "Org1's peer's operations port at its own address", at(cs[peer1.Name].ip, peer1.OperationsPort), false},
		{peer2.Name, "Org1's CA, published", at(gw, org1.CA.Port), false},
		{peer2.Name, "Org1's CA at its own address", at(cs[org1.CA.Name].ip, org1.CA.Port), false},
		{peer2.Name, "Org1's CA's operations port, published", at(gw, org1.CA.OperationsPort), false},
		{peer2.Name, "Org1's chaincode server, at the Docker host", at(gw, org1.ChaincodePort), false},
		{peer2.Name, "Org1's chaincode server at its own address", at(cs["chaincode."+org1.Domain].ip, org1.ChaincodePort), false},
		{peer2.Name, "Org1's gateway service at its own address", at(cs[network.GatewayService(org1)].ip, network.GatewayPort), false},
		{peer2.Name, "orderer1's admin port, published", at(gw, o1.AdminPort), false},
		{peer2.Name, "orderer1's operations port, published", at(gw, o1.OperationsPort), false},
		{peer2.Name, "orderer1 at its own address", at(cs[o1.Name].ip, o1.Port), false},
		{o1.Name, "orderer2 at its published port", at(gw, o2.Port), true},
		{o1.Name, "orderer2 at its own address", at(cs[o2.Name].ip, o2.Port), false},
		{o1.Name, "orderer2's admin port, published", at(gw, o2.AdminPort), false},
		{o1.Name, "Org1's CA at its own address", at(cs[org1.CA.Name].ip, org1.CA.Port), false},
		{o1.Name, "Org1's peer at its own address", at(cs[peer1.Name].ip, peer1.Port), false},
	}
	for _, p := range probes {
		got := connectFrom(t, cs[p.from].pid, p.addr)
		t.Logf("from %s: %s (%s): %s", p.from, p.what, p.addr, got)
		if (got == "connected") != p.open {
			t.Errorf("from %s: %s (%s) %s, want %s", p.from, p.what, p.addr, got, map[bool]string{true: "connected", false: "no connection"}[p.open])
		}
	}
	t.Logf("%d probes in %s", len(probes), time.Since(began).Round(100*time.Millisecond))
}

// cliStatus runs `cxl network status --json`.
func cliStatus(t *testing.T) (*network.Status, time.Duration) {
	t.Helper()
	began := time.Now()
	out, err := h.cli("network", "status", "--json")
	took := time.Since(began)
	if err != nil {
		t.Fatal(err)
	}
	var st network.Status
	if err := json.Unmarshal(out, &st); err != nil {
		t.Fatalf("status JSON: %v\n%s", err, out)
	}
	return &st, took
}

// TestStatusAcrossHosts: `cxl network status` lists every host (under Docker its network)
// with what runs on it, and every orderer and peer reachable at its address with a
// height; a peer cut off from its host (Docker) shows as unreachable with no height while
// the others stay reachable, and catches up once healed. `cxl network logs --org` shows
// the logs of one member's containers or processes, each line after its name.
func TestStatusAcrossHosts(t *testing.T) {
	gwStart(t)
	st, took := cliStatus(t)
	t.Logf("status in %s", took.Round(10*time.Millisecond))
	if want := len(h.topo.OrdererNodes()) + len(h.topo.PeerOrgs()); len(st.Hosts) != want {
		t.Fatalf("%d hosts, want %d: %+v", len(st.Hosts), want, st.Hosts)
	}
	for _, hs := range st.Hosts {
		if h.runtime == network.Docker && hs.Network != h.profile.ComposeProject+"_"+hs.Name || h.runtime != network.Docker && hs.Address == "" || len(hs.Nodes) == 0 {
			t.Errorf("host %+v", hs)
		}
	}
	byName := func(st *network.Status) map[string]network.NodeStatus {
		m := map[string]network.NodeStatus{}
		for _, n := range st.Nodes {
			m[n.Name] = n
		}
		return m
	}
	for _, n := range st.Nodes {
		if !n.Running || !n.Reachable || n.Kind != "ca" && n.Height == 0 {
			t.Errorf("node %+v: want running, reachable and, for an orderer or a peer, a height", n)
		}
	}
	if len(st.Gateways) != len(h.topo.PeerOrgs()) || st.Chaincode.Sequence == 0 {
		t.Errorf("gateways %+v, chaincode %+v", st.Gateways, st.Chaincode)
	}
	for _, g := range st.Gateways {
		if !g.Running || !g.Up || g.URL == "" {
			t.Errorf("gateway %+v: want running, up, with its URL", g)
		}
	}

	out, err := h.cli("network", "logs", "--org", "Org2", "--lines", "5")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, _, ok := strings.Cut(line, " | ")
		if line == "" {
			continue
		}
		if !ok || !strings.HasSuffix(strings.TrimSpace(name), ".org2.example.com") && strings.TrimSpace(name) != "cxl-gateway-org2" {
			t.Errorf("a line of `cxl network logs --org Org2` not after an Org2 name: %q", line)
		}
	}

	if h.runtime != network.Docker {
		return
	}
	org2 := h.topo.PeerOrgs()[1]
	victim := org2.PeerNodes[len(org2.PeerNodes)-1]
	before := byName(st)[victim.Name].Height
	heal := disconnectContainer(t, victim.Name)
	cut, took := cliStatus(t)
	t.Logf("status with %s cut off in %s", victim.Name, took.Round(10*time.Millisecond))
	nodes := byName(cut)
	if v := nodes[victim.Name]; v.Reachable || v.Height != 0 || !v.Running {
		t.Errorf("%s cut off: %+v, want running, unreachable and no height", victim.Name, v)
	}
	for _, n := range h.topo.Nodes() {
		if n.Name != victim.Name && (!nodes[n.Name].Reachable || nodes[n.Name].Height == 0) {
			t.Errorf("%s while %s is cut off: %+v", n.Name, victim.Name, nodes[n.Name])
		}
	}
	// A block the cut peer misses, so that healing has something to catch up on.
	ping := h.contract(t, "Org1MSP", "User1", "health")
	eventually(t, 60*time.Second, "a ping committed while "+victim.Name+" is cut off", func() error {
		_, err := ping.Submit("Ping", client.WithArguments(fmt.Sprintf("hosts-%d", time.Now().UnixNano())))
		return err
	})
	heal()
	healed := time.Now()
	eventually(t, 90*time.Second, victim.Name+" at its organisation's height", func() error {
		a, err := network.PeerHeight(context.Background(), h.home, h.topo, org2, org2.PeerNodes[0])
		if err != nil {
			return err
		}
		b, err := network.PeerHeight(context.Background(), h.home, h.topo, org2, victim)
		if err != nil {
			return err
		}
		if a != b || b <= before {
			return fmt.Errorf("%d and %d (%d before the cut)", a, b, before)
		}
		return nil
	})
	t.Logf("%s reachable and at its organisation's height %.1f s after the heal", victim.Name, time.Since(healed).Seconds())
}
