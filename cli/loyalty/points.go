package loyalty

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/loyalty"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/ledgerapi"
)

// opener connects to the ledger.
type opener = func(context.Context) (cmdutil.Client, error)

// asHolder connects and runs fn with the account whose points are spent (account, or the
// Fabric identity's own) and the operation's ID set (*id, or one made from the idempotency
// key); fn submits through open, the connection already made.
func asHolder(ctx context.Context, io *cmdutil.IOStreams, open opener, m *cmdutil.MutationOptions, account string, id *string,
	fn func(ctx context.Context, open opener, account string) error) error {
	return cmdutil.WithClient(ctx, open, m.Timeout, func(ctx context.Context, c cmdutil.Client) error {
		acct, err := cmdutil.AccountOf(c, account, "account")
		if err != nil {
			return err
		}
		if *id == "" {
			*id = cmdutil.DerivedID(m.Key(io))
		}
		return fn(ctx, cmdutil.Connected(c), acct)
	})
}

// EarnOptions are the inputs of `cxl loyalty earn`.
type EarnOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	Mutation cmdutil.MutationOptions
	JSON     bool

	Program, Account, ID string
	Amount, Points       ledgertypes.Amount
}

// NewCmdEarn returns `cxl loyalty earn`; runF replaces the run function in tests.
func NewCmdEarn(f *cmdutil.Factory, runF func(*EarnOptions) error) *cobra.Command {
	opts := &EarnOptions{IO: f.IO, Ledger: f.Ledger}
	var amount, points string
	cmd := &cobra.Command{
		Use:   "earn PROGRAM ACCOUNT (--amount N | --points N) [--id ID]",
		Short: "Give a customer points for a purchase of --amount, or --points outright (the issuer)",
		Long: `Mint points to a customer in a programme your organisation issues: for a purchase of
--amount minor units, by the programme's earn rule, or --points outright. An earn happens
once per ID: --id, by default the idempotency key (or a hash of it).`,
		Args: cmdutil.ExactArgs("PROGRAM", "ACCOUNT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Program, opts.Account = args[0], args[1]
			if err := cmdutil.FlagsExclusive(cmd, "amount", "points"); err != nil {
				return err
			}
			var err error
			switch {
			case amount != "":
				opts.Amount, err = cmdutil.ParseAmount("amount", amount)
			case points != "":
				opts.Points, err = cmdutil.ParseAmount("points", points)
			default:
				err = cmdutil.UsageErrorf("give --amount (a purchase) or --points")
			}
			if err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			if opts.ID == "" {
				opts.ID = cmdutil.DerivedID(opts.Mutation.Key(opts.IO))
			}
			req := ledgerapi.EarnRequest{Program: opts.Program, ID: opts.ID, Account: opts.Account, Amount: opts.Amount, Points: opts.Points}
			return cmdutil.Mutate(cmd.Context(), opts.IO, opts.Ledger, &opts.Mutation, opts.JSON, ledgerapi.LoyaltyEarn, req,
				func(e *loyalty.Earn) string {
					s := fmt.Sprintf("%s earned %d points in %s", e.Account, e.Points, e.Program)
					if e.Expires != nil {
						s += ", expiring " + opts.IO.Time(*e.Expires)
					}
					return s
				}, nil)
		},
	}
	cmd.Flags().StringVar(&amount, "amount", "", "the purchase, in minor units")
	cmd.Flags().StringVar(&points, "points", "", "give this many points")
	cmd.Flags().StringVar(&opts.ID, "id", "", "the earn's `ID` (default: from the idempotency key)")
	cmdutil.AddMutationFlags(cmd, &opts.Mutation)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.Committed[loyalty.Earn]{})
	return cmd
}

