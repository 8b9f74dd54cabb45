package order

import (
	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/balance"
	"github.com/cxledger/cxledger/cli/cmdutil"
)

func newBalanceFixture(f *cmdutil.Factory) []*cobra.Command {
	return []*cobra.Command{balance.NewCmdRegisterCurrency(f, nil), balance.NewCmdDeposit(f, nil)}
}
