package network

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
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
		Short: "Show each host, each node's health, reachability and height, and the gateways",
		Long: `Show the network's hosts (each organisation and each orderer: under Docker its own Docker
network, natively the address its nodes listen on) and what runs on each; every CA, orderer
and peer with its process or container, health, the address this machine reaches it at
and whether it accepts a connection there, and the channel height; the chaincode servers;
each member's gateway service with its URL and whether it is ready; and the committed
chaincode definitions. A node that does not answer is shown as such within a few seconds.`,
		Args: cobra.NoArgs,
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
	return writeStatus(opts.IO.Out, st)
}

// writeStatus prints st as three tables (hosts, nodes, gateway services) and the chaincode
// definitions.
func writeStatus(w io.Writer, st *network.Status) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	where, idHeader := "ADDRESS", "PID"
	if st.Runtime == network.Docker {
		where, idHeader = "NETWORK", "CONTAINER"
	}
	fmt.Fprintf(tw, "HOST\tMEMBER\t%s\tNODES\n", where)
	for _, h := range st.Hosts {
		at := orDash(h.Address)
		if st.Runtime == network.Docker {
			at = orDash(h.Network)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", h.Name, h.MSPID, at, strings.Join(h.Nodes, ", "))
	}
	fmt.Fprintln(tw)
	fmt.Fprintf(tw, "NODE\tKIND\tHOST\t%s\tSTATE\tADDRESS\tREACHABLE\tHEIGHT\n", idHeader)
	rows := append(append(append([]network.NodeStatus{}, st.Nodes...), st.Chaincode.Servers...), st.Baseline.Servers...)
	for _, n := range rows {
		reach := "-"
		if n.Address != "" {
			reach = yesNo(n.Reachable)
		}
		height := "-"
		if n.Height != 0 {
			height = fmt.Sprint(n.Height)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", n.Name, n.Kind, orDash(n.Host), processID(n.PID, n.Container),
			nodeState(n), orDash(n.Address), reach, height)
	}
	fmt.Fprintln(tw)
	fmt.Fprintf(tw, "GATEWAY\tMEMBER\t%s\tURL\tSTATE\n", idHeader)
	for _, g := range st.Gateways {
		state := "stopped"
		switch {
		case g.Up:
			state = "up"
		case g.Running:
			state = "not ready"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", g.Name, g.MSPID, processID(g.PID, g.Container), orDash(g.URL), state)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, cc := range []network.ChaincodeStatus{st.Chaincode, st.Baseline} {
		switch {
		case cc.Error != "":
			fmt.Fprintf(w, "chaincode %s: unknown (%s)\n", cc.Name, cc.Error)
		case cc.Sequence > 0:
			fmt.Fprintf(w, "chaincode %s: version %s, sequence %d on channel %s\n", cc.Name, cc.Version, cc.Sequence, st.Channel)
		default:
			fmt.Fprintf(w, "chaincode %s: not committed\n", cc.Name)
		}
	}
	return nil
}

// nodeState is a node's STATE column: running (and healthy: a chaincode server has no
// health check), unhealthy, or stopped.
func nodeState(n network.NodeStatus) string {
	switch {
	case n.Running && (n.Healthy || n.Kind == "chaincode"):
		return "running"
	case n.Running:
		return "unhealthy"
	}
	return "stopped"
}

// processID is a process's PID or a container's ID, or "-".
func processID(pid int, container string) string {
	switch {
	case container != "":
		return container
	case pid != 0:
		return fmt.Sprint(pid)
	}
	return "-"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
