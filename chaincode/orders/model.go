package orders

import (
	"slices"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
)

// State is where an order stands; see the package documentation for the
// transitions.
type State string

// The order states.
const (
	// StatePlaced: paid into escrow, awaiting delivery before the deadline.
	StatePlaced State = "placed"
	// StateDelivered: delivery confirmed and the escrow released to the
	// merchant; a return may be requested until ReturnBy.
	StateDelivered State = "delivered"
	// StateReturning: the customer asked to return the goods; the merchant or
	// the carrier records them received back.
	StateReturning State = "returning"
	// StateDisputed: the customer or the merchant took the order to its
	// arbiter.
	StateDisputed State = "disputed"
	// StateRefunded: final; everything paid went back to the customer before
	// the goods came back or were delivered.
	StateRefunded State = "refunded"
	// StateReturned: final; the goods came back and the rest of the price was
	// refunded.
	StateReturned State = "returned"
	// StateResolved: final; the arbiter decided the dispute.
	StateResolved State = "resolved"
)

// valid reports whether s is one of the order states.
func (s State) valid() bool {
	switch s {
	case StatePlaced, StateDelivered, StateReturning, StateDisputed, StateRefunded, StateReturned, StateResolved:
		return true
	}
	return false
}

// Final reports whether no transition leaves s.
func (s State) Final() bool {
	return s == StateRefunded || s == StateReturned || s == StateResolved
}

// Order is an order a customer placed with a merchant organisation, stored
// under orders.order (id). Amounts are in minor units of Currency.
type Order struct {
	// ID is chosen by the customer when placing the order: 1 to 64 ASCII
	// letters, digits, '.', '_' or '-', unique on the channel.
	ID string `json:"id"`
	// Customer is the account that placed and paid for the order,
	// "<MSP ID>/<common name>" (ledger.Caller.Account).
	Customer string `json:"customer"`
	// Merchant is the MSP ID of the organisation selling; its organisation
	// account (the bare MSP ID) receives the payment on delivery.
	Merchant string `json:"merchant"`
	// Carrier is the MSP ID of the organisation that may confirm delivery and
	// receive returns, if the order names one.
	Carrier string `json:"carrier,omitempty" metadata:",optional"`
	// Arbiter is the MSP ID of the organisation that settles a dispute, if
	// the order names one.
	Arbiter string `json:"arbiter,omitempty" metadata:",optional"`
	// Items are what was ordered.
	Items []OrderItem `json:"items"`
	// Shipment is the registered lot or items the carrier hands over, if the
	// order names them: the customer's acceptance of their custody from the
	// carrier delivers the order (see the package documentation).
	Shipment *Shipment `json:"shipment,omitempty" metadata:",optional"`
	// Amount is the price paid into escrow at placement.
	Amount ledgertypes.Amount `json:"amount"`
	// Currency is the settlement currency ("EUR").
	Currency string `json:"currency"`
	// Refunded is the total returned to the customer so far; Amount -
	// Refunded is what the escrow (before delivery) or the merchant (after)
	// still holds of the order.
	Refunded ledgertypes.Amount `json:"refunded"`
	// Released is what the escrow paid the merchant on delivery; zero before.
	Released ledgertypes.Amount `json:"released"`
	// State is where the order stands.
	State State `json:"state"`
	// Deadline is the promised delivery or service start. Delivery counts
	// until and including this instant; after it the order is overdue and
	// Sweep refunds it.
	Deadline time.Time `json:"deadline"`
	// ReturnDays is the return window, in days after delivery; 0 means no
	// returns.
	ReturnDays int `json:"returnDays"`
	// ReturnBy is the end (exclusive) of the return window, set on delivery.
	ReturnBy *time.Time `json:"returnBy,omitempty" metadata:",optional"`
	// Placed is the placement's transaction time.
	Placed time.Time `json:"placed"`
	// PlacedTx is the placement's transaction ID.
	PlacedTx string `json:"placedTx"`
	// Delivered is the transaction time of the delivery confirmation.
	Delivered *time.Time `json:"delivered,omitempty" metadata:",optional"`
	// DeliveredBy is who confirmed delivery: the customer's account (also
	// when the customer accepted the shipment's custody from the carrier) or
	// the carrier's MSP ID.
	DeliveredBy string `json:"deliveredBy,omitempty" metadata:",optional"`
	// ReleaseLot is the ID of the lot that paid the merchant on delivery, or
	// of what remains of it; refunds after delivery take from it first.
	ReleaseLot string `json:"releaseLot,omitempty" metadata:",optional"`
	// Refunds are the refunds made, oldest first.
	Refunds []Refund `json:"refunds,omitempty" metadata:",optional"`
	// Dispute is set once the order goes to its arbiter.
	Dispute *Dispute `json:"dispute,omitempty" metadata:",optional"`
	// Updated is the time of the last change.
	Updated time.Time `json:"updated"`
	// UpdatedTx is the transaction of the last change.
	UpdatedTx string `json:"updatedTx"`
}

