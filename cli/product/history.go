package product

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// HistoryOptions are the inputs of `cxl product history`.
type HistoryOptions struct {
	IO      *cmdutil.IOStreams
	Ledger  func(context.Context) (cmdutil.Client, error)
	JSON    bool
	Timeout time.Duration

	GTIN string
	SubjectFlags
	// Custody lists the versions of the lot's or item's custody record instead.
	Custody bool
	// Limit is how many versions to list at most.
	Limit int
	// Bookmark continues an earlier listing.
	Bookmark string
}

// NewCmdHistory returns `cxl product history`; runF replaces the run function in tests.
func NewCmdHistory(f *cmdutil.Factory, runF func(*HistoryOptions) error) *cobra.Command {
	opts := &HistoryOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "history GTIN [--lot LOT | --serial SERIAL] [--custody]",
		Short: "List the versions of a product, lot or item record, or of its custody, newest first",
		Long: `List the versions of a product, lot or item record as the ledger wrote them, newest first,
with the transaction and time of each; with --custody, the versions of a lot's or item's
custody record: every offer, acceptance, rejection and withdrawal. When more versions are
left than --limit, the bookmark to continue with is printed to stderr (and is in the JSON).`,
		Args: cmdutil.ExactArgs("GTIN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.GTIN = args[0]
			if _, err := opts.request(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return historyRun(cmd.Context(), opts)
		},
	}
	opts.add(cmd)
	cmd.Flags().BoolVar(&opts.Custody, "custody", false, "list the versions of the custody record of the lot or item")
	cmdutil.AddLimitFlag(cmd, &opts.Limit, 30, "versions")
	cmd.Flags().StringVar(&opts.Bookmark, "bookmark", "", "continue after an earlier listing's `bookmark`")
	cmdutil.AddTimeoutFlag(cmd, &opts.Timeout)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, provenance.ProvenanceHistory{})
	return cmd
}

func (o *HistoryOptions) request() (ledgerapi.HistoryRequest, error) {
	s, err := o.subject(o.GTIN, provenance.KindProduct, provenance.KindLot, provenance.KindItem)
	if err != nil {
		return ledgerapi.HistoryRequest{}, err
	}
	if o.Custody {
		switch s.Kind {
		case provenance.KindLot:
			s.Kind = provenance.KindLotCustody
		case provenance.KindItem:
			s.Kind = provenance.KindItemCustody
		default:
			return ledgerapi.HistoryRequest{}, cmdutil.UsageErrorf("--custody: a product has no custody; give --lot or --serial")
		}
	}
	return ledgerapi.HistoryRequest{SubjectArgs: s, Bookmark: o.Bookmark}, nil
}

func historyRun(ctx context.Context, opts *HistoryOptions) error {
	return cmdutil.WithClient(ctx, opts.Ledger, opts.Timeout, func(ctx context.Context, c cmdutil.Client) error {
		req, _ := opts.request()
		var all provenance.ProvenanceHistory
		var err error
		all.Versions, all.Bookmark, err = cmdutil.Paginate(opts.Limit, opts.Bookmark, func(size int, bookmark string) ([]provenance.ProvenanceVersion, string, error) {
			req.PageSize, req.Bookmark = size, bookmark
			h, err := ledgerapi.Over(c).Provenance().History(ctx, req)
			if err != nil {
				return nil, "", err
			}
			return h.Versions, h.Bookmark, nil
		})
		if err != nil {
			return err
		}
		if len(all.Versions) == 0 && opts.Bookmark == "" {
			return cxlerr.Errorf(cxlerr.NotFound, "%s has no history: it is not registered", name(req.SubjectArgs))
		}
		if opts.JSON {
			return cmdutil.PrintJSON(opts.IO.Out, all)
		}
		io := opts.IO
		t := cmdutil.NewTable(io, "TIME", "TRANSACTION", "VERSION")
		for _, v := range all.Versions {
			t.Row(io.Time(v.Time), v.TxID, describeVersion(v))
		}
		if err := t.Render(); err != nil {
			return err
		}
		if all.Bookmark != "" {
			fmt.Fprintf(io.ErrOut, "more versions: continue with --bookmark %s\n", all.Bookmark)
		}
		return nil
	})
}

// describeVersion sums a version up in a line.
func describeVersion(v provenance.ProvenanceVersion) string {
	switch {
	case v.IsDelete:
		return "deleted"
	case v.Product != nil:
		return fmt.Sprintf("product %q owned by %s", v.Product.Name, v.Product.Owner)
	case v.Lot != nil:
		s := fmt.Sprintf("lot of %d %s", v.Lot.Quantity, v.Lot.Unit)
		if v.Lot.Recall != nil {
			s += ", recalled: " + v.Lot.Recall.Reason
		}
		return s
	case v.Item != nil:
		return "item of lot " + v.Item.Lot
	case v.Custody != nil:
		c := v.Custody
		s := "held by " + c.Holder
		if c.Location != "" {
			s += " at " + c.Location
		}
		if c.Offer != nil {
			s += ", offered to " + c.Offer.To
			if c.Offer.Location != "" {
				s += " at " + c.Offer.Location
			}
		}
		return s
	}
	return ""
}
