// Package root assembles the cxl command tree.
package root

import (
	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
	gatewaycmd "github.com/cxledger/cxledger/cli/gateway"
	networkcmd "github.com/cxledger/cxledger/cli/network"
)

// NewCmdRoot returns the `cxl` command with every subcommand.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:           "cxl <command>",
		Short:         "cxledger: customer promises on a shared Fabric ledger",
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	cmd.SetOut(f.IO.Out)
	cmd.SetErr(f.IO.ErrOut)
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return cmdutil.UsageErrorf("%v", err) })
	cmd.AddCommand(networkcmd.NewCmdNetwork(f))
	cmd.AddCommand(gatewaycmd.NewCmdGateway(f))
	return cmd
}
