package product

import (
	"context"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/ledgerapi"
)

// RegisterOptions are the inputs of `cxl product register`.
type RegisterOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	Mutation cmdutil.MutationOptions
	JSON     bool

	GTIN       string
	Name       string
	Attributes map[string]string
	Lot        string
	Quantity   int64
	Unit       string
	Inputs     []provenance.LotRef
	Location   string
	Serials    []string

	// File registers every line of a CSV or JSON Lines file instead.
	File string
	// Format is the file's format when it cannot be told from its name: csv or jsonl.
	Format string
	// Parallel is how many lines are registered at once.
	Parallel int
}

// What says what a register command registers: "product", "lot", "items" or "file".
func (o *RegisterOptions) What() string {
	switch {
	case o.File != "":
		return "file"
	case len(o.Serials) > 0:
		return "items"
	case o.Lot != "":
		return "lot"
	}
	return "product"
}

// NewCmdRegister returns `cxl product register`; runF replaces the run function in tests.
func NewCmdRegister(f *cmdutil.Factory, runF func(*RegisterOptions) error) *cobra.Command {
	opts := &RegisterOptions{IO: f.IO, Ledger: f.Ledger}
	var attrList, inputs []string
	cmd := &cobra.Command{
		Use:   "register [GTIN] [flags]",
		Short: "Register a product, a lot of it, or serialised items of a lot; or every line of a file",
		Long: `Register a product (caller: an organisation with the brand role, which then owns it), a lot
of a product it owns (--lot with --quantity, optionally made from --input lots it holds), or
serialised items of such a lot (--lot with one or more --serial, up to 500).

With --file, register every line of a CSV file (a header row names the columns) or a JSON
Lines file (one object per line) with the same fields: gtin, name, lot, quantity, unit,
serial, inputs, location, attributes. A line with a serial registers an item, else a line
with a lot registers a lot, else a product. CSV inputs are GTIN/LOT separated by ';', CSV
attributes are columns named attr.KEY; JSON inputs are [{"gtin","lot"}], attributes an
object. Products are registered first, then lots, then items (grouped per lot, 500 a
transaction); a line that fails is reported with its line number and the rest go on. Each
line runs under the idempotency key followed by its line number, so running the same file
again with the same --idempotency-key registers only what failed before. With --json, a file
prints one JSON object per line of the file (NDJSON): line, kind, gtin, lot, serial,
status (registered or failed), transactionId, blockNumber and error.`,
		Example: `  cxl product register 09506000134352 --name "Arabica green beans" --attr origin=ET
  cxl product register 09506000134352 --lot R7 --quantity 100 --unit kg --input 09506000134352/L1
  cxl product register 09506000134352 --lot R7 --serial 0001 --serial 0002
  cxl product register --file items.csv --idempotency-key import-2025-06-01`,
		Args: cmdutil.RangeArgs(0, 1, "at most one GTIN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.GTIN = args[0]
			}
			if err := opts.check(cmd, attrList, inputs); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			if opts.File != "" {
				return bulkRun(cmd.Context(), opts)
			}
			return registerRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Name, "name", "", "the product's `name`")
	cmd.Flags().StringArrayVar(&attrList, "attr", nil, "a descriptive attribute `key=value` (repeatable)")
	cmd.Flags().StringVar(&opts.Lot, "lot", "", "register a lot with this `number` (or items of it, with --serial)")
	cmd.Flags().Int64Var(&opts.Quantity, "quantity", 0, "the lot's `quantity`")
	cmd.Flags().StringVar(&opts.Unit, "unit", "", "the `unit` of the quantity (default: pieces)")
	cmd.Flags().StringArrayVar(&inputs, "input", nil, "an input lot `GTIN/LOT` the lot was made from (repeatable)")
	cmd.Flags().StringVar(&opts.Location, "location", "", "where the lot was registered")
	cmd.Flags().StringArrayVar(&opts.Serials, "serial", nil, "register the item with this serial `number` (repeatable)")
	cmd.Flags().StringVarP(&opts.File, "file", "f", "", "register every line of `FILE` (.csv or .jsonl; - reads standard input)")
	cmd.Flags().StringVar(&opts.Format, "format", "", "the file's `format` when its name does not say: csv or jsonl")
	cmd.Flags().IntVar(&opts.Parallel, "parallel", 8, "with --file, register up to `N` lines at once")
	cmdutil.AddMutationFlags(cmd, &opts.Mutation)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.Committed[any]{})
	_ = cmd.MarkFlagFilename("file", "csv", "jsonl", "ndjson")
	return cmd
}

