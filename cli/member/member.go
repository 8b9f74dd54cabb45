// Package member holds `cxl member`: the new organisation's side of joining a running
// channel, run on its own host with its own CXL_HOME. `init` makes its material and starts
// its Fabric CA, which enrols its Admin, users and registrar, and writes its public
// definition, the one file it hands the members (who add it with `cxl channel add-org`,
// `sign` and `update`); once the channel takes it, `join` starts its peers and joins them
// from the channel's genesis block or from a trusted member's ledger snapshot; `approve`
// installs the committed chaincode on its peers, starts its own chaincode server and
// approves the definition. `cxl gateway up --org <name>` on the same CXL_HOME then starts
// its gateway service.
package member

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/network"
)

// NewCmdMember returns `cxl member` with its subcommands.
func NewCmdMember(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "member <command>",
		Short: "Join a running channel as a new member organisation, from your own host",
		Long: `Join a running channel as a new organisation, from your own host and CXL_HOME: nothing of
the other members but what they publish (the network's topology and the channel's
genesis block, or a snapshot of a trusted member's ledger with its hash) is needed, and
no key of yours leaves this directory:

  cxl member init Org3 --network topology.yaml --output org3.json   (your CA, keys, definition)
  ... the members add org3.json with cxl channel add-org, sign and update ...
  cxl member join --genesis cxledger.block                            (or --snapshot DIR --snapshot-hash HASH)
  cxl member approve --version 1 --sequence 1                        (your chaincode server, your approval)
  cxl gateway up --org Org3                                          (your gateway service)

Natively only: the member's peers are published at 127.0.0.1.`,
	}
	cmd.AddCommand(NewCmdInit(f, nil), NewCmdJoin(f, nil), NewCmdApprove(f, nil))
	return cmd
}

// InitOptions are the inputs of `cxl member init`.
type InitOptions struct {
	IO      *cmdutil.IOStreams
	Home    func() (network.Home, error)
	Repo    func() (string, error)
	Name    string
	Network string
	Peers   int
	Users   int
	Roles   []string
	Output  string
}

// knownRoles are the consortium roles a member's staff certificates may carry.
var knownRoles = []string{"brand", "merchant", "carrier", "payment", "auditor", "arbiter"}

