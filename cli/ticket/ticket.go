// Package ticket holds `cxl ticket`: support tickets with append-only steps and SLA
// deadlines, whose messages and contact details are personal data sent only as transient
// data into the merchant's private collection (the ledger keeps salted hashes) and can be
// erased. It is the care contract's tickets through ledgerapi.Care.
package ticket

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/ledgerapi"
)

// NewCmdTicket returns `cxl ticket` with its subcommands.
func NewCmdTicket(f *cmdutil.Factory) *cobra.Command {
	cmd := cmdutil.Group(&cobra.Command{
		Use:   "ticket <command>",
		Short: "Open, assign, respond to, resolve, reopen, confirm, show, list and erase support tickets",
		Long: `A customer opens a ticket with a merchant (about one of their orders or not); the merchant's
people assign, respond and resolve it; the customer reopens or confirms it. Every step is
kept for good; the merchant's SLA sets deadlines for the first response and the
resolution, and breaches are recorded.

Messages and contact details are personal data: they travel as transient data into the
merchant's private collection only, and the ledger keeps their salted hashes. The salt is
made from the idempotency key (so a retried command sends the same request) unless --salt
gives one; it is printed so the customer can check the hashes later. cxl ticket erase
purges a ticket's personal data.

  open -> assign -> respond -> resolve -> confirm (closed)        resolve -> reopen -> ...`,
		Example: `  cxl ticket open t-77 --order o-1001 --category delivery --priority high --message "Parcel arrived damaged" --contact "+49 30 1234"
  cxl ticket respond t-77 --message "Sorry! A replacement is on its way."
  cxl ticket resolve t-77
  cxl ticket confirm t-77`,
	})
	sla := cmdutil.Group(&cobra.Command{Use: "sla <command>", Short: "Show, set and sweep a merchant's SLA terms"})
	sla.AddCommand(NewCmdSLAShow(f, nil), NewCmdSLASet(f, nil), NewCmdSLASweep(f, nil), NewCmdBreaches(f, nil))
	cmd.AddCommand(NewCmdOpen(f, nil), NewCmdAssign(f, nil),
		NewCmdStep(f, "respond", nil), NewCmdStep(f, "resolve", nil), NewCmdStep(f, "reopen", nil),
		NewCmdStep(f, "confirm", nil), NewCmdStep(f, "erase", nil),
		NewCmdShow(f, nil), NewCmdList(f, nil), sla)
	return cmd
}

// MessageFlags are --message, --message-file and --salt.
type MessageFlags struct {
	Message, MessageFile string
	// Salt is --salt, base64; made from the idempotency key when empty.
	Salt string
}

func (m *MessageFlags) add(cmd *cobra.Command, what string) {
	cmd.Flags().StringVarP(&m.Message, "message", "m", "", what)
	cmd.Flags().StringVar(&m.MessageFile, "message-file", "", "read the message from `FILE` (- for standard input)")
	cmd.Flags().StringVar(&m.Salt, "salt", "", "the salt of the message's hash on the ledger, base64 of 16 to 64 bytes (default: made from the idempotency key)")
}

// read resolves --message-file into Message.
func (m *MessageFlags) read(cmd *cobra.Command, in io.Reader) error {
	if err := cmdutil.FlagsExclusive(cmd, "message", "message-file"); err != nil {
		return err
	}
	if m.MessageFile == "" {
		return nil
	}
	var data []byte
	var err error
	if m.MessageFile == "-" {
		data, err = io.ReadAll(in)
	} else {
		data, err = os.ReadFile(m.MessageFile)
	}
	if err != nil {
		if u := errors.Unwrap(err); u != nil {
			err = u
		}
		return cmdutil.UsageErrorf("--message-file: %v", err)
	}
	m.Message = strings.TrimRight(string(data), "\n")
	if m.Message == "" {
		return cmdutil.UsageErrorf("--message-file %s: empty", m.MessageFile)
	}
	return nil
}

// personal is the message (and contact) with its salt, or nil when there is none.
func (m *MessageFlags) personal(io *cmdutil.IOStreams, key, contact string) (*ledgerapi.Personal, error) {
	if m.Message == "" && contact == "" {
		return nil, nil
	}
	var salt []byte
	if m.Salt != "" {
		var err error
		if salt, err = base64.StdEncoding.DecodeString(m.Salt); err != nil {
			return nil, cmdutil.UsageErrorf("--salt: not base64")
		}
	} else {
		sum := sha256.Sum256([]byte("cxl ticket salt\n" + key))
		salt = sum[:]
	}
	fmt.Fprintf(io.ErrOut, "salt %s (the ledger keeps HMAC-SHA256(salt, text); keep it to check the hashes)\n", base64.StdEncoding.EncodeToString(salt))
	return &ledgerapi.Personal{Salt: salt, Message: m.Message, Contact: contact}, nil
}

