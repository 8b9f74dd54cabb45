package member

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/network"
)

func testFactory(home string) *cmdutil.Factory {
	return &cmdutil.Factory{
		IO:   &cmdutil.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}},
		Home: func() (string, error) { return home, nil },
		Repo: func() (string, error) { return "", errors.New("no repository in unit tests") },
	}
}

func execute(cmd *cobra.Command, args ...string) error {
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	return cmd.Execute()
}

func TestFlags(t *testing.T) {
	f := testFactory(t.TempDir())
	var in *InitOptions
	if err := execute(NewCmdInit(f, func(o *InitOptions) error { in = o; return nil }), "Org3", "--network", "t.yaml", "-o", "org3.json", "--peers", "2", "--roles", "merchant,carrier"); err != nil ||
		in.Name != "Org3" || in.Network != "t.yaml" || in.Peers != 2 || in.Users != 3 || strings.Join(in.Roles, ",") != "merchant,carrier" || in.Output != "org3.json" {
		t.Fatalf("init: %+v %v", in, err)
	}
	var join *JoinOptions
	if err := execute(NewCmdJoin(f, func(o *JoinOptions) error { join = o; return nil }), "--snapshot", "snap", "--snapshot-hash", "ab"); err != nil ||
		join.Snapshot != "snap" || join.SnapshotHash != "ab" || join.Peer != 0 {
		t.Fatalf("join from a snapshot: %+v %v", join, err)
	}
	if err := execute(NewCmdJoin(f, func(o *JoinOptions) error { join = o; return nil }), "--genesis", "g.block"); err != nil || join.Genesis != "g.block" || join.Peer != -1 {
		t.Fatalf("join from genesis: %+v %v", join, err)
	}
	var approve *ApproveOptions
	if err := execute(NewCmdApprove(f, func(o *ApproveOptions) error { approve = o; return nil }), "--version", "2", "--sequence", "3"); err != nil ||
		approve.Version != "2" || approve.Sequence != 3 {
		t.Fatalf("approve: %+v %v", approve, err)
	}
	never := func(any) error { t.Fatal("ran despite a bad command line"); return nil }
	for _, c := range []struct {
		name string
		cmd  *cobra.Command
		args []string
		want string
	}{
		{"init without a name", NewCmdInit(f, func(o *InitOptions) error { return never(o) }), []string{"--network", "t", "-o", "d"}, "NAME"},
		{"init without --network", NewCmdInit(f, func(o *InitOptions) error { return never(o) }), []string{"Org3", "-o", "d"}, "network"},
		{"init without --output", NewCmdInit(f, func(o *InitOptions) error { return never(o) }), []string{"Org3", "--network", "t"}, "output"},
		{"init with no peer", NewCmdInit(f, func(o *InitOptions) error { return never(o) }), []string{"Org3", "--network", "t", "-o", "d", "--peers", "0"}, "--peers 0"},
		{"init with ten peers", NewCmdInit(f, func(o *InitOptions) error { return never(o) }), []string{"Org3", "--network", "t", "-o", "d", "--peers", "10"}, "--peers 10"},
		{"init with 51 users", NewCmdInit(f, func(o *InitOptions) error { return never(o) }), []string{"Org3", "--network", "t", "-o", "d", "--users", "51"}, "--users 51"},
		{"init with a peers count that is no number", NewCmdInit(f, func(o *InitOptions) error { return never(o) }), []string{"Org3", "--network", "t", "-o", "d", "--peers", "two"}, "invalid argument"},
		{"init with an unknown role", NewCmdInit(f, func(o *InitOptions) error { return never(o) }), []string{"Org3", "--network", "t", "-o", "d", "--roles", "merchant,king"}, `unknown role "king"`},
		{"init with a role in invalid UTF-8", NewCmdInit(f, func(o *InitOptions) error { return never(o) }), []string{"Org3", "--network", "t", "-o", "d", "--roles", "\xff"}, "unknown role"},
		{"join from nothing", NewCmdJoin(f, func(o *JoinOptions) error { return never(o) }), nil, "--genesis BLOCK or from --snapshot"},
		{"join from both", NewCmdJoin(f, func(o *JoinOptions) error { return never(o) }), []string{"--genesis", "g", "--snapshot", "s", "--snapshot-hash", "h"}, "choose one"},
		{"join from a snapshot without its hash", NewCmdJoin(f, func(o *JoinOptions) error { return never(o) }), []string{"--snapshot", "s"}, "needs --snapshot-hash"},
		{"join with a hash and no snapshot", NewCmdJoin(f, func(o *JoinOptions) error { return never(o) }), []string{"--genesis", "g", "--snapshot-hash", "h"}, "goes with --snapshot"},
		{"join a negative peer", NewCmdJoin(f, func(o *JoinOptions) error { return never(o) }), []string{"--genesis", "g", "--peer", "-2"}, "--peer -2"},
		{"join with no time", NewCmdJoin(f, func(o *JoinOptions) error { return never(o) }), []string{"--genesis", "g", "--timeout", "0s"}, "--timeout"},
		{"join with an argument", NewCmdJoin(f, func(o *JoinOptions) error { return never(o) }), []string{"x", "--genesis", "g"}, "unknown command"},
		{"approve without a version", NewCmdApprove(f, func(o *ApproveOptions) error { return never(o) }), []string{"--sequence", "1"}, "version"},
		{"approve with a blank version", NewCmdApprove(f, func(o *ApproveOptions) error { return never(o) }), []string{"--version", " 1", "--sequence", "1"}, "--version"},
		{"approve sequence 0", NewCmdApprove(f, func(o *ApproveOptions) error { return never(o) }), []string{"--version", "1", "--sequence", "0"}, "--sequence 0"},
		{"approve a negative sequence", NewCmdApprove(f, func(o *ApproveOptions) error { return never(o) }), []string{"--version", "1", "--sequence", "-1"}, "--sequence -1"},
	} {
		if err := execute(c.cmd, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// Without a member in CXL_HOME nothing starts, and a network's own state directory is not
// taken for a member's.
func TestWithoutAMember(t *testing.T) {
	dir := t.TempDir()
	f := testFactory(dir)
	snap := filepath.Join(dir, "snap")
	os.Mkdir(snap, 0o755)
	for _, c := range []struct {
		name string
		cmd  *cobra.Command
		args []string
		code cxlerr.Code
	}{
		{"join from genesis", NewCmdJoin(f, nil), []string{"--genesis", filepath.Join(dir, "g.block")}, cxlerr.NotFound},
		{"join from a snapshot", NewCmdJoin(f, nil), []string{"--snapshot", snap, "--snapshot-hash", strings.Repeat("a", 64)}, cxlerr.NotFound},
		{"approve", NewCmdApprove(f, nil), []string{"--version", "1", "--sequence", "1"}, cxlerr.NotFound},
		{"init for a network topology that is not there", NewCmdInit(f, nil), []string{"Org3", "--network", filepath.Join(dir, "none.yaml"), "-o", filepath.Join(dir, "d.json")}, cxlerr.NotFound},
	} {
		if err := execute(c.cmd, c.args...); cxlerr.CodeOf(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("orgs: [1, 2"), 0o644)
	if err := execute(NewCmdInit(f, nil), "Org3", "--network", bad, "-o", filepath.Join(dir, "d.json")); cxlerr.CodeOf(err) != cxlerr.Invalid {
		t.Errorf("init for a topology that is no YAML: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "d.json")); err == nil {
		t.Error("a refused init wrote a definition")
	}

	// A name the network has, or no name at all, is refused before anything is made.
	topoFile := filepath.Join(dir, "topology.yaml")
	os.WriteFile(topoFile, []byte("orgs:\n  - {name: Org1}\n  - {name: Org2}\n"), 0o644)
	for _, name := range []string{"Org1", "org2", "Org\xff", "3Org", "Org-3", strings.Repeat("O", 65)} {
		memberHome := t.TempDir()
		err := execute(NewCmdInit(testFactory(memberHome), nil), name, "--network", topoFile, "-o", filepath.Join(memberHome, "d.json"))
		if cxlerr.CodeOf(err) != cxlerr.Invalid {
			t.Errorf("init %q: %v", name, err)
		}
		if entries, _ := os.ReadDir(memberHome); len(entries) != 0 {
			t.Errorf("init %q left %d entries in its home", name, len(entries))
		}
	}

	// A network's state directory: its network.json names every organisation.
	netHome := network.Home(t.TempDir())
	topo := network.Topology{}.WithDefaults()
	data := "orgs:\n  - {name: Org1}\n  - {name: Org2}\n"
	os.WriteFile(netHome.Path("topology.yaml"), []byte(data), 0o644)
	os.MkdirAll(netHome.OrgDir(topo.PeerOrgs()[1]), 0o755)
	if err := network.NewProfile(netHome, topo, network.Deployment{}).Save(netHome); err != nil {
		t.Fatal(err)
	}
	if _, err := network.LoadMember(netHome); cxlerr.CodeOf(err) != cxlerr.Invalid {
		t.Fatalf("a network's state directory taken for a member's: %v", err)
	}
}
