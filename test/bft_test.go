//go:build integration

package test

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/network"
)

// bftLoadRate is the rate of the load the BFT fault tests keep up: health pings, each its
// own client, through Org1's first peer.
const bftLoadRate = 20

// bftOutage is the least time a BFT fault test keeps its orderer out; it stays out longer,
// up to bftOutageAtMost, until a transaction has committed without it (a killed or cut-off
// leader is replaced after SmartBFT's LeaderHeartbeatTimeout of 10 s plus a view change).
const (
	bftOutage       = 15 * time.Second
	bftOutageAtMost = 90 * time.Second
)

// TestBFTLeaderKilledUnderLoad kills the orderer that leads the SmartBFT view (SIGKILL to
// its process, docker kill of its container) while pings keep coming, keeps it down until
// the other three have committed without it, starts it again with its ledger, and checks
// that it catches up and that every transaction a client saw commit VALID is VALID on every
// peer.
func TestBFTLeaderKilledUnderLoad(t *testing.T) {
	bftFaultUnderLoad(t, "killed", func(victim network.Node) func() {
		h.kill(t, victim.Name)
		return func() { h.start(t, victim.Name) }
	})
}

// TestBFTLeaderPartitionedUnderLoad cuts the leading orderer off from every other node while
// pings keep coming, and heals the cut once the other three have committed without it.
// Under Docker the cut is real: the container is disconnected from each of its networks
// (`docker network disconnect`) and connected again with its aliases; natively with
// --hosts netns too: the bridge drops every packet to and from its host (netnsCut).
// Natively on the loopback every node shares the loopback interface and the orderer's sockets were made before any cut could
// name them, so the orderer is frozen instead (SIGSTOP, then SIGCONT): it hears nothing
// and says nothing, as behind a link that drops every packet, and its connections stay
// open as such a link's would until TCP gives up on them.
func TestBFTLeaderPartitionedUnderLoad(t *testing.T) {
	bftFaultUnderLoad(t, "partitioned", func(victim network.Node) func() {
		if h.runtime == network.Docker {
			return disconnectContainer(t, victim.Name)
		}
		if h.topo.Hosts == network.NetNS {
			return netnsCut(t, victim.Name)
		}
		h.pause(t, victim.Name)
		return func() { h.resume(t, victim.Name) }
	})
}

// bftFaultUnderLoad puts the BFT leader out with fault (which returns how to bring it back)
// under a steady load, and checks the network kept committing, the orderer caught up, and
// nothing acknowledged was lost.
func bftFaultUnderLoad(t *testing.T, what string, fault func(network.Node) (heal func())) {
	if h.topo.Consensus != network.BFT {
		t.Skip("needs a BFT network: CXL_TEST_CONSENSUS=bft")
	}
	ctx := context.Background()
	orderers := h.topo.OrdererNodes()
	// An orderer an earlier test put out must have caught up, or this fault leaves fewer
	// than the quorum of three.
	eventually(t, 90*time.Second, "every orderer at the same height", func() error {
		_, err := ordererHeights(ctx, orderers)
		return err
	})
	org1 := h.topo.PeerOrgs()[0]
	from, err := network.PeerHeight(ctx, h.home, h.topo, org1, org1.PeerNodes[0])
	if err != nil {
		t.Fatal(err)
	}
	l := startLoad(t, bftLoadRate)
	time.Sleep(3 * time.Second)
	lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	victim, err := network.OrderingLeader(lctx, h.topo)
	if err != nil {
		t.Fatal(err)
	}
	heal := fault(victim)
	out := time.Now()
	t.Logf("BFT leader %s %s", victim.Name, what)
	for l.ackedBetween(out, time.Now()) == 0 && time.Since(out) < bftOutageAtMost {
		time.Sleep(200 * time.Millisecond)
	}
	firstCommit := time.Since(out)
	if rest := bftOutage - time.Since(out); rest > 0 {
		time.Sleep(rest)
	}
	outage := time.Since(out)
	committed := l.ackedBetween(out, time.Now())
	heal()
	healed := time.Now()
	if committed == 0 {
		t.Errorf("no transaction committed in the %s %s was %s", outage.Round(time.Second), victim.Name, what)
		h.logTails(t, orderers, 30)
	} else {
		t.Logf("%d transactions committed in the %s %s was %s, the first %.1f s after", committed, outage.Round(time.Second), victim.Name, what, firstCommit.Seconds())
	}
	var caughtUp time.Duration
	eventually(t, 90*time.Second, victim.Name+" catching up", func() error {
		if _, err := ordererHeights(ctx, orderers); err != nil {
			return err
		}
		caughtUp = time.Since(healed)
		return nil
	})
	t.Logf("%s at the others' height %.1f s after it was back (under load)", victim.Name, caughtUp.Seconds())
	acked := l.finishAcked(t)
	lost := ackedOnEveryPeer(t, from, acked)
	t.Logf("acknowledged %d, lost %d, recovered (caught up) %.1f s after the fault ended", len(acked), lost, caughtUp.Seconds())
}

// ordererHeights returns the orderers' heights of the channel, or an error while they
// differ or one does not answer.
func ordererHeights(ctx context.Context, orderers []network.Node) ([]uint64, error) {
	var heights []uint64
	for _, o := range orderers {
		hgt, err := network.OrdererHeight(ctx, h.home, h.topo, o)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.Name, err)
		}
		heights = append(heights, hgt)
	}
	for _, hgt := range heights[1:] {
		if hgt != heights[0] {
			return heights, fmt.Errorf("orderer heights %v", heights)
		}
	}
	return heights, nil
}

// disconnectContainer cuts node's container off from every Docker network it is on (its
// host's: each organisation and each orderer is a host with a network of its own) and
// returns how to connect it again with the same aliases.
func disconnectContainer(t *testing.T, node string) (heal func()) {
	t.Helper()
	id := strings.TrimSpace(string(dockerOut(t, "ps", "-q",
		"--filter", "label=com.docker.compose.project="+h.profile.ComposeProject,
		"--filter", "label=com.docker.compose.service="+node)))
	if id == "" || strings.Contains(id, "\n") {
		t.Fatalf("container of %s in project %s: %q", node, h.profile.ComposeProject, id)
	}
	var networks map[string]struct {
		Aliases []string `json:"Aliases"`
	}
	if err := json.Unmarshal(dockerOut(t, "inspect", "-f", "{{json .NetworkSettings.Networks}}", id), &networks); err != nil {
		t.Fatalf("networks of %s: %v", node, err)
	}
	for name := range networks {
		dockerOut(t, "network", "disconnect", name, id)
		t.Logf("disconnected %s from %s", node, name)
	}
	reconnect := func() {
		for name, n := range networks {
			args := []string{"network", "connect"}
			for _, a := range n.Aliases {
				if !strings.HasPrefix(id, a) {
					args = append(args, "--alias", a)
				}
			}
			dockerOut(t, append(args, name, id)...)
			t.Logf("connected %s to %s again", node, name)
		}
	}
	healed := false
	t.Cleanup(func() {
		if !healed {
			reconnect()
		}
	})
	return func() { healed = true; reconnect() }
}

// dockerOut runs docker and returns its standard output.
func dockerOut(t *testing.T, args ...string) []byte {
	t.Helper()
	out, err := exec.Command("docker", args...).Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("docker %s: %v %s", strings.Join(args, " "), err, msg)
	}
	return out
}