// submitTicket runs op, a mutation that returns a ticket, and prints it.
func submitTicket[Req any](ctx context.Context, io *cmdutil.IOStreams, open func(context.Context) (cmdutil.Client, error), m *cmdutil.MutationOptions,
	asJSON bool, op *ledgerapi.Op[Req, care.Ticket], req Req, done string) error {
	return cmdutil.Mutate(ctx, io, open, m, asJSON, op, req,
		func(t *care.Ticket) string { return fmt.Sprintf("%s ticket %s: now %s", done, t.ID, t.State) },
		func(t *care.Ticket) error { return printTicket(io, t) })
}

func printTicket(io *cmdutil.IOStreams, t *care.Ticket) error {
	var breaches []string
	for _, b := range t.Breaches {
		breaches = append(breaches, fmt.Sprintf("%s (round %d, due %s)", b.Kind, b.Round, io.Time(b.Due)))
	}
	erased := ""
	if !t.ErasedAt.IsZero() {
		erased = io.Time(t.ErasedAt)
	}
	return cmdutil.PrintFields(io, cmdutil.Field{Label: "ID", Value: t.ID}, cmdutil.Field{Label: "State", Value: t.State},
		cmdutil.Field{Label: "Customer", Value: t.Customer}, cmdutil.Field{Label: "Merchant", Value: t.Merchant},
		cmdutil.Field{Label: "Order", Value: t.OrderID}, cmdutil.Field{Label: "Category", Value: t.Category},
		cmdutil.Field{Label: "Priority", Value: t.Priority}, cmdutil.Field{Label: "Agent", Value: t.Agent},
		cmdutil.Field{Label: "SLA", Value: "first response " + t.SLA.FirstResponse + ", resolution " + t.SLA.Resolution},
		cmdutil.Field{Label: "Opened", Value: io.Time(t.Opened)}, cmdutil.Field{Label: "First response due", Value: io.Time(t.FirstResponseDue)},
		cmdutil.Field{Label: "Resolution due", Value: io.Time(t.ResolutionDue)}, cmdutil.Field{Label: "Breaches", Value: strings.Join(breaches, "; ")},
		cmdutil.Field{Label: "Steps", Value: strconv.Itoa(t.Steps)}, cmdutil.Field{Label: "Personal data erased", Value: erased},
		cmdutil.Field{Label: "Updated", Value: io.Time(t.Updated)}, cmdutil.Field{Label: "Updated tx", Value: t.UpdatedTx})
}

// OpenOptions are the inputs of `cxl ticket open`.
type OpenOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	Mutation cmdutil.MutationOptions
	JSON     bool

	Args care.OpenTicketArgs
	MessageFlags
	Contact string
}

// NewCmdOpen returns `cxl ticket open`; runF replaces the run function in tests.
func NewCmdOpen(f *cmdutil.Factory, runF func(*OpenOptions) error) *cobra.Command {
	opts := &OpenOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "open ID (--merchant MSP | --order ID) --category CATEGORY --priority PRIORITY --message TEXT [--contact TEXT]",
		Short: "Open a support ticket as the customer, with its first message",
		Args:  cmdutil.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Args.ID = args[0]
			if err := cmdutil.RequireFlags(cmd, "category", "priority"); err != nil {
				return err
			}
			if opts.Args.Merchant == "" && opts.Args.OrderID == "" {
				return cmdutil.UsageErrorf("give --merchant or --order (the ticket's merchant is the order's)")
			}
			if err := opts.read(cmd, opts.IO.In); err != nil {
				return err
			}
			if opts.Message == "" {
				return cmdutil.UsageErrorf("give the first --message (or --message-file)")
			}
			if runF != nil {
				return runF(opts)
			}
			p, err := opts.personal(opts.IO, opts.Mutation.Key(opts.IO), opts.Contact)
			if err != nil {
				return err
			}
			req := ledgerapi.OpenTicketRequest{OpenTicketArgs: opts.Args, Personal: *p}
			return submitTicket(cmd.Context(), opts.IO, opts.Ledger, &opts.Mutation, opts.JSON, ledgerapi.CareOpenTicket, req, "opened")
		},
	}
	cmd.Flags().StringVar(&opts.Args.Merchant, "merchant", "", "the merchant's `MSP` ID")
	cmd.Flags().StringVar(&opts.Args.OrderID, "order", "", "the order the ticket is about")
	cmd.Flags().StringVar(&opts.Args.Category, "category", "", "delivery, product, refund, billing, account or other")
	cmd.Flags().StringVar(&opts.Args.Priority, "priority", "", "low, normal, high or urgent")
	cmd.Flags().StringVar(&opts.Contact, "contact", "", "how to reach you (personal data: kept off the ledger)")
	opts.add(cmd, "the first message (personal data: kept off the ledger)")
	_ = cmd.RegisterFlagCompletionFunc("category", fixed("delivery", "product", "refund", "billing", "account", "other"))
	_ = cmd.RegisterFlagCompletionFunc("priority", fixed("low", "normal", "high", "urgent"))
	cmdutil.AddMutationFlags(cmd, &opts.Mutation)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.Committed[care.Ticket]{})
	return cmd
}

