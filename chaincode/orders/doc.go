// Package orders is the "orders" contract: settlement balances, and orders
// paid into escrow that release the money to the merchant on delivery and
// refund it, exactly once, when the deadline passes, on a return, when the
// merchant refunds or when an arbiter decides a dispute.
//
// # Functions
//
// Every function takes one JSON object (see ledger's convention) and returns
// JSON; amounts are integers of minor units, times RFC 3339. Errors are
// ledger errors ("cxl:<CODE>: <message>").
//
// The objects are the exported *Args types (PlaceArgs, RefundArgs, ...):
// their Validate methods are the checks the contract makes before it reads
// the ledger, and clients (ledgerapi) use them as their request types.
//
// Submit functions:
//
//	RegisterCurrency {"currency":"EUR"}                                         -> SettlementCurrency
//	Deposit          {"ref","currency","credits":[{"account","amount"}...1..100]} -> SettlementTransfer
//	Withdraw         {"ref","account","currency","amount"}                      -> SettlementTransfer
//	Consolidate      {"account","currency"}                                     -> Consolidation
//	Place            {"id","merchant","amount","currency","deadline",
//	                  "items":[{"sku","quantity","gtin"?,"serials"?}],
//	                  "carrier"?,"arbiter"?,"returnDays"?,
//	                  "shipment"?:{"gtin","lot"|"serials":[...1..500],"sscc"?}} -> Order
//	ConfirmDelivery  {"id"}                                                     -> Order
//	Refund           {"id","refundId","amount"?,"reason"?}                      -> Order
//	RequestReturn    {"id","reason"?}                                           -> Order
//	ReceiveReturn    {"id"}                                                     -> Order
//	OpenDispute      {"id","reason"?}                                           -> Order
//	ResolveDispute   {"id","refund"}                                            -> Order
//	Sweep            {"limit"?}                                                 -> OrderSweep
//
// Evaluate functions:
//
//	GetOrder       {"id"}                                           -> Order
//	CustomerOrders {"customer"?,"pageSize"?,"bookmark"?}            -> OrderPage
//	MerchantOrders {"merchant","state"?,"pageSize"?,"bookmark"?}    -> OrderPage
//	Balance        {"account","currency"}                           -> SettlementBalance
//	Currencies     (no argument)                                    -> [SettlementCurrency]
//
// IDs (order, refund, transfer reference, SKU, serial) are 1 to 64 ASCII
// letters, digits, '.', '_' or '-'; reasons are codes of at most 32
// lower-case letters, digits and '-' ("damaged"), never free text. Pages are
// 1 to 200 orders (50 by default), oldest first; pass the returned bookmark
// to continue.
//
// # Accounts and money
//
// Money is held in ledger lots (see ledger.MintLot), one book per currency,
// Book("EUR") = "orders.money.eur", owned by accounts of three kinds:
//
//	"<MSP ID>/<common name>"  a customer account: a client identity, ledger.Caller.Account
//	"<MSP ID>"                an organisation account: where a merchant is paid
//	"escrow:<order ID>"       an order's escrow (EscrowAccount), between placement and delivery
//
// They cannot collide: MSP IDs hold neither '/' nor ':' and order IDs no
// '/'. A payment organisation (role payment) registers a currency and
// becomes its issuer; only the issuer deposits (credits customer or
// organisation accounts with money it received) and withdraws (debits them
// for money it pays out), each transfer once per issuer reference. The
// currency's outstanding amount, deposits minus withdrawals, is the sum of
// every balance and escrow in it; it stays within int64, so no balance
// overflows, and only deposits and withdrawals change it, so they serialise
// per currency while payments never touch it. Nothing else creates or
// destroys money: every transition spends lots and mints the same amount.
//
// Every credit is a blind write of a new lot, so any number of deliveries
// pay one merchant concurrently without MVCC conflicts. A refund after
// delivery takes the money back from the very lot that paid the merchant for
// that order, read by its key, so it does not read (or conflict with) the
// busy merchant account either; only when the merchant has withdrawn that
// lot does it spend from the merchant's balance (INSUFFICIENT_FUNDS when too
// small). Spending from an account (placing an order, withdrawing) reads the
// account's lots and so conflicts with a concurrent credit to the same
// account. The kit refuses to list more than ledger.MaxLots lots of one
// account: a merchant with thousands of deliveries calls Consolidate now and
// then.
//
// # Who may do what
//
// Who is who follows the kit (package ledger): a customer is a client or
// admin identity whose certificate carries no cxl.roles attribute; it acts
// for its own account "<MSP>/<name>" only, never for its organisation.
// Staff are client or admin identities whose certificate's cxl.roles names
// roles (admins need it too: NodeOU admin gives no business role). "Staff
// with role R" carries R in cxl.roles and its organisation holds R on the
// ledger (ledger.ActsFor); "staff carrying R" is the attribute alone,
// whether or not the organisation still holds R, for what an organisation
// finishes of an order it took (ledger.RequireStaff).
//
//	RegisterCurrency  staff with payment
//	Deposit, Withdraw staff with payment of the currency's issuer
//	Consolidate       the account's holder (the customer itself, or any staff of the organisation
//	                  holding it) or the issuer's staff carrying payment
//	Place             any client or admin identity (customer or staff), for its own account; the
//	                  merchant must hold merchant, the carrier (if named) carrier, the arbiter
//	                  (if named) arbiter and not be the merchant
//	ConfirmDelivery   the customer, or the named carrier's staff with carrier until the deadline;
//	                  or, for an order naming its shipment, the handover below
//	Refund            the merchant's staff carrying merchant
//	RequestReturn     the customer
//	ReceiveReturn     the merchant's staff carrying merchant, or the named carrier's staff with carrier
//	OpenDispute       the customer, or the merchant's staff carrying merchant
//	ResolveDispute    the named arbiter's staff with arbiter
//	Sweep             anyone
//
// A customer of the merchant, the carrier, the arbiter or a payment
// organisation is a customer like any other: it reads and does only what
// concerns its own account.
//
// Every transition, like GetOrder, first checks that the caller may read
// the order (below): anyone else is FORBIDDEN with the same message,
// naming only the caller, for someone else's order and for a missing one,
// so a refused write tells a stranger neither that the order exists nor
// who its parties are. NOT_FOUND goes only to payment organisations and
// auditors, who read every order; the refusals that name the parties
// ("only the merchant ShopMSP refunds order o1") and the state errors only
// to the order's readers. Place on an ID already taken is CONFLICT "order
// ID <id> is taken", naming nothing of the order holding it.
//
// # Who may read what
//
// Reads are authorised as carefully as writes, by ledger.RequireReader:
//
//	GetOrder (and its refunds)  the customer; the staff of the merchant and of the carrier and
//	                            arbiter the order names; payment staff; auditors
//	CustomerOrders              the customer; payment staff; auditors (a merchant sees its
//	                            customers' orders through MerchantOrders)
//	MerchantOrders              the merchant's staff; payment staff; auditors
//	Balance                     of "<MSP>/<name>": that customer; of "<MSP>": its staff; of
//	                            "escrow:<order>": the order's readers as for GetOrder; payment
//	                            staff and auditors always
//	Currencies                  anyone
//
// An organisation's staff are its identities with a cxl.roles attribute,
// whatever roles it names; "payment staff" and "auditors" carry payment or
// auditor in cxl.roles, of an organisation holding that role on the ledger.
// Customers, of any organisation, read only what names their own account.
// Any other caller is FORBIDDEN with a message
// that names only the caller. A stranger cannot tell an existing order
// from a missing one: a missing order has no parties, so it is FORBIDDEN
// to everyone but payment organisations and auditors, who alone get
// NOT_FOUND (the customer who mistypes an ID gets FORBIDDEN too). The
// escrow of a missing order is FORBIDDEN likewise, and empty to payment
// organisations and auditors. This is the contract's rule: the peers of
// every channel member still hold the public state in their blocks.
//
// # Order states
//
// The transitions, and the money each moves:
//
//	from       function                          to                       money
//	-          Place                             placed                   customer -> escrow: the amount
//	placed     ConfirmDelivery                   delivered                escrow -> merchant: all of it (Released)
//	placed     provenance AcceptCustody (below)  delivered                escrow -> merchant: all of it (Released)
//	placed     epcis Capture, receiving (below)  delivered                escrow -> merchant: all of it (Released)
//	placed     Refund                            placed or refunded (all) escrow -> customer
//	placed     Sweep, after the deadline         refunded                 escrow -> customer: all of it
//	delivered  Refund                            delivered or refunded    merchant -> customer
//	delivered  RequestReturn, before ReturnBy    returning                -
//	returning  Refund                            returning or refunded    merchant -> customer
//	returning  ReceiveReturn                     returned                 merchant -> customer: the rest
//	delivered  OpenDispute, before ReturnBy      disputed                 -
//	returning  OpenDispute                       disputed                 -
//	disputed   ResolveDispute                    resolved                 merchant -> customer: the award, 0 or more
//
// A Refund of part of what remains keeps the state; a Refund of the rest
// makes the order refunded. OpenDispute needs an arbiter named on the order.
// refunded, returned and resolved are final. Time is the transaction time:
// delivery counts until and including the deadline; after it the carrier's
// confirmation is EXPIRED (the customer may still confirm, accepting late
// goods) and Sweep refunds the order. ReturnBy is delivery time plus
// returnDays days, exclusive; 0 days means no returns and no disputes after
// delivery. A deadline must be after the placement and at most 732 days
// later.
//
// # Exactly once
//
// Every transition that moves money reads the order's key, checks its state
// and writes it in the same transaction. A retry of a transition already
// committed finds the new state and fails with CONFLICT; two concurrent
// conflicting calls are endorsed on the same version of the key, so Fabric
// commits one and marks the other MVCC_READ_CONFLICT, which a retrying
// client resubmits into that same CONFLICT. Partial refunds carry the
// merchant's refundId, kept on the order: a retried refund is CONFLICT
// however much was refunded meanwhile. Deposits and withdrawals carry the
// issuer's ref, kept under orders.transfer.
//
// # Delivery by handover
//
// An order may name its shipment, as the provenance contract registered it:
// a lot (GTIN and lot number) or 1 to 500 serialised items of one GTIN,
// optionally with the SSCC of the parcel's label; a shipment needs a
// carrier. Place checks that the lot or items are registered (NOT_FOUND)
// and that no other order awaiting delivery names any of them (CONFLICT,
// naming no order), but not who holds them: the merchant may hand them to
// the carrier later. Rows orders.shipment point each lot or item at the
// latest order naming it, so a custody step finds its order without a scan.
//
// The handover to the customer is the acceptance (provenance's
// AcceptCustody) that completes it: the order is placed; the receiver is
// the order's customer account; the previous holder is the order's carrier
// (its MSP ID), still holding the carrier role; and with this acceptance the
// customer holds the whole shipment, the lot itself or every one of its
// items. That acceptance delivers the order in its own transaction, as
// ConfirmDelivery by the customer would (DeliveredBy is the customer's
// account; the loyalty earn runs; no deadline applies, since the customer
// accepts): the escrow goes to the merchant and AcceptCustody's result and
// CustodyAccepted event carry "delivery":{"order","released":true,"amount",
// "currency"} (the event also the hooks' "related"), not an orders event.
// Any other acceptance of a lot or item an order names is still a valid
// custody step: it releases nothing and its delivery says why ("reason":
// another carrier, the order not placed, items still missing, an item of a
// lot shipped whole...). When the receiver is not the customer and may not
// read the order, the delivery names no order. The order's key is the state
// machine: whichever of ConfirmDelivery and the handover commits first
// delivers it, the other finds it delivered (CONFLICT, or a delivery that
// says so) and moves nothing.
//
// The acceptance is endorsed per the custody key's state-based policy and
// the chaincode's policy; the orders and loyalty keys it writes carry no
// key-level policy, so the chaincode's policy alone governs them.

