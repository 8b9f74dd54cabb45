package order

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/ledgerapi"
)

// SweepOptions are the inputs of `cxl order sweep`.
type SweepOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	Mutation cmdutil.MutationOptions
	JSON     bool

	// Limit is how many orders one transaction refunds (1 to 100).
	Limit int
	// All sweeps again until nothing overdue is left.
	All bool
}

// Swept is what `cxl order sweep` prints: every order refunded and what is left.
type Swept struct {
	// Refunded are the orders refunded, by every transaction of the sweep.
	Refunded []orders.SweptOrder `json:"refunded"`
	// Remaining counts the overdue orders left (up to 1000; More when there are more).
	Remaining int  `json:"remaining"`
	More      bool `json:"more"`
	// Transactions are the sweep's transactions.
	Transactions []string `json:"transactions"`
}

// NewCmdSweep returns `cxl order sweep`; runF replaces the run function in tests.
func NewCmdSweep(f *cmdutil.Factory, runF func(*SweepOptions) error) *cobra.Command {
	opts := &SweepOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "sweep [--limit N] [--all]",
		Short: "Refund orders whose deadline passed undelivered",
		Long: `Refund up to --limit orders whose deadline passed without delivery, oldest deadline first, in
one transaction; with --all, keep sweeping (transaction after transaction, with a progress
indicator) until none is left. Anyone may sweep. Transaction N of a sweep runs under the
idempotency key followed by #N, so repeating the command with the same key repeats nothing.`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Limit < 1 || opts.Limit > 100 {
				return cmdutil.UsageErrorf("--limit: want 1 to 100")
			}
			if runF != nil {
				return runF(opts)
			}
			return sweepRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().IntVar(&opts.Limit, "limit", 20, "refund at most `N` orders per transaction")
	cmd.Flags().BoolVar(&opts.All, "all", false, "sweep until no overdue order is left")
	cmdutil.AddMutationFlags(cmd, &opts.Mutation)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, Swept{})
	return cmd
}

func sweepRun(ctx context.Context, opts *SweepOptions) error {
	return cmdutil.WithClient(ctx, opts.Ledger, opts.Mutation.Timeout, func(ctx context.Context, c cmdutil.Client) error {
		io := opts.IO
		key := opts.Mutation.Key(io)
		p := io.StartProgress("sweeping overdue orders")
		defer p.Stop()
		out := Swept{Refunded: []orders.SweptOrder{}, Transactions: []string{}}
		req := ledgerapi.SweepOrdersRequest{Limit: opts.Limit}
		for n := 1; ; n++ {
			res, err := cmdutil.SubmitKey(ctx, c, key+"#"+strconv.Itoa(n), opts.Mutation.Wait, ledgerapi.OrdersSweep, req, nil)
			if err != nil {
				return err
			}
			out.Refunded = append(out.Refunded, res.Result.Refunded...)
			out.Remaining, out.More = res.Result.Remaining, res.Result.More
			out.Transactions = append(out.Transactions, res.TransactionID)
			p.Update(fmt.Sprintf("sweeping overdue orders: %d refunded, %d left", len(out.Refunded), out.Remaining))
			if !opts.All || len(res.Result.Refunded) == 0 || out.Remaining == 0 && !out.More {
				break
			}
		}
		p.Stop()
		if opts.JSON {
			return cmdutil.PrintJSON(io.Out, out)
		}
		io.Success("refunded %d overdue orders in %d transactions; %d left", len(out.Refunded), len(out.Transactions), out.Remaining)
		t := cmdutil.NewTable(io, "ORDER", "MERCHANT", "REFUNDED", "DEADLINE")
		for _, o := range out.Refunded {
			t.Row(o.ID, o.Merchant, money(o.Amount, o.Currency), io.Time(o.Deadline))
		}
		return t.Render()
	})
}

// ShowOptions are the inputs of `cxl order show`.
type ShowOptions struct {
	IO      *cmdutil.IOStreams
	Ledger  func(context.Context) (cmdutil.Client, error)
	JSON    bool
	Timeout time.Duration
	ID      string
}

