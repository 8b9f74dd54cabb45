// Package loyalty holds `cxl loyalty`: coalition points that a merchant issues in a
// programme, customers earn and redeem at the issuer or partner merchants and transfer,
// that expire and settle between merchants. It is the loyalty contract through
// ledgerapi.Loyalty.
package loyalty

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/loyalty"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/ledgerapi"
)

// NewCmdLoyalty returns `cxl loyalty` with its subcommands.
func NewCmdLoyalty(f *cmdutil.Factory) *cobra.Command {
	cmd := cmdutil.Group(&cobra.Command{
		Use:   "loyalty <command>",
		Short: "Create programmes; earn, redeem, transfer and follow loyalty points",
		Long: `A merchant creates a programme and issues its points: customers earn them on purchases,
redeem them at the issuer or at partner merchants that accepted the programme's terms, and
transfer them when the programme allows. Points expire after the programme's expiry days;
redemptions at partners become settlement obligations between merchants (statement).
Accounts are customers' identities, "Org1MSP/User1@org1.example.com"; with a Fabric profile
your own account is the default.`,
		Example: `  cxl loyalty program create beans-club --name "Beans Club" --unit bean --currency EUR --earn 1/100 --expiry-days 365 --partner Org2MSP:1/1
  cxl loyalty earn beans-club Org1MSP/User1@org1.example.com --amount 2500
  cxl loyalty redeem beans-club --points 20 --merchant Org1MSP
  cxl loyalty balance beans-club`,
	})
	program := cmdutil.Group(&cobra.Command{
		Use:   "program <command>",
		Short: "Create, show, list and accept loyalty programmes",
	})
	program.AddCommand(NewCmdProgramCreate(f, nil), NewCmdProgramShow(f, nil), NewCmdProgramList(f, nil), NewCmdProgramAccept(f, nil))
	cmd.AddCommand(program, NewCmdEarn(f, nil), NewCmdRedeem(f, nil), NewCmdTransfer(f, nil), NewCmdBalance(f, nil),
		NewCmdHistory(f, nil), NewCmdStatement(f, nil), NewCmdExpire(f, nil), NewCmdOrderPoints(f, nil))
	return cmd
}

// parseRate parses "POINTS/PER" (or "VALUE/PER").
func parseRate(flag, s string) (ledgertypes.Amount, ledgertypes.Amount, error) {
	a, b, ok := strings.Cut(s, "/")
	x, err1 := ledgertypes.ParseAmount(a)
	y, err2 := ledgertypes.ParseAmount(b)
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, cmdutil.UsageErrorf("--%s %q: want N/PER, like 1/100 (whole numbers)", flag, s)
	}
	return x, y, nil
}

// ProgramCreateOptions are the inputs of `cxl loyalty program create`.
type ProgramCreateOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	Mutation cmdutil.MutationOptions
	JSON     bool

	Request ledgerapi.CreateProgramRequest
}