// check turns the flags into one coherent request, or a usage error.
func (o *RegisterOptions) check(cmd *cobra.Command, attrList, inputs []string) error {
	var err error
	if o.Attributes, err = parseAttrs(attrList); err != nil {
		return err
	}
	for _, in := range inputs {
		ref, err := parseLotRef(in)
		if err != nil {
			return err
		}
		o.Inputs = append(o.Inputs, ref)
	}
	set := func(names ...string) []string {
		var out []string
		for _, n := range names {
			if cmd.Flags().Changed(n) {
				out = append(out, "--"+n)
			}
		}
		return out
	}
	if o.File != "" {
		if o.GTIN != "" {
			return cmdutil.UsageErrorf("--file and a GTIN: choose one")
		}
		if s := set("name", "attr", "lot", "quantity", "unit", "input", "location", "serial"); len(s) > 0 {
			return cmdutil.UsageErrorf("--file: %s belong in the file", strings.Join(s, ", "))
		}
		if o.Format != "" && o.Format != "csv" && o.Format != "jsonl" {
			return cmdutil.UsageErrorf("--format %q: want csv or jsonl", o.Format)
		}
		if o.Parallel < 1 || o.Parallel > 64 {
			return cmdutil.UsageErrorf("--parallel: want 1 to 64")
		}
		return nil
	}
	if s := set("format", "parallel"); len(s) > 0 {
		return cmdutil.UsageErrorf("%s: only with --file", strings.Join(s, ", "))
	}
	if o.GTIN == "" {
		return cmdutil.UsageErrorf("cxl product register: give a GTIN, or --file (see cxl product register --help)")
	}
	switch o.What() {
	case "items":
		if o.Lot == "" {
			return cmdutil.UsageErrorf("--serial: give the items' --lot too")
		}
		if s := set("name", "attr", "quantity", "unit", "input", "location"); len(s) > 0 {
			return cmdutil.UsageErrorf("registering items takes --lot and --serial only, not %s", strings.Join(s, ", "))
		}
	case "lot":
		if !cmd.Flags().Changed("quantity") {
			return cmdutil.UsageErrorf("registering lot %s: give its --quantity", o.Lot)
		}
		if s := set("name"); len(s) > 0 {
			return cmdutil.UsageErrorf("--name belongs to the product; a lot has --attr")
		}
	default:
		if o.Name == "" {
			return cmdutil.UsageErrorf("registering product %s: give its --name (or --lot to register a lot of it)", o.GTIN)
		}
		if s := set("quantity", "unit", "input", "location"); len(s) > 0 {
			return cmdutil.UsageErrorf("%s: only for a lot (add --lot)", strings.Join(s, ", "))
		}
	}
	return nil
}

func registerRun(ctx context.Context, opts *RegisterOptions) error {
	io, m := opts.IO, &opts.Mutation
	switch opts.What() {
	case "items":
		req := ledgerapi.RegisterItemsRequest{GTIN: opts.GTIN, Lot: opts.Lot, Serials: opts.Serials}
		return cmdutil.Mutate(ctx, io, opts.Ledger, m, opts.JSON, ledgerapi.ProvenanceRegisterItems, req,
			func(r *provenance.ItemsRegistered) string {
				return "registered " + plural(len(r.Serials), "item") + " of lot " + r.GTIN + "/" + r.Lot
			},
			func(r *provenance.ItemsRegistered) error {
				t := cmdutil.NewTable(io, "GTIN", "LOT", "SERIAL", "HOLDER")
				for _, s := range r.Serials {
					t.Row(r.GTIN, r.Lot, s, r.Holder)
				}
				return t.Render()
			})
	case "lot":
		req := ledgerapi.RegisterLotRequest{GTIN: opts.GTIN, Lot: opts.Lot, Quantity: opts.Quantity, Unit: opts.Unit,
			Attributes: opts.Attributes, Inputs: opts.Inputs, Location: opts.Location}
		return cmdutil.Mutate(ctx, io, opts.Ledger, m, opts.JSON, ledgerapi.ProvenanceRegisterLot, req,
			func(l *provenance.ProductLot) string { return "registered lot " + l.GTIN + "/" + l.Lot },
			func(l *provenance.ProductLot) error { return printLot(io, l) })
	}
	req := ledgerapi.RegisterProductRequest{GTIN: opts.GTIN, Name: opts.Name, Attributes: opts.Attributes}
	return cmdutil.Mutate(ctx, io, opts.Ledger, m, opts.JSON, ledgerapi.ProvenanceRegisterProduct, req,
		func(p *provenance.Product) string { return "registered product " + p.GTIN },
		func(p *provenance.Product) error { return printProduct(io, p) })
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func printProduct(io *cmdutil.IOStreams, p *provenance.Product) error {
	return cmdutil.PrintFields(io,
		cmdutil.Field{Label: "GTIN", Value: p.GTIN}, cmdutil.Field{Label: "Name", Value: p.Name},
		cmdutil.Field{Label: "Owner", Value: p.Owner}, cmdutil.Field{Label: "Attributes", Value: attrs(p.Attributes)},
		cmdutil.Field{Label: "Registered", Value: io.Time(p.Registered)}, cmdutil.Field{Label: "Registered tx", Value: p.RegisteredTx})
}

func printLot(io *cmdutil.IOStreams, l *provenance.ProductLot) error {
	qty := strconv.FormatInt(l.Quantity, 10)
	if l.Unit != "" {
		qty += " " + l.Unit
	}
	return cmdutil.PrintFields(io,
		cmdutil.Field{Label: "GTIN", Value: l.GTIN}, cmdutil.Field{Label: "Lot", Value: l.Lot},
		cmdutil.Field{Label: "Owner", Value: l.Owner}, cmdutil.Field{Label: "Quantity", Value: qty},
		cmdutil.Field{Label: "Inputs", Value: lotRefs(l.Inputs)}, cmdutil.Field{Label: "Attributes", Value: attrs(l.Attributes)},
		cmdutil.Field{Label: "Recall", Value: recallText(io, l.Recall)},
		cmdutil.Field{Label: "Registered", Value: io.Time(l.Registered)}, cmdutil.Field{Label: "Registered tx", Value: l.RegisteredTx})
}