// NewCmdShow returns `cxl order show`; runF replaces the run function in tests.
func NewCmdShow(f *cmdutil.Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show an order: its state, money, items, refunds and dispute",
		Args:  cmdutil.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(opts)
			}
			return cmdutil.Query(cmd.Context(), opts.IO, opts.Ledger, opts.Timeout, opts.JSON,
				func(ctx context.Context, c cmdutil.Client) (*orders.Order, error) {
					return ledgerapi.Over(c).Orders().GetOrder(ctx, ledgerapi.OrderRequest{ID: opts.ID})
				},
				func(o *orders.Order) error { return printOrder(opts.IO, o) })
		},
	}
	cmdutil.AddTimeoutFlag(cmd, &opts.Timeout)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, orders.Order{})
	return cmd
}

// ListOptions are the inputs of `cxl order list`.
type ListOptions struct {
	IO      *cmdutil.IOStreams
	Ledger  func(context.Context) (cmdutil.Client, error)
	JSON    bool
	Timeout time.Duration

	// Customer lists a customer's orders (default: the caller's); Merchant a merchant's,
	// in State if given.
	Customer, Merchant string
	State              string
	Limit              int
	Bookmark           string
}

// NewCmdList returns `cxl order list`; runF replaces the run function in tests.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "list [--customer ACCOUNT | --merchant MSP [--state STATE]]",
		Short: "List your orders, a customer's, or a merchant's (in one state or all), oldest first",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.FlagsExclusive(cmd, "customer", "merchant"); err != nil {
				return err
			}
			if opts.State != "" && opts.Merchant == "" {
				return cmdutil.UsageErrorf("--state: only with --merchant")
			}
			if runF != nil {
				return runF(opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Customer, "customer", "", "list this customer's orders (`MSP/NAME`)")
	cmd.Flags().StringVar(&opts.Merchant, "merchant", "", "list this merchant's orders (`MSP`)")
	cmd.Flags().StringVar(&opts.State, "state", "", "with --merchant, only orders in this `state` (placed, delivered, ...)")
	cmdutil.AddLimitFlag(cmd, &opts.Limit, 50, "orders")
	cmd.Flags().StringVar(&opts.Bookmark, "bookmark", "", "continue after an earlier listing's `bookmark`")
	_ = cmd.RegisterFlagCompletionFunc("state", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"placed", "delivered", "returning", "disputed", "refunded", "returned", "resolved"}, cobra.ShellCompDirectiveNoFileComp
	})
	cmdutil.AddTimeoutFlag(cmd, &opts.Timeout)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, orders.OrderPage{})
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	return cmdutil.WithClient(ctx, opts.Ledger, opts.Timeout, func(ctx context.Context, c cmdutil.Client) error {
		var all orders.OrderPage
		var err error
		all.Orders, all.Bookmark, err = cmdutil.Paginate(opts.Limit, opts.Bookmark, func(size int, bookmark string) ([]orders.Order, string, error) {
			var page *orders.OrderPage
			var err error
			if opts.Merchant != "" {
				page, err = ledgerapi.Over(c).Orders().MerchantOrders(ctx, ledgerapi.MerchantOrdersRequest{Merchant: opts.Merchant, State: orders.State(opts.State), PageSize: size, Bookmark: bookmark})
			} else {
				page, err = ledgerapi.Over(c).Orders().CustomerOrders(ctx, ledgerapi.CustomerOrdersRequest{Customer: opts.Customer, PageSize: size, Bookmark: bookmark})
			}
			if err != nil {
				return nil, "", err
			}
			return page.Orders, page.Bookmark, nil
		})
		if err != nil {
			return err
		}
		if opts.JSON {
			return cmdutil.PrintJSON(opts.IO.Out, all)
		}
		io := opts.IO
		t := cmdutil.NewTable(io, "ID", "STATE", "CUSTOMER", "MERCHANT", "AMOUNT", "REFUNDED", "DEADLINE")
		for _, o := range all.Orders {
			t.Row(o.ID, string(o.State), o.Customer, o.Merchant, money(o.Amount, o.Currency), money(o.Refunded, o.Currency), io.Time(o.Deadline))
		}
		if err := t.Render(); err != nil {
			return err
		}
		if t.Len() == 0 {
			fmt.Fprintln(io.ErrOut, "no orders")
		}
		if all.Bookmark != "" {
			fmt.Fprintf(io.ErrOut, "more orders: continue with --bookmark %s\n", all.Bookmark)
		}
		return nil
	})
}