// NewCmdProgramCreate returns `cxl loyalty program create`; runF replaces the run function
// in tests.
func NewCmdProgramCreate(f *cmdutil.Factory, runF func(*ProgramCreateOptions) error) *cobra.Command {
	opts := &ProgramCreateOptions{IO: f.IO, Ledger: f.Ledger}
	var earn string
	var tiers, multipliers, partners []string
	cmd := &cobra.Command{
		Use:   "create ID --name NAME --unit UNIT --currency CODE --earn POINTS/PER [flags]",
		Short: "Create a programme issued by your organisation (merchant role); its terms never change",
		Long: `Create a programme: purchases earn --earn POINTS/PER (1/100: a point per 100 minor units,
rounded down); --tier MIN:POINTS/PER gives purchases of at least MIN another rate; a
--multiplier FROM..UNTIL:PERCENT (200 doubles) applies between two dates. Points expire
--expiry-days after they are earned (0: never). --partner MSP:VALUE/PER offers another
merchant terms: PER points are worth VALUE minor units of --currency when redeemed there;
the partner takes points once it accepted (cxl loyalty program accept). --earn-on-orders
makes orders you deliver earn in the programme.`,
		Args: cmdutil.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			r := &opts.Request
			r.ID = args[0]
			if err := cmdutil.RequireFlags(cmd, "name", "unit", "currency", "earn"); err != nil {
				return err
			}
			var err error
			if r.Earn.Points, r.Earn.Per, err = parseRate("earn", earn); err != nil {
				return err
			}
			for _, t := range tiers {
				min, rate, ok := strings.Cut(t, ":")
				m, err := ledgertypes.ParseAmount(min)
				if !ok || err != nil {
					return cmdutil.UsageErrorf("--tier %q: want MIN:POINTS/PER, like 10000:2/100", t)
				}
				p, per, err := parseRate("tier", rate)
				if err != nil {
					return err
				}
				r.Earn.Tiers = append(r.Earn.Tiers, loyalty.EarnTier{MinAmount: m, Points: p, Per: per})
			}
			for _, m := range multipliers {
				span, pct, ok := strings.Cut(m, ":")
				from, until, ok2 := strings.Cut(span, "..")
				percent, err := strconv.ParseInt(pct, 10, 64)
				if !ok || !ok2 || err != nil {
					return cmdutil.UsageErrorf("--multiplier %q: want FROM..UNTIL:PERCENT, like 2025-12-01..2025-12-25:200", m)
				}
				f, err := cmdutil.ParseTime("multiplier", from)
				if err != nil {
					return err
				}
				u, err := cmdutil.ParseTime("multiplier", until)
				if err != nil {
					return err
				}
				r.Earn.Multipliers = append(r.Earn.Multipliers, loyalty.EarnMultiplier{From: f, Until: u, Percent: percent})
			}
			for _, p := range partners {
				msp, rate, ok := strings.Cut(p, ":")
				if !ok || msp == "" {
					return cmdutil.UsageErrorf("--partner %q: want MSP:VALUE/PER, like Org2MSP:1/1", p)
				}
				v, per, err := parseRate("partner", rate)
				if err != nil {
					return err
				}
				r.Partners = append(r.Partners, ledgerapi.PartnerOffer{MSP: msp, Value: v, Per: per})
			}
			if runF != nil {
				return runF(opts)
			}
			return cmdutil.Mutate(cmd.Context(), opts.IO, opts.Ledger, &opts.Mutation, opts.JSON, ledgerapi.LoyaltyCreateProgram, *r,
				func(p *loyalty.Program) string { return "created programme " + p.ID },
				func(p *loyalty.Program) error { return printProgram(opts.IO, p) })
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Request.Name, "name", "", "the programme's `name`")
	fl.StringVar(&opts.Request.Unit, "unit", "", "what a point is called (`UNIT`: bean, mile)")
	fl.StringVar(&opts.Request.Currency, "currency", "", "the currency `code` of purchases and partner values")
	fl.StringVar(&earn, "earn", "", "earn `POINTS/PER` minor units of a purchase")
	fl.StringArrayVar(&tiers, "tier", nil, "purchases of at least MIN earn at another rate: `MIN:POINTS/PER` (repeatable)")
	fl.StringArrayVar(&multipliers, "multiplier", nil, "multiply earns between two dates: `FROM..UNTIL:PERCENT` (repeatable)")
	fl.IntVar(&opts.Request.ExpiryDays, "expiry-days", 0, "points expire `N` days after they are earned (0: never)")
	fl.BoolVar(&opts.Request.Transferable, "transferable", false, "customers may transfer points to each other")
	fl.BoolVar(&opts.Request.EarnOnOrders, "earn-on-orders", false, "orders you deliver earn points in this programme")
	fl.StringArrayVar(&partners, "partner", nil, "offer a merchant partner terms: `MSP:VALUE/PER` (repeatable)")
	cmdutil.AddMutationFlags(cmd, &opts.Mutation)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.Committed[loyalty.Program]{})
	return cmd
}

func printProgram(io *cmdutil.IOStreams, p *loyalty.Program) error {
	earn := fmt.Sprintf("%d %s per %d %s", p.Earn.Points, p.Unit, p.Earn.Per, p.Currency)
	for _, t := range p.Earn.Tiers {
		earn += fmt.Sprintf("; from %d: %d per %d", t.MinAmount, t.Points, t.Per)
	}
	for _, m := range p.Earn.Multipliers {
		earn += fmt.Sprintf("; %d%% from %s until %s", m.Percent, io.Time(m.From), io.Time(m.Until))
	}
	expiry := "never"
	if p.ExpiryDays > 0 {
		expiry = strconv.Itoa(p.ExpiryDays) + " days after earning"
	}
	fields := []cmdutil.Field{{Label: "ID", Value: p.ID}, {Label: "Name", Value: p.Name}, {Label: "Issuer", Value: p.Merchant},
		{Label: "Earn", Value: earn}, {Label: "Expiry", Value: expiry},
		{Label: "Transferable", Value: strconv.FormatBool(p.Transferable)}, {Label: "Earn on orders", Value: strconv.FormatBool(p.EarnOnOrders)},
		{Label: "Created", Value: io.Time(p.Created)}}
	for _, pt := range p.Partners {
		state := "offered"
		if pt.Accepted != nil {
			state = "accepted " + io.Time(*pt.Accepted)
		}
		fields = append(fields, cmdutil.Field{Label: "Partner", Value: fmt.Sprintf("%s: %d %s per %d %s (%s)", pt.MSP, pt.Value, p.Currency, pt.Per, p.Unit, state)})
	}
	return cmdutil.PrintFields(io, fields...)
}

