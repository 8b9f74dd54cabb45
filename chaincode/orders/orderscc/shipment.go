package orderscc

import (
	"encoding/json"
	"fmt"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/chaincode/provenance/provenancecc"
	"github.com/cxledger/cxledger/cxlerr"
)

// shipmentRow is the value of an orders.shipment row: the latest order
// that named the lot or item as its shipment.
type shipmentRow struct {
	Order string `json:"order"`
}

// shipmentKeys are the orders.shipment keys of s's lot or of each of its
// items.
func shipmentKeys(tx *ledger.Tx, s *orders.Shipment) ([]string, error) {
	if s.Lot != "" {
		key, err := ledger.Key(tx, shipmentType, provenance.KindLot, s.GTIN, s.Lot)
		return []string{key}, err
	}
	keys := make([]string, len(s.Serials))
	for i, serial := range s.Serials {
		key, err := ledger.Key(tx, shipmentType, provenance.KindItem, s.GTIN, serial)
		if err != nil {
			return nil, err
		}
		keys[i] = key
	}
	return keys, nil
}

// claimShipment checks that the lot or items of s are registered
// (NOT_FOUND otherwise) and that no other order awaiting delivery names
// any of them (CONFLICT, naming no order: it may be another customer's),
// then points their shipment rows at order id. Who holds them is not
// checked: the merchant may hand them to the carrier later.
func claimShipment(tx *ledger.Tx, id string, s *orders.Shipment) error {
	var err error
	if s.Lot != "" {
		err = provenancecc.RequireLot(tx, s.GTIN, s.Lot)
	} else {
		_, err = provenancecc.ItemLots(tx, s.GTIN, s.Serials)
	}
	if err != nil {
		e := cxlerr.From(err)
		return cxlerr.New(e.Code, "shipment: "+e.Message).WithCause(err)
	}
	keys, err := shipmentKeys(tx, s)
	if err != nil {
		return err
	}
	values, err := tx.Stub().GetMultipleStates(keys...)
	if err != nil {
		return cxlerr.Errorf(cxlerr.Internal, "read %d shipment rows: %w", len(keys), err)
	}
	checked := map[string]bool{}
	for i, v := range values {
		if v == nil {
			continue
		}
		var row shipmentRow
		if err := json.Unmarshal(v, &row); err != nil {
			return cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", ledger.DescribeKey(keys[i]), err)
		}
		if checked[row.Order] {
			continue
		}
		checked[row.Order] = true
		o, err := FindOrder(tx, row.Order)
		if err != nil {
			return err
		}
		if o != nil && o.State == orders.StatePlaced {
			return cxlerr.Errorf(cxlerr.Conflict, "shipment: %s is already the shipment of another order awaiting delivery", describeShipped(s, i))
		}
	}
	for _, key := range keys {
		if err := ledger.PutJSON(tx, key, shipmentRow{Order: id}); err != nil {
			return err
		}
	}
	return nil
}

// describeShipped names the lot of s, or its i-th item, in messages.
func describeShipped(s *orders.Shipment, i int) string {
	if s.Lot != "" {
		return "lot " + s.GTIN + "/" + s.Lot
	}
	return "item " + s.GTIN + "/" + s.Serials[i]
}

// Handovers is the orders contract's side of a custody handover in the
// provenance contract: given to provenancecc.NewContract, it delivers an
// order when its customer accepts the order's shipment from its carrier,
// releasing the escrow to the merchant (and running the orders contract's
// own delivery hooks, loyalty's earn) in the acceptance's transaction.
type Handovers struct {
	c *Contract
}

// Handovers is what the provenance contract calls.
var _ provenancecc.Hooks = (*Handovers)(nil)

// NewHandovers returns the provenance hooks that deliver orders of c.
func NewHandovers(c *Contract) *Handovers {
	return &Handovers{c: c}
}