// Remaining is what of the price has not been refunded.
func (o *Order) Remaining() ledgertypes.Amount {
	return o.Amount - o.Refunded
}

// Escrowed reports whether the order's money is still in its escrow: the
// order was not delivered and is not final.
func (o *Order) Escrowed() bool {
	return o.State == StatePlaced
}

// Clone returns a deep copy, so hooks cannot change what the contract writes.
func (o *Order) Clone() *Order {
	c := *o
	c.Items = slices.Clone(o.Items)
	for i := range c.Items {
		c.Items[i].Serials = slices.Clone(o.Items[i].Serials)
	}
	c.Refunds = slices.Clone(o.Refunds)
	if o.Shipment != nil {
		sh := *o.Shipment
		sh.Serials = slices.Clone(o.Shipment.Serials)
		c.Shipment = &sh
	}
	if o.ReturnBy != nil {
		t := *o.ReturnBy
		c.ReturnBy = &t
	}
	if o.Delivered != nil {
		t := *o.Delivered
		c.Delivered = &t
	}
	if o.Dispute != nil {
		d := *o.Dispute
		c.Dispute = &d
	}
	return &c
}

// OrderItem is one line of an order.
type OrderItem struct {
	// SKU is the merchant's article number.
	SKU string `json:"sku"`
	// Quantity is how many, at least 1.
	Quantity int64 `json:"quantity"`
	// GTIN is the product's GS1 GTIN, when the items are registered in the
	// provenance contract.
	GTIN string `json:"gtin,omitempty" metadata:",optional"`
	// Serials are the provenance serial numbers of the items, at most
	// Quantity of them; they need GTIN.
	Serials []string `json:"serials,omitempty" metadata:",optional"`
}

// Shipment names the goods of an order as the provenance contract
// registered them: a lot (GTIN and lot number) or serialised items (GTIN and
// serial numbers), optionally with the SSCC on the parcel's label.
type Shipment struct {
	// GTIN is the product's GTIN; the contract keeps it as the 14-digit GTIN.
	GTIN string `json:"gtin"`
	// Lot is the lot number, for a shipment of a whole lot.
	Lot string `json:"lot,omitempty" metadata:",optional"`
	// Serials are the items' serial numbers, 1 to MaxShipmentSerials, for a
	// shipment of serialised items; exactly one of Lot and Serials is given.
	Serials []string `json:"serials,omitempty" metadata:",optional"`
	// SSCC is the Serial Shipping Container Code on the parcel, a label
	// only: custody is recorded for the lot or the items, not the parcel.
	SSCC string `json:"sscc,omitempty" metadata:",optional"`
}

// Refund is one refund of an order.
type Refund struct {
	// ID is the merchant's refund ID for refunds made with Refund, unique
	// within the order; empty for the refunds the contract makes (Sweep,
	// ReceiveReturn, ResolveDispute).
	ID string `json:"id,omitempty" metadata:",optional"`
	// Amount is what went back to the customer.
	Amount ledgertypes.Amount `json:"amount"`
	// Reason is a short reason code, if given.
	Reason string `json:"reason,omitempty" metadata:",optional"`
	// By is who made it: the MSP ID of the merchant, carrier or arbiter, or
	// "sweep".
	By string `json:"by"`
	// Time is the transaction time.
	Time time.Time `json:"time"`
	// TxID is the transaction.
	TxID string `json:"txId"`
}

