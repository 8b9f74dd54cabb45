package product

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/ledgerapi"
)

// VerifyOptions are the inputs of `cxl product verify`.
type VerifyOptions struct {
	IO      *cmdutil.IOStreams
	Ledger  func(context.Context) (cmdutil.Client, error)
	JSON    bool
	Timeout time.Duration

	GTIN, Serial string
}

// NewCmdVerify returns `cxl product verify`; runF replaces the run function in tests.
func NewCmdVerify(f *cmdutil.Factory, runF func(*VerifyOptions) error) *cobra.Command {
	opts := &VerifyOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "verify GTIN --serial SERIAL",
		Short: "Tell whether an item is genuine, where it has been, what certifies it and whether it is recalled",
		Long: `Tell whether an item is genuine (its brand registered this GTIN and serial), who holds it and
held it, the certificates in force for it, its lot and the lots that lot was made from, and
whether any of those is recalled. An item nobody registered is an answer, not an error: it
prints NOT GENUINE and exits 0; scripts read "genuine" and "recalled" from --json. Through
the gateway service this needs no API key.`,
		Args: cmdutil.ExactArgs("GTIN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.GTIN = args[0]
			if err := cmdutil.RequireFlags(cmd, "serial"); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return verifyRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Serial, "serial", "", "the item's serial `number`")
	cmdutil.AddTimeoutFlag(cmd, &opts.Timeout)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, provenance.Verification{})
	return cmd
}

func verifyRun(ctx context.Context, opts *VerifyOptions) error {
	return cmdutil.Query(ctx, opts.IO, opts.Ledger, opts.Timeout, opts.JSON,
		func(ctx context.Context, c cmdutil.Client) (*provenance.Verification, error) {
			return ledgerapi.Over(c).Provenance().Verify(ctx, ledgerapi.VerifyRequest{GTIN: opts.GTIN, Serial: opts.Serial})
		}, func(v *provenance.Verification) error {
			io := opts.IO
			verdict := "GENUINE"
			switch {
			case !v.Genuine:
				verdict = "NOT GENUINE: no brand registered this item"
			case v.Recalled:
				verdict = "GENUINE, RECALLED"
			}
			fields := []cmdutil.Field{{Label: "Item", Value: v.GTIN + "/" + v.Serial}, {Label: "Verdict", Value: verdict}}
			if v.Product != nil {
				fields = append(fields, cmdutil.Field{Label: "Product", Value: v.Product.Name}, cmdutil.Field{Label: "Brand", Value: v.Product.Owner})
			}
			if v.Lot != nil {
				fields = append(fields, cmdutil.Field{Label: "Lot", Value: v.Lot.Lot})
			}
			if v.Custody != nil {
				fields = append(fields, cmdutil.Field{Label: "Holder", Value: v.Custody.Holder}, cmdutil.Field{Label: "Location", Value: v.Custody.Location})
			}
			for _, r := range v.Recalls {
				fields = append(fields, cmdutil.Field{Label: "Recall", Value: fmt.Sprintf("lot %s/%s, %s: %s", r.GTIN, r.Lot, io.Time(r.At), r.Reason)})
			}
			for _, cert := range v.Certificates {
				fields = append(fields, cmdutil.Field{Label: "Certificate", Value: fmt.Sprintf("%s %s by %s about %s, until %s", cert.Type, cert.ID, cert.Issuer, name(ledgerapi.Subject(cert.Subject)), io.Time(cert.ValidUntil))})
			}
			for _, s := range v.ItemCustody {
				fields = append(fields, cmdutil.Field{Label: "Held by", Value: custodyStepText(io, s)})
			}
			fields = append(fields, cmdutil.Field{Label: "Checked at", Value: io.Time(v.CheckedAt)})
			return cmdutil.PrintFields(io, fields...)
		})
}

func custodyStepText(io *cmdutil.IOStreams, s provenance.CustodyStep) string {
	t := s.Holder + " since " + io.Time(s.Since)
	if s.Location != "" {
		t += " at " + s.Location
	}
	return t
}