// CustodyAccepted looks up the order naming the accepted lot or item as
// its shipment (an item also finds an order shipping its whole lot) and,
// when the handover is the order's delivery, delivers it. The rule: the
// receiver is the order's customer; the order is placed; the previous
// holder is the order's carrier (its MSP ID), which still holds the
// carrier role; and, with this acceptance, the customer holds the whole
// shipment: the lot itself, or every one of its items. Anything else
// releases nothing and says why; it is not an error, since the handover
// itself is legitimate. Without an order naming the subject it returns
// nil.
func (h *Handovers) CustodyAccepted(tx *ledger.Tx, from string, c provenance.Custody) (*provenance.Delivery, any, error) {
	o, err := shippedOrder(tx, c)
	if err != nil || o == nil {
		return nil, nil, err
	}
	d := &provenance.Delivery{Order: o.ID}
	if c.Holder != o.Customer {
		d.Reason = "the receiver is not the order's customer"
		// A receiver who may not read the order learns nothing of it.
		if err := ledger.RequireReader(tx, OrderReaders(o)); err != nil {
			if cxlerr.CodeOf(err) != cxlerr.Forbidden {
				return nil, nil, err
			}
			d.Order, d.Reason = "", "the receiver is not the customer of the order naming this shipment"
		}
		return d, nil, nil
	}
	if d.Reason, err = handoverMismatch(tx, from, c, o); err != nil || d.Reason != "" {
		return d, nil, err
	}
	related, err := h.c.deliver(tx, o, o.Customer)
	if err != nil {
		return nil, nil, err
	}
	d.Released, d.Amount, d.Currency = true, o.Released, o.Currency
	return d, related, nil
}

// shippedOrder returns the order whose shipment names c's lot or item
// (for an item, its own row first, then its lot's), nil when none does.
func shippedOrder(tx *ledger.Tx, c provenance.Custody) (*orders.Order, error) {
	rows := [][]string{{provenance.KindLot, c.GTIN, c.Lot}}
	if c.Kind == provenance.KindItem {
		rows = [][]string{{provenance.KindItem, c.GTIN, c.Serial}, rows[0]}
	}
	for _, parts := range rows {
		key, err := ledger.Key(tx, shipmentType, parts...)
		if err != nil {
			return nil, err
		}
		var row shipmentRow
		found, err := ledger.GetJSON(tx, key, &row)
		if err != nil {
			return nil, err
		}
		if !found {
			continue
		}
		o, err := FindOrder(tx, row.Order)
		if err != nil {
			return nil, err
		}
		if o == nil || o.Shipment == nil {
			return nil, cxlerr.Errorf(cxlerr.Internal, "%s names order %s, which has no shipment", ledger.DescribeKey(key), row.Order)
		}
		return o, nil
	}
	return nil, nil
}

// handoverMismatch says why the customer's acceptance of c from from does
// not deliver o, "" when it does.
func handoverMismatch(tx *ledger.Tx, from string, c provenance.Custody, o *orders.Order) (string, error) {
	if o.State != orders.StatePlaced {
		return fmt.Sprintf("order %s is %s, not awaiting delivery", o.ID, o.State), nil
	}
	if o.Carrier == "" {
		return fmt.Sprintf("order %s names no carrier", o.ID), nil
	}
	if from != o.Carrier {
		return fmt.Sprintf("custody came from %s, not from the order's carrier %s", from, o.Carrier), nil
	}
	ok, err := ledger.OrgHasRole(tx, o.Carrier, ledgertypes.Carrier)
	if err != nil {
		return "", err
	}
	if !ok {
		return fmt.Sprintf("the order's carrier %s no longer holds the carrier role", o.Carrier), nil
	}
	s := o.Shipment
	if s.Lot != "" {
		if c.Kind != provenance.KindLot {
			return fmt.Sprintf("order %s ships lot %s/%s whole; one of its items handed over alone does not deliver it", o.ID, s.GTIN, s.Lot), nil
		}
		return "", nil
	}
	// This acceptance gave the customer c; Fabric does not let the
	// transaction read that back, so only the other items are read.
	others := make([]string, 0, len(s.Serials)-1)
	for _, serial := range s.Serials {
		if serial != c.Serial {
			others = append(others, serial)
		}
	}
	holders, err := provenancecc.ItemHolders(tx, s.GTIN, others)
	if err != nil {
		return "", err
	}
	held := 1
	for _, holder := range holders {
		if holder == o.Customer {
			held++
		}
	}
	if held < len(s.Serials) {
		return fmt.Sprintf("%d of the %d items of order %s's shipment are with the customer", held, len(s.Serials), o.ID), nil
	}
	return "", nil
}
