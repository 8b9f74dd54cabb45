// Package order holds `cxl order`: orders paid into escrow that release the money to the
// merchant on delivery and refund it exactly once: when the deadline passes, on a return,
// when the merchant refunds or when an arbiter decides a dispute. It is the orders contract
// through ledgerapi.Orders.
package order

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/ledgerapi"
)

// NewCmdOrder returns `cxl order` with its subcommands.
func NewCmdOrder(f *cmdutil.Factory) *cobra.Command {
	cmd := cmdutil.Group(&cobra.Command{
		Use:   "order <command>",
		Short: "Place orders into escrow, confirm delivery, return, refund, dispute, sweep, show and list",
		Long: `An order pays its amount from the customer's settlement balance (cxl balance) into escrow.
Delivery releases it to the merchant; a refund, a return, a dispute's award or the deadline
passing without delivery (cxl order sweep) gives money back, each exactly once. Amounts are
whole minor units (1250 is 12.50). Reasons are short codes: damaged, late, wrong-item.

  placed    -> confirm-delivery -> delivered -> return -> returning -> receive-return -> returned
  placed    -> refund (all) -> refunded          delivered|returning -> dispute -> resolve -> resolved`,
		Example: `  cxl order place o-1001 --merchant Org2MSP --amount 2500 --currency EUR --deadline 7d --item beans-1kg:2
  cxl order confirm-delivery o-1001
  cxl order refund o-1001 --amount 500 --reason damaged
  cxl order list --merchant Org2MSP --state delivered`,
	})
	cmd.AddCommand(NewCmdPlace(f, nil),
		NewCmdStep(f, "confirm-delivery", nil), NewCmdStep(f, "return", nil), NewCmdStep(f, "receive-return", nil),
		NewCmdRefund(f, nil), NewCmdStep(f, "dispute", nil), NewCmdResolve(f, nil),
		NewCmdSweep(f, nil), NewCmdShow(f, nil), NewCmdList(f, nil))
	return cmd
}

// printOrder shows an order.
func printOrder(io *cmdutil.IOStreams, o *orders.Order) error {
	items := make([]string, len(o.Items))
	for i, it := range o.Items {
		items[i] = it.SKU + " x" + strconv.FormatInt(it.Quantity, 10)
		if len(it.Serials) > 0 {
			items[i] += " (" + strings.Join(it.Serials, ",") + ")"
		}
	}
	returnBy, delivered := "", ""
	if o.ReturnBy != nil {
		returnBy = io.Time(*o.ReturnBy)
	}
	if o.Delivered != nil {
		delivered = io.Time(*o.Delivered) + " by " + o.DeliveredBy
	}
	shipment := ""
	if s := o.Shipment; s != nil {
		shipment = "lot " + s.GTIN + "/" + s.Lot
		if s.Lot == "" {
			shipment = fmt.Sprintf("%d items of %s (%s)", len(s.Serials), s.GTIN, strings.Join(s.Serials, ","))
		}
		if s.SSCC != "" {
			shipment += ", SSCC " + s.SSCC
		}
	}
	dispute := ""
	if d := o.Dispute; d != nil {
		dispute = "opened by " + d.OpenedBy + " from " + string(d.From)
		if d.Reason != "" {
			dispute += " (" + d.Reason + ")"
		}
		if d.Resolved != nil {
			dispute += fmt.Sprintf(", resolved with a refund of %d", d.Refund)
		}
	}
	fields := []cmdutil.Field{{Label: "ID", Value: o.ID}, {Label: "State", Value: string(o.State)},
		{Label: "Customer", Value: o.Customer}, {Label: "Merchant", Value: o.Merchant},
		{Label: "Carrier", Value: o.Carrier}, {Label: "Arbiter", Value: o.Arbiter},
		{Label: "Amount", Value: money(o.Amount, o.Currency)}, {Label: "Refunded", Value: money(o.Refunded, o.Currency)},
		{Label: "Released", Value: money(o.Released, o.Currency)}, {Label: "Items", Value: strings.Join(items, ", ")},
		{Label: "Shipment", Value: shipment},
		{Label: "Deadline", Value: io.Time(o.Deadline)}, {Label: "Delivered", Value: delivered},
		{Label: "Return by", Value: returnBy}, {Label: "Dispute", Value: dispute},
		{Label: "Placed", Value: io.Time(o.Placed)}, {Label: "Updated", Value: io.Time(o.Updated)}, {Label: "Updated tx", Value: o.UpdatedTx}}
	for _, r := range o.Refunds {
		v := money(r.Amount, o.Currency) + " by " + r.By
		if r.ID != "" {
			v = r.ID + ": " + v
		}
		if r.Reason != "" {
			v += " (" + r.Reason + ")"
		}
		fields = append(fields, cmdutil.Field{Label: "Refund", Value: v})
	}
	return cmdutil.PrintFields(io, fields...)
}

