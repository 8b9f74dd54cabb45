package ticket

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/ledgerapi"
)

// ShowOptions are the inputs of `cxl ticket show`.
type ShowOptions struct {
	IO      *cmdutil.IOStreams
	Ledger  func(context.Context) (cmdutil.Client, error)
	JSON    bool
	Timeout time.Duration
	ID      string
	// Personal adds the personal data from the merchant's collection (its members only).
	Personal bool
}

// Shown is what `cxl ticket show` prints.
type Shown struct {
	care.TicketDetail
	// Personal is the personal data, with --personal.
	Personal *care.TicketPersonalData `json:"personal,omitempty"`
}

// NewCmdShow returns `cxl ticket show`; runF replaces the run function in tests.
func NewCmdShow(f *cmdutil.Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "show ID [--personal]",
		Short: "Show a ticket with its steps and overdue deadlines; --personal adds its messages (the merchant)",
		Long: `Show a ticket, every step taken on it and the deadlines overdue now. With --personal, also
the contact details and messages from the merchant's private collection, each checked
against its hash on the ledger: only members of the merchant's organisation can read them,
from their own peers, and only through the merchant's gateway service (CXL_GATEWAY), whose
vault holds the keys they are sealed to; through a direct Fabric profile, which has no
vault, --personal fails with FORBIDDEN.`,
		Args: cmdutil.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(opts)
			}
			return cmdutil.WithClient(cmd.Context(), opts.Ledger, opts.Timeout, func(ctx context.Context, c cmdutil.Client) error {
				d, err := ledgerapi.Over(c).Care().GetTicket(ctx, ledgerapi.TicketRequest{ID: opts.ID})
				if err != nil {
					return err
				}
				shown := Shown{TicketDetail: *d}
				if opts.Personal {
					if shown.Personal, err = ledgerapi.Over(c).Care().GetTicketPersonalData(ctx, ledgerapi.TicketRequest{ID: opts.ID}); err != nil {
						return err
					}
				}
				if opts.JSON {
					return cmdutil.PrintJSON(opts.IO.Out, shown)
				}
				io := opts.IO
				if err := printTicket(io, &d.Ticket); err != nil {
					return err
				}
				if io.OutTTY {
					fmt.Fprintln(io.Out)
				}
				t := cmdutil.NewTable(io, "STEP", "TIME", "ACTION", "BY", "STATE", "MESSAGE HASH")
				for _, s := range d.Steps {
					t.Row(fmt.Sprint(s.Seq), io.Time(s.Time), s.Action, s.Actor, s.State, s.MessageHash)
				}
				if err := t.Render(); err != nil {
					return err
				}
				for _, b := range d.Overdue {
					io.Warn("%s deadline of round %d was due %s", b.Kind, b.Round, io.Time(b.Due))
				}
				if shown.Personal != nil {
					if io.OutTTY {
						fmt.Fprintln(io.Out)
					}
					p := cmdutil.NewTable(io, "FIELD", "STEP", "VERIFIED", "TEXT")
					for _, tx := range shown.Personal.Texts {
						p.Row(tx.Field, fmt.Sprint(tx.Step), fmt.Sprint(tx.Verified), tx.Value)
					}
					return p.Render()
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&opts.Personal, "personal", false, "add the personal data (members of the merchant's organisation only)")
	cmdutil.AddTimeoutFlag(cmd, &opts.Timeout)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, Shown{})
	return cmd
}

// ListOptions are the inputs of `cxl ticket list`.
type ListOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	JSON     bool
	Timeout  time.Duration
	Merchant string
	Limit    int
}

// NewCmdList returns `cxl ticket list`; runF replaces the run function in tests.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "list [--merchant MSP]",
		Short: "List your tickets, or a merchant's",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return cmdutil.Query(cmd.Context(), opts.IO, opts.Ledger, opts.Timeout, opts.JSON,
				func(ctx context.Context, c cmdutil.Client) (all care.TicketPage, err error) {
					all.Tickets, all.Next, err = cmdutil.Paginate(opts.Limit, "", func(size int, bookmark string) ([]care.Ticket, string, error) {
						page, err := ledgerapi.Over(c).Care().ListTickets(ctx, ledgerapi.ListTicketsRequest{Merchant: opts.Merchant, PageSize: size, Bookmark: bookmark})
						if err != nil {
							return nil, "", err
						}
						return page.Tickets, page.Next, nil
					})
					return all, err
				},
				func(all care.TicketPage) error {
					io := opts.IO
					t := cmdutil.NewTable(io, "ID", "STATE", "PRIORITY", "CATEGORY", "CUSTOMER", "MERCHANT", "ORDER", "BREACHES", "UPDATED")
					for _, tk := range all.Tickets {
						t.Row(tk.ID, tk.State, tk.Priority, tk.Category, tk.Customer, tk.Merchant, tk.OrderID, fmt.Sprint(len(tk.Breaches)), io.Time(tk.Updated))
					}
					return t.Render()
				})
		},
	}
	cmd.Flags().StringVar(&opts.Merchant, "merchant", "", "list this merchant's tickets (`MSP`)")
	cmdutil.AddLimitFlag(cmd, &opts.Limit, 50, "tickets")
	cmdutil.AddTimeoutFlag(cmd, &opts.Timeout)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, care.TicketPage{})
	return cmd
}