// Dispute records the order's dispute.
type Dispute struct {
	// OpenedBy is the customer's account or the merchant's MSP ID.
	OpenedBy string `json:"openedBy"`
	// From is the state the order was in when the dispute opened.
	From State `json:"from"`
	// Reason is a short reason code, if given.
	Reason string `json:"reason,omitempty" metadata:",optional"`
	// Opened is the transaction time of the opening.
	Opened time.Time `json:"opened"`
	// Refund is what the arbiter awarded the customer, once resolved.
	Refund ledgertypes.Amount `json:"refund"`
	// Resolved is the transaction time of the decision.
	Resolved *time.Time `json:"resolved,omitempty" metadata:",optional"`
}

// OrderPage is one page of orders.
type OrderPage struct {
	// Orders are the orders of the page.
	Orders []Order `json:"orders"`
	// Bookmark continues the listing; empty after the last page.
	Bookmark string `json:"bookmark,omitempty" metadata:",optional"`
}

// SettlementCurrency is a currency registered for settlement.
type SettlementCurrency struct {
	// Code is the ISO 4217 style code ("EUR").
	Code string `json:"code"`
	// Issuer is the MSP ID of the payment organisation that registered the
	// currency; only it deposits and withdraws.
	Issuer string `json:"issuer"`
	// Outstanding is what is deposited and not withdrawn: the sum of every
	// balance and escrow in the currency.
	Outstanding ledgertypes.Amount `json:"outstanding"`
	// Registered is the registration's transaction time.
	Registered time.Time `json:"registered"`
	// RegisteredTx is the registration's transaction ID.
	RegisteredTx string `json:"registeredTx"`
}

// SettlementTransfer is a deposit or a withdrawal by a currency's issuer.
type SettlementTransfer struct {
	// Ref is the issuer's reference for the transfer (its payment ID),
	// unique per issuer: a transfer with a reference already used is CONFLICT.
	Ref string `json:"ref"`
	// Kind is "deposit" or "withdrawal".
	Kind string `json:"kind"`
	// Issuer is the MSP ID of the issuer.
	Issuer string `json:"issuer"`
	// Currency is the currency code.
	Currency string `json:"currency"`
	// Entries are the accounts credited or debited.
	Entries []TransferEntry `json:"entries"`
	// Total is the sum of the entries.
	Total ledgertypes.Amount `json:"total"`
	// Outstanding is the currency's outstanding amount after the transfer.
	Outstanding ledgertypes.Amount `json:"outstanding"`
	// Time is the transaction time.
	Time time.Time `json:"time"`
	// TxID is the transaction.
	TxID string `json:"txId"`
}

// TransferEntry is one account of a transfer.
type TransferEntry struct {
	// Account is a customer account or an organisation account.
	Account string `json:"account"`
	// Amount is positive.
	Amount ledgertypes.Amount `json:"amount"`
}

// SettlementBalance is an account's balance in one currency.
type SettlementBalance struct {
	// Account is the customer account, organisation account or escrow.
	Account string `json:"account"`
	// Currency is the currency code.
	Currency string `json:"currency"`
	// Balance is the sum of the account's lots.
	Balance ledgertypes.Amount `json:"balance"`
	// Lots is how many lots make up the balance.
	Lots int `json:"lots"`
}

// OrderSweep is the result of Sweep.
type OrderSweep struct {
	// Refunded are the orders refunded, by deadline.
	Refunded []SweptOrder `json:"refunded"`
	// Remaining counts the overdue orders left for later calls, up to
	// MaxSweepCount; More is true when counting stopped there.
	Remaining int `json:"remaining"`
	// More is true when more than Remaining overdue orders may remain.
	More bool `json:"more"`
}

// SweptOrder is an order Sweep refunded.
type SweptOrder struct {
	// ID is the order.
	ID string `json:"id"`
	// Merchant is the order's merchant.
	Merchant string `json:"merchant"`
	// Currency and Amount are what went back to the customer.
	Currency string             `json:"currency"`
	Amount   ledgertypes.Amount `json:"amount"`
	// Deadline is the deadline the order missed.
	Deadline time.Time `json:"deadline"`
}

// Consolidation is the result of Consolidate.
type Consolidation struct {
	// Account and Currency name the balance consolidated.
	Account  string `json:"account"`
	Currency string `json:"currency"`
	// Merged is how many lots were merged into one.
	Merged int `json:"merged"`
	// Amount is the value of the merged lots.
	Amount ledgertypes.Amount `json:"amount"`
	// More is true when the account has more lots than one call merges.
	More bool `json:"more"`
}
