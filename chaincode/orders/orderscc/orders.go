package orderscc

import (
	"slices"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/cxlerr"
)

// FindOrder returns the committed order id, nil when there is none;
// INVALID for a malformed ID. Like every read, it does not see what the
// current transaction wrote. It checks no reader: a function that shows
// what it finds, or refuses by what it finds, passes it on to
// RequireOrderReader first (see ReadOrder).
func FindOrder(tx *ledger.Tx, id string) (*orders.Order, error) {
	if err := orders.ValidateToken("id", id, orders.MaxToken); err != nil {
		return nil, err
	}
	key, err := ledger.Key(tx, orderType, id)
	if err != nil {
		return nil, err
	}
	var o orders.Order
	found, err := ledger.GetJSON(tx, key, &o)
	if err != nil || !found {
		return nil, err
	}
	return &o, nil
}

// ReadOrder returns the committed order id if the caller may read it (see
// RequireOrderReader). Every function that takes an order ID reads the
// order with it: queries, the transitions and other contracts' functions
// that act on an order (loyalty's Redeem against an order).
func ReadOrder(tx *ledger.Tx, id string) (*orders.Order, error) {
	o, err := FindOrder(tx, id)
	if err != nil {
		return nil, err
	}
	if err := RequireOrderReader(tx, id, o); err != nil {
		return nil, err
	}
	return o, nil
}

// RequireOrderReader fails unless the caller may read the order id, found
// as o (nil when it is missing): FORBIDDEN with ledger.RequireReader's
// message, which names nothing of the order, to a caller who is not one of
// its readers (OrderReaders), whether or not it exists; NOT_FOUND only to
// those who could read a missing order, payment organisations and
// auditors. Callers who pass get the precise errors of what they asked.
func RequireOrderReader(tx *ledger.Tx, id string, o *orders.Order) error {
	if err := ledger.RequireReader(tx, OrderReaders(o)); err != nil {
		return err
	}
	if o == nil {
		return cxlerr.Errorf(cxlerr.NotFound, "order %s not found", id)
	}
	return nil
}

// OrderReaders are who may read order o, its refunds and its escrow: its
// customer, the merchant, the carrier and the arbiter it names, payment
// organisations, and auditors. A nil o (a missing order) has no parties.
func OrderReaders(o *orders.Order) ledger.Readers {
	r := ledger.Readers{Roles: paymentReads}
	if o != nil {
		r.Parties = []string{o.Customer, o.Merchant, o.Carrier, o.Arbiter}
	}
	return r
}

