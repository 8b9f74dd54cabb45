//go:build integration

package test

import (
	"context"
	"strings"
	"testing"

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