// SLAShowOptions are the inputs of `cxl ticket sla show`.
type SLAShowOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	JSON     bool
	Timeout  time.Duration
	Merchant string
}

// NewCmdSLAShow returns `cxl ticket sla show`; runF replaces the run function in tests.
func NewCmdSLAShow(f *cmdutil.Factory, runF func(*SLAShowOptions) error) *cobra.Command {
	opts := &SLAShowOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "show MERCHANT",
		Short: "Show a merchant's SLA terms per priority (policies are public)",
		Args:  cmdutil.ExactArgs("MERCHANT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Merchant = args[0]
			if runF != nil {
				return runF(opts)
			}
			return cmdutil.Query(cmd.Context(), opts.IO, opts.Ledger, opts.Timeout, opts.JSON,
				func(ctx context.Context, c cmdutil.Client) (*care.SLAPolicy, error) {
					return ledgerapi.Over(c).Care().GetSLAPolicy(ctx, ledgerapi.MerchantRequest{Merchant: opts.Merchant})
				},
				func(p *care.SLAPolicy) error { return printPolicy(opts.IO, p) })
		},
	}
	cmdutil.AddTimeoutFlag(cmd, &opts.Timeout)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, care.SLAPolicy{})
	return cmd
}

func printPolicy(io *cmdutil.IOStreams, p *care.SLAPolicy) error {
	t := cmdutil.NewTable(io, "PRIORITY", "FIRST RESPONSE", "RESOLUTION")
	for _, r := range []struct {
		name string
		t    care.SLATerms
	}{{"urgent", p.Urgent}, {"high", p.High}, {"normal", p.Normal}, {"low", p.Low}} {
		t.Row(r.name, r.t.FirstResponse, r.t.Resolution)
	}
	if p.Default {
		fmt.Fprintf(io.ErrOut, "%s has set no SLA policy: these are the defaults\n", p.Merchant)
	}
	return t.Render()
}

// SLASetOptions are the inputs of `cxl ticket sla set`.
type SLASetOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	Mutation cmdutil.MutationOptions
	JSON     bool
	Policy   care.SLAPolicyArgs
}

// NewCmdSLASet returns `cxl ticket sla set`; runF replaces the run function in tests.
func NewCmdSLASet(f *cmdutil.Factory, runF func(*SLASetOptions) error) *cobra.Command {
	opts := &SLASetOptions{IO: f.IO, Ledger: f.Ledger}
	var terms [4]string
	cmd := &cobra.Command{
		Use:   "set --urgent FIRST/RESOLUTION --high ... --normal ... --low ...",
		Short: "Set your merchant organisation's SLA terms per priority; tickets opened later take them",
		Long: `Set your organisation's SLA terms: for each priority the time to the first response and to
the resolution, as Go durations of whole seconds, FIRST/RESOLUTION (1h/4h). Tickets keep the
terms in force when they were opened.`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.RequireFlags(cmd, "urgent", "high", "normal", "low"); err != nil {
				return err
			}
			dst := []*care.SLATerms{&opts.Policy.Urgent, &opts.Policy.High, &opts.Policy.Normal, &opts.Policy.Low}
			for i, name := range []string{"urgent", "high", "normal", "low"} {
				first, res, ok := splitTerms(terms[i])
				if !ok {
					return cmdutil.UsageErrorf("--%s %q: want FIRST/RESOLUTION, like 1h/4h", name, terms[i])
				}
				*dst[i] = care.SLATerms{FirstResponse: first, Resolution: res}
			}
			if runF != nil {
				return runF(opts)
			}
			req := opts.Policy
			return cmdutil.Mutate(cmd.Context(), opts.IO, opts.Ledger, &opts.Mutation, opts.JSON, ledgerapi.CareSetSLAPolicy, req,
				func(p *care.SLAPolicy) string { return "set the SLA policy of " + p.Merchant },
				func(p *care.SLAPolicy) error { return printPolicy(opts.IO, p) })
		},
	}
	for i, name := range []string{"urgent", "high", "normal", "low"} {
		cmd.Flags().StringVar(&terms[i], name, "", "the "+name+" terms `FIRST/RESOLUTION`")
	}
	cmdutil.AddMutationFlags(cmd, &opts.Mutation)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.Committed[care.SLAPolicy]{})
	return cmd
}