// NewCmdInit returns `cxl member init`; runF replaces the run function in tests.
func NewCmdInit(f *cmdutil.Factory, runF func(*InitOptions) error) *cobra.Command {
	opts := &InitOptions{IO: f.IO, Home: network.HomeAt(f.Home), Repo: f.Repo}
	cmd := &cobra.Command{
		Use:   "init NAME --network TOPOLOGY --output DEFINITION",
		Short: "Make a new member's material, start its CA and write its public definition",
		Long: `Make the new organisation NAME (its MSP ID is NAME + "MSP") in CXL_HOME, for the network
whose topology file --network names (the network's topology.yaml: its channel, orderers,
organisations and port offset; the member takes the next organisation's ports): cryptogen
run for this organisation alone (its CA and TLS CA roots, its peers' identities), its own
Fabric CA started, and its Admin, User1..N (whose certificates carry --roles in cxl.roles)
and gateway registrar enrolled through it. Writes the public definition (its roots and
anchor peers, never a key) to --output. Builds the binaries it needs first (into
CXL_HOME/bin, like ` + "`cxl network up`" + `). Run again, it makes nothing that exists; a CXL_HOME
that holds another member or a network is CONFLICT.`,
		Args: cmdutil.ExactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if opts.Peers < 1 || opts.Peers > 9 {
				return cmdutil.UsageErrorf("--peers %d: want 1 to 9", opts.Peers)
			}
			if opts.Users < 1 || opts.Users > 50 {
				return cmdutil.UsageErrorf("--users %d: want 1 to 50", opts.Users)
			}
			for _, r := range opts.Roles {
				if !contains(knownRoles, r) {
					return cmdutil.UsageErrorf("--roles: unknown role %q (roles: %s)", r, strings.Join(knownRoles, ", "))
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return initRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Network, "network", "", "the network's topology `file` (required)")
	cmd.Flags().IntVar(&opts.Peers, "peers", 1, "how many peers the member runs")
	cmd.Flags().IntVar(&opts.Users, "users", 3, "how many staff identities (User1..N) its CA enrols")
	cmd.Flags().StringSliceVar(&opts.Roles, "roles", []string{"merchant"}, "the consortium `roles` its staff certificates carry")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write the public definition to this `file` (required)")
	_ = cmd.MarkFlagRequired("network")
	_ = cmd.MarkFlagRequired("output")
	return cmd
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func initRun(ctx context.Context, opts *InitOptions) error {
	home, err := opts.Home()
	if err != nil {
		return err
	}
	topo, err := network.LoadTopology(opts.Network)
	if errors.Is(err, os.ErrNotExist) {
		return cxlerr.Errorf(cxlerr.NotFound, "no network topology at %s", opts.Network)
	} else if err != nil {
		return cxlerr.Errorf(cxlerr.Invalid, "the network topology %s: %v", opts.Network, err)
	}
	spec := network.OrgSpec{Name: opts.Name, Peers: opts.Peers, Users: opts.Users, Roles: opts.Roles}
	if _, err := network.MemberTopology(topo, spec); err != nil {
		return err
	}
	repo, err := opts.Repo()
	if err != nil {
		return err
	}
	fmt.Fprintln(opts.IO.ErrOut, "building binaries")
	if err := network.Build(ctx, repo, home, opts.IO.ErrOut); err != nil {
		return err
	}
	start := time.Now()
	m, err := network.NewMember(ctx, home, topo, spec)
	if err != nil {
		return err
	}
	def, err := m.Definition()
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(def, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the definition: %w", err)
	}
	if err := os.WriteFile(opts.Output, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write the definition: %w", err)
	}
	fmt.Fprintf(opts.IO.ErrOut, "%s made in %s, its CA at %s; its definition is in %s: hand it to the channel's members\n",
		m.Org.MSPID, time.Since(start).Round(time.Millisecond), network.CAURL(m.Org), opts.Output)
	return nil
}

// JoinOptions are the inputs of `cxl member join`.
type JoinOptions struct {
	IO           *cmdutil.IOStreams
	Home         func() (network.Home, error)
	Genesis      string
	Snapshot     string
	SnapshotHash string
	// Peer is the index of the one peer to join; -1 joins every peer.
	Peer    int
	Timeout time.Duration
	JSON    bool
}

// JoinResult is what `cxl member join` reports of one peer.
type JoinResult struct {
	// Peer is the peer's host name.
	Peer string `json:"peer"`
	// From is "genesis" or "snapshot".
	From string `json:"from"`
	// Block is the snapshot's last block (from a snapshot).
	Block uint64 `json:"block,omitempty"`
	// Height is the peer's height when the join returned.
	Height uint64 `json:"height"`
	// Seconds is how long the join took.
	Seconds float64 `json:"seconds"`
}

// NewCmdJoin returns `cxl member join`; runF replaces the run function in tests.
func NewCmdJoin(f *cmdutil.Factory, runF func(*JoinOptions) error) *cobra.Command {
	opts := &JoinOptions{IO: f.IO, Home: network.HomeAt(f.Home)}
	cmd := &cobra.Command{
		Use:   "join (--genesis BLOCK | --snapshot DIR --snapshot-hash HASH) [--peer N]",
		Short: "Start the member's peers and join them to the channel",
		Long: `Start the member's peers and join them to the channel, once its members have added it:
from the channel's genesis block (--genesis: the peer then pulls every block since from
the orderers), or from a copy of a trusted member's ledger snapshot (--snapshot, with
--snapshot-hash: the hash that member printed with ` + "`cxl channel snapshot`" + `, handed over
apart from the directory). A snapshot whose hash, or any file's, differs from the trusted
hash is refused (UNAUTHENTICATED, exit 4) and nothing is joined. --peer joins only the
peer of that index (a snapshot joins peer 0 unless --peer says otherwise). A peer that has
joined already is left alone by --genesis; --snapshot refuses it (CONFLICT).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.FlagsExclusive(cmd, "genesis", "snapshot"); err != nil {
				return err
			}
			switch {
			case opts.Genesis == "" && opts.Snapshot == "":
				return cmdutil.UsageErrorf("join from --genesis BLOCK or from --snapshot DIR")
			case opts.Snapshot != "" && opts.SnapshotHash == "":
				return cmdutil.UsageErrorf("--snapshot needs --snapshot-hash: the hash the trusted member computed of it")
			case opts.Snapshot == "" && opts.SnapshotHash != "":
				return cmdutil.UsageErrorf("--snapshot-hash goes with --snapshot")
			case opts.Peer < -1:
				return cmdutil.UsageErrorf("--peer %d: want a peer's index", opts.Peer)
			case opts.Timeout <= 0:
				return cmdutil.UsageErrorf("--timeout %s: want a positive duration", opts.Timeout)
			}
			if opts.Snapshot != "" && opts.Peer == -1 {
				opts.Peer = 0
			}
			if runF != nil {
				return runF(opts)
			}
			return joinRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Genesis, "genesis", "", "join from the channel's genesis block `file`")
	cmd.Flags().StringVar(&opts.Snapshot, "snapshot", "", "join from the ledger snapshot in `dir`")
	cmd.Flags().StringVar(&opts.SnapshotHash, "snapshot-hash", "", "the trusted member's `hash` of the snapshot")
	cmd.Flags().IntVar(&opts.Peer, "peer", -1, "join only the peer of this `index`")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 2*time.Minute, "give up after `duration`")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

func joinRun(ctx context.Context, opts *JoinOptions) error {
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	home, err := opts.Home()
	if err != nil {
		return err
	}
	m, err := network.LoadMember(home)
	if err != nil {
		return err
	}
	peers := m.Org.PeerNodes
	if opts.Peer >= len(peers) {
		return cmdutil.UsageErrorf("--peer %d: %s has %d peer(s)", opts.Peer, m.Org.MSPID, len(peers))
	}
	if opts.Peer >= 0 {
		peers = peers[opts.Peer : opts.Peer+1]
	}
	if opts.Snapshot != "" {
		// Checked before anything starts: a refused snapshot changes nothing.
		if _, err := network.VerifySnapshot(opts.Snapshot, m.Topology.Channel, opts.SnapshotHash); err != nil {
			return err
		}
	}
	if err := m.Start(ctx); err != nil {
		return err
	}
	var results []JoinResult
	for _, p := range peers {
		start := time.Now()
		res := JoinResult{Peer: p.Name, From: "genesis"}
		if opts.Snapshot != "" {
			snap, err := m.JoinPeerBySnapshot(ctx, p, opts.Snapshot, opts.SnapshotHash, time.Until(deadline(ctx)))
			if err != nil {
				return err
			}
			res.From, res.Block = "snapshot", snap.Block
		} else if err := m.JoinPeer(ctx, p, opts.Genesis); err != nil {
			return err
		}
		res.Seconds = time.Since(start).Seconds()
		if h, err := network.PeerHeight(ctx, m.Home, m.Topology, m.Org, p); err == nil {
			res.Height = h
		}
		results = append(results, res)
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(results)
	}
	for _, r := range results {
		from := r.From
		if r.From == "snapshot" {
			from = fmt.Sprintf("the snapshot at block %d", r.Block)
		}
		fmt.Fprintf(opts.IO.Out, "%s joined from %s in %.2f s (height %d)\n", r.Peer, from, r.Seconds, r.Height)
	}
	return nil
}

// deadline is ctx's deadline (joinRun's context always has one).
func deadline(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

// ApproveOptions are the inputs of `cxl member approve`.
type ApproveOptions struct {
	IO       *cmdutil.IOStreams
	Home     func() (network.Home, error)
	Version  string
	Sequence int
	Timeout  time.Duration
}

// NewCmdApprove returns `cxl member approve`; runF replaces the run function in tests.
func NewCmdApprove(f *cmdutil.Factory, runF func(*ApproveOptions) error) *cobra.Command {
	opts := &ApproveOptions{IO: f.IO, Home: network.HomeAt(f.Home)}
	cmd := &cobra.Command{
		Use:   "approve --version V --sequence N",
		Short: "Install the committed chaincode, start the member's chaincode server and approve it",
		Long: `Install the member's package of the channel's committed cxledger chaincode definition
(--version and --sequence, as ` + "`cxl network status`" + ` on a member's host shows them) on its peers, start
its own chaincode server for it, so that its peers endorse, and approve the definition as
its Admin, with the collections the network committed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Version == "" || strings.TrimSpace(opts.Version) != opts.Version {
				return cmdutil.UsageErrorf("--version %q: want the committed definition's version", opts.Version)
			}
			if opts.Sequence < 1 {
				return cmdutil.UsageErrorf("--sequence %d: want the committed definition's sequence, 1 or more", opts.Sequence)
			}
			if runF != nil {
				return runF(opts)
			}
			return approveRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Version, "version", "", "the committed definition's version (required)")
	cmd.Flags().IntVar(&opts.Sequence, "sequence", 0, "the committed definition's sequence (required)")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 2*time.Minute, "give up after `duration`")
	_ = cmd.MarkFlagRequired("version")
	_ = cmd.MarkFlagRequired("sequence")
	return cmd
}

func approveRun(ctx context.Context, opts *ApproveOptions) error {
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	home, err := opts.Home()
	if err != nil {
		return err
	}
	m, err := network.LoadMember(home)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := m.Approve(ctx, m.Network(), network.Deployment{Version: opts.Version, Sequence: opts.Sequence}); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "%s installed, served and approved %s version %s sequence %d in %s\n",
		m.Org.MSPID, m.Topology.Chaincode, opts.Version, opts.Sequence, time.Since(start).Round(time.Millisecond))
	return nil
}
