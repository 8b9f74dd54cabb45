package channel

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/network"
)

// SnapshotOptions are the inputs of `cxl channel snapshot`.
type SnapshotOptions struct {
	IO   *cmdutil.IOStreams
	Home func() (network.Home, error)
	MSP  string
	// Peer is the index of the organisation's peer that makes the snapshot.
	Peer    int
	Timeout time.Duration
	JSON    bool
}

// NewCmdSnapshot returns `cxl channel snapshot`; runF replaces the run function in tests.
func NewCmdSnapshot(f *cmdutil.Factory, runF func(*SnapshotOptions) error) *cobra.Command {
	opts := &SnapshotOptions{IO: f.IO, Home: network.HomeAt(f.Home)}
	cmd := &cobra.Command{
		Use:   "snapshot --msp MSPID [--peer N]",
		Short: "Have one of your own peers snapshot the channel's ledger, and print the snapshot's hash",
		Long: `Ask one of the member's own peers (--peer, 0 by default), as the member's Admin, for a
snapshot of the channel's ledger at its last committed block, wait until the peer has
written it, and print its directory, its block and its hash: the SHA-256 of its signable
metadata, computed here from the peer's own files. A new member joins from a copy of
the directory with ` + "`cxl member join --snapshot DIR --snapshot-hash HASH`" + `, which refuses a
copy whose hash, or any file's, differs. Hand the hash over apart from the directory: it
is what the new member trusts you for. Natively only (the snapshot is read from the
peer's directory on this host).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Peer < 0 {
				return cmdutil.UsageErrorf("--peer %d: want a peer's index, 0 or more", opts.Peer)
			}
			if opts.Timeout <= 0 {
				return cmdutil.UsageErrorf("--timeout %s: want a positive duration", opts.Timeout)
			}
			if runF != nil {
				return runF(opts)
			}
			return snapshotRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.MSP, "msp", "", "act as this member organisation's Admin, on its own peer (required)")
	cmd.Flags().IntVar(&opts.Peer, "peer", 0, "the index of the organisation's peer that makes the snapshot")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 2*time.Minute, "give up after `duration`")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("msp")
	return cmd
}

func snapshotRun(ctx context.Context, opts *SnapshotOptions) error {
	a, err := loadActor(opts.Home, opts.MSP)
	if err != nil {
		return err
	}
	if opts.Peer >= len(a.org.PeerNodes) {
		return cmdutil.UsageErrorf("--peer %d: %s has %d peer(s)", opts.Peer, a.org.MSPID, len(a.org.PeerNodes))
	}
	start := time.Now()
	snap, err := network.RequestSnapshot(ctx, a.home, a.topology, a.org, a.org.PeerNodes[opts.Peer], opts.Timeout)
	if err != nil {
		return err
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(snap)
	}
	fmt.Fprintf(opts.IO.ErrOut, "%s snapshotted %s at block %d in %s\n", a.org.PeerNodes[opts.Peer].Name, snap.Channel, snap.Block, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(opts.IO.Out, "dir\t%s\nblock\t%d\nhash\t%s\n", snap.Dir, snap.Block, snap.Hash)
	return nil
}
