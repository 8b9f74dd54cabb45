package review

import (
	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/balance"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/cli/order"
)

func orderAndBalance(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "cxl"}
	cmd.AddCommand(order.NewCmdOrder(f), balance.NewCmdBalance(f))
	return cmd
}