// spendCommand completes redeem or transfer, which spend --points of the holder's account
// in programme PROGRAM once per --id and differ only in their other flags and what they
// submit: it takes PROGRAM into *program, requires the flags named in required, parses
// --points into *points, adds --points, --account, --id (the noun's ID), the mutation flags
// and --json, and then calls run.
func spendCommand[T any](cmd *cobra.Command, noun string, required []string, program *string, points *ledgertypes.Amount,
	account, id *string, m *cmdutil.MutationOptions, asJSON *bool, run func(context.Context) error) *cobra.Command {
	var pts string
	cmd.Args = cmdutil.ExactArgs("PROGRAM")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		*program = args[0]
		if err := cmdutil.RequireFlags(cmd, required...); err != nil {
			return err
		}
		var err error
		if *points, err = cmdutil.ParseAmount("points", pts); err != nil {
			return err
		}
		return run(cmd.Context())
	}
	cmd.Flags().StringVar(&pts, "points", "", "how many points")
	cmd.Flags().StringVar(account, "account", "", "your account `MSP/NAME` (found from a Fabric profile)")
	cmd.Flags().StringVar(id, "id", "", "the "+noun+"'s `ID` (default: from the idempotency key)")
	cmdutil.AddMutationFlags(cmd, m)
	cmdutil.AddJSONFlag(cmd, asJSON, ledgerapi.Committed[T]{})
	return cmd
}

// RedeemOptions are the inputs of `cxl loyalty redeem`.
type RedeemOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	Mutation cmdutil.MutationOptions
	JSON     bool

	Program, Account, Merchant, Order, ID string
	Points                                ledgertypes.Amount
}

// NewCmdRedeem returns `cxl loyalty redeem`; runF replaces the run function in tests.
func NewCmdRedeem(f *cmdutil.Factory, runF func(*RedeemOptions) error) *cobra.Command {
	opts := &RedeemOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "redeem PROGRAM --points N --merchant MSP [--order ID] [--account ACCOUNT] [--id ID]",
		Short: "Spend your points at the issuer or an accepted partner merchant",
		Long: `Spend points you hold (only the holder can) at --merchant: the programme's issuer or a
partner that accepted its terms; at a partner the redemption becomes a settlement
obligation. Naming the --order redeems against it, so a refund of the order gives the
points back. A redemption happens once per ID: --id, by default the idempotency key.`,
	}
	cmd.Flags().StringVar(&opts.Merchant, "merchant", "", "where they are spent (`MSP`)")
	cmd.Flags().StringVar(&opts.Order, "order", "", "the order they pay for")
	return spendCommand[loyalty.Redemption](cmd, "redemption", []string{"points", "merchant"}, &opts.Program, &opts.Points,
		&opts.Account, &opts.ID, &opts.Mutation, &opts.JSON, func(ctx context.Context) error {
			if runF != nil {
				return runF(opts)
			}
			return asHolder(ctx, opts.IO, opts.Ledger, &opts.Mutation, opts.Account, &opts.ID, func(ctx context.Context, open opener, acct string) error {
				req := ledgerapi.RedeemRequest{Program: opts.Program, ID: opts.ID, Account: acct, Points: opts.Points, Merchant: opts.Merchant, Order: opts.Order}
				return cmdutil.Mutate(ctx, opts.IO, open, &opts.Mutation, opts.JSON, ledgerapi.LoyaltyRedeem, req,
					func(r *loyalty.Redemption) string {
						s := fmt.Sprintf("%s redeemed %d points of %s at %s", r.Account, r.Points, r.Program, r.Merchant)
						if r.DebtPaid > 0 {
							s += fmt.Sprintf(" (%d paid a debt)", r.DebtPaid)
						}
						return s
					}, nil)
			})
		})
}

// TransferOptions are the inputs of `cxl loyalty transfer`.
type TransferOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	Mutation cmdutil.MutationOptions
	JSON     bool

	Program, Account, To, ID string
	Points                   ledgertypes.Amount
}

// NewCmdTransfer returns `cxl loyalty transfer`; runF replaces the run function in tests.
func NewCmdTransfer(f *cmdutil.Factory, runF func(*TransferOptions) error) *cobra.Command {
	opts := &TransferOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "transfer PROGRAM --to ACCOUNT --points N [--account ACCOUNT] [--id ID]",
		Short: "Give some of your points to another customer (if the programme allows)",
	}
	cmd.Flags().StringVar(&opts.To, "to", "", "the receiving account `MSP/NAME`")
	return spendCommand[loyalty.PointsTransfer](cmd, "transfer", []string{"to", "points"}, &opts.Program, &opts.Points,
		&opts.Account, &opts.ID, &opts.Mutation, &opts.JSON, func(ctx context.Context) error {
			if runF != nil {
				return runF(opts)
			}
			return asHolder(ctx, opts.IO, opts.Ledger, &opts.Mutation, opts.Account, &opts.ID, func(ctx context.Context, open opener, acct string) error {
				req := ledgerapi.TransferPointsRequest{Program: opts.Program, ID: opts.ID, Account: acct, To: opts.To, Points: opts.Points}
				return cmdutil.Mutate(ctx, opts.IO, open, &opts.Mutation, opts.JSON, ledgerapi.LoyaltyTransfer, req,
					func(t *loyalty.PointsTransfer) string {
						return fmt.Sprintf("transferred %d points of %s from %s to %s", t.Points, t.Program, t.From, t.To)
					}, nil)
			})
		})
}