func (c *Contract) place(tx *ledger.Tx, a orders.PlaceArgs) (*orders.Order, error) {
	caller := tx.Caller()
	if !caller.IsPerson() {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "%s is neither a client nor an admin; orders are placed by people", caller.Account)
	}
	now := tx.Time()
	if !a.Deadline.After(now) {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "deadline: %s is not after the transaction time %s", a.Deadline.UTC().Format(time.RFC3339Nano), now.Format(time.RFC3339Nano))
	}
	if a.Deadline.Sub(now) > orders.MaxHorizon {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "deadline: %s is more than %d days after the transaction time", a.Deadline.UTC().Format(time.RFC3339Nano), orders.MaxHorizon/(24*time.Hour))
	}
	if _, err := readCurrency(tx, a.Currency); err != nil {
		return nil, err
	}
	if err := requireOrgRole(tx, "merchant", a.Merchant, ledgertypes.Merchant); err != nil {
		return nil, err
	}
	if a.Carrier != "" {
		if err := requireOrgRole(tx, "carrier", a.Carrier, ledgertypes.Carrier); err != nil {
			return nil, err
		}
	}
	if a.Arbiter != "" {
		if err := requireOrgRole(tx, "arbiter", a.Arbiter, ledgertypes.Arbiter); err != nil {
			return nil, err
		}
	}
	// The ID is the caller's; the order holding it may be anyone's, so the
	// refusal names nothing of it.
	existing, err := FindOrder(tx, a.ID)
	if err != nil {
		return nil, err
	}
	if existing != nil {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "order ID %s is taken", a.ID)
	}
	if a.Shipment != nil {
		if err := claimShipment(tx, a.ID, a.Shipment); err != nil {
			return nil, err
		}
	}
	book := orders.Book(a.Currency)
	if _, _, err := ledger.SpendLots(tx, book, caller.Account, a.Amount, nil, nil); err != nil {
		return nil, err
	}
	escrow := ledger.Lot{Amount: a.Amount, Unit: a.Currency, Meta: map[string]string{"order": a.ID}}
	if _, err := ledger.MintLot(tx, book, orders.EscrowAccount(a.ID), escrow); err != nil {
		return nil, err
	}
	o := &orders.Order{
		ID: a.ID, Customer: caller.Account, Merchant: a.Merchant, Carrier: a.Carrier, Arbiter: a.Arbiter,
		Items: a.Items, Shipment: a.Shipment, Amount: a.Amount, Currency: a.Currency, State: orders.StatePlaced,
		Deadline: a.Deadline.UTC(), ReturnDays: a.ReturnDays, Placed: now, PlacedTx: tx.ID(),
	}
	if err := save(tx, o, ""); err != nil {
		return nil, err
	}
	customerKey, err := ledger.Key(tx, customerType, o.Customer, timeKey(o.Placed), o.ID)
	if err != nil {
		return nil, err
	}
	if err := putRow(tx, customerKey); err != nil {
		return nil, err
	}
	deadlineKey, err := ledger.Key(tx, deadlineType, timeKey(o.Deadline), o.ID)
	if err != nil {
		return nil, err
	}
	if err := putRow(tx, deadlineKey); err != nil {
		return nil, err
	}
	if err := emitOrder(tx, "OrderPlaced", o, orderEvent{}); err != nil {
		return nil, err
	}
	return o, nil
}

// requireOrgRole checks that the organisation an argument names is a member
// (NOT_FOUND otherwise) and holds role (CONFLICT otherwise: the ledger
// says it does not, and a role can be granted later).
func requireOrgRole(tx *ledger.Tx, field, msp string, role ledgertypes.Role) error {
	if err := ledger.RequireMember(tx, field, msp); err != nil {
		return err
	}
	ok, err := ledger.OrgHasRole(tx, msp, role)
	if err != nil {
		return err
	}
	if !ok {
		return cxlerr.Errorf(cxlerr.Conflict, "%s: %s does not hold the %s role", field, msp, role)
	}
	return nil
}

func (c *Contract) confirmDelivery(tx *ledger.Tx, a orders.IDArgs) (*orders.Order, error) {
	o, err := ReadOrder(tx, a.ID)
	if err != nil {
		return nil, err
	}
	caller := tx.Caller()
	byCarrier := false
	switch {
	case caller.Account == o.Customer:
	case o.Carrier != "" && caller.MSP == o.Carrier:
		if err := ledger.ActsFor(tx, o.Carrier, ledgertypes.Carrier); err != nil {
			return nil, err
		}
		byCarrier = true
	case o.Carrier != "":
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "only the customer or the carrier %s confirm delivery of order %s", o.Carrier, o.ID)
	default:
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "only the customer confirms delivery of order %s, which names no carrier", o.ID)
	}
	if o.State != orders.StatePlaced {
		return nil, stateConflict(o, "confirm delivery of")
	}
	now := tx.Time()
	if byCarrier && now.After(o.Deadline) {
		return nil, cxlerr.Errorf(cxlerr.Expired, "order %s was due by %s; the carrier confirms at %s, too late (the customer may still confirm, or Sweep refunds it)",
			o.ID, o.Deadline.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano))
	}
	by := caller.Account
	if byCarrier {
		by = caller.MSP
	}
	related, err := c.deliver(tx, o, by)
	if err != nil {
		return nil, err
	}
	if err := emitOrder(tx, "OrderDelivered", o, orderEvent{Released: o.Released, Related: related}); err != nil {
		return nil, err
	}
	return o, nil
}

