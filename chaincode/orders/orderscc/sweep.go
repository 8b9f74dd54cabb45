package orderscc

import (
	"errors"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/cxlerr"
)

// errDueEnd stops the deadline scan at the first order not yet overdue.
var errDueEnd = errors.New("end of overdue orders")

// sweepEvent is the data of the OrdersSwept event.
type sweepEvent struct {
	Orders    []sweptEvent `json:"orders"`
	Remaining int          `json:"remaining"`
	More      bool         `json:"more"`
}

// sweptEvent is one refunded order in a sweepEvent.
type sweptEvent struct {
	ID       string             `json:"id"`
	Merchant string             `json:"merchant"`
	Currency string             `json:"currency"`
	Refunded ledgertypes.Amount `json:"refunded"`
	Related  any                `json:"related,omitempty"`
}

// sweep refunds overdue placed orders from the front of the deadline index.
// It reads the index in deadline order and stops at the first order not yet
// overdue, so it never skips over rows: refunded orders leave the index, and
// every other order leaves it when it leaves the placed state. Of the first
// limit overdue orders it refunds those of distinct customers (a later order
// of a customer already refunded in this call waits for the next call, so
// hooks never see one customer twice in a transaction, which matters because
// a transaction does not read its own writes) and counts the rest, up to
// MaxSweepCount, as remaining.
func (c *Contract) sweep(tx *ledger.Tx, a orders.SweepArgs) (*orders.OrderSweep, error) {
	limit := a.Limit
	if limit == 0 {
		limit = orders.DefaultSweep
	}
	now := timeKey(tx.Time())
	var due []string
	more, err := ledger.Scan(tx, deadlineType, nil, limit+orders.MaxSweepCount, func(kv ledger.KV) error {
		if len(kv.Parts) != 2 {
			return cxlerr.Errorf(cxlerr.Internal, "malformed deadline row %s", ledger.DescribeKey(kv.Key))
		}
		if kv.Parts[0] >= now {
			return errDueEnd
		}
		due = append(due, kv.Parts[1])
		return nil
	})
	if err != nil && !errors.Is(err, errDueEnd) {
		return nil, err
	}
	res := &orders.OrderSweep{Refunded: []orders.SweptOrder{}, More: more}
	event := sweepEvent{Orders: []sweptEvent{}}
	customers := map[string]bool{}
	for _, id := range due[:min(limit, len(due))] {
		o, err := FindOrder(tx, id)
		if err != nil {
			return nil, cxlerr.Errorf(cxlerr.Internal, "deadline index names order %s: %w", id, err)
		}
		if o == nil {
			return nil, cxlerr.Errorf(cxlerr.Internal, "deadline index names order %s, which does not exist", id)
		}
		if o.State != orders.StatePlaced {
			return nil, cxlerr.Errorf(cxlerr.Internal, "deadline index names order %s, which is %s", id, o.State)
		}
		if customers[o.Customer] {
			continue
		}
		customers[o.Customer] = true
		amount := o.Remaining()
		if err := payBack(tx, o, amount, orders.Refund{By: "sweep"}); err != nil {
			return nil, err
		}
		o.State = orders.StateRefunded
		if err := save(tx, o, orders.StatePlaced); err != nil {
			return nil, err
		}
		related, err := c.onRefunded(tx, o, amount)
		if err != nil {
			return nil, err
		}
		res.Refunded = append(res.Refunded, orders.SweptOrder{ID: o.ID, Merchant: o.Merchant, Currency: o.Currency, Amount: amount, Deadline: o.Deadline})
		event.Orders = append(event.Orders, sweptEvent{ID: o.ID, Merchant: o.Merchant, Currency: o.Currency, Refunded: amount, Related: related})
	}
	res.Remaining = len(due) - len(res.Refunded)
	if len(res.Refunded) == 0 {
		return res, nil
	}
	event.Remaining, event.More = res.Remaining, res.More
	if err := ledger.Emit(tx, ledger.Event{Contract: orders.Name, Type: "OrdersSwept", Data: event}); err != nil {
		return nil, err
	}
	return res, nil
}
