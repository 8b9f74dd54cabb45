package product

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/ledgerapi"
)

// CustodyOptions are the inputs of the custody commands: handover, accept, reject and
// withdraw.
type CustodyOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	Mutation cmdutil.MutationOptions
	JSON     bool

	GTIN string
	SubjectFlags
	// To and Location are the receiver and the place of a handover.
	To, Location string
	// Reason is why a handover is rejected.
	Reason string
}

func (o *CustodyOptions) subjectOf() (ledgerapi.Subject, error) {
	return o.subject(o.GTIN, provenance.KindLot, provenance.KindItem)
}

// custodyCommand builds one of the custody commands.
func custodyCommand(f *cmdutil.Factory, opts *CustodyOptions, use, short, long string, check func(*cobra.Command) error,
	runF func(*CustodyOptions) error, run func(context.Context, *CustodyOptions) error) *cobra.Command {
	opts.IO, opts.Ledger = f.IO, f.Ledger
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long,
		Args:  cmdutil.ExactArgs("GTIN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.GTIN = args[0]
			if _, err := opts.subjectOf(); err != nil {
				return err
			}
			if check != nil {
				if err := check(cmd); err != nil {
					return err
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	opts.add(cmd)
	cmdutil.AddMutationFlags(cmd, &opts.Mutation)
	return cmd
}

// NewCmdHandover returns `cxl product handover`; runF replaces the run function in tests.
func NewCmdHandover(f *cmdutil.Factory, runF func(*CustodyOptions) error) *cobra.Command {
	opts := &CustodyOptions{}
	cmd := custodyCommand(f, opts, "handover GTIN (--lot LOT | --serial SERIAL) --to RECEIVER --location PLACE",
		"Offer custody of a lot or item you hold to another organisation or account",
		`Offer custody of a lot or item the caller holds to an organisation ("Org2MSP": any of its
identities accepts) or an account ("Org2MSP/driver7": only that identity). The receiver
takes it with `+"`cxl product accept`"+` or declines with `+"`cxl product reject`"+`; until then the
holder may take the offer back with `+"`cxl product withdraw`"+`. One offer at a time.`,
		func(cmd *cobra.Command) error { return cmdutil.RequireFlags(cmd, "to", "location") }, runF, handoverRun)
	cmd.Flags().StringVar(&opts.To, "to", "", "the receiver: an MSP ID or an account `MSP/NAME`")
	cmd.Flags().StringVar(&opts.Location, "location", "", "where the handover takes `place`")
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.Committed[provenance.Custody]{})
	return cmd
}

// NewCmdAccept returns `cxl product accept`; runF replaces the run function in tests.
func NewCmdAccept(f *cmdutil.Factory, runF func(*CustodyOptions) error) *cobra.Command {
	opts := &CustodyOptions{}
	cmd := custodyCommand(f, opts, "accept GTIN (--lot LOT | --serial SERIAL)",
		"Take custody of a lot or item offered to you", "", nil, runF, acceptRun)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.Committed[provenance.Custody]{})
	return cmd
}

// NewCmdReject returns `cxl product reject`; runF replaces the run function in tests.
func NewCmdReject(f *cmdutil.Factory, runF func(*CustodyOptions) error) *cobra.Command {
	opts := &CustodyOptions{}
	cmd := custodyCommand(f, opts, "reject GTIN (--lot LOT | --serial SERIAL) [--reason TEXT]",
		"Decline custody of a lot or item offered to you", "", nil, runF, rejectRun)
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "why (no personal data: it is on the ledger)")
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.Committed[provenance.Custody]{})
	return cmd
}

// NewCmdWithdraw returns `cxl product withdraw`; runF replaces the run function in tests.
func NewCmdWithdraw(f *cmdutil.Factory, runF func(*CustodyOptions) error) *cobra.Command {
	opts := &CustodyOptions{}
	cmd := custodyCommand(f, opts, "withdraw GTIN (--lot LOT | --serial SERIAL)",
		"Take back a handover offer you made that is not accepted yet", "", nil, runF, withdrawRun)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.Committed[provenance.Custody]{})
	return cmd
}

// custodyStep submits op, one custody step, and prints the custody it leaves.
func custodyStep[Req any](ctx context.Context, opts *CustodyOptions, op *ledgerapi.Op[Req, provenance.Custody], req Req, done string) error {
	return cmdutil.Mutate(ctx, opts.IO, opts.Ledger, &opts.Mutation, opts.JSON, op, req,
		func(*provenance.Custody) string { return done },
		func(c *provenance.Custody) error { return printCustody(opts.IO, c) })
}

func handoverRun(ctx context.Context, opts *CustodyOptions) error {
	s, _ := opts.subjectOf()
	req := ledgerapi.OfferCustodyRequest{SubjectArgs: s, To: opts.To, Location: opts.Location}
	return custodyStep(ctx, opts, ledgerapi.ProvenanceOfferCustody, req, "offered "+name(s)+" to "+opts.To)
}

func acceptRun(ctx context.Context, opts *CustodyOptions) error {
	s, _ := opts.subjectOf()
	req := ledgerapi.CustodyRequest{SubjectArgs: s}
	return custodyStep(ctx, opts, ledgerapi.ProvenanceAcceptCustody, req, "took custody of "+name(s))
}

func rejectRun(ctx context.Context, opts *CustodyOptions) error {
	s, _ := opts.subjectOf()
	req := ledgerapi.RejectCustodyRequest{SubjectArgs: s, Reason: opts.Reason}
	return custodyStep(ctx, opts, ledgerapi.ProvenanceRejectCustody, req, "declined custody of "+name(s))
}

func withdrawRun(ctx context.Context, opts *CustodyOptions) error {
	s, _ := opts.subjectOf()
	req := ledgerapi.CustodyRequest{SubjectArgs: s}
	return custodyStep(ctx, opts, ledgerapi.ProvenanceWithdrawCustodyOffer, req, "withdrew the offer of "+name(s))
}