// money renders an amount of minor units with its currency; "" for nothing.
func money(a ledgertypes.Amount, currency string) string {
	if a == 0 {
		return ""
	}
	return strconv.FormatInt(int64(a), 10) + " " + currency
}

// submitOrder runs op, a mutation that returns an order, and prints it.
func submitOrder[Req any](ctx context.Context, io *cmdutil.IOStreams, open func(context.Context) (cmdutil.Client, error), m *cmdutil.MutationOptions,
	asJSON bool, op *ledgerapi.Op[Req, orders.Order], req Req, done string) error {
	return cmdutil.Mutate(ctx, io, open, m, asJSON, op, req,
		func(o *orders.Order) string { return fmt.Sprintf("%s order %s: now %s", done, o.ID, o.State) },
		func(o *orders.Order) error { return printOrder(io, o) })
}

// PlaceOptions are the inputs of `cxl order place`.
type PlaceOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	Mutation cmdutil.MutationOptions
	JSON     bool

	Request ledgerapi.PlaceOrderRequest
}

// parseItem parses SKU:QUANTITY[:GTIN[:SERIAL,SERIAL...]].
func parseItem(s string) (orders.OrderItem, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 4 || parts[0] == "" {
		return orders.OrderItem{}, cmdutil.UsageErrorf("--item %q: want SKU:QUANTITY[:GTIN[:SERIAL,...]]", s)
	}
	q, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || q <= 0 {
		return orders.OrderItem{}, cmdutil.UsageErrorf("--item %q: the quantity must be a positive whole number", s)
	}
	it := orders.OrderItem{SKU: parts[0], Quantity: q}
	if len(parts) > 2 {
		it.GTIN = parts[2]
	}
	if len(parts) > 3 && parts[3] != "" {
		it.Serials = strings.Split(parts[3], ",")
	}
	return it, nil
}

// parseShipment makes the shipment of --ship-lot GTIN/LOT or --ship-item GTIN/SERIAL...
// (one GTIN) and --ship-sscc; nil when none is given. The contract checks the values.
func parseShipment(lot string, items []string, sscc string) (*orders.Shipment, error) {
	switch {
	case lot == "" && len(items) == 0:
		if sscc != "" {
			return nil, cmdutil.UsageErrorf("--ship-sscc labels a shipment: name it with --ship-lot or --ship-item")
		}
		return nil, nil
	case lot != "" && len(items) > 0:
		return nil, cmdutil.UsageErrorf("--ship-lot and --ship-item: name a lot or items, not both")
	}
	s := &orders.Shipment{SSCC: sscc}
	if lot != "" {
		gtin, l, ok := strings.Cut(lot, "/")
		if !ok || gtin == "" || l == "" {
			return nil, cmdutil.UsageErrorf("--ship-lot %q: want GTIN/LOT", lot)
		}
		s.GTIN, s.Lot = gtin, l
		return s, nil
	}
	for _, it := range items {
		gtin, serial, ok := strings.Cut(it, "/")
		if !ok || gtin == "" || serial == "" {
			return nil, cmdutil.UsageErrorf("--ship-item %q: want GTIN/SERIAL", it)
		}
		if s.GTIN != "" && gtin != s.GTIN {
			return nil, cmdutil.UsageErrorf("--ship-item %q: a shipment holds items of one GTIN, %s", it, s.GTIN)
		}
		s.GTIN = gtin
		s.Serials = append(s.Serials, serial)
	}
	return s, nil
}

