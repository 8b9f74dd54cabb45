package orderscc

import (
	"errors"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/cxlerr"
)

// Hooks lets another contract of the chaincode act on an order's money
// movements inside the same transaction (the loyalty contract earns points
// on delivery and reverses them on refunds).
//
// The order passed is a copy in its new state, already written; the hook
// may read the ledger and write its own keys but must not emit an event:
// what it returns (nil for nothing) is put in the orders event's data under
// "related", so the transaction still emits exactly one event. An error
// aborts the whole transaction; a coded error (cxlerr.Errorf) reaches the
// client as it is, any other becomes INTERNAL.
//
// Sweep calls OrderRefunded for several orders in one transaction, never
// twice for one customer, and Fabric does not let a transaction read its
// own writes: a hook must not depend on reading what an earlier call in
// the same transaction wrote (blind writes such as ledger.MintLot are safe).
type Hooks interface {
	// OrderDelivered is called when delivery is confirmed and the escrow is
	// released to the merchant (o.Released).
	OrderDelivered(tx *ledger.Tx, o *orders.Order) (any, error)
	// OrderRefunded is called whenever money goes back to the customer: a
	// full or partial refund, a deadline sweep, a return received, a
	// dispute resolved with a refund. refunded is what this transaction
	// returned; o.Refunded is the total so far.
	OrderRefunded(tx *ledger.Tx, o *orders.Order, refunded ledgertypes.Amount) (any, error)
}

// Contract is the orders contract. Every function takes one JSON argument;
// see the package documentation for the shapes.
type Contract struct {
	contractapi.Contract
	hooks Hooks
}

// NewContract returns the contract, named "orders", calling hooks on
// deliveries and refunds; hooks may be nil.
func NewContract(hooks Hooks) *Contract {
	c := &Contract{hooks: hooks}
	c.Name = orders.Name
	return c
}

// GetEvaluateTransactions lists the query functions.
func (c *Contract) GetEvaluateTransactions() []string {
	return []string{"GetOrder", "CustomerOrders", "MerchantOrders", "Balance", "Currencies"}
}

// RegisterCurrency registers a settlement currency; the caller, staff with
// the payment role (ledger.RequireRole), makes its organisation the issuer.
// Argument: {"currency"}.
func (c *Contract) RegisterCurrency(ctx contractapi.TransactionContextInterface, args orders.RegisterCurrencyArgs) (*orders.SettlementCurrency, error) {
	return ledger.Run(ctx.GetStub(), args, registerCurrency)
}

// Deposit credits accounts with money the issuer received, once per
// reference; only the issuer's staff with the payment role may. Argument: {"ref","currency","credits":[{"account","amount"}]}.
func (c *Contract) Deposit(ctx contractapi.TransactionContextInterface, args orders.DepositArgs) (*orders.SettlementTransfer, error) {
	return ledger.Run(ctx.GetStub(), args, deposit)
}

// Withdraw debits an account for money the issuer pays out, once per
// reference; only the issuer's staff with the payment role may. Argument: {"ref","account","currency","amount"}.
func (c *Contract) Withdraw(ctx contractapi.TransactionContextInterface, args orders.WithdrawArgs) (*orders.SettlementTransfer, error) {
	return ledger.Run(ctx.GetStub(), args, withdraw)
}

// Consolidate merges up to 500 of an account's lots into one; the holder or
// the currency's issuer may. Argument: {"account","currency"}.
func (c *Contract) Consolidate(ctx contractapi.TransactionContextInterface, args orders.AccountArgs) (*orders.Consolidation, error) {
	return ledger.Run(ctx.GetStub(), args, consolidate)
}

// Place places an order for the caller with a merchant and moves its
// amount from the caller's balance into the order's escrow.
func (c *Contract) Place(ctx contractapi.TransactionContextInterface, args orders.PlaceArgs) (*orders.Order, error) {
	return ledger.Run(ctx.GetStub(), args, c.place)
}

// ConfirmDelivery confirms a placed order delivered and releases its escrow
// to the merchant; the customer or the order's carrier's staff with the
// carrier role may. Argument: {"id"}.
func (c *Contract) ConfirmDelivery(ctx contractapi.TransactionContextInterface, args orders.IDArgs) (*orders.Order, error) {
	return ledger.Run(ctx.GetStub(), args, c.confirmDelivery)
}

// Refund returns all or part of what the customer paid; only the
// merchant's staff carrying the merchant role may. Argument: {"id","refundId","amount"?,"reason"?}.
func (c *Contract) Refund(ctx contractapi.TransactionContextInterface, args orders.RefundArgs) (*orders.Order, error) {
	return ledger.Run(ctx.GetStub(), args, c.refund)
}

