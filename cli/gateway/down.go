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
	// Org names the one member whose service to stop ("": every member's).
	Org string
}

// NewCmdDown returns `cxl gateway down`; runF replaces the run function in tests.
func NewCmdDown(f *cmdutil.Factory, runF func(*DownOptions) error) *cobra.Command {
	opts := &DownOptions{IO: f.IO, Home: network.HomeAt(f.Home)}
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Stop the members' gateway services",
		Long: `Stop every member's cxl-gateway, or only --org's (SIGTERM, then SIGKILL after 30 s; docker
stop, 10 s, for a container): each stops taking connections, ends event streams and lets
requests in progress finish. Pending transactions stay in its store and are reconciled when
it starts again. A service run in replicas (cxl gateway up --replicas) has its replicas
stopped, then its PostgreSQL server (SIGTERM: a smart shutdown once the replicas are gone).
Configurations, keys and stores, the PostgreSQL data among them, are kept (cxl network down
--purge removes them). The single gateway service of earlier versions is stopped too if it
still runs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return downRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Org, "org", "", "stop only this organisation's service (`name` or MSP ID)")
	return cmd
}

func downRun(ctx context.Context, opts *DownOptions) error {
	home, err := opts.Home()
	if err != nil {
		return err
	}
	if p, ok := network.Running(home, legacyProcess); ok && opts.Org == "" {
		if err := network.Stop(home, legacyProcess, 30*time.Second); err != nil {
			return err
		}
		fmt.Fprintf(opts.IO.ErrOut, "stopped the single gateway service of an earlier version (pid %d)\n", p.PID)
	}
	ms, topo, err := homeMembers(home, opts.Org)
	if err != nil {
		return err
	}
	say := func(format string, args ...any) { fmt.Fprintf(opts.IO.ErrOut, format+"\n", args...) }
	for _, m := range ms {
		replicas, err := stopReplicas(ctx, home, m, say)
		if err != nil {
			return err
		}
		s, running, pid := find(ctx, home, topo, m)
		switch {
		case !running:
			// A process that died leaves a PID file behind: Stop cleans it up.
			if err := network.Stop(home, m.process(), 30*time.Second); err != nil {
				return err
			}
			if !replicas {
				say("the gateway service of %s is not running", m.org.Name)
			}
		case s.runtime == network.Docker:
			sup, err := network.OpenSupervisor(home)
			if err != nil {
				return err
			}
			if err := sup.Stop(ctx, network.GatewayService(m.org)); err != nil {
				return err
			}
			fmt.Fprintf(opts.IO.ErrOut, "stopped the %s container\n", network.GatewayService(m.org))
		default:
			if err := network.Stop(home, m.process(), 30*time.Second); err != nil {
				return err
			}
			fmt.Fprintf(opts.IO.ErrOut, "stopped the gateway service of %s (pid %d)\n", m.org.Name, pid)
		}
	}
	return nil
}

// homeMembers lists the members of the network in home (or only org's), with its topology.
func homeMembers(home network.Home, org string) ([]member, network.Topology, error) {
	prof, err := network.LoadProfile(home)
	if err != nil {
		return nil, network.Topology{}, err
	}
	topo, _, err := network.LoadHomeTopology(home)
	if err != nil {
		return nil, network.Topology{}, err
	}
	ms, err := members(home, topo, prof, org)
	return ms, topo, err
}
