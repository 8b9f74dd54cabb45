package network

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/network"
)

// StatusOptions are the inputs of `cxl network status`.
type StatusOptions struct {
	IO   *cmdutil.IOStreams
	Home func() (network.Home, error)
	JSON bool
}

// NewCmdStatus returns `cxl network status`; runF replaces the run function in tests.
func NewCmdStatus(f *cmdutil.Factory, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{IO: f.IO, Home: network.HomeAt(f.Home)}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show each node, its health and height, and the chaincode definition",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return statusRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

func statusRun(ctx context.Context, opts *StatusOptions) error {
	home, err := opts.Home()
	if err != nil {
		return err
	}
	st, err := network.GetStatus(ctx, home)
	if err != nil {
		return err
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	idHeader := "PID"
	if st.Runtime == network.Docker {
		idHeader = "CONTAINER"
	}
	fmt.Fprintf(tw, "NODE\tKIND\t%s\tSTATE\tHEIGHT\n", idHeader)
	rows := append(append(append([]network.NodeStatus{}, st.Nodes...), st.Chaincode.Servers...), st.Baseline.Servers...)
	for _, n := range rows {
		state := "stopped"
		switch {
		case n.Running && n.Healthy, n.Running && n.Kind == "chaincode":
			state = "running"
		case n.Running:
			state = "unhealthy"
		}
		pid, height := "-", "-"
		if n.PID != 0 {
			pid = fmt.Sprint(n.PID)
		}
		if n.Container != "" {
			pid = n.Container
		}
		if n.Height != 0 {
			height = fmt.Sprint(n.Height)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", n.Name, n.Kind, pid, state, height)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(opts.IO.Out)
	for _, cc := range []network.ChaincodeStatus{st.Chaincode, st.Baseline} {
		if cc.Sequence > 0 {
			fmt.Fprintf(opts.IO.Out, "chaincode %s: version %s, sequence %d on channel %s\n", cc.Name, cc.Version, cc.Sequence, st.Channel)
		} else {
			fmt.Fprintf(opts.IO.Out, "chaincode %s: not committed\n", cc.Name)
		}
	}
	return nil
}