func splitTerms(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return s[:i], s[i+1:], i > 0 && i < len(s)-1
		}
	}
	return "", "", false
}

// SLASweepOptions are the inputs of `cxl ticket sla sweep`.
type SLASweepOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	Mutation cmdutil.MutationOptions
	JSON     bool
	Merchant string
	Limit    int
}

// NewCmdSLASweep returns `cxl ticket sla sweep`; runF replaces the run function in tests.
func NewCmdSLASweep(f *cmdutil.Factory, runF func(*SLASweepOptions) error) *cobra.Command {
	opts := &SLASweepOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "sweep MERCHANT [--limit N]",
		Short: "Record the SLA breaches of a merchant's tickets nobody touched (the merchant, auditors, arbiters)",
		Args:  cmdutil.ExactArgs("MERCHANT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Merchant = args[0]
			if runF != nil {
				return runF(opts)
			}
			req := ledgerapi.SweepSLARequest{Merchant: opts.Merchant, Limit: opts.Limit}
			return cmdutil.Mutate(cmd.Context(), opts.IO, opts.Ledger, &opts.Mutation, opts.JSON, ledgerapi.CareSweepSLA, req,
				func(s *care.SLASweep) string {
					more := ""
					if s.More {
						more = "; more are overdue, sweep again"
					}
					return fmt.Sprintf("recorded %d breaches of %s%s", len(s.Recorded), opts.Merchant, more)
				},
				func(s *care.SLASweep) error { return printBreaches(opts.IO, s.Recorded) })
		},
	}
	cmd.Flags().IntVar(&opts.Limit, "limit", 0, "record at most `N` breaches (0: 100)")
	cmdutil.AddMutationFlags(cmd, &opts.Mutation)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.Committed[care.SLASweep]{})
	return cmd
}

func printBreaches(io *cmdutil.IOStreams, bs []care.SLABreach) error {
	t := cmdutil.NewTable(io, "TICKET", "KIND", "ROUND", "PRIORITY", "DUE", "DETECTED")
	for _, b := range bs {
		t.Row(b.Ticket, b.Kind, fmt.Sprint(b.Round), b.Priority, io.Time(b.Due), io.Time(b.DetectedAt))
	}
	return t.Render()
}

// BreachesOptions are the inputs of `cxl ticket sla breaches`.
type BreachesOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	JSON     bool
	Timeout  time.Duration
	Merchant string
	Limit    int
}

// NewCmdBreaches returns `cxl ticket sla breaches`; runF replaces the run function in tests.
func NewCmdBreaches(f *cmdutil.Factory, runF func(*BreachesOptions) error) *cobra.Command {
	opts := &BreachesOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "breaches MERCHANT",
		Short: "List a merchant's recorded SLA breaches",
		Args:  cmdutil.ExactArgs("MERCHANT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Merchant = args[0]
			if runF != nil {
				return runF(opts)
			}
			return cmdutil.Query(cmd.Context(), opts.IO, opts.Ledger, opts.Timeout, opts.JSON,
				func(ctx context.Context, c cmdutil.Client) (all care.BreachReport, err error) {
					all.Merchant = opts.Merchant
					all.Breaches, all.Next, err = cmdutil.Paginate(opts.Limit, "", func(size int, bookmark string) ([]care.SLABreach, string, error) {
						page, err := ledgerapi.Over(c).Care().BreachReport(ctx, ledgerapi.BreachReportRequest{Merchant: opts.Merchant, PageSize: size, Bookmark: bookmark})
						if err != nil {
							return nil, "", err
						}
						return page.Breaches, page.Next, nil
					})
					return all, err
				},
				func(all care.BreachReport) error { return printBreaches(opts.IO, all.Breaches) })
		},
	}
	cmdutil.AddLimitFlag(cmd, &opts.Limit, 100, "breaches")
	cmdutil.AddTimeoutFlag(cmd, &opts.Timeout)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, care.BreachReport{})
	return cmd
}
