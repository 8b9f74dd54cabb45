package product

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// ShowOptions are the inputs of `cxl product show`.
type ShowOptions struct {
	IO      *cmdutil.IOStreams
	Ledger  func(context.Context) (cmdutil.Client, error)
	JSON    bool
	Timeout time.Duration

	GTIN string
	SubjectFlags
}

// Shown is what `cxl product show` prints: the product, and the lot or item asked about
// with its custody.
type Shown struct {
	Product *provenance.Product    `json:"product"`
	Lot     *provenance.ProductLot `json:"lot,omitempty"`
	Item    *provenance.SerialItem `json:"item,omitempty"`
	Custody *provenance.Custody    `json:"custody,omitempty"`
}

// NewCmdShow returns `cxl product show`; runF replaces the run function in tests.
func NewCmdShow(f *cmdutil.Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "show GTIN [--lot LOT | --serial SERIAL]",
		Short: "Show a product, or a lot or an item of it with its holder",
		Args:  cmdutil.ExactArgs("GTIN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.GTIN = args[0]
			if _, err := opts.subject(opts.GTIN, provenance.KindProduct, provenance.KindLot, provenance.KindItem); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return showRun(cmd.Context(), opts)
		},
	}
	opts.add(cmd)
	cmdutil.AddTimeoutFlag(cmd, &opts.Timeout)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, Shown{})
	return cmd
}

// latest returns the newest version of a record (a custody record: the contract has no
// lookup of its own for it), NOT_FOUND when it has none.
func latest(ctx context.Context, c cmdutil.Client, s ledgerapi.Subject) (*provenance.ProvenanceVersion, error) {
	h, err := ledgerapi.ProvenanceHistory.Query(ctx, c, ledgerapi.HistoryRequest{SubjectArgs: s, PageSize: 1})
	if err != nil {
		return nil, err
	}
	if len(h.Versions) == 0 || h.Versions[0].IsDelete {
		return nil, cxlerr.Errorf(cxlerr.NotFound, "%s is not registered", name(s))
	}
	return &h.Versions[0], nil
}

func showRun(ctx context.Context, opts *ShowOptions) error {
	return cmdutil.WithClient(ctx, opts.Ledger, opts.Timeout, func(ctx context.Context, c cmdutil.Client) error {
		s, _ := opts.subject(opts.GTIN, provenance.KindProduct, provenance.KindLot, provenance.KindItem)
		var shown Shown
		p, err := ledgerapi.ProvenanceGetProduct.Query(ctx, c, provenance.GetProductArgs{GTIN: s.GTIN})
		if err != nil {
			return err
		}
		shown.Product = p
		switch s.Kind {
		case provenance.KindLot:
			lot, err := ledgerapi.ProvenanceGetLot.Query(ctx, c, provenance.GetLotArgs{GTIN: s.GTIN, Lot: s.Lot})
			if err != nil {
				return err
			}
			cs := s
			cs.Kind = provenance.KindLotCustody
			cv, err := latest(ctx, c, cs)
			if err != nil {
				return err
			}
			shown.Lot, shown.Custody = lot, cv.Custody
		case provenance.KindItem:
			item, err := ledgerapi.ProvenanceGetItem.Query(ctx, c, provenance.GetItemArgs{GTIN: s.GTIN, Serial: s.Serial})
			if err != nil {
				return err
			}
			cs := s
			cs.Kind = provenance.KindItemCustody
			cv, err := latest(ctx, c, cs)
			if err != nil {
				return err
			}
			shown.Item, shown.Custody = item, cv.Custody
		}
		if opts.JSON {
			return cmdutil.PrintJSON(opts.IO.Out, shown)
		}
		io := opts.IO
		switch {
		case shown.Lot != nil:
			if err := printLot(io, shown.Lot); err != nil {
				return err
			}
		case shown.Item != nil:
			it := shown.Item
			if err := cmdutil.PrintFields(io, cmdutil.Field{Label: "GTIN", Value: it.GTIN}, cmdutil.Field{Label: "Serial", Value: it.Serial},
				cmdutil.Field{Label: "Lot", Value: it.Lot}, cmdutil.Field{Label: "Owner", Value: it.Owner},
				cmdutil.Field{Label: "Registered", Value: io.Time(it.Registered)}, cmdutil.Field{Label: "Registered tx", Value: it.RegisteredTx}); err != nil {
				return err
			}
		default:
			return printProduct(io, shown.Product)
		}
		return cmdutil.PrintFields(io, cmdutil.Field{Label: "Product", Value: shown.Product.Name},
			cmdutil.Field{Label: "Holder", Value: shown.Custody.Holder}, cmdutil.Field{Label: "Location", Value: shown.Custody.Location},
			cmdutil.Field{Label: "Held since", Value: io.Time(shown.Custody.Since)}, cmdutil.Field{Label: "Offered to", Value: offeredTo(shown.Custody)})
	})
}

func offeredTo(c *provenance.Custody) string {
	if c == nil || c.Offer == nil {
		return ""
	}
	return c.Offer.To
}