// deliver makes the placed order o delivered by by (the customer's account
// or the carrier's MSP ID): it releases what the escrow holds to the
// merchant, opens the return window, saves o and runs the delivery hook,
// returning what the hook returned. The caller emits the event.
func (c *Contract) deliver(tx *ledger.Tx, o *orders.Order, by string) (any, error) {
	now := tx.Time()
	released := o.Remaining()
	lot, err := move(tx, o, orders.EscrowAccount(o.ID), o.Merchant, released)
	if err != nil {
		return nil, err
	}
	returnBy := now.Add(time.Duration(o.ReturnDays) * 24 * time.Hour)
	o.State = orders.StateDelivered
	o.Released = released
	o.ReleaseLot = lot.ID
	o.Delivered = &now
	o.ReturnBy = &returnBy
	o.DeliveredBy = by
	if err := save(tx, o, orders.StatePlaced); err != nil {
		return nil, err
	}
	return c.onDelivered(tx, o)
}

func (c *Contract) refund(tx *ledger.Tx, a orders.RefundArgs) (*orders.Order, error) {
	o, err := ReadOrder(tx, a.ID)
	if err != nil {
		return nil, err
	}
	caller := tx.Caller()
	if caller.MSP != o.Merchant {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "only the merchant %s refunds order %s", o.Merchant, o.ID)
	}
	if err := ledger.RequireStaff(tx, o.Merchant, ledgertypes.Merchant); err != nil {
		return nil, err
	}
	for _, r := range o.Refunds {
		if r.ID == a.RefundID {
			return nil, cxlerr.Errorf(cxlerr.Conflict, "refund %s of order %s was already made: %d %s in transaction %s", r.ID, o.ID, r.Amount, o.Currency, r.TxID)
		}
	}
	switch o.State {
	case orders.StatePlaced, orders.StateDelivered, orders.StateReturning:
	default:
		return nil, stateConflict(o, "refund")
	}
	if len(o.Refunds) >= orders.MaxRefunds {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "order %s already has %d refunds, the most it may have", o.ID, orders.MaxRefunds)
	}
	amount := o.Remaining()
	if a.Amount != 0 {
		if a.Amount > amount {
			return nil, cxlerr.Errorf(cxlerr.Conflict, "amount: %d is more than the %d %s of order %s not yet refunded", a.Amount, amount, o.Currency, o.ID)
		}
		amount = a.Amount
	}
	from := o.State
	if err := payBack(tx, o, amount, orders.Refund{ID: a.RefundID, Reason: a.Reason, By: caller.MSP}); err != nil {
		return nil, err
	}
	event := "OrderPartiallyRefunded"
	if o.Remaining() == 0 {
		o.State = orders.StateRefunded
		event = "OrderRefunded"
	}
	if err := save(tx, o, from); err != nil {
		return nil, err
	}
	related, err := c.onRefunded(tx, o, amount)
	if err != nil {
		return nil, err
	}
	if err := emitOrder(tx, event, o, orderEvent{Refunded: amount, Reason: a.Reason, Related: related}); err != nil {
		return nil, err
	}
	return o, nil
}

func requestReturn(tx *ledger.Tx, a orders.ReasonArgs) (*orders.Order, error) {
	o, err := ReadOrder(tx, a.ID)
	if err != nil {
		return nil, err
	}
	if tx.Caller().Account != o.Customer {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "only the customer returns order %s", o.ID)
	}
	if o.State != orders.StateDelivered {
		return nil, stateConflict(o, "return")
	}
	if err := withinReturnWindow(tx, o, "a return"); err != nil {
		return nil, err
	}
	o.State = orders.StateReturning
	if err := save(tx, o, orders.StateDelivered); err != nil {
		return nil, err
	}
	if err := emitOrder(tx, "ReturnRequested", o, orderEvent{Reason: a.Reason}); err != nil {
		return nil, err
	}
	return o, nil
}