// RequestReturn starts the return of a delivered order within its return
// window; only the customer may. Argument: {"id","reason"?}.
func (c *Contract) RequestReturn(ctx contractapi.TransactionContextInterface, args orders.ReasonArgs) (*orders.Order, error) {
	return ledger.Run(ctx.GetStub(), args, requestReturn)
}

// ReceiveReturn records the goods of a return received back and refunds
// the rest of the price; the merchant or the order's carrier may.
// Argument: {"id"}.
func (c *Contract) ReceiveReturn(ctx contractapi.TransactionContextInterface, args orders.IDArgs) (*orders.Order, error) {
	return ledger.Run(ctx.GetStub(), args, c.receiveReturn)
}

// OpenDispute takes a delivered or returning order to its arbiter; the
// customer or the merchant may. Argument: {"id","reason"?}.
func (c *Contract) OpenDispute(ctx contractapi.TransactionContextInterface, args orders.ReasonArgs) (*orders.Order, error) {
	return ledger.Run(ctx.GetStub(), args, openDispute)
}

// ResolveDispute decides a dispute, refunding the customer refund (0 or
// more) from the merchant; only the order's arbiter may. Argument:
// {"id","refund"}.
func (c *Contract) ResolveDispute(ctx contractapi.TransactionContextInterface, args orders.ResolveDisputeArgs) (*orders.Order, error) {
	return ledger.Run(ctx.GetStub(), args, c.resolveDispute)
}

// Sweep refunds overdue undelivered orders, a bounded number per call, and
// reports how many remain; anyone may call it. Argument: {"limit"?}.
func (c *Contract) Sweep(ctx contractapi.TransactionContextInterface, args orders.SweepArgs) (*orders.OrderSweep, error) {
	return ledger.Run(ctx.GetStub(), args, c.sweep)
}

// GetOrder returns an order to its readers (OrderReaders). Argument: {"id"}.
func (c *Contract) GetOrder(ctx contractapi.TransactionContextInterface, args orders.IDArgs) (*orders.Order, error) {
	return ledger.Run(ctx.GetStub(), args, func(tx *ledger.Tx, a orders.IDArgs) (*orders.Order, error) {
		return ReadOrder(tx, a.ID)
	})
}

// CustomerOrders lists a customer's orders (the caller's by default), oldest
// first, to the customer, payment organisations and auditors. Argument: {"customer"?,"pageSize"?,"bookmark"?}.
func (c *Contract) CustomerOrders(ctx contractapi.TransactionContextInterface, args orders.CustomerOrdersArgs) (*orders.OrderPage, error) {
	return ledger.Run(ctx.GetStub(), args, customerOrders)
}

// MerchantOrders lists a merchant's orders in one state, or all grouped by
// state, oldest first, to the merchant, payment organisations and auditors. Argument: {"merchant","state"?,"pageSize"?,"bookmark"?}.
func (c *Contract) MerchantOrders(ctx contractapi.TransactionContextInterface, args orders.MerchantOrdersArgs) (*orders.OrderPage, error) {
	return ledger.Run(ctx.GetStub(), args, merchantOrders)
}

// Balance returns an account's balance in a currency to the account's
// holder (for an escrow, the order's readers), payment organisations and
// auditors. Argument:
// {"account","currency"}.
func (c *Contract) Balance(ctx contractapi.TransactionContextInterface, args orders.AccountArgs) (*orders.SettlementBalance, error) {
	return ledger.Run(ctx.GetStub(), args, balance)
}

// Currencies lists the registered currencies with their outstanding amounts.
func (c *Contract) Currencies(ctx contractapi.TransactionContextInterface) ([]orders.SettlementCurrency, error) {
	return ledger.Query(ctx.GetStub(), currencies)
}

// onDelivered runs the delivery hook, if any.
func (c *Contract) onDelivered(tx *ledger.Tx, o *orders.Order) (any, error) {
	if c.hooks == nil {
		return nil, nil
	}
	related, err := c.hooks.OrderDelivered(tx, o.Clone())
	return related, hookError(o, "delivery", err)
}

// onRefunded runs the refund hook, if any.
func (c *Contract) onRefunded(tx *ledger.Tx, o *orders.Order, refunded ledgertypes.Amount) (any, error) {
	if c.hooks == nil {
		return nil, nil
	}
	related, err := c.hooks.OrderRefunded(tx, o.Clone(), refunded)
	return related, hookError(o, "refund", err)
}

// hookError passes a coded error on as it is and makes any other INTERNAL.
func hookError(o *orders.Order, what string, err error) error {
	if err == nil {
		return nil
	}
	var coded *cxlerr.Error
	if errors.As(err, &coded) {
		return err
	}
	return cxlerr.Errorf(cxlerr.Internal, "order %s: %s hook: %w", o.ID, what, err)
}
