package network

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/network"
)

// DownOptions are the inputs of `cxl network down`.
type DownOptions struct {
	IO    *cmdutil.IOStreams
	Home  func() (network.Home, error)
	Purge bool
}

// NewCmdDown returns `cxl network down`; runF replaces the run function in tests.
func NewCmdDown(f *cmdutil.Factory, runF func(*DownOptions) error) *cobra.Command {
	opts := &DownOptions{IO: f.IO, Home: network.HomeAt(f.Home)}
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Stop every process of the network",
		Long: `Stop every process the network started (orderers, peers, chaincode servers), found by the
PIDs recorded in the state directory. With --purge, also remove the generated state: crypto
material, channel block, ledgers and logs. Built binaries are kept.

A Docker network is brought down with docker-compose down: its containers and network are
removed, and with --purge its ledger volumes too; down fails if Docker still holds any of
them afterwards.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return downRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Purge, "purge", false, "also remove the generated state")
	return cmd
}

func downRun(opts *DownOptions) error {
	home, err := opts.Home()
	if err != nil {
		return err
	}
	t, ok, err := network.LoadHomeTopology(home)
	if err != nil {
		return err
	}
	procs, err := network.Processes(home)
	if err != nil {
		return err
	}
	if err := network.Down(home, opts.Purge); err != nil {
		return err
	}
	if ok && t.Runtime == network.Docker {
		fmt.Fprint(opts.IO.ErrOut, "removed the containers of the Docker network")
	} else {
		fmt.Fprintf(opts.IO.ErrOut, "stopped %d processes", len(procs))
	}
	if opts.Purge {
		fmt.Fprintf(opts.IO.ErrOut, " and removed the state in %s", home)
	}
	fmt.Fprintln(opts.IO.ErrOut)
	return nil
}
