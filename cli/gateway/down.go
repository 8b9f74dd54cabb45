package gateway

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/network"
)

// DownOptions are the inputs of `cxl gateway down`.
type DownOptions struct {
	IO   *cmdutil.IOStreams
	Home func() (network.Home, error)
}

// NewCmdDown returns `cxl gateway down`; runF replaces the run function in tests.
func NewCmdDown(f *cmdutil.Factory, runF func(*DownOptions) error) *cobra.Command {
	opts := &DownOptions{IO: f.IO, Home: f.Home}
	return &cobra.Command{
		Use:   "down",
		Short: "Stop the gateway service",
		Long: `Stop cxl-gateway (SIGTERM, then SIGKILL after 30 s): it stops taking connections, ends event
streams and lets requests in progress finish. Pending transactions stay in its store and are
reconciled when it starts again. Its configuration, keys and store are kept.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return downRun(opts)
		},
	}
}

func downRun(opts *DownOptions) error {
	home, err := opts.Home()
	if err != nil {
		return err
	}
	p, running := network.Running(home, processName)
	if err := network.Stop(home, processName, 30*time.Second); err != nil {
		return err
	}
	if running {
		fmt.Fprintf(opts.IO.ErrOut, "stopped cxl-gateway (pid %d)\n", p.PID)
	} else {
		fmt.Fprintln(opts.IO.ErrOut, "cxl-gateway is not running")
	}
	return nil
}
