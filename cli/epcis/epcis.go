// Package epcis holds `cxl epcis`: GS1 EPCIS 2.0 events on the ledger. `capture` records
// the events of a document in one transaction, `events` lists them by the standard's query
// parameters, and `fsma204` writes the FSMA 204 sheet of a traceability lot code.
package epcis

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/chaincode/epcis"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/cxlerr"
	gepcis "github.com/cxledger/cxledger/gs1/epcis"
	"github.com/cxledger/cxledger/ledgerapi"
)

// NewCmdEPCIS returns `cxl epcis` with its subcommands.
func NewCmdEPCIS(f *cmdutil.Factory) *cobra.Command {
	cmd := cmdutil.Group(&cobra.Command{
		Use:   "epcis <command>",
		Short: "Capture and query GS1 EPCIS 2.0 events; the FSMA 204 sheet of a lot",
		Long: `EPCIS 2.0 events (ObjectEvent, AggregationEvent, TransformationEvent, TransactionEvent,
AssociationEvent) are kept whole on the ledger under their CBV event hash: capturing the
same event twice records it once, and an error declaration is kept beside the event it
corrects. Identifiers may be EPC URNs or GS1 Digital Link URIs. The organisation that
captured an event and auditors read it.`,
	})
	cmd.AddCommand(NewCmdCapture(f, nil), NewCmdEvents(f, nil), NewCmdFSMA204(f, nil))
	return cmd
}

// CaptureOptions are the inputs of `cxl epcis capture`.
type CaptureOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	Mutation cmdutil.MutationOptions
	JSON     bool

	// File is the EPCIS document; Proceed captures the valid events when some are not.
	File    string
	Proceed bool
}

// NewCmdCapture returns `cxl epcis capture FILE`; runF replaces the run function in tests.
func NewCmdCapture(f *cmdutil.Factory, runF func(*CaptureOptions) error) *cobra.Command {
	opts := &CaptureOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "capture FILE",
		Short: "Capture the events of an EPCIS 2.0 JSON / JSON-LD document in one transaction",
		Long: `Validates the document as the standard requires and captures its events in one
transaction, waiting for its commit. Without --proceed one invalid event captures nothing
(GS1-Capture-Error-Behaviour: rollback); with it the valid events are captured and the
invalid ones listed. "-" reads the document from standard input.`,
		Args: cmdutil.ExactArgs("FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			if runF != nil {
				return runF(opts)
			}
			return captureRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Proceed, "proceed", false, "capture the valid events when some are invalid")
	cmdutil.AddMutationFlags(cmd, &opts.Mutation)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.Committed[epcis.CaptureResult]{})
	return cmd
}

func captureRun(ctx context.Context, opts *CaptureOptions) error {
	var data []byte
	var err error
	if opts.File == "-" {
		data, err = readAll(opts.IO)
	} else {
		data, err = os.ReadFile(opts.File)
	}
	if err != nil {
		return cmdutil.UsageErrorf("read %s: %v", opts.File, err)
	}
	doc, err := gepcis.ParseDocument(data, gepcis.DefaultLimits)
	if err != nil {
		return err
	}
	for _, bad := range doc.Invalid {
		fmt.Fprintf(opts.IO.ErrOut, "invalid: %s\n", bad.Err.Message)
	}
	switch {
	case len(doc.Invalid) > 0 && !opts.Proceed:
		return cxlerr.Errorf(cxlerr.Invalid, "%d of %d events invalid; nothing captured (--proceed captures the valid ones)", len(doc.Invalid), len(doc.Invalid)+len(doc.Events))
	case len(doc.Events) == 0:
		return cxlerr.Errorf(cxlerr.Invalid, "no valid event to capture")
	}
	req := epcis.CaptureArgs{Namespaces: doc.Namespaces, Proceed: opts.Proceed}
	for _, e := range doc.Events {
		req.Events = append(req.Events, e.JSON)
	}
	return cmdutil.Mutate(ctx, opts.IO, opts.Ledger, &opts.Mutation, opts.JSON, ledgerapi.EpcisCapture, req,
		func(r *epcis.CaptureResult) string {
			return fmt.Sprintf("captured %d events (%d already on the ledger, %d error declarations, %d refused)",
				len(r.Captured), len(r.Duplicates), len(r.Declared), len(r.Rejected)+len(doc.Invalid))
		},
		func(r *epcis.CaptureResult) error {
			for _, rej := range r.Rejected {
				fmt.Fprintf(opts.IO.ErrOut, "refused: event %d: %s: %s\n", rej.Index, rej.Code, rej.Message)
			}
			for _, d := range r.Deliveries {
				order := d.Order
				if order == "" {
					order = "(not readable)"
				}
				if d.Released {
					fmt.Fprintf(opts.IO.ErrOut, "delivered: event %d: order %s: %d %s released to the merchant\n", d.Index, order, d.Amount, d.Currency)
				} else {
					fmt.Fprintf(opts.IO.ErrOut, "not delivered: event %d: order %s: %s\n", d.Index, order, d.Reason)
				}
			}
			for _, h := range r.Captured {
				fmt.Fprintln(opts.IO.Out, h)
			}
			return nil
		})
}