// withinReturnWindow fails with EXPIRED unless the transaction time is
// before the order's ReturnBy.
func withinReturnWindow(tx *ledger.Tx, o *orders.Order, what string) error {
	if o.ReturnBy != nil && tx.Time().Before(*o.ReturnBy) {
		return nil
	}
	if o.ReturnDays == 0 {
		return cxlerr.Errorf(cxlerr.Expired, "order %s takes no returns, so %s is too late once delivered", o.ID, what)
	}
	return cxlerr.Errorf(cxlerr.Expired, "the return window of order %s closed at %s, before %s at %s",
		o.ID, o.ReturnBy.Format(time.RFC3339Nano), what, tx.Time().Format(time.RFC3339Nano))
}

func (c *Contract) receiveReturn(tx *ledger.Tx, a orders.IDArgs) (*orders.Order, error) {
	o, err := ReadOrder(tx, a.ID)
	if err != nil {
		return nil, err
	}
	caller := tx.Caller()
	switch {
	case caller.MSP == o.Merchant:
		if err := ledger.RequireStaff(tx, o.Merchant, ledgertypes.Merchant); err != nil {
			return nil, err
		}
	case o.Carrier != "" && caller.MSP == o.Carrier:
		if err := ledger.ActsFor(tx, o.Carrier, ledgertypes.Carrier); err != nil {
			return nil, err
		}
	default:
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "only the merchant %s or the order's carrier record the return of order %s", o.Merchant, o.ID)
	}
	if o.State != orders.StateReturning {
		return nil, stateConflict(o, "receive the return of")
	}
	amount := o.Remaining()
	if err := payBack(tx, o, amount, orders.Refund{By: caller.MSP}); err != nil {
		return nil, err
	}
	o.State = orders.StateReturned
	if err := save(tx, o, orders.StateReturning); err != nil {
		return nil, err
	}
	related, err := c.onRefunded(tx, o, amount)
	if err != nil {
		return nil, err
	}
	if err := emitOrder(tx, "ReturnReceived", o, orderEvent{Refunded: amount, Related: related}); err != nil {
		return nil, err
	}
	return o, nil
}

func openDispute(tx *ledger.Tx, a orders.ReasonArgs) (*orders.Order, error) {
	o, err := ReadOrder(tx, a.ID)
	if err != nil {
		return nil, err
	}
	caller := tx.Caller()
	openedBy := caller.Account
	switch {
	case caller.Account == o.Customer:
	case caller.MSP == o.Merchant:
		if err := ledger.RequireStaff(tx, o.Merchant, ledgertypes.Merchant); err != nil {
			return nil, err
		}
		openedBy = caller.MSP
	default:
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "only the customer or the merchant %s dispute order %s", o.Merchant, o.ID)
	}
	if o.Arbiter == "" {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "order %s names no arbiter, so it cannot be disputed", o.ID)
	}
	switch o.State {
	case orders.StateDelivered:
		if err := withinReturnWindow(tx, o, "a dispute"); err != nil {
			return nil, err
		}
	case orders.StateReturning:
	default:
		return nil, stateConflict(o, "dispute")
	}
	from := o.State
	o.Dispute = &orders.Dispute{OpenedBy: openedBy, From: from, Reason: a.Reason, Opened: tx.Time()}
	o.State = orders.StateDisputed
	if err := save(tx, o, from); err != nil {
		return nil, err
	}
	if err := emitOrder(tx, "DisputeOpened", o, orderEvent{Reason: a.Reason}); err != nil {
		return nil, err
	}
	return o, nil
}

