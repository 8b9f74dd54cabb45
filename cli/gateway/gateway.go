// Package gateway holds `cxl gateway`: up, down and status of the members' gateway
// services (cmd/cxl-gateway), one per organisation of the network in CXL_HOME, each holding
// only its own organisation's identities and keys.
package gateway

import (
	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
)

// NewCmdGateway returns `cxl gateway` with its subcommands.
func NewCmdGateway(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "gateway <command>",
		Short: "Start, stop and inspect the members' gateway services (REST API)",
		Long: `Start, stop and inspect cxl-gateway, the REST API in front of the network in CXL_HOME:
one service per organisation, holding only that organisation's identities and API keys.
Each member's configuration, store, API keys, vault and TLS certificate live under
CXL_HOME/gateway/<org>, its log in CXL_HOME/logs/cxl-gateway-<org>.log.`,
	}
	cmd.AddCommand(NewCmdUp(f, nil), NewCmdDown(f, nil), NewCmdStatus(f, nil))
	return cmd
}
