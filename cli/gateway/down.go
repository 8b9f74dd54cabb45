package gateway

import (
	"context"
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
	opts := &DownOptions{IO: f.IO, Home: network.HomeAt(f.Home)}
	return &cobra.Command{
		Use:   "down",
		Short: "Stop the gateway service",
		Long: `Stop cxl-gateway (SIGTERM, then SIGKILL after 30 s; docker stop, 10 s, for its container): it
stops taking connections, ends event streams and lets requests in progress finish. Pending
transactions stay in its store and are reconciled when it starts again. Its configuration,
keys and store are kept.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return downRun(cmd.Context(), opts)
		},
	}
}

func downRun(ctx context.Context, opts *DownOptions) error {
	home, err := opts.Home()
	if err != nil {
		return err
	}
	s, running, pid := find(ctx, home)
	switch {
	case !running:
		// A process that died leaves a PID file behind: Stop cleans it up.
		if err := network.Stop(home, processName, 30*time.Second); err != nil {
			return err
		}
		fmt.Fprintln(opts.IO.ErrOut, "cxl-gateway is not running")
	case s.runtime == network.Docker:
		sup, err := network.OpenSupervisor(home)
		if err != nil {
			return err
		}
		if err := sup.Stop(ctx, network.GatewayService); err != nil {
			return err
		}
		fmt.Fprintf(opts.IO.ErrOut, "stopped the %s container\n", network.GatewayService)
	default:
		if err := network.Stop(home, processName, 30*time.Second); err != nil {
			return err
		}
		fmt.Fprintf(opts.IO.ErrOut, "stopped cxl-gateway (pid %d)\n", pid)
	}
	return nil
}