// readAll reads a document from standard input, at most the capture limit.
func readAll(streams *cmdutil.IOStreams) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(streams.In, int64(gepcis.DefaultLimits.MaxBytes)+1))
	if err == nil && len(data) > gepcis.DefaultLimits.MaxBytes {
		err = fmt.Errorf("more than %d bytes", gepcis.DefaultLimits.MaxBytes)
	}
	return data, err
}

// EventsOptions are the inputs of `cxl epcis events`.
type EventsOptions struct {
	IO      *cmdutil.IOStreams
	Ledger  func(context.Context) (cmdutil.Client, error)
	JSON    bool
	Timeout time.Duration

	Query          epcis.QueryArgs
	From, To       string
	BizTransaction string
	Limit          int
}

// NewCmdEvents returns `cxl epcis events`; runF replaces the run function in tests.
func NewCmdEvents(f *cmdutil.Factory, runF func(*EventsOptions) error) *cobra.Command {
	opts := &EventsOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "events",
		Short: "List the EPCIS events you may read, by the standard's query parameters",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, t := range []struct {
				flag string
				dst  *time.Time
				v    string
			}{{"--from", &opts.Query.GEEventTime, opts.From}, {"--to", &opts.Query.LTEventTime, opts.To}} {
				if t.v == "" {
					continue
				}
				tm, err := time.Parse(time.RFC3339Nano, t.v)
				if err != nil {
					return cmdutil.UsageErrorf("%s %q: want an RFC 3339 time (2026-03-01T00:00:00Z)", t.flag, t.v)
				}
				*t.dst = tm
			}
			if opts.BizTransaction != "" {
				typ, id, ok := strings.Cut(opts.BizTransaction, "=")
				if !ok || typ == "" || id == "" {
					return cmdutil.UsageErrorf("--biz-transaction %q: want TYPE=ID (po=urn:epcglobal:cbv:bt:...)", opts.BizTransaction)
				}
				opts.Query.BizTransactionType, opts.Query.BizTransaction = typ, id
			}
			if opts.Limit < 1 {
				return cmdutil.UsageErrorf("--limit %d: at least 1", opts.Limit)
			}
			if runF != nil {
				return runF(opts)
			}
			return eventsRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Query.EQBizStep, "biz-step", "", "EQ_bizStep: a CBV business step (shipping) or its URI")
	fl.StringVar(&opts.Query.EQDisposition, "disposition", "", "EQ_disposition: a CBV disposition or its URI")
	fl.StringVar(&opts.Query.MatchEPC, "epc", "", "MATCH_epc: an EPC of epcList or childEPCs (EPC URN or Digital Link)")
	fl.StringVar(&opts.Query.MatchParentID, "parent", "", "MATCH_parentID")
	fl.StringVar(&opts.Query.MatchInputEPC, "input", "", "MATCH_inputEPC: an input of a transformation")
	fl.StringVar(&opts.Query.MatchOutputEPC, "output", "", "MATCH_outputEPC: an output of a transformation")
	fl.StringVar(&opts.Query.MatchAnyEPC, "any-epc", "", "MATCH_anyEPC: any EPC or class the event names")
	fl.StringVar(&opts.Query.EQBizLocation, "location", "", "EQ_bizLocation: an SGLN URN or Digital Link URI")
	fl.StringVar(&opts.BizTransaction, "biz-transaction", "", "EQ_bizTransaction_<type>: `TYPE=ID`")
	fl.StringVar(&opts.From, "from", "", "GE_eventTime: events at or after this RFC 3339 `time`")
	fl.StringVar(&opts.To, "to", "", "LT_eventTime: events before this RFC 3339 `time`")
	fl.IntVar(&opts.Limit, "limit", 100, "list at most `n` events")
	fl.StringVar(&opts.Query.Bookmark, "bookmark", "", "continue after the listing that printed this bookmark")
	cmdutil.AddTimeoutFlag(cmd, &opts.Timeout)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, epcis.QueryResult{})
	return cmd
}

