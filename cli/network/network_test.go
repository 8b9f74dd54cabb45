package network

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/network"
)

func testFactory(home string) (*cmdutil.Factory, *bytes.Buffer, *bytes.Buffer) {
	out, errOut := &bytes.Buffer{}, &bytes.Buffer{}
	return &cmdutil.Factory{
		IO:   &cmdutil.IOStreams{Out: out, ErrOut: errOut},
		Home: func() (string, error) { return home, nil },
		Repo: func() (string, error) { return "/repo", nil },
	}, out, errOut
}

func TestUpFlags(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		env     string
		want    UpOptions
		wantErr string
	}{
		{name: "defaults", want: UpOptions{}},
		{name: "all flags", args: []string{"--port-offset", "1000", "--topology", "t.yaml", "--chaincode-version", "2", "--json"},
			want: UpOptions{PortOffset: 1000, TopologyFile: "t.yaml", ChaincodeVersion: "2", JSON: true}},
		{name: "offset from env", env: "300", want: UpOptions{PortOffset: 300}},
		{name: "flag beats env", env: "300", args: []string{"--port-offset", "5"}, want: UpOptions{PortOffset: 5}},
		{name: "docker with an override", args: []string{"--docker", "--compose-override", "a.yaml", "--compose-override", "b.yaml"},
			want: UpOptions{Docker: true, ComposeOverrides: []string{"a.yaml", "b.yaml"}}},
		{name: "override without docker", args: []string{"--compose-override", "a.yaml"}, wantErr: "--docker"},
		{name: "bad env", env: "lots", wantErr: "CXL_PORT_OFFSET"},
		{name: "stray argument", args: []string{"now"}, wantErr: "unknown command"},
		{name: "bft", args: []string{"--consensus", "bft"}, want: UpOptions{Consensus: "bft"}},
		{name: "raft", args: []string{"--consensus", "raft"}, want: UpOptions{Consensus: "raft"}},
		{name: "unknown consensus", args: []string{"--consensus", "pbft"}, wantErr: "--consensus must be raft or bft"},
		{name: "upper-case consensus", args: []string{"--consensus", "BFT"}, wantErr: "--consensus must be raft or bft"},
		{name: "consensus not UTF-8", args: []string{"--consensus", "bft\xff"}, wantErr: "--consensus must be raft or bft"},
		{name: "netns hosts", args: []string{"--hosts", "netns"}, want: UpOptions{Hosts: "netns"}},
		{name: "netns hosts under bft", args: []string{"--hosts", "netns", "--consensus", "bft"}, want: UpOptions{Hosts: "netns", Consensus: "bft"}},
		{name: "unknown hosts", args: []string{"--hosts", "vm"}, wantErr: "--hosts"},
		{name: "upper-case hosts", args: []string{"--hosts", "NETNS"}, wantErr: "--hosts"},
		{name: "hosts not UTF-8", args: []string{"--hosts", "netns\xff"}, wantErr: "--hosts"},
		{name: "netns hosts under docker", args: []string{"--hosts", "netns", "--docker"}, wantErr: "native network"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CXL_PORT_OFFSET", tc.env)
			f, _, _ := testFactory(t.TempDir())
			var got *UpOptions
			cmd := NewCmdUp(f, func(o *UpOptions) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.PortOffset != tc.want.PortOffset || got.TopologyFile != tc.want.TopologyFile ||
				got.ChaincodeVersion != tc.want.ChaincodeVersion || got.JSON != tc.want.JSON ||
				got.Docker != tc.want.Docker || !slices.Equal(got.ComposeOverrides, tc.want.ComposeOverrides) ||
				got.Consensus != tc.want.Consensus || got.Hosts != tc.want.Hosts {
				t.Fatalf("options = %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func TestLogs(t *testing.T) {
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, "logs"), 0o755)
	var lines []string
	for i := range 10 {
		lines = append(lines, "line "+string(rune('0'+i)))
	}
	os.WriteFile(filepath.Join(home, "logs", "peer0.log"), []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	os.WriteFile(filepath.Join(home, "logs", "orderer1.log"), nil, 0o644)

	f, out, _ := testFactory(home)
	if err := logsRun(t.Context(), &LogsOptions{IO: f.IO, Home: network.HomeAt(f.Home)}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "orderer1\npeer0\n" {
		t.Fatalf("listing = %q", out.String())
	}
	out.Reset()
	if err := logsRun(t.Context(), &LogsOptions{IO: f.IO, Home: network.HomeAt(f.Home), Nodes: []string{"peer0"}, Lines: 3}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "line 7\nline 8\nline 9\n" {
		t.Fatalf("tail = %q", out.String())
	}
	err := logsRun(t.Context(), &LogsOptions{IO: f.IO, Home: network.HomeAt(f.Home), Nodes: []string{"peer9"}, Lines: 3})
	if cmdutil.CodeOf(err) != cmdutil.ExitNotFound || !strings.Contains(err.Error(), "peer0") {
		t.Fatalf("unknown node: err = %v (exit %d), want not found listing the known ones", err, cmdutil.CodeOf(err))
	}
}

func TestStatusWithoutNetwork(t *testing.T) {
	f, _, _ := testFactory(t.TempDir())
	err := statusRun(t.Context(), &StatusOptions{IO: f.IO, Home: network.HomeAt(f.Home)})
	if err == nil || !strings.Contains(err.Error(), "cxl network up") {
		t.Fatalf("status without a network = %v", err)
	}
}

func TestComposeWritesTheGeneratedFiles(t *testing.T) {
	dir := t.TempDir()
	f, out, _ := testFactory(t.TempDir())
	topo := filepath.Join(dir, "topology.yaml")
	if err := os.WriteFile(topo, []byte("orgs: [{name: Org1}, {name: Org2, peers: 2}, {name: Org3}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := composeRun(&ComposeOptions{IO: f.IO, Repo: f.Repo, TopologyFile: topo, Dir: dir}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"docker-compose.yaml", ".env", "docker-compose.hyperledger.yaml"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "peer1.org2.example.com") && !strings.Contains(string(data), "CXL_CHAINCODE_ORG3_ID") {
			t.Errorf("%s does not describe the topology (its second Org2 peer, or Org3's chaincode server)", name)
		}
		if !strings.Contains(out.String(), filepath.Join(dir, name)) {
			t.Errorf("compose did not report writing %s", name)
		}
	}
	err := composeRun(&ComposeOptions{IO: f.IO, Repo: f.Repo, TopologyFile: filepath.Join(dir, "missing.yaml"), Dir: dir})
	if cmdutil.CodeOf(err) != cmdutil.ExitUsage {
		t.Errorf("missing topology: err = %v (exit %d), want a usage error", err, cmdutil.CodeOf(err))
	}
}