// ExpireOptions are the inputs of `cxl loyalty expire`.
type ExpireOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	Mutation cmdutil.MutationOptions
	JSON     bool

	Program  string
	Accounts []string
}

// NewCmdExpire returns `cxl loyalty expire`; runF replaces the run function in tests.
func NewCmdExpire(f *cmdutil.Factory, runF func(*ExpireOptions) error) *cobra.Command {
	opts := &ExpireOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "expire PROGRAM ACCOUNT...",
		Short: "Remove the expired points of up to 50 accounts (the issuer; a customer their own)",
		Args:  cmdutil.RangeArgs(2, 51, "PROGRAM and 1 to 50 ACCOUNTs"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Program, opts.Accounts = args[0], args[1:]
			if runF != nil {
				return runF(opts)
			}
			req := ledgerapi.ExpirePointsRequest{Program: opts.Program, Accounts: opts.Accounts}
			return cmdutil.Mutate(cmd.Context(), opts.IO, opts.Ledger, &opts.Mutation, opts.JSON, ledgerapi.LoyaltyExpirePoints, req,
				func(s *loyalty.ExpirySweep) string {
					return fmt.Sprintf("expired %d points of %s in %d accounts", s.Points, s.Program, len(s.Accounts))
				}, nil)
		},
	}
	cmdutil.AddMutationFlags(cmd, &opts.Mutation)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.Committed[loyalty.ExpirySweep]{})
	return cmd
}

// BalanceOptions are the inputs of `cxl loyalty balance`.
type BalanceOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	JSON     bool
	Timeout  time.Duration
	Program  string
	Account  string
	SoonDays int
}

// NewCmdBalance returns `cxl loyalty balance`; runF replaces the run function in tests.
func NewCmdBalance(f *cmdutil.Factory, runF func(*BalanceOptions) error) *cobra.Command {
	opts := &BalanceOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "balance PROGRAM [ACCOUNT]",
		Short: "Show a customer's points in a programme: available, expiring soon, expired, debt (yours by default)",
		Args:  cmdutil.RangeArgs(1, 2, "PROGRAM [ACCOUNT]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Program = args[0]
			if len(args) == 2 {
				opts.Account = args[1]
			}
			if runF != nil {
				return runF(opts)
			}
			return cmdutil.Query(cmd.Context(), opts.IO, opts.Ledger, opts.Timeout, opts.JSON,
				func(ctx context.Context, c cmdutil.Client) (*loyalty.PointsBalance, error) {
					return ledgerapi.Over(c).Loyalty().Balance(ctx, ledgerapi.PointsBalanceRequest{Program: opts.Program, Account: opts.Account, SoonDays: opts.SoonDays})
				}, func(b *loyalty.PointsBalance) error {
					io := opts.IO
					next := ""
					if b.NextExpiry != nil {
						next = io.Time(*b.NextExpiry)
					}
					amt := func(a ledgertypes.Amount) string { return strconv.FormatInt(int64(a), 10) }
					return cmdutil.PrintFields(io, cmdutil.Field{Label: "Account", Value: b.Account}, cmdutil.Field{Label: "Programme", Value: b.Program},
						cmdutil.Field{Label: "Available", Value: amt(b.Available) + " " + b.Unit}, cmdutil.Field{Label: "Unexpired", Value: amt(b.Unexpired)},
						cmdutil.Field{Label: "Expiring soon", Value: amt(b.ExpiringSoon) + " before " + io.Time(b.SoonUntil)},
						cmdutil.Field{Label: "Next expiry", Value: next}, cmdutil.Field{Label: "Expired", Value: amt(b.Expired)},
						cmdutil.Field{Label: "Debt", Value: amt(b.Debt)}, cmdutil.Field{Label: "As of", Value: io.Time(b.Time)})
				})
		},
	}
	cmd.Flags().IntVar(&opts.SoonDays, "soon-days", 0, "count points expiring within `N` days as soon (default 30)")
	cmdutil.AddTimeoutFlag(cmd, &opts.Timeout)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, loyalty.PointsBalance{})
	return cmd
}

