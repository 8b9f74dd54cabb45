// Package balance holds `cxl balance`: settlement money in the orders contract. A payment
// organisation registers a currency and becomes its issuer; it deposits money it received
// into customer and organisation accounts and withdraws money it pays out, each transfer
// once per reference. Orders pay from and back into these balances.
package balance

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/ledgerapi"
)

// NewCmdBalance returns `cxl balance` with its subcommands.
func NewCmdBalance(f *cmdutil.Factory) *cobra.Command {
	cmd := cmdutil.Group(&cobra.Command{
		Use:   "balance <command>",
		Short: "Deposit, withdraw and show settlement balances; register currencies",
		Long: `Settlement balances are the money orders are paid from and refunded to, one book per
currency. The currency's issuer (an organisation with the payment role, which registered
it) deposits and withdraws; accounts are customers ("Org1MSP/User1@org1.example.com") and
organisations ("Org2MSP"). Amounts are whole minor units (1250 is 12.50).`,
		Example: `  cxl balance register-currency EUR
  cxl balance deposit Org1MSP/User1@org1.example.com=50000 --currency EUR --ref bank-2025-0601-17
  cxl balance show Org1MSP/User1@org1.example.com --currency EUR
  cxl balance withdraw Org2MSP --amount 12000 --currency EUR --ref payout-88`,
	})
	cmd.AddCommand(NewCmdDeposit(f, nil), NewCmdShow(f, nil), NewCmdWithdraw(f, nil), NewCmdRegisterCurrency(f, nil),
		NewCmdCurrencies(f, nil), NewCmdConsolidate(f, nil))
	return cmd
}

func printTransfer(io *cmdutil.IOStreams, t *orders.SettlementTransfer) error {
	tb := cmdutil.NewTable(io, "ACCOUNT", "AMOUNT", "CURRENCY", "REF")
	for _, e := range t.Entries {
		tb.Row(e.Account, strconv.FormatInt(int64(e.Amount), 10), t.Currency, t.Ref)
	}
	return tb.Render()
}

// transfer submits a deposit or withdrawal and prints it.
func transfer[Req any](ctx context.Context, io *cmdutil.IOStreams, open func(context.Context) (cmdutil.Client, error), m *cmdutil.MutationOptions, asJSON bool,
	op *ledgerapi.Op[Req, orders.SettlementTransfer], req Req) error {
	return cmdutil.Mutate(ctx, io, open, m, asJSON, op, req,
		func(t *orders.SettlementTransfer) string {
			return fmt.Sprintf("%s %d %s (ref %s); %d outstanding", t.Kind, t.Total, t.Currency, t.Ref, t.Outstanding)
		},
		func(t *orders.SettlementTransfer) error { return printTransfer(io, t) })
}

// DepositOptions are the inputs of `cxl balance deposit`.
type DepositOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	Mutation cmdutil.MutationOptions
	JSON     bool

	Currency, Ref string
	Credits       []orders.TransferEntry
}

// NewCmdDeposit returns `cxl balance deposit`; runF replaces the run function in tests.
func NewCmdDeposit(f *cmdutil.Factory, runF func(*DepositOptions) error) *cobra.Command {
	opts := &DepositOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "deposit ACCOUNT=AMOUNT... --currency CODE [--ref REF]",
		Short: "Credit accounts with money the issuer received (the currency's issuer), once per reference",
		Long: `Credit up to 100 accounts with money the issuer received, in one transfer. The reference
(--ref, by default the idempotency key or a hash of it) makes the transfer happen once.`,
		Args: cmdutil.RangeArgs(1, 100, "1 to 100 ACCOUNT=AMOUNT credits"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.RequireFlags(cmd, "currency"); err != nil {
				return err
			}
			for _, a := range args {
				acct, amt, ok := strings.Cut(a, "=")
				if !ok || acct == "" {
					return cmdutil.UsageErrorf("%q: want ACCOUNT=AMOUNT", a)
				}
				v, err := ledgertypes.ParseAmount(amt)
				if err != nil {
					return cmdutil.UsageErrorf("%q: the amount must be a whole number of minor units", a)
				}
				opts.Credits = append(opts.Credits, orders.TransferEntry{Account: acct, Amount: v})
			}
			if runF != nil {
				return runF(opts)
			}
			if opts.Ref == "" {
				opts.Ref = cmdutil.DerivedID(opts.Mutation.Key(opts.IO))
			}
			req := ledgerapi.DepositRequest{Ref: opts.Ref, Currency: opts.Currency, Credits: opts.Credits}
			return transfer(cmd.Context(), opts.IO, opts.Ledger, &opts.Mutation, opts.JSON, ledgerapi.OrdersDeposit, req)
		},
	}
	cmd.Flags().StringVar(&opts.Currency, "currency", "", "the currency `code`")
	cmd.Flags().StringVar(&opts.Ref, "ref", "", "the issuer's `reference` for the transfer (default: from the idempotency key)")
	cmdutil.AddMutationFlags(cmd, &opts.Mutation)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.Committed[orders.SettlementTransfer]{})
	return cmd
}

