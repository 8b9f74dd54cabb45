// Package network holds `cxl network`: up, down, status and logs of the Fabric network
// cxledger runs on, and the Docker images and Compose file of its Docker runtime.
package network

import (
	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
)

// NewCmdNetwork returns `cxl network` with its subcommands.
func NewCmdNetwork(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "network <command>",
		Short: "Start, stop and inspect the Fabric network",
		Long: `Start, stop and inspect the Fabric network cxledger runs on: 3 Raft orderers and the peer
organisations as native processes, or with --docker as Docker Compose services, with the
cxledger chaincode run as a service. All state lives under CXL_HOME (default .cxl at the
repository root).`,
	}
	cmd.AddCommand(NewCmdUp(f, nil), NewCmdDown(f, nil), NewCmdStatus(f, nil), NewCmdLogs(f, nil),
		NewCmdImages(f, nil), NewCmdCompose(f, nil))
	return cmd
}