// fetchEvents collects up to limit events of q, page by page.
func fetchEvents(ctx context.Context, c cmdutil.Client, q epcis.QueryArgs, limit int) (*epcis.QueryResult, error) {
	events, next, err := cmdutil.Paginate(limit, q.Bookmark, func(size int, bookmark string) ([]epcis.StoredEvent, string, error) {
		q.PageSize, q.Bookmark = size, bookmark
		res, err := ledgerapi.Over(c).Epcis().Query(ctx, q)
		if err != nil {
			return nil, "", err
		}
		return res.Events, res.Bookmark, nil
	})
	if err != nil {
		return nil, err
	}
	return &epcis.QueryResult{Events: events, Bookmark: next}, nil
}

func eventsRun(ctx context.Context, opts *EventsOptions) error {
	return cmdutil.Query(ctx, opts.IO, opts.Ledger, opts.Timeout, opts.JSON,
		func(ctx context.Context, c cmdutil.Client) (*epcis.QueryResult, error) {
			return fetchEvents(ctx, c, opts.Query, opts.Limit)
		},
		func(r *epcis.QueryResult) error {
			t := cmdutil.NewTable(opts.IO, "EVENT TIME", "TYPE", "BIZ STEP", "CAPTURER", "HASH", "TRANSACTION", "DECLARED ERRONEOUS")
			for _, e := range r.Events {
				step := ""
				if ev, err := gepcis.ParseEvent(e.Event, gepcis.Namespaces(e.Namespaces), "event"); err == nil {
					step = strings.TrimPrefix(ev.BizStep, "https://ref.gs1.org/cbv/BizStep-")
				}
				declared := ""
				if e.ErrorDeclaration != nil {
					declared = opts.IO.Time(e.ErrorDeclaration.DeclarationTime)
				}
				t.Row(opts.IO.Time(e.EventTime), e.Type, step, e.Capturer, e.Hash, e.TxID, declared)
			}
			if err := t.Render(); err != nil {
				return err
			}
			if r.Bookmark != "" {
				fmt.Fprintf(opts.IO.ErrOut, "more events: --bookmark %s\n", r.Bookmark)
			}
			return nil
		})
}

// FSMA204Options are the inputs of `cxl epcis fsma204`.
type FSMA204Options struct {
	IO      *cmdutil.IOStreams
	Ledger  func(context.Context) (cmdutil.Client, error)
	Timeout time.Duration
	TLC     string
}

// NewCmdFSMA204 returns `cxl epcis fsma204 --tlc LOT`; runF replaces the run function in
// tests.
func NewCmdFSMA204(f *cmdutil.Factory, runF func(*FSMA204Options) error) *cobra.Command {
	opts := &FSMA204Options{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "fsma204 --tlc LOT",
		Short: "Write the FSMA 204 sortable spreadsheet (CSV) of a traceability lot code",
		Long: `Writes the critical tracking events and key data elements of a traceability lot code
(an LGTIN EPC URN or a Digital Link URI with GTIN and lot) as CSV, one row per event with
its event hash and transaction ID, oldest first.`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.TLC == "" {
				return cmdutil.UsageErrorf("--tlc is required")
			}
			if runF != nil {
				return runF(opts)
			}
			return fsmaRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.TLC, "tlc", "", "the traceability lot code: urn:epc:class:lgtin:... or a Digital Link URI with /10/{lot}")
	cmdutil.AddTimeoutFlag(cmd, &opts.Timeout)
	return cmd
}

func fsmaRun(ctx context.Context, opts *FSMA204Options) error {
	lot, err := epcis.TraceabilityLot(opts.TLC)
	if err != nil {
		return err
	}
	return cmdutil.WithClient(ctx, opts.Ledger, opts.Timeout, func(ctx context.Context, c cmdutil.Client) error {
		r, err := fetchEvents(ctx, c, epcis.QueryArgs{MatchAnyEPC: lot}, epcis.FSMAMaxEvents+1)
		if err != nil {
			return err
		}
		if len(r.Events) > epcis.FSMAMaxEvents {
			return cxlerr.Errorf(cxlerr.TooLarge, "more than %d events name %s", epcis.FSMAMaxEvents, lot)
		}
		return epcis.WriteFSMA204(opts.IO.Out, lot, r.Events)
	})
}