func fixed(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// AssignOptions are the inputs of `cxl ticket assign`.
type AssignOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	Mutation cmdutil.MutationOptions
	JSON     bool
	ID       string
	Agent    string
}

// NewCmdAssign returns `cxl ticket assign`; runF replaces the run function in tests.
func NewCmdAssign(f *cmdutil.Factory, runF func(*AssignOptions) error) *cobra.Command {
	opts := &AssignOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "assign ID --agent ACCOUNT",
		Short: "Assign a ticket to an agent of the merchant (the merchant)",
		Args:  cmdutil.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if err := cmdutil.RequireFlags(cmd, "agent"); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			req := ledgerapi.AssignTicketRequest{ID: opts.ID, Agent: opts.Agent}
			return submitTicket(cmd.Context(), opts.IO, opts.Ledger, &opts.Mutation, opts.JSON, ledgerapi.CareAssignTicket, req, "assigned")
		},
	}
	cmd.Flags().StringVar(&opts.Agent, "agent", "", "the agent's account `MSP/NAME`, of the merchant's organisation")
	cmdutil.AddMutationFlags(cmd, &opts.Mutation)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.Committed[care.Ticket]{})
	return cmd
}

// StepOptions are the inputs of the ticket steps: respond, resolve, reopen, confirm and
// erase.
type StepOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	Mutation cmdutil.MutationOptions
	JSON     bool

	Step string
	ID   string
	MessageFlags
}

var steps = map[string]struct {
	short, done string
	// message: 0 none, 1 optional, 2 required.
	message int
}{
	"respond": {"Respond to a ticket (the merchant)", "responded to", 2},
	"resolve": {"Resolve a ticket, with an optional closing message (the merchant)", "resolved", 1},
	"reopen":  {"Reopen a resolved ticket, with an optional message (the customer)", "reopened", 1},
	"confirm": {"Confirm a resolved ticket, closing it for good (the customer)", "confirmed", 0},
	"erase":   {"Erase a ticket's personal data: contact details and every message (the customer or the merchant)", "erased the personal data of", 0},
}

// NewCmdStep returns `cxl ticket <step>` for respond, resolve, reopen, confirm or erase;
// runF replaces the run function in tests.
func NewCmdStep(f *cmdutil.Factory, step string, runF func(*StepOptions) error) *cobra.Command {
	opts := &StepOptions{IO: f.IO, Ledger: f.Ledger, Step: step}
	s := steps[step]
	use := step + " ID"
	switch s.message {
	case 1:
		use += " [--message TEXT]"
	case 2:
		use += " --message TEXT"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: s.short,
		Args:  cmdutil.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if s.message > 0 {
				if err := opts.read(cmd, opts.IO.In); err != nil {
					return err
				}
			}
			if s.message == 2 && opts.Message == "" {
				return cmdutil.UsageErrorf("give the --message (or --message-file)")
			}
			if runF != nil {
				return runF(opts)
			}
			id := care.IDArgs{ID: opts.ID}
			var p *ledgerapi.Personal
			if s.message > 0 {
				var err error
				if p, err = opts.personal(opts.IO, opts.Mutation.Key(opts.IO), ""); err != nil {
					return err
				}
			}
			ctx, m := cmd.Context(), &opts.Mutation
			switch step {
			case "respond":
				return submitTicket(ctx, opts.IO, opts.Ledger, m, opts.JSON, ledgerapi.CareRespondTicket, ledgerapi.RespondTicketRequest{IDArgs: id, Personal: *p}, s.done)
			case "resolve":
				return submitTicket(ctx, opts.IO, opts.Ledger, m, opts.JSON, ledgerapi.CareResolveTicket, ledgerapi.TicketStepRequest{IDArgs: id, Personal: p}, s.done)
			case "reopen":
				return submitTicket(ctx, opts.IO, opts.Ledger, m, opts.JSON, ledgerapi.CareReopenTicket, ledgerapi.TicketStepRequest{IDArgs: id, Personal: p}, s.done)
			case "confirm":
				return submitTicket(ctx, opts.IO, opts.Ledger, m, opts.JSON, ledgerapi.CareConfirmTicket, id, s.done)
			}
			return submitTicket(ctx, opts.IO, opts.Ledger, m, opts.JSON, ledgerapi.CareEraseTicketData, id, s.done)
		},
	}
	if s.message > 0 {
		opts.add(cmd, "the message (personal data: kept off the ledger)")
	}
	cmdutil.AddMutationFlags(cmd, &opts.Mutation)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.Committed[care.Ticket]{})
	return cmd
}