// WithdrawOptions are the inputs of `cxl balance withdraw`.
type WithdrawOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	Mutation cmdutil.MutationOptions
	JSON     bool

	Account, Currency, Ref string
	Amount                 ledgertypes.Amount
}

// NewCmdWithdraw returns `cxl balance withdraw`; runF replaces the run function in tests.
func NewCmdWithdraw(f *cmdutil.Factory, runF func(*WithdrawOptions) error) *cobra.Command {
	opts := &WithdrawOptions{IO: f.IO, Ledger: f.Ledger}
	var amount string
	cmd := &cobra.Command{
		Use:   "withdraw ACCOUNT --amount N --currency CODE [--ref REF]",
		Short: "Debit an account for money the issuer pays out (the currency's issuer), once per reference",
		Args:  cmdutil.ExactArgs("ACCOUNT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Account = args[0]
			if err := cmdutil.RequireFlags(cmd, "amount", "currency"); err != nil {
				return err
			}
			var err error
			if opts.Amount, err = cmdutil.ParseAmount("amount", amount); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			if opts.Ref == "" {
				opts.Ref = cmdutil.DerivedID(opts.Mutation.Key(opts.IO))
			}
			req := ledgerapi.WithdrawRequest{Ref: opts.Ref, Account: opts.Account, Currency: opts.Currency, Amount: opts.Amount}
			return transfer(cmd.Context(), opts.IO, opts.Ledger, &opts.Mutation, opts.JSON, ledgerapi.OrdersWithdraw, req)
		},
	}
	cmd.Flags().StringVar(&amount, "amount", "", "how much, in minor units")
	cmd.Flags().StringVar(&opts.Currency, "currency", "", "the currency `code`")
	cmd.Flags().StringVar(&opts.Ref, "ref", "", "the issuer's `reference` for the transfer (default: from the idempotency key)")
	cmdutil.AddMutationFlags(cmd, &opts.Mutation)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.Committed[orders.SettlementTransfer]{})
	return cmd
}

// ShowOptions are the inputs of `cxl balance show`.
type ShowOptions struct {
	IO      *cmdutil.IOStreams
	Ledger  func(context.Context) (cmdutil.Client, error)
	JSON    bool
	Timeout time.Duration

	Account, Currency string
}

// NewCmdShow returns `cxl balance show`; runF replaces the run function in tests.
func NewCmdShow(f *cmdutil.Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "show [ACCOUNT] --currency CODE",
		Short: "Show an account's settlement balance (yours by default, with a Fabric profile)",
		Args:  cmdutil.RangeArgs(0, 1, "at most one ACCOUNT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Account = args[0]
			}
			if err := cmdutil.RequireFlags(cmd, "currency"); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return cmdutil.WithClient(cmd.Context(), opts.Ledger, opts.Timeout, func(ctx context.Context, c cmdutil.Client) error {
				acct, err := cmdutil.AccountOf(c, opts.Account, "account")
				if err != nil {
					return cmdutil.UsageErrorf("give the ACCOUNT: through the gateway service cxl cannot tell whose account the API key acts for")
				}
				b, err := ledgerapi.Over(c).Orders().Balance(ctx, ledgerapi.AccountRequest{Account: acct, Currency: opts.Currency})
				if err != nil {
					return err
				}
				if opts.JSON {
					return cmdutil.PrintJSON(opts.IO.Out, b)
				}
				return cmdutil.PrintFields(opts.IO, cmdutil.Field{Label: "Account", Value: b.Account},
					cmdutil.Field{Label: "Balance", Value: strconv.FormatInt(int64(b.Balance), 10) + " " + b.Currency},
					cmdutil.Field{Label: "Lots", Value: strconv.Itoa(b.Lots)})
			})
		},
	}
	cmd.Flags().StringVar(&opts.Currency, "currency", "", "the currency `code`")
	cmdutil.AddTimeoutFlag(cmd, &opts.Timeout)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, orders.SettlementBalance{})
	return cmd
}

