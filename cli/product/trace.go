package product

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/ledgerapi"
)

// TraceOptions are the inputs of `cxl product trace`.
type TraceOptions struct {
	IO      *cmdutil.IOStreams
	Ledger  func(context.Context) (cmdutil.Client, error)
	JSON    bool
	Timeout time.Duration

	GTIN, Lot string
	// Limit is how many items to list at most.
	Limit int
}

// NewCmdTrace returns `cxl product trace`; runF replaces the run function in tests.
func NewCmdTrace(f *cmdutil.Factory, runF func(*TraceOptions) error) *cobra.Command {
	opts := &TraceOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "trace GTIN --lot LOT [--limit N]",
		Short: "Show the lots a lot was made from and made into, and who holds its items",
		Long: `Show a lot, the lots upstream of it (what it was made from, recursively), the lots downstream
(what was made from it) with their holders and recalls, and the items of the lot and of the
downstream lots with the holder of each, up to --limit items.`,
		Args: cmdutil.ExactArgs("GTIN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.GTIN = args[0]
			if err := cmdutil.RequireFlags(cmd, "lot"); err != nil {
				return err
			}
			if opts.Limit < 0 {
				return cmdutil.UsageErrorf("--limit: must not be negative")
			}
			if runF != nil {
				return runF(opts)
			}
			return traceRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Lot, "lot", "", "the lot `number`")
	cmd.Flags().IntVarP(&opts.Limit, "limit", "L", 1000, "list at most `N` items (0: none)")
	cmdutil.AddTimeoutFlag(cmd, &opts.Timeout)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, provenance.LotTrace{})
	return cmd
}

func traceRun(ctx context.Context, opts *TraceOptions) error {
	return cmdutil.WithClient(ctx, opts.Ledger, opts.Timeout, func(ctx context.Context, c cmdutil.Client) error {
		io := opts.IO
		p := io.StartProgress("tracing lot " + opts.GTIN + "/" + opts.Lot)
		defer p.Stop()
		req := ledgerapi.TraceRequest{GTIN: opts.GTIN, Lot: opts.Lot, PageSize: max(1, min(opts.Limit, 100))}
		var tr *provenance.LotTrace
		for {
			page, err := ledgerapi.Over(c).Provenance().Trace(ctx, req)
			if err != nil {
				return err
			}
			if tr == nil {
				first := *page
				first.Items = nil
				tr = &first
			}
			tr.Items = append(tr.Items, page.Items...)
			tr.Bookmark = page.Bookmark
			if len(tr.Items) > opts.Limit {
				tr.Items = tr.Items[:opts.Limit]
			}
			p.Update(fmt.Sprintf("tracing lot %s/%s: %d items", opts.GTIN, opts.Lot, len(tr.Items)))
			if page.Bookmark == "" || len(tr.Items) >= opts.Limit || len(page.Items) == 0 {
				break
			}
			req.Bookmark = page.Bookmark
			req.PageSize = min(opts.Limit-len(tr.Items), 100)
		}
		if tr.Items == nil {
			tr.Items = []provenance.TraceItem{}
		}
		p.Stop()
		if opts.JSON {
			return cmdutil.PrintJSON(io.Out, tr)
		}
		lots := cmdutil.NewTable(io, "RELATION", "DEPTH", "GTIN", "LOT", "OWNER", "QUANTITY", "HOLDER", "OFFERED TO", "RECALLED")
		row := func(rel string, l provenance.TraceLot) {
			recalled := ""
			if l.Recall != nil {
				recalled = l.Recall.Reason
			}
			lots.Row(rel, strconv.Itoa(l.Depth), l.GTIN, l.Lot, l.Owner, quantity(l.Quantity, l.Unit), l.Holder, l.OfferedTo, recalled)
		}
		row("lot", tr.Lot)
		for _, l := range tr.Upstream {
			row("upstream", l)
		}
		for _, l := range tr.Downstream {
			row("downstream", l)
		}
		if err := lots.Render(); err != nil {
			return err
		}
		if len(tr.Items) == 0 {
			return nil
		}
		if io.OutTTY {
			fmt.Fprintln(io.Out)
		}
		items := cmdutil.NewTable(io, "GTIN", "LOT", "SERIAL", "HOLDER", "OFFERED TO")
		for _, it := range tr.Items {
			items.Row(it.GTIN, it.Lot, it.Serial, it.Holder, it.OfferedTo)
		}
		if err := items.Render(); err != nil {
			return err
		}
		if tr.Bookmark != "" {
			fmt.Fprintf(io.ErrOut, "more than %d items; raise --limit to list more\n", len(tr.Items))
		}
		return nil
	})
}

func quantity(q int64, unit string) string {
	s := strconv.FormatInt(q, 10)
	if unit != "" {
		s += " " + unit
	}
	return s
}
