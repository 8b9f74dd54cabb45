package network

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/network"
)

func logsTopology() network.Topology {
	return network.Topology{Orgs: []network.OrgSpec{{Name: "Org1"}, {Name: "Org2", Peers: 2}, {Name: "Org11"}}}.WithDefaults()
}

// TestMemberOfNativeProcesses: every native process of the topology belongs to its member;
// a name that only looks like one, or a log nobody in the topology writes, to none.
func TestMemberOfNativeProcesses(t *testing.T) {
	topo := logsTopology()
	for name, want := range map[string]string{
		"peer1.org2.example.com":     "Org2MSP",
		"ca.org11.example.com":       "Org11MSP",
		"orderer3.example.com":       "OrdererMSP",
		"cxl-gateway-org1":           "Org1MSP",
		"chaincode-Org1MSP-3":        "Org1MSP",
		"baseline-Org11MSP-1":        "Org11MSP",
		"chaincode-Org1MSPX-3":       "",
		"peer9.org2.example.com":     "",
		"cxl-gateway-org9":           "",
		"":                           "",
		"peer0.org1.example.com\xff": "",
	} {
		if got := memberOf(topo, true, name); got != want {
			t.Errorf("memberOf(%q) = %q, want %q", name, got, want)
		}
		if got := memberOf(topo, false, name); got != "" {
			t.Errorf("without a topology memberOf(%q) = %q", name, got)
		}
	}
}

func TestSelectLogs(t *testing.T) {
	topo := logsTopology()
	var known []logSource
	for _, s := range topo.Services() {
		h, _ := topo.DockerHostOf(s)
		known = append(known, logSource{name: s, member: h.MSPID})
	}
	org2 := []string{"ca.org2.example.com", "peer0.org2.example.com", "peer1.org2.example.com", "chaincode.org2.example.com", "baseline.org2.example.com", "cxl-gateway-org2"}
	for _, tc := range []struct {
		name     string
		nodes    []string
		org      string
		want     []string
		notFound string
	}{
		{name: "one node", nodes: []string{"peer1.org2.example.com"}, want: []string{"peer1.org2.example.com"}},
		{name: "nodes in the topology's order, once each", nodes: []string{"peer0.org1.example.com", "orderer2.example.com", "peer0.org1.example.com"},
			want: []string{"orderer2.example.com", "peer0.org1.example.com"}},
		{name: "org by name", org: "Org2", want: org2},
		{name: "org by MSP ID in another case", org: "org2msp", want: org2},
		{name: "org and a node of another", org: "Org2", nodes: []string{"orderer1.example.com"}, want: append([]string{org2[0], "orderer1.example.com"}, org2[1:]...)},
		{name: "the orderers", org: "orderers", want: []string{"orderer1.example.com", "orderer2.example.com", "orderer3.example.com"}},
		{name: "Org1 is not Org11", org: "Org1", want: []string{"ca.org1.example.com", "peer0.org1.example.com", "chaincode.org1.example.com", "baseline.org1.example.com", "cxl-gateway-org1"}},
		{name: "unknown node", nodes: []string{"peer7.org2.example.com"}, notFound: "peer1.org2.example.com"},
		{name: "node not UTF-8", nodes: []string{"peer0.org1.example.com\xff"}, notFound: "known:"},
		{name: "unknown org", org: "Org9", notFound: "Org11MSP"},
		{name: "org not UTF-8", org: "Org1\xff", notFound: "no member"},
		{name: "org as a node's name", org: "peer0.org1.example.com", notFound: "no member"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := selectLogs(known, topo, true, tc.nodes, tc.org)
			if tc.notFound != "" {
				if cmdutil.CodeOf(err) != cmdutil.ExitNotFound || !strings.Contains(err.Error(), tc.notFound) {
					t.Fatalf("err = %v (exit %d), want not found naming %q", err, cmdutil.CodeOf(err), tc.notFound)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("selected %v (%v), want %v", got, err, tc.want)
			}
		})
	}
	// A member whose processes wrote no log yet.
	if _, err := selectLogs(known[:1], topo, true, nil, "Org2"); cmdutil.CodeOf(err) != cmdutil.ExitNotFound {
		t.Errorf("a member without logs: %v", err)
	}
	// Natively without a topology only names select.
	if _, err := selectLogs([]logSource{{name: "peer0"}}, network.Topology{}, false, nil, "Org1"); cmdutil.CodeOf(err) != cmdutil.ExitNotFound {
		t.Errorf("--org without a topology: %v", err)
	}
}

// TestLogsOfAMember: natively, --org shows each of the member's log files, each line after
// its process's name, and nothing of another member's.
func TestLogsOfAMember(t *testing.T) {
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"peer0.org1.example.com": "p1\np2\np3\n",
		"cxl-gateway-org1":       "g1\ng2",
		"peer0.org2.example.com": "other\n",
		"orderer1.example.com":   "o1\n",
	} {
		if err := os.WriteFile(filepath.Join(home, "logs", name+".log"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(home, "topology.yaml"), []byte("orgs: [{name: Org1}, {name: Org2}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, out, _ := testFactory(home)
	if err := logsRun(t.Context(), &LogsOptions{IO: f.IO, Home: network.HomeAt(f.Home), Org: "Org1", Lines: 2}); err != nil {
		t.Fatal(err)
	}
	want := "cxl-gateway-org1       | g1\ncxl-gateway-org1       | g2\npeer0.org1.example.com | p2\npeer0.org1.example.com | p3\n"
	if out.String() != want {
		t.Fatalf("logs of Org1:\n%s\nwant:\n%s", out, want)
	}
	out.Reset()
	if err := logsRun(t.Context(), &LogsOptions{IO: f.IO, Home: network.HomeAt(f.Home)}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "peer0.org2.example.com\tOrg2MSP\n") || !strings.Contains(out.String(), "orderer1.example.com\tOrdererMSP\n") {
		t.Fatalf("listing = %q, want each log with its member", out)
	}
}

// TestPrefixWriter: lines written in pieces by two logs at once come out whole, each after
// its own prefix; a last line without a newline is written by flush.
func TestPrefixWriter(t *testing.T) {
	var mu sync.Mutex
	var out bytes.Buffer
	a := &prefixWriter{mu: &mu, w: &out, prefix: "a | "}
	b := &prefixWriter{mu: &mu, w: &out, prefix: "b | "}
	a.Write([]byte("one "))
	b.Write([]byte("x\ny"))
	a.Write([]byte("line\ntwo\n\n"))
	b.flush()
	a.flush()
	if want := "b | x\na | one line\na | two\na | \nb | y\n"; out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
}
