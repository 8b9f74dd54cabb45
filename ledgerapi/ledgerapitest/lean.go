package ledgerapitest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// Forbidden are the packages (by import path prefix) a client of the ledger must not link:
// the chaincode shim, contractapi, and the gateway service's HTTP server.
var Forbidden = []string{
	"github.com/hyperledger/fabric-chaincode-go",
	"github.com/hyperledger/fabric-contract-api-go",
	"github.com/cxledger/cxledger/gateway/httpapi",
}

// CheckLean fails t when the package pkg (a pattern for go list, "." for the package under
// test) links a Forbidden package, naming the import chain that brings it in. It skips when
// the go command is not installed.
func CheckLean(t *testing.T, pkg string) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not installed")
	}
	graph, root, err := deps(pkg)
	if err != nil {
		t.Fatal(err)
	}
	if chain := forbiddenChain(graph, root); chain != nil {
		t.Fatalf("%s links %s", root, strings.Join(chain, " -> "))
	}
}

// deps runs go list -deps -json on pkg and returns the import graph and the root package.
func deps(pkg string) (map[string][]string, string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Imports,DepOnly", pkg)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, "", fmt.Errorf("go list -deps %s: %w: %s", pkg, err, stderr.String())
	}
	graph := map[string][]string{}
	root := ""
	dec := json.NewDecoder(&stdout)
	for {
		var p struct {
			ImportPath string
			Imports    []string
			DepOnly    bool
		}
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, "", fmt.Errorf("decode go list -deps %s: %w", pkg, err)
		}
		graph[p.ImportPath] = p.Imports
		if !p.DepOnly {
			root = p.ImportPath
		}
	}
	if root == "" {
		return nil, "", fmt.Errorf("go list -deps %s: no package", pkg)
	}
	return graph, root, nil
}

// forbiddenChain is the shortest import chain from root to a Forbidden package, nil if
// there is none.
func forbiddenChain(graph map[string][]string, root string) []string {
	parent := map[string]string{root: ""}
	queue := []string{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if isForbidden(p) {
			var chain []string
			for q := p; q != ""; q = parent[q] {
				chain = append(chain, q)
			}
			slices.Reverse(chain)
			return chain
		}
		for _, q := range graph[p] {
			if _, seen := parent[q]; seen {
				continue
			}
			parent[q] = p
			queue = append(queue, q)
		}
	}
	return nil
}

func isForbidden(path string) bool {
	for _, f := range Forbidden {
		if path == f || strings.HasPrefix(path, f+"/") {
			return true
		}
	}
	return false
}