// HistoryOptions are the inputs of `cxl loyalty history`.
type HistoryOptions struct {
	IO      *cmdutil.IOStreams
	Ledger  func(context.Context) (cmdutil.Client, error)
	JSON    bool
	Timeout time.Duration
	Program string
	Account string
	Limit   int
}

// NewCmdHistory returns `cxl loyalty history`; runF replaces the run function in tests.
func NewCmdHistory(f *cmdutil.Factory, runF func(*HistoryOptions) error) *cobra.Command {
	opts := &HistoryOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "history PROGRAM [ACCOUNT]",
		Short: "List the changes to a customer's points in a programme, oldest first (yours by default)",
		Args:  cmdutil.RangeArgs(1, 2, "PROGRAM [ACCOUNT]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Program = args[0]
			if len(args) == 2 {
				opts.Account = args[1]
			}
			if runF != nil {
				return runF(opts)
			}
			return cmdutil.Query(cmd.Context(), opts.IO, opts.Ledger, opts.Timeout, opts.JSON,
				func(ctx context.Context, c cmdutil.Client) (all loyalty.PointsHistory, err error) {
					all.Entries, all.Bookmark, err = cmdutil.Paginate(opts.Limit, "", func(size int, bookmark string) ([]loyalty.PointsEntry, string, error) {
						page, err := ledgerapi.Over(c).Loyalty().History(ctx, ledgerapi.PointsHistoryRequest{Program: opts.Program, Account: opts.Account, PageSize: size, Bookmark: bookmark})
						if err != nil {
							return nil, "", err
						}
						all.Program, all.Account = page.Program, page.Account
						return page.Entries, page.Bookmark, nil
					})
					return all, err
				}, func(all loyalty.PointsHistory) error {
					io := opts.IO
					t := cmdutil.NewTable(io, "TIME", "TYPE", "CREDITED", "DEBITED", "REFERENCE", "COUNTERPARTY", "TRANSACTION")
					for _, e := range all.Entries {
						ref := e.Earn + e.Redemption + e.Transfer
						if e.Order != "" {
							ref += " order " + e.Order
						}
						counter := e.Counterparty
						if e.Merchant != "" {
							counter = e.Merchant
						}
						t.Row(io.Time(e.Time), e.Type, points(e.Credited), points(e.Debited), ref, counter, e.TxID)
					}
					return t.Render()
				})
		},
	}
	cmdutil.AddLimitFlag(cmd, &opts.Limit, 50, "changes")
	cmdutil.AddTimeoutFlag(cmd, &opts.Timeout)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, loyalty.PointsHistory{})
	return cmd
}

func points(a ledgertypes.Amount) string {
	if a == 0 {
		return ""
	}
	return strconv.FormatInt(int64(a), 10)
}

// StatementOptions are the inputs of `cxl loyalty statement`.
type StatementOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	JSON     bool
	Timeout  time.Duration
	Merchant string
	Other    string
	From, To time.Time
}