func (c *Contract) resolveDispute(tx *ledger.Tx, a orders.ResolveDisputeArgs) (*orders.Order, error) {
	o, err := ReadOrder(tx, a.ID)
	if err != nil {
		return nil, err
	}
	if o.Arbiter == "" || tx.Caller().MSP != o.Arbiter {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "only the order's arbiter resolves a dispute of order %s", o.ID)
	}
	if err := ledger.ActsFor(tx, o.Arbiter, ledgertypes.Arbiter); err != nil {
		return nil, err
	}
	if o.State != orders.StateDisputed {
		return nil, stateConflict(o, "resolve a dispute of")
	}
	amount := a.Refund
	if amount > o.Remaining() {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "refund: %d is more than the %d %s of order %s not yet refunded", amount, o.Remaining(), o.Currency, o.ID)
	}
	if amount > 0 {
		if err := payBack(tx, o, amount, orders.Refund{By: o.Arbiter}); err != nil {
			return nil, err
		}
	}
	now := tx.Time()
	o.Dispute.Refund = amount
	o.Dispute.Resolved = &now
	o.State = orders.StateResolved
	if err := save(tx, o, orders.StateDisputed); err != nil {
		return nil, err
	}
	var related any
	if amount > 0 {
		if related, err = c.onRefunded(tx, o, amount); err != nil {
			return nil, err
		}
	}
	if err := emitOrder(tx, "DisputeResolved", o, orderEvent{Refunded: amount, Related: related}); err != nil {
		return nil, err
	}
	return o, nil
}

// stateConflict is the CONFLICT of a transition the order's state does not allow.
func stateConflict(o *orders.Order, action string) error {
	return cxlerr.Errorf(cxlerr.Conflict, "cannot %s order %s: it is %s", action, o.ID, o.State)
}

// payBack returns amount to the customer, from the escrow before delivery
// and from the merchant after, and records the refund r on the order.
func payBack(tx *ledger.Tx, o *orders.Order, amount ledgertypes.Amount, r orders.Refund) error {
	if o.Escrowed() {
		if _, err := move(tx, o, orders.EscrowAccount(o.ID), o.Customer, amount); err != nil {
			return err
		}
	} else if err := takeFromMerchant(tx, o, amount); err != nil {
		return err
	}
	refunded, err := o.Refunded.Add(amount)
	if err != nil || refunded > o.Amount {
		return cxlerr.Errorf(cxlerr.Internal, "order %s: refunding %d more than its amount %d", o.ID, amount, o.Amount)
	}
	o.Refunded = refunded
	r.Amount = amount
	r.Time = tx.Time()
	r.TxID = tx.ID()
	o.Refunds = append(o.Refunds, r)
	return nil
}

// move spends amount of from's lots in the order's currency and mints it to
// to, returning the new lot.
func move(tx *ledger.Tx, o *orders.Order, from, to string, amount ledgertypes.Amount) (ledger.Lot, error) {
	book := orders.Book(o.Currency)
	if _, _, err := ledger.SpendLots(tx, book, from, amount, nil, nil); err != nil {
		return ledger.Lot{}, err
	}
	return ledger.MintLot(tx, book, to, ledger.Lot{Amount: amount, Unit: o.Currency, Meta: map[string]string{"order": o.ID}})
}

