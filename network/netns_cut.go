package network

import (
	"context"
	"fmt"
	"strings"
)

// Cuts of a NetNS network (Topology.Hosts): packets are dropped on the bridge, where they
// cross from one host to another, so a cut behaves as a link that loses everything: the
// hosts' connections are neither refused nor reset, they hang until TCP or gRPC keepalive
// gives up on them, and they work again once the cut heals if they have not. Nodes are
// named by host name ("orderer2.example.com", "peer0.org1.example.com"); a node's cut is
// its host's, so cutting an organisation's peer cuts its CA and chaincode servers too.

// CutOff cuts the host of node off from every other host and from this machine's root
// namespace (the gateway services and cxl), until Reconnect. Cutting a host that is cut
// off already changes nothing.
func CutOff(ctx context.Context, home Home, node string) error {
	h, err := cutHost(home, node)
	if err != nil {
		return err
	}
	return editCuts(ctx, home, "add", "cut", h.addr)
}

// Reconnect heals CutOff: the host of node reaches every host again, except across a
// link that CutLink cut. Reconnecting a host that is not cut off changes nothing.
func Reconnect(ctx context.Context, home Home, node string) error {
	h, err := cutHost(home, node)
	if err != nil {
		return err
	}
	return editCuts(ctx, home, "delete", "cut", h.addr)
}

// CutLink cuts the link between the hosts of nodes a and b, both ways, and only that one:
// each still reaches every other host. Nodes on one host have no link between them to
// cut.
func CutLink(ctx context.Context, home Home, a, b string) error {
	ha, hb, err := linkHosts(home, a, b)
	if err != nil {
		return err
	}
	return editCuts(ctx, home, "add", "link", ha.addr+" . "+hb.addr, hb.addr+" . "+ha.addr)
}

// HealLink heals CutLink between the hosts of a and b.
func HealLink(ctx context.Context, home Home, a, b string) error {
	ha, hb, err := linkHosts(home, a, b)
	if err != nil {
		return err
	}
	return editCuts(ctx, home, "delete", "link", ha.addr+" . "+hb.addr, hb.addr+" . "+ha.addr)
}

// HostOf names the host node runs on in a NetNS network ("orderer1", "org1") and its
// address.
func HostOf(home Home, node string) (name, addr string, err error) {
	h, err := cutHost(home, node)
	return h.name, h.addr, err
}

// cutHost finds the host of node in the NetNS network in home.
func cutHost(home Home, node string) (netnsHost, error) {
	t, ok, err := LoadHomeTopology(home)
	if err != nil {
		return netnsHost{}, err
	}
	if !ok {
		return netnsHost{}, fmt.Errorf("no network in %s: run `cxl network up`", home)
	}
	if t.Hosts != NetNS {
		return netnsHost{}, fmt.Errorf("the network in %s runs on one host (its %s processes share the loopback): only a network made with --hosts %s can be cut", home, t.Runtime, NetNS)
	}
	return t.hostOfNode(home, node)
}

// linkHosts finds the two distinct hosts of a and b.
func linkHosts(home Home, a, b string) (netnsHost, netnsHost, error) {
	ha, err := cutHost(home, a)
	if err != nil {
		return netnsHost{}, netnsHost{}, err
	}
	hb, err := cutHost(home, b)
	if err != nil {
		return netnsHost{}, netnsHost{}, err
	}
	if ha.addr == hb.addr {
		return netnsHost{}, netnsHost{}, fmt.Errorf("%s and %s run on one host (%s): there is no link between them to cut", a, b, ha.name)
	}
	return ha, hb, nil
}

// editCuts adds elements to, or deletes them from, a set of the cuts' table. Deleting an
// element that is not there is no error.
func editCuts(ctx context.Context, home Home, verb, set string, elems ...string) error {
	table := nftTable(hostsID(home))
	if !nftTableExists(ctx, hostsID(home)) {
		return fmt.Errorf("the network in %s has no cuts table bridge %s: is it up?", home, table)
	}
	for _, e := range elems {
		err := runNet(ctx, "", "nft", verb, "element", "bridge", table, set, "{ "+e+" }")
		if err != nil && !(verb == "delete" && strings.Contains(err.Error(), "No such file or directory")) {
			return err
		}
	}
	return nil
}
