package ledgerapitest

import (
	"slices"
	"testing"
)

// TestForbiddenChain finds the shortest chain to a forbidden package, and none when no
// import leads to one.
func TestForbiddenChain(t *testing.T) {
	shim := "github.com/hyperledger/fabric-chaincode-go/v2/shim"
	graph := map[string][]string{
		"cmd":      {"cli", "contract"},
		"cli":      {"wire"},
		"contract": {"kit"},
		"kit":      {shim},
		"wire":     {"fmt"},
	}
	if got, want := forbiddenChain(graph, "cmd"), []string{"cmd", "contract", "kit", shim}; !slices.Equal(got, want) {
		t.Errorf("chain %q, want %q", got, want)
	}
	if got := forbiddenChain(graph, "cli"); got != nil {
		t.Errorf("chain %q from cli, want none", got)
	}
	graph["wire"] = append(graph["wire"], "github.com/cxledger/cxledger/gateway/httpapi")
	if got := forbiddenChain(graph, "cli"); len(got) != 3 {
		t.Errorf("chain %q from cli, want cli -> wire -> httpapi", got)
	}
}