// takeFromMerchant pays amount back to the customer from the merchant after
// delivery. It takes from the lot that paid the merchant for this order,
// read by its key, so a refund does not read the merchant's whole account,
// which every delivery credits, and does not conflict with those credits.
// Only when that lot is gone or too small (the merchant withdrew it) does it
// spend from the merchant's balance, which is INSUFFICIENT_FUNDS when that
// is too small.
func takeFromMerchant(tx *ledger.Tx, o *orders.Order, amount ledgertypes.Amount) error {
	book := orders.Book(o.Currency)
	if o.ReleaseLot != "" {
		key, err := ledger.Key(tx, book, o.Merchant, o.ReleaseLot)
		if err != nil {
			return err
		}
		var lot ledger.Lot
		found, err := ledger.GetJSON(tx, key, &lot)
		if err != nil {
			return err
		}
		if found && lot.Amount >= amount {
			if err := ledger.Delete(tx, key); err != nil {
				return err
			}
			o.ReleaseLot = ""
			if lot.Amount > amount {
				change, err := ledger.MintLot(tx, book, o.Merchant, ledger.Lot{Amount: lot.Amount - amount, Unit: lot.Unit, Meta: lot.Meta})
				if err != nil {
					return err
				}
				o.ReleaseLot = change.ID
			}
			_, err = ledger.MintLot(tx, book, o.Customer, ledger.Lot{Amount: amount, Unit: o.Currency, Meta: map[string]string{"order": o.ID}})
			return err
		}
		if !found {
			o.ReleaseLot = ""
		}
	}
	spent, _, err := ledger.SpendLots(tx, book, o.Merchant, amount, nil, nil)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(spent, func(l ledger.Lot) bool { return l.ID == o.ReleaseLot }) {
		o.ReleaseLot = ""
	}
	_, err = ledger.MintLot(tx, book, o.Customer, ledger.Lot{Amount: amount, Unit: o.Currency, Meta: map[string]string{"order": o.ID}})
	return err
}

// save writes o and, when its state changed from from ("" for a new order),
// moves its row in the merchant index and drops it from the deadline index
// as it leaves the placed state.
func save(tx *ledger.Tx, o *orders.Order, from orders.State) error {
	o.Updated = tx.Time()
	o.UpdatedTx = tx.ID()
	key, err := ledger.Key(tx, orderType, o.ID)
	if err != nil {
		return err
	}
	if err := ledger.PutJSON(tx, key, o); err != nil {
		return err
	}
	if from == o.State {
		return nil
	}
	placed := timeKey(o.Placed)
	if from != "" {
		old, err := ledger.Key(tx, merchantType, o.Merchant, string(from), placed, o.ID)
		if err != nil {
			return err
		}
		if err := ledger.Delete(tx, old); err != nil {
			return err
		}
	}
	row, err := ledger.Key(tx, merchantType, o.Merchant, string(o.State), placed, o.ID)
	if err != nil {
		return err
	}
	if err := putRow(tx, row); err != nil {
		return err
	}
	if from != orders.StatePlaced {
		return nil
	}
	due, err := ledger.Key(tx, deadlineType, timeKey(o.Deadline), o.ID)
	if err != nil {
		return err
	}
	return ledger.Delete(tx, due)
}

// putRow writes an index row, whose key says everything: its value is {}.
func putRow(tx *ledger.Tx, key string) error {
	return ledger.PutJSON(tx, key, struct{}{})
}

// orderEvent is the data of the events about one order. Amount is the
// order's price; Released and Refunded are what this transaction paid the
// merchant and the customer; Related is what the hooks returned.
type orderEvent struct {
	State    orders.State       `json:"state"`
	Currency string             `json:"currency"`
	Amount   ledgertypes.Amount `json:"amount"`
	Released ledgertypes.Amount `json:"released,omitempty"`
	Refunded ledgertypes.Amount `json:"refunded,omitempty"`
	Reason   string             `json:"reason,omitempty"`
	Related  any                `json:"related,omitempty"`
}

// emitOrder emits the transaction's event about o, keyed by order and
// merchant; the customer's account is left out.
func emitOrder(tx *ledger.Tx, typ string, o *orders.Order, data orderEvent) error {
	data.State, data.Currency, data.Amount = o.State, o.Currency, o.Amount
	return ledger.Emit(tx, ledger.Event{
		Contract: orders.Name, Type: typ,
		Keys: map[string]string{"order": o.ID, "merchant": o.Merchant},
		Data: data,
	})
}
