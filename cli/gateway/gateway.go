// Package gateway holds `cxl gateway`: up, down and status of the gateway service
// (cmd/cxl-gateway) in front of the network in CXL_HOME.
package gateway

import (
	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
)

// NewCmdGateway returns `cxl gateway` with its subcommands.
func NewCmdGateway(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "gateway <command>",
		Short: "Start, stop and inspect the gateway service (REST API)",
		Long: `Start, stop and inspect cxl-gateway, the REST API in front of the network in CXL_HOME.
Its configuration, store, API keys and log live under CXL_HOME/gateway and CXL_HOME/logs.`,
	}
	cmd.AddCommand(NewCmdUp(f, nil), NewCmdDown(f, nil), NewCmdStatus(f, nil))
	return cmd
}
