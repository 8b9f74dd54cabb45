//go:build integration

package test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/network"
)

// netnsCut cuts the hosts of nodes off from every other host and from this machine's root
// namespace, where the gateway services run (network.CutOff: the bridge drops their
// packets), on a network made with --hosts netns, and returns how to heal the cuts. Names
// that are no orderer, peer or CA are left out with a note: natively a chaincode server
// runs on its organisation's host, cut with it, and a gateway service in the root
// namespace. Whatever the test does, each cut is healed when it ends.
func netnsCut(t *testing.T, nodes ...string) (heal func()) {
	t.Helper()
	ctx := context.Background()
	cut := map[string]string{} // host -> the node it was cut by
	var order, skipped []string
	for _, n := range nodes {
		host, addr, err := network.HostOf(h.home, n)
		if err != nil {
			if strings.Contains(err.Error(), "no orderer, peer or CA") {
				skipped = append(skipped, n)
				continue
			}
			t.Fatal(err)
		}
		if _, ok := cut[host]; ok {
			continue
		}
		if err := network.CutOff(ctx, h.home, n); err != nil {
			t.Fatal(err)
		}
		cut[host] = n
		order = append(order, host)
		t.Logf("cut host %s (%s) off, with %s", host, addr, n)
	}
	if len(skipped) > 0 {
		t.Logf("not cut by name (a chaincode server shares its organisation's host, a gateway service runs beside cxl): %s", strings.Join(skipped, ", "))
	}
	healed := false
	reconnect := func() {
		for _, host := range order {
			if err := network.Reconnect(ctx, h.home, cut[host]); err != nil {
				t.Error(err)
				continue
			}
			t.Logf("host %s reconnected", host)
		}
	}
	t.Cleanup(func() {
		if !healed {
			reconnect()
		}
	})
	return func() { healed = true; reconnect() }
}

// TestPartitionOrdererLinksCut cuts only the links between a Raft follower and the other
// two orderers (network.CutLink), under load through both members' gateways, on a network
// whose nodes have hosts of their own: the follower still reaches the peers and this
// machine, and they it, but it hears nothing from the leader. The other two keep a quorum,
// so commits go on; the cut follower falls behind while it still answers this machine
// (which shows only its orderer links were cut); after the heal it catches up, and every
// acknowledged request is VALID on every peer exactly once. Under Docker a container is
// cut from everything at once, so this test needs CXL_TEST_HOSTS=netns.
func TestPartitionOrdererLinksCut(t *testing.T) {
	if h.topo.Hosts != network.NetNS {
		t.Skip("cuts single links: needs hosts of their own (CXL_TEST_HOSTS=netns)")
	}
	g := partRequireDocker(t)
	from := partFrom(t)
	ctx := context.Background()
	lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	leader, err := network.RaftLeader(lctx, h.topo)
	if err != nil {
		t.Fatal(err)
	}
	var victim network.Node
	var others []network.Node
	for _, o := range h.topo.OrdererNodes() {
		if victim.Name == "" && o.Name != leader.Name {
			victim = o
		} else {
			others = append(others, o)
		}
	}
	l := startPartLoad(t, g, fmt.Sprintf("part-links-%d", time.Now().UnixNano()), partRate, "org1-user1", "org2-user1")
	time.Sleep(3 * time.Second)
	healed := false
	heal := func() {
		for _, o := range others {
			if err := network.HealLink(ctx, h.home, victim.Name, o.Name); err != nil {
				t.Error(err)
			}
		}
	}
	t.Cleanup(func() {
		if !healed {
			heal()
		}
	})
	for _, o := range others {
		if err := network.CutLink(ctx, h.home, victim.Name, o.Name); err != nil {
			t.Fatal(err)
		}
	}
	out := time.Now()
	var names []string
	for _, o := range others {
		names = append(names, o.Name)
	}
	t.Logf("links of Raft follower %s to %s cut (leader %s)", victim.Name, strings.Join(names, ", "), leader.Name)
	first, ok := l.firstCommitAfter(out, partOutageAtMost)
	if !ok {
		t.Errorf("nothing committed in the %s the links of %s were cut", partOutageAtMost, victim.Name)
	}
	time.Sleep(time.Until(out.Add(partOutage)))
	vh, err := network.OrdererHeight(ctx, h.home, h.topo, victim)
	if err != nil {
		t.Errorf("%s out of this machine's reach while only its links to the orderers are cut: %v", victim.Name, err)
	}
	lh, err := network.OrdererHeight(ctx, h.home, h.topo, leader)
	if err != nil {
		t.Fatal(err)
	}
	if vh >= lh {
		t.Errorf("%s at height %d, the leader at %d: the cut did not stop its blocks", victim.Name, vh, lh)
	}
	during := l.committedBetween(out, time.Now())
	healed = true
	heal()
	back := time.Now()
	caughtUp := ordererCaughtUp(t, victim, back)
	time.Sleep(3 * time.Second)
	outcomes, answers := l.finish()
	t.Logf("answers the load's attempts got: %s", strings.Join(answers, "; "))
	f := partSettle(t, g, "orderer links cut", l.prefix, from, outcomes)
	partReport(t, "orderer links cut", f, fmt.Sprintf("first request committed %.1f s after the cut, %d committed in the %s cut, %s %d blocks behind the leader at the heal; heal to %s at the others' height %.1f s (under load)",
		first.Sub(out).Seconds(), during, back.Sub(out).Round(time.Second), victim.Name, int64(lh)-int64(vh), victim.Name, caughtUp.Seconds()))
}