// RegisterCurrencyOptions are the inputs of `cxl balance register-currency`.
type RegisterCurrencyOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	Mutation cmdutil.MutationOptions
	JSON     bool
	Currency string
}

// NewCmdRegisterCurrency returns `cxl balance register-currency`; runF replaces the run
// function in tests.
func NewCmdRegisterCurrency(f *cmdutil.Factory, runF func(*RegisterCurrencyOptions) error) *cobra.Command {
	opts := &RegisterCurrencyOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "register-currency CODE",
		Short: "Register a settlement currency, becoming its issuer (an organisation with the payment role)",
		Args:  cmdutil.ExactArgs("CODE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Currency = args[0]
			if runF != nil {
				return runF(opts)
			}
			req := ledgerapi.RegisterCurrencyRequest{Currency: opts.Currency}
			return cmdutil.Mutate(cmd.Context(), opts.IO, opts.Ledger, &opts.Mutation, opts.JSON, ledgerapi.OrdersRegisterCurrency, req,
				func(c *orders.SettlementCurrency) string {
					return "registered currency " + c.Code + ", issued by " + c.Issuer
				}, nil)
		},
	}
	cmdutil.AddMutationFlags(cmd, &opts.Mutation)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.Committed[orders.SettlementCurrency]{})
	return cmd
}

// CurrenciesOptions are the inputs of `cxl balance currencies`.
type CurrenciesOptions struct {
	IO      *cmdutil.IOStreams
	Ledger  func(context.Context) (cmdutil.Client, error)
	JSON    bool
	Timeout time.Duration
}

// NewCmdCurrencies returns `cxl balance currencies`; runF replaces the run function in tests.
func NewCmdCurrencies(f *cmdutil.Factory, runF func(*CurrenciesOptions) error) *cobra.Command {
	opts := &CurrenciesOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "currencies",
		Short: "List the settlement currencies with their issuers and outstanding amounts",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return cmdutil.Query(cmd.Context(), opts.IO, opts.Ledger, opts.Timeout, opts.JSON,
				func(ctx context.Context, c cmdutil.Client) ([]orders.SettlementCurrency, error) {
					list, err := ledgerapi.Over(c).Orders().Currencies(ctx)
					if list == nil && err == nil {
						list = []orders.SettlementCurrency{}
					}
					return list, err
				},
				func(list []orders.SettlementCurrency) error {
					t := cmdutil.NewTable(opts.IO, "CURRENCY", "ISSUER", "OUTSTANDING", "REGISTERED")
					for _, cur := range list {
						t.Row(cur.Code, cur.Issuer, strconv.FormatInt(int64(cur.Outstanding), 10), opts.IO.Time(cur.Registered))
					}
					return t.Render()
				})
		},
	}
	cmdutil.AddTimeoutFlag(cmd, &opts.Timeout)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, []orders.SettlementCurrency{})
	return cmd
}

// ConsolidateOptions are the inputs of `cxl balance consolidate`.
type ConsolidateOptions struct {
	IO                *cmdutil.IOStreams
	Ledger            func(context.Context) (cmdutil.Client, error)
	Mutation          cmdutil.MutationOptions
	JSON              bool
	Account, Currency string
}

// NewCmdConsolidate returns `cxl balance consolidate`; runF replaces the run function in
// tests.
func NewCmdConsolidate(f *cmdutil.Factory, runF func(*ConsolidateOptions) error) *cobra.Command {
	opts := &ConsolidateOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "consolidate ACCOUNT --currency CODE",
		Short: "Merge up to 500 of an account's money lots into one (a busy merchant does it now and then)",
		Args:  cmdutil.ExactArgs("ACCOUNT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Account = args[0]
			if err := cmdutil.RequireFlags(cmd, "currency"); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			req := ledgerapi.AccountRequest{Account: opts.Account, Currency: opts.Currency}
			return cmdutil.Mutate(cmd.Context(), opts.IO, opts.Ledger, &opts.Mutation, opts.JSON, ledgerapi.OrdersConsolidate, req,
				func(r *orders.Consolidation) string {
					more := ""
					if r.More {
						more = "; more lots are left, run it again"
					}
					return fmt.Sprintf("merged %d lots of %s (%d %s)%s", r.Merged, r.Account, r.Amount, r.Currency, more)
				}, nil)
		},
	}
	cmd.Flags().StringVar(&opts.Currency, "currency", "", "the currency `code`")
	cmdutil.AddMutationFlags(cmd, &opts.Mutation)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.Committed[orders.Consolidation]{})
	return cmd
}