// NewCmdPlace returns `cxl order place`; runF replaces the run function in tests.
func NewCmdPlace(f *cmdutil.Factory, runF func(*PlaceOptions) error) *cobra.Command {
	opts := &PlaceOptions{IO: f.IO, Ledger: f.Ledger}
	var amount, deadline, shipLot, sscc string
	var items, shipItems []string
	cmd := &cobra.Command{
		Use:   "place ID --merchant MSP --amount N --currency CODE --deadline WHEN --item SKU:QTY...",
		Short: "Place an order as the customer, paying its amount into escrow",
		Long: `Place an order as the calling identity (the customer), paying --amount from its settlement
balance into escrow until delivery. The merchant must hold the merchant role; a --carrier
(carrier role) may confirm delivery and receive returns; an --arbiter (arbiter role, not
the merchant) decides disputes, which need one. --deadline is when undelivered orders are
refunded (a duration from now such as 72h or 7d, or a date); --return-days allows returns
and disputes for that many days after delivery.

--ship-lot or --ship-item name the shipment as registered in provenance (it must exist) and
need --carrier: when the customer accepts custody of the whole shipment from that carrier
(cxl product accept), the escrow is released to the merchant in the same transaction.`,
		Args: cmdutil.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Request.ID = args[0]
			if err := cmdutil.RequireFlags(cmd, "merchant", "amount", "currency", "deadline", "item"); err != nil {
				return err
			}
			var err error
			if opts.Request.Amount, err = cmdutil.ParseAmount("amount", amount); err != nil {
				return err
			}
			if opts.Request.Deadline, err = cmdutil.ParseWhen("deadline", deadline, func() (time.Time, error) { return opts.Mutation.Now(f) }); err != nil {
				return err
			}
			for _, s := range items {
				it, err := parseItem(s)
				if err != nil {
					return err
				}
				opts.Request.Items = append(opts.Request.Items, it)
			}
			if opts.Request.Shipment, err = parseShipment(shipLot, shipItems, sscc); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return submitOrder(cmd.Context(), opts.IO, opts.Ledger, &opts.Mutation, opts.JSON, ledgerapi.OrdersPlace, opts.Request, "placed")
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Request.Merchant, "merchant", "", "the merchant's `MSP` ID")
	fl.StringVar(&amount, "amount", "", "the price in minor units")
	fl.StringVar(&opts.Request.Currency, "currency", "", "the settlement currency `code` (EUR)")
	fl.StringVar(&deadline, "deadline", "", "refund the order if it is not delivered by `WHEN` (72h, 7d, 2025-07-01)")
	fl.StringArrayVar(&items, "item", nil, "an item `SKU:QTY[:GTIN[:SERIAL,...]]` (repeatable)")
	fl.StringVar(&opts.Request.Carrier, "carrier", "", "the carrier's `MSP` ID")
	fl.StringVar(&opts.Request.Arbiter, "arbiter", "", "the arbiter's `MSP` ID")
	fl.IntVar(&opts.Request.ReturnDays, "return-days", 0, "allow returns and disputes for `N` days after delivery")
	fl.StringVar(&shipLot, "ship-lot", "", "the shipment is the lot `GTIN/LOT`")
	fl.StringArrayVar(&shipItems, "ship-item", nil, "the shipment holds the item `GTIN/SERIAL` (repeatable, one GTIN)")
	fl.StringVar(&sscc, "ship-sscc", "", "the `SSCC` on the shipment's label")
	cmdutil.AddMutationFlags(cmd, &opts.Mutation)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.Committed[orders.Order]{})
	return cmd
}

// StepOptions are the inputs of the order steps that take an order and maybe a reason:
// confirm-delivery, return, receive-return and dispute.
type StepOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	Mutation cmdutil.MutationOptions
	JSON     bool

	// Step is the command's name.
	Step   string
	ID     string
	Reason string
}

var steps = map[string]struct {
	short, long, done string
	// op is the step's operation without a reason, withReason with one.
	op         *ledgerapi.Op[ledgerapi.OrderRequest, orders.Order]
	withReason *ledgerapi.Op[ledgerapi.OrderReasonRequest, orders.Order]
}{
	"confirm-delivery": {short: "Confirm that an order was delivered, releasing its escrow to the merchant",
		long: "The customer confirms (any time), or the order's carrier (until the deadline).", done: "confirmed delivery of",
		op: ledgerapi.OrdersConfirmDelivery},
	"return": {short: "Ask to return a delivered order (the customer, before its return-by date)", done: "requested the return of",
		withReason: ledgerapi.OrdersRequestReturn},
	"receive-return": {short: "Record that a returned order came back, refunding what is left", long: "The merchant or the order's carrier records it.",
		done: "received the return of", op: ledgerapi.OrdersReceiveReturn},
	"dispute": {short: "Open a dispute about a delivered or returning order, for its arbiter to resolve", long: "The customer or the merchant opens it.",
		done: "opened a dispute about", withReason: ledgerapi.OrdersOpenDispute},
}

