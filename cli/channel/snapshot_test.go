package channel

import (
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
)

func TestSnapshotFlags(t *testing.T) {
	f := testFactory(t.TempDir())
	var got *SnapshotOptions
	if err := execute(NewCmdSnapshot(f, func(o *SnapshotOptions) error { got = o; return nil }), "--msp", "Org1MSP", "--peer", "1", "--json"); err != nil ||
		got.MSP != "Org1MSP" || got.Peer != 1 || !got.JSON || got.Timeout != 2*time.Minute {
		t.Fatalf("snapshot: %+v %v", got, err)
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"without --msp", nil, "msp"},
		{"a negative peer", []string{"--msp", "Org1MSP", "--peer", "-1"}, "--peer -1"},
		{"a peer that is no number", []string{"--msp", "Org1MSP", "--peer", "one"}, "invalid argument"},
		{"no time", []string{"--msp", "Org1MSP", "--timeout", "0s"}, "--timeout"},
		{"an argument", []string{"x", "--msp", "Org1MSP"}, "unknown command"},
	} {
		if err := execute(NewCmdSnapshot(f, func(*SnapshotOptions) error { t.Fatal("ran"); return nil }), c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	// Without a network nothing is asked of any peer.
	if err := execute(NewCmdSnapshot(f, nil), "--msp", "Org1MSP"); cxlerr.CodeOf(err) != cxlerr.NotFound {
		t.Fatalf("without a network: %v", err)
	}
}
