package orderscc

import (
	"fmt"
	"slices"
	"time"

	"github.com/cxledger/cxledger/chaincode/epcis"
	"github.com/cxledger/cxledger/chaincode/epcis/epciscc"
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/chaincode/provenance/provenancecc"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gs1"
)

// Receipts is the orders contract's side of a proof of delivery in the epcis contract:
// given to epciscc.NewContract, it delivers an order when its carrier captures a
// receiving event that names the order and hands its whole shipment to the order's
// customer, releasing the escrow to the merchant (and running the orders contract's own
// delivery hooks, loyalty's earn) in the capture's transaction, as ConfirmDelivery by
// the carrier would.
type Receipts struct {
	c *Contract
}

// Receipts is what the epcis contract calls.
var _ epciscc.Deliveries = (*Receipts)(nil)

// NewReceipts returns the epcis hooks that deliver orders of c.
func NewReceipts(c *Contract) *Receipts {
	return &Receipts{c: c}
}

// PlanDelivery checks the receiving event r against the order it names. The rule: the
// capturer may read the order; the order is placed, names a carrier and a shipment; the
// capturer is staff of that carrier carrying the carrier role, which the carrier still
// holds; the transaction is not after the order's deadline; the event's destinationList
// names the order's customer (epcis.PartyURI of its account) as owning_party or
// possessing_party; and the event names the whole shipment: the lot in its
// quantityList, or every one of its items in its epcList, or the order's SSCC in its
// epcList when the ledger records the lot, or the items not named, packed into that SSCC
// (an EPCIS aggregation). Anything else releases nothing
// and says why. A capturer who may not read the order (or names no order) learns
// nothing: the plan names no order and the reason is the same whether or not it exists.
func (h *Receipts) PlanDelivery(tx *ledger.Tx, r epciscc.Receipt) (*epciscc.DeliveryPlan, error) {
	o, err := FindOrder(tx, r.Order)
	if cxlerr.CodeOf(err) == cxlerr.Invalid {
		return &epciscc.DeliveryPlan{Delivery: provenance.Delivery{Reason: fmt.Sprintf("%s does not name an order: %s", epcis.OrderPrefix+"<id>", cxlerr.From(err).Message)}}, nil
	}
	if err != nil {
		return nil, err
	}
	if err := RequireOrderReader(tx, r.Order, o); err != nil {
		switch cxlerr.CodeOf(err) {
		case cxlerr.Forbidden, cxlerr.NotFound:
			return &epciscc.DeliveryPlan{Delivery: provenance.Delivery{Reason: "the event names no order its capturer may read"}}, nil
		}
		return nil, err
	}
	p := &epciscc.DeliveryPlan{Delivery: provenance.Delivery{Order: o.ID}}
	if p.Delivery.Reason, err = receiptMismatch(tx, r, o); err != nil || p.Delivery.Reason != "" {
		return p, err
	}
	p.Delivery.Released, p.Delivery.Currency = true, o.Currency
	p.Deliver = func(tx *ledger.Tx) (any, error) {
		related, err := h.c.deliver(tx, o, o.Carrier)
		if err != nil {
			return nil, err
		}
		p.Delivery.Amount = o.Released
		return related, nil
	}
	return p, nil
}

// receiptMismatch says why the receiving event r does not deliver o, "" when it does.
func receiptMismatch(tx *ledger.Tx, r epciscc.Receipt, o *orders.Order) (string, error) {
	if o.State != orders.StatePlaced {
		return fmt.Sprintf("order %s is %s, not awaiting delivery", o.ID, o.State), nil
	}
	if o.Carrier == "" {
		return fmt.Sprintf("order %s names no carrier", o.ID), nil
	}
	caller := tx.Caller()
	if caller.MSP != o.Carrier {
		return fmt.Sprintf("the event is captured by %s, not by the order's carrier %s", caller.MSP, o.Carrier), nil
	}
	if !caller.Carries(ledgertypes.Carrier) {
		return fmt.Sprintf("the capturer %s does not carry the carrier role", caller.Account), nil
	}
	ok, err := ledger.OrgHasRole(tx, o.Carrier, ledgertypes.Carrier)
	if err != nil {
		return "", err
	}
	if !ok {
		return fmt.Sprintf("the order's carrier %s no longer holds the carrier role", o.Carrier), nil
	}
	if now := tx.Time(); now.After(o.Deadline) {
		return fmt.Sprintf("order %s was due by %s; the carrier's proof at %s is too late (the customer may still confirm, or Sweep refunds it)",
			o.ID, o.Deadline.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano)), nil
	}
	s := o.Shipment
	if s == nil {
		return fmt.Sprintf("order %s names no shipment for the event to match; ConfirmDelivery delivers it", o.ID), nil
	}
	if !slices.Contains(r.Parties, o.Customer) {
		// The reason reaches the capture's chaincode event, which every member reads: it
		// names the form, not the customer's account (as the orders events leave it out).
		return fmt.Sprintf("the event's destinationList does not name the order's customer (%s<customer account>) as owning_party or possessing_party", epcis.PartyPrefix), nil
	}
	// The order's SSCC, when the event names it, stands for what the ledger records
	// packed into it (EPCIS aggregation).
	container := ""
	if s.SSCC != "" && slices.Contains(r.SSCCs, s.SSCC) {
		container = gs1.Identifier{SSCC: s.SSCC}.DigitalLink(gs1.DefaultBase)
	}
	packed := func(sub provenance.SubjectArgs) (bool, error) {
		if container == "" {
			return false, nil
		}
		c, err := provenancecc.ReadCustody(tx, sub)
		return err == nil && c.PackedInto == container, err
	}
	if s.Lot != "" {
		if slices.Contains(r.Lots, provenance.LotRef{GTIN: s.GTIN, Lot: s.Lot}) {
			return "", nil
		}
		ok, err := packed(provenance.SubjectArgs{Kind: provenance.KindLot, GTIN: s.GTIN, Lot: s.Lot})
		if err != nil || ok {
			return "", err
		}
		if container != "" {
			return fmt.Sprintf("the event names SSCC %s, order %s's, but the ledger does not record lot %s/%s, its shipment, packed into it", s.SSCC, o.ID, s.GTIN, s.Lot), nil
		}
		return fmt.Sprintf("the event does not name lot %s/%s, order %s's shipment, in its quantityList", s.GTIN, s.Lot, o.ID), nil
	}
	named := 0
	for _, serial := range s.Serials {
		ok := slices.Contains(r.Items[s.GTIN], serial)
		if !ok {
			var err error
			if ok, err = packed(provenance.SubjectArgs{Kind: provenance.KindItem, GTIN: s.GTIN, Serial: serial}); err != nil {
				return "", err
			}
		}
		if ok {
			named++
		}
	}
	if named < len(s.Serials) {
		if container != "" {
			return fmt.Sprintf("the event names %d of the %d items of order %s's shipment, itself or packed into its SSCC %s", named, len(s.Serials), o.ID, s.SSCC), nil
		}
		return fmt.Sprintf("the event names %d of the %d items of order %s's shipment", named, len(s.Serials), o.ID), nil
	}
	return "", nil
}