// NewCmdStatement returns `cxl loyalty statement`; runF replaces the run function in tests.
func NewCmdStatement(f *cmdutil.Factory, runF func(*StatementOptions) error) *cobra.Command {
	opts := &StatementOptions{IO: f.IO, Ledger: f.Ledger}
	var from, to string
	cmd := &cobra.Command{
		Use:   "statement MERCHANT COUNTERPARTY --from DATE --to DATE",
		Short: "Net what two merchants owe each other for redemptions over a period of at most 366 days",
		Args:  cmdutil.ExactArgs("MERCHANT", "COUNTERPARTY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Merchant, opts.Other = args[0], args[1]
			if err := cmdutil.RequireFlags(cmd, "from", "to"); err != nil {
				return err
			}
			var err error
			if opts.From, err = cmdutil.ParseTime("from", from); err != nil {
				return err
			}
			if opts.To, err = cmdutil.ParseTime("to", to); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return cmdutil.WithClient(cmd.Context(), opts.Ledger, opts.Timeout, func(ctx context.Context, c cmdutil.Client) error {
				req := ledgerapi.StatementRequest{Merchant: opts.Merchant, Counterparty: opts.Other, From: opts.From, To: opts.To, PageSize: 100}
				var all *loyalty.SettlementStatement
				for {
					page, err := ledgerapi.Over(c).Loyalty().Statement(ctx, req)
					if err != nil {
						return err
					}
					if all == nil {
						all = page
					} else {
						all.Entries = append(all.Entries, page.Entries...)
					}
					all.Bookmark = page.Bookmark
					if page.Bookmark == "" || len(page.Entries) == 0 {
						break
					}
					req.Bookmark = page.Bookmark
				}
				if opts.JSON {
					return cmdutil.PrintJSON(opts.IO.Out, all)
				}
				io := opts.IO
				t := cmdutil.NewTable(io, "CURRENCY", "PAYABLE", "RECEIVABLE", "NET", "NET DEBTOR", "NET CREDITOR")
				for _, tot := range all.Totals {
					t.Row(tot.Currency, points(tot.Payable), points(tot.Receivable), strconv.FormatInt(int64(tot.Net), 10), tot.NetDebtor, tot.NetCreditor)
				}
				if err := t.Render(); err != nil {
					return err
				}
				if io.OutTTY && len(all.Entries) > 0 {
					fmt.Fprintln(io.Out)
				}
				e := cmdutil.NewTable(io, "TIME", "KIND", "DEBTOR", "CREDITOR", "VALUE", "POINTS", "PROGRAMME", "REDEMPTION")
				for _, en := range all.Entries {
					e.Row(io.Time(en.Time), en.Kind, en.Debtor, en.Creditor, strconv.FormatInt(int64(en.Value), 10)+" "+en.Currency, points(en.Points), en.Program, en.Redemption)
				}
				return e.Render()
			})
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the period's first `DATE`")
	cmd.Flags().StringVar(&to, "to", "", "the `DATE` after the period's last")
	cmdutil.AddTimeoutFlag(cmd, &opts.Timeout)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, loyalty.SettlementStatement{})
	return cmd
}

// OrderPointsOptions are the inputs of `cxl loyalty order-points`.
type OrderPointsOptions struct {
	IO      *cmdutil.IOStreams
	Ledger  func(context.Context) (cmdutil.Client, error)
	JSON    bool
	Timeout time.Duration
	Order   string
}

// NewCmdOrderPoints returns `cxl loyalty order-points`; runF replaces the run function in
// tests.
func NewCmdOrderPoints(f *cmdutil.Factory, runF func(*OrderPointsOptions) error) *cobra.Command {
	opts := &OrderPointsOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "order-points ORDER",
		Short: "Follow an order's points: what its delivery earned, what was redeemed on it, what refunds reversed",
		Args:  cmdutil.ExactArgs("ORDER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Order = args[0]
			if runF != nil {
				return runF(opts)
			}
			return cmdutil.Query(cmd.Context(), opts.IO, opts.Ledger, opts.Timeout, opts.JSON,
				func(ctx context.Context, c cmdutil.Client) (*loyalty.OrderPoints, error) {
					return ledgerapi.Over(c).Loyalty().OrderPoints(ctx, ledgerapi.OrderPointsRequest{Order: opts.Order})
				}, func(op *loyalty.OrderPoints) error {
					io := opts.IO
					t := cmdutil.NewTable(io, "WHAT", "PROGRAMME", "ID", "POINTS", "TIME", "TRANSACTION")
					if e := op.Earn; e != nil {
						t.Row("earned", e.Program, e.ID, points(e.Points), io.Time(e.Time), e.TxID)
					}
					for _, r := range op.Redemptions {
						t.Row("redeemed", r.Program, r.ID, points(r.Points), io.Time(r.Time), r.TxID)
					}
					for _, r := range op.Reversals {
						taken := ""
						if r.TakenBack != nil {
							taken = points(r.TakenBack.Points)
						}
						t.Row("reversed", "", "", taken, io.Time(r.Time), r.TxID)
					}
					return t.Render()
				})
		},
	}
	cmdutil.AddTimeoutFlag(cmd, &opts.Timeout)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, loyalty.OrderPoints{})
	return cmd
}
