package product

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/ledgerapi"
)

// RecallOptions are the inputs of `cxl product recall`.
type RecallOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	Mutation cmdutil.MutationOptions
	JSON     bool

	GTIN, Lot, Reason string
}

// NewCmdRecall returns `cxl product recall`; runF replaces the run function in tests.
func NewCmdRecall(f *cmdutil.Factory, runF func(*RecallOptions) error) *cobra.Command {
	opts := &RecallOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "recall GTIN --lot LOT --reason TEXT",
		Short: "Recall a lot of a product your organisation owns",
		Long: `Recall a lot: every item of it, and of every lot made from it, then verifies as recalled.
The reason is public (no personal data).`,
		Args: cmdutil.ExactArgs("GTIN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.GTIN = args[0]
			if err := cmdutil.RequireFlags(cmd, "lot", "reason"); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return recallRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Lot, "lot", "", "the lot `number`")
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "why, for the public")
	cmdutil.AddMutationFlags(cmd, &opts.Mutation)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.Committed[provenance.ProductLot]{})
	return cmd
}

func recallRun(ctx context.Context, opts *RecallOptions) error {
	req := ledgerapi.RecallLotRequest{GTIN: opts.GTIN, Lot: opts.Lot, Reason: opts.Reason}
	return cmdutil.Mutate(ctx, opts.IO, opts.Ledger, &opts.Mutation, opts.JSON, ledgerapi.ProvenanceRecallLot, req,
		func(l *provenance.ProductLot) string { return "recalled lot " + l.GTIN + "/" + l.Lot },
		func(l *provenance.ProductLot) error { return printLot(opts.IO, l) })
}
