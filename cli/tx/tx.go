// Package tx holds `cxl tx`: where a transaction stands.
package tx

import (
	"context"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// NewCmdTx returns `cxl tx` with its subcommands.
func NewCmdTx(f *cmdutil.Factory) *cobra.Command {
	cmd := cmdutil.Group(&cobra.Command{
		Use:   "tx <command>",
		Short: "Follow transactions",
	})
	cmd.AddCommand(NewCmdStatus(f, nil))
	return cmd
}

// StatusOptions are the inputs of `cxl tx status`.
type StatusOptions struct {
	IO      *cmdutil.IOStreams
	Ledger  func(context.Context) (cmdutil.Client, error)
	JSON    bool
	Timeout time.Duration

	ID string
	// Wait follows a pending transaction until it commits or fails.
	Wait bool
}

// NewCmdStatus returns `cxl tx status`; runF replaces the run function in tests.
func NewCmdStatus(f *cmdutil.Factory, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "status ID",
		Short: "Show whether a transaction committed, failed or is still pending",
		Long: `Show where a transaction stands: COMMITTED (with its block and, for the caller who submitted
it, the contract's result), FAILED (with the error) or PENDING. The exit code says it too:
0 committed, 8 pending, and for a failed transaction the code of its error (5 for a
conflict, for instance); 3 when neither the gateway service nor the ledger knows the ID.
With --wait a pending transaction is followed until it commits or fails, or --timeout.`,
		Args: cmdutil.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(opts)
			}
			return statusRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Wait, "wait", false, "follow a pending transaction until it commits or fails")
	cmdutil.AddTimeoutFlag(cmd, &opts.Timeout)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.TransactionStatus{})
	return cmd
}

func statusRun(ctx context.Context, opts *StatusOptions) error {
	return cmdutil.WithClient(ctx, opts.Ledger, opts.Timeout, func(ctx context.Context, c cmdutil.Client) error {
		p := opts.IO.StartProgress("looking up transaction " + opts.ID)
		st, err := c.Transactions().Status(ctx, opts.ID)
		for err == nil && opts.Wait && st.State == ledgerapi.TxPending {
			p.Update("waiting for transaction " + opts.ID + " to commit")
			select {
			case <-ctx.Done():
			case <-time.After(cmdutil.FollowInterval):
			}
			if ctx.Err() != nil {
				break
			}
			st, err = c.Transactions().Status(ctx, opts.ID)
		}
		p.Stop()
		if err != nil {
			return err
		}
		if opts.JSON {
			if err := cmdutil.PrintJSON(opts.IO.Out, st); err != nil {
				return err
			}
		} else {
			block := ""
			if st.BlockNumber > 0 {
				block = strconv.FormatUint(st.BlockNumber, 10)
			}
			result := ""
			if len(st.Result) > 0 {
				result = string(st.Result)
			}
			errText := ""
			if st.Error != nil {
				errText = st.Error.Error()
			}
			if err := cmdutil.PrintFields(opts.IO, cmdutil.Field{Label: "Transaction", Value: st.TransactionID},
				cmdutil.Field{Label: "State", Value: string(st.State)}, cmdutil.Field{Label: "Block", Value: block},
				cmdutil.Field{Label: "Validation", Value: st.ValidationCode}, cmdutil.Field{Label: "Error", Value: errText},
				cmdutil.Field{Label: "Result", Value: result}); err != nil {
				return err
			}
		}
		return stateError(st)
	})
}

// stateError gives a pending or failed transaction its exit code; the status itself was
// printed already, so the message only repeats the verdict.
func stateError(st *ledgerapi.TransactionStatus) error {
	switch st.State {
	case ledgerapi.TxPending:
		return cxlerr.Errorf(cxlerr.Pending, "transaction %s is still pending", st.TransactionID).WithTransaction(st.TransactionID)
	case ledgerapi.TxFailed:
		if st.Error != nil {
			return st.Error
		}
		return cxlerr.Errorf(cxlerr.Internal, "transaction %s failed (%s)", st.TransactionID, st.ValidationCode).WithTransaction(st.TransactionID)
	}
	return nil
}