// ProgramShowOptions are the inputs of `cxl loyalty program show`.
type ProgramShowOptions struct {
	IO      *cmdutil.IOStreams
	Ledger  func(context.Context) (cmdutil.Client, error)
	JSON    bool
	Timeout time.Duration
	ID      string
}

// NewCmdProgramShow returns `cxl loyalty program show`; runF replaces the run function in
// tests.
func NewCmdProgramShow(f *cmdutil.Factory, runF func(*ProgramShowOptions) error) *cobra.Command {
	opts := &ProgramShowOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show a programme's terms and partners",
		Args:  cmdutil.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(opts)
			}
			return cmdutil.Query(cmd.Context(), opts.IO, opts.Ledger, opts.Timeout, opts.JSON,
				func(ctx context.Context, c cmdutil.Client) (*loyalty.Program, error) {
					return ledgerapi.Over(c).Loyalty().GetProgram(ctx, ledgerapi.ProgramRequest{Program: opts.ID})
				},
				func(p *loyalty.Program) error { return printProgram(opts.IO, p) })
		},
	}
	cmdutil.AddTimeoutFlag(cmd, &opts.Timeout)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, loyalty.Program{})
	return cmd
}

// ProgramListOptions are the inputs of `cxl loyalty program list`.
type ProgramListOptions struct {
	IO      *cmdutil.IOStreams
	Ledger  func(context.Context) (cmdutil.Client, error)
	JSON    bool
	Timeout time.Duration
	Limit   int
}

// NewCmdProgramList returns `cxl loyalty program list`; runF replaces the run function in
// tests.
func NewCmdProgramList(f *cmdutil.Factory, runF func(*ProgramListOptions) error) *cobra.Command {
	opts := &ProgramListOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the programmes",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return cmdutil.Query(cmd.Context(), opts.IO, opts.Ledger, opts.Timeout, opts.JSON,
				func(ctx context.Context, c cmdutil.Client) (all loyalty.ProgramPage, err error) {
					all.Programs, all.Bookmark, err = cmdutil.Paginate(opts.Limit, "", func(size int, bookmark string) ([]loyalty.Program, string, error) {
						page, err := ledgerapi.Over(c).Loyalty().ListPrograms(ctx, ledgerapi.ListProgramsRequest{PageSize: size, Bookmark: bookmark})
						if err != nil {
							return nil, "", err
						}
						return page.Programs, page.Bookmark, nil
					})
					return all, err
				}, func(all loyalty.ProgramPage) error {
					t := cmdutil.NewTable(opts.IO, "ID", "NAME", "ISSUER", "UNIT", "EARN", "EXPIRY DAYS", "PARTNERS")
					for _, p := range all.Programs {
						var partners []string
						for _, pt := range p.Partners {
							partners = append(partners, pt.MSP)
						}
						t.Row(p.ID, p.Name, p.Merchant, p.Unit, fmt.Sprintf("%d/%d", p.Earn.Points, p.Earn.Per), strconv.Itoa(p.ExpiryDays), strings.Join(partners, ","))
					}
					return t.Render()
				})
		},
	}
	cmdutil.AddLimitFlag(cmd, &opts.Limit, 50, "programmes")
	cmdutil.AddTimeoutFlag(cmd, &opts.Timeout)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, loyalty.ProgramPage{})
	return cmd
}

// ProgramAcceptOptions are the inputs of `cxl loyalty program accept`.
type ProgramAcceptOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	Mutation cmdutil.MutationOptions
	JSON     bool
	ID       string
}

// NewCmdProgramAccept returns `cxl loyalty program accept`; runF replaces the run function
// in tests.
func NewCmdProgramAccept(f *cmdutil.Factory, runF func(*ProgramAcceptOptions) error) *cobra.Command {
	opts := &ProgramAcceptOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "accept ID",
		Short: "Accept the partner terms a programme offers your organisation, so its points are taken at you",
		Args:  cmdutil.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(opts)
			}
			req := ledgerapi.ProgramRequest{Program: opts.ID}
			return cmdutil.Mutate(cmd.Context(), opts.IO, opts.Ledger, &opts.Mutation, opts.JSON, ledgerapi.LoyaltyAcceptPartnership, req,
				func(t *loyalty.PartnerTerms) string {
					return fmt.Sprintf("%s accepted the terms of %s: %d per %d points", t.MSP, opts.ID, t.Value, t.Per)
				}, nil)
		},
	}
	cmdutil.AddMutationFlags(cmd, &opts.Mutation)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.Committed[loyalty.PartnerTerms]{})
	return cmd
}