// NewCmdStep returns `cxl order <step>` for confirm-delivery, return, receive-return or
// dispute; runF replaces the run function in tests.
func NewCmdStep(f *cmdutil.Factory, step string, runF func(*StepOptions) error) *cobra.Command {
	opts := &StepOptions{IO: f.IO, Ledger: f.Ledger, Step: step}
	s := steps[step]
	use := step + " ID"
	if s.withReason != nil {
		use += " [--reason CODE]"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: s.short,
		Long:  s.long,
		Args:  cmdutil.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(opts)
			}
			if s.withReason != nil {
				req := ledgerapi.OrderReasonRequest{ID: opts.ID, Reason: opts.Reason}
				return submitOrder(cmd.Context(), opts.IO, opts.Ledger, &opts.Mutation, opts.JSON, s.withReason, req, s.done)
			}
			return submitOrder(cmd.Context(), opts.IO, opts.Ledger, &opts.Mutation, opts.JSON, s.op, ledgerapi.OrderRequest{ID: opts.ID}, s.done)
		},
	}
	if s.withReason != nil {
		cmd.Flags().StringVar(&opts.Reason, "reason", "", "why, as a `code` (damaged, late, wrong-item)")
	}
	cmdutil.AddMutationFlags(cmd, &opts.Mutation)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.Committed[orders.Order]{})
	return cmd
}

// RefundOptions are the inputs of `cxl order refund`.
type RefundOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	Mutation cmdutil.MutationOptions
	JSON     bool

	ID, RefundID, Reason string
	// Amount is nil for everything not yet refunded.
	Amount *ledgertypes.Amount
}

// NewCmdRefund returns `cxl order refund`; runF replaces the run function in tests.
func NewCmdRefund(f *cmdutil.Factory, runF func(*RefundOptions) error) *cobra.Command {
	opts := &RefundOptions{IO: f.IO, Ledger: f.Ledger}
	var amount string
	cmd := &cobra.Command{
		Use:   "refund ID [--amount N] [--refund-id ID] [--reason CODE]",
		Short: "Refund all or part of an order (the merchant), exactly once per refund ID",
		Long: `Refund an order as its merchant: --amount of what is not refunded yet, or all of it. Each
refund has an ID the order keeps, so a refund is made at most once however often it is
sent: --refund-id, by default the idempotency key (or a hash of it).`,
		Args: cmdutil.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if amount != "" {
				a, err := cmdutil.ParseAmount("amount", amount)
				if err != nil {
					return err
				}
				if a <= 0 {
					return cmdutil.UsageErrorf("--amount %q: must be positive (leave it out to refund all that is left)", amount)
				}
				opts.Amount = &a
			}
			if runF != nil {
				return runF(opts)
			}
			key := opts.Mutation.Key(opts.IO)
			if opts.RefundID == "" {
				opts.RefundID = cmdutil.DerivedID(key)
			}
			req := ledgerapi.RefundRequest{ID: opts.ID, RefundID: opts.RefundID, Reason: opts.Reason}
			if opts.Amount != nil {
				req.Amount = *opts.Amount
			}
			return submitOrder(cmd.Context(), opts.IO, opts.Ledger, &opts.Mutation, opts.JSON, ledgerapi.OrdersRefund, req, "refunded")
		},
	}
	cmd.Flags().StringVar(&amount, "amount", "", "refund this many minor units (default: all that is left)")
	cmd.Flags().StringVar(&opts.RefundID, "refund-id", "", "the refund's `ID` (default: from the idempotency key)")
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "why, as a `code` (damaged, late)")
	cmdutil.AddMutationFlags(cmd, &opts.Mutation)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.Committed[orders.Order]{})
	return cmd
}

// ResolveOptions are the inputs of `cxl order resolve`.
type ResolveOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	Mutation cmdutil.MutationOptions
	JSON     bool

	ID     string
	Refund ledgertypes.Amount
}

// NewCmdResolve returns `cxl order resolve`; runF replaces the run function in tests.
func NewCmdResolve(f *cmdutil.Factory, runF func(*ResolveOptions) error) *cobra.Command {
	opts := &ResolveOptions{IO: f.IO, Ledger: f.Ledger}
	var refund string
	cmd := &cobra.Command{
		Use:   "resolve ID --refund N",
		Short: "Decide a dispute as the order's arbiter, refunding N (0 or more) to the customer",
		Args:  cmdutil.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if err := cmdutil.RequireFlags(cmd, "refund"); err != nil {
				return err
			}
			var err error
			if opts.Refund, err = cmdutil.ParseAmount("refund", refund); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			req := ledgerapi.ResolveDisputeRequest{ID: opts.ID, Refund: opts.Refund}
			return submitOrder(cmd.Context(), opts.IO, opts.Ledger, &opts.Mutation, opts.JSON, ledgerapi.OrdersResolveDispute, req, "resolved")
		},
	}
	cmd.Flags().StringVar(&refund, "refund", "", "the award to the customer in minor units (0 for none)")
	cmdutil.AddMutationFlags(cmd, &opts.Mutation)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.Committed[orders.Order]{})
	return cmd
}