// # Delivery by an EPCIS receiving event
//
// The carrier may prove the delivery with an EPCIS 2.0 event captured
// through the epcis contract (Receipts, given to it): an ObjectEvent with
// action OBSERVE and bizStep receiving whose bizTransactionList names the
// order as a purchase order (type "po", "urn:epcglobal:cbv:btt:po" or
// "https://ref.gs1.org/cbv/BTT-po"; bizTransaction "urn:cxledger:order:<id>").
// It delivers the order in the capture's transaction, as ConfirmDelivery
// by the carrier would (DeliveredBy is the carrier's MSP ID; the loyalty
// earn runs; not after the deadline), when: the capturer may read the
// order; the order is placed and names a carrier and a shipment; the
// capturer is staff of that carrier carrying the carrier role, which the
// carrier still holds; the event's destinationList names the customer
// ("urn:cxledger:party:<customer account>") as possessing_party or
// owning_party; and the event names the whole shipment, the lot in its
// quantityList or every one of its items in its epcList (other goods may
// travel with them), or the shipment's SSCC in its epcList when the ledger
// records the lot, or the items the event does not name, packed into that
// SSCC (an EPCIS aggregation, see package provenance). The capture's result and Captured event carry
// "deliveries":[{"index","hash","order","released":true,"amount",
// "currency"}] (the event also the hooks' "related"). Any other receiving
// event naming the order is still recorded and releases nothing: its
// delivery says why ("reason"), and names no order when the capturer may
// not read it (the same reason whether or not the order exists). It does
// not move custody: the goods stay with the carrier until it offers them to
// the customer, whose acceptance then finds the order delivered. Exactly
// once: whichever of ConfirmDelivery, the handover and the receiving event
// commits first delivers the order; the others find it delivered. The event
// hash dedups a replayed event, and two events of one capture naming the
// same order deliver it once.
//
// # Sweep
//
// Placed orders have a row in the index orders.deadline (deadline, id),
// which every transition out of placed deletes. Sweep reads it from the
// front, stops at the first order not yet overdue, refunds up to limit (20
// by default, at most 100) overdue orders of distinct customers, and counts
// up to 1000 more overdue orders as remaining ("more" when it stopped
// counting). Calls take from the front and never skip over rows, so their
// cost is bounded by the limit, not by the number of orders. A sweep that
// finds nothing overdue writes nothing and emits no event.
//
// # Keys
//
//	orders.order      (id)                                    Order
//	orders.customer   (customer, placed time, id)             index: a customer's orders
//	orders.merchant   (merchant, state, placed time, id)      index: a merchant's orders by state
//	orders.deadline   (deadline, id)                          index: placed orders by deadline
//	orders.currency   (code)                                  registration, never rewritten
//	orders.supply     (code)                                  outstanding amount
//	orders.transfer   (issuer, ref)                           SettlementTransfer
//	orders.shipment   ("lot", gtin, lot) | ("item", gtin, serial)  {"order"}: the latest order naming it
//	orders.money.<cc> (account, lot ID)                       ledger.Lot
//
// Times in keys are UTC with nanoseconds, fixed width, so they sort.
//
// # Events
//
// One per transaction, named "orders.<Type>". Order events are keyed
// {"order","merchant"} with data {"state","currency","amount","released"?,
// "refunded"?,"reason"?,"related"?}, where related is what the hooks
// returned: OrderPlaced, OrderDelivered, OrderPartiallyRefunded,
// OrderRefunded, ReturnRequested, ReturnReceived, DisputeOpened,
// DisputeResolved. OrdersSwept has no keys and data {"orders":[{"id",
// "merchant","currency","refunded","related"?}],"remaining","more"}.
// CurrencyRegistered is keyed {"currency"}; Deposited and Withdrawn are keyed
// {"currency","issuer","ref"} with data {"kind","entries","total",
// "outstanding"}; LotsConsolidated is keyed {"currency"}. Events carry no
// customer accounts and no personal data.
//
// # Other contracts
//
// NewContract takes Hooks, called inside the transaction on deliveries and
// refunds. Another contract's function that takes an order ID reads it
// with ReadOrder (FindOrder, then RequireOrderReader: the orders
// contract's readers, OrderReaders), as loyalty's Redeem and care's
// OpenTicket and PostReview do, or with FindOrder and ledger.RequireReader
// with readers of its own (loyalty's OrderPoints).
//
// # Packages
//
// This package holds the contract's argument and result types, their validation
// and its constants; it imports nothing of Fabric, so clients (ledgerapi, the
// gateway, the CLI) use them without linking the chaincode shim. The contract
// itself, on the ledger kit, is package orderscc.
package orders
