package ledgerapi

import (
	"context"

	"github.com/cxledger/cxledger/chaincode/orders"
)

// Requests of the orders contract: the contract's own argument types, whose Validate is the
// check the contract makes (see the orders package documentation for each field). Run them
// through Validate, which returns the contract's error as an *Error.
type (
	// RegisterCurrencyRequest registers a settlement currency ({"currency"}).
	RegisterCurrencyRequest = orders.RegisterCurrencyArgs
	// DepositRequest credits accounts with money the issuer received, once per reference.
	DepositRequest = orders.DepositArgs
	// WithdrawRequest debits an account for money the issuer pays out, once per reference.
	WithdrawRequest = orders.WithdrawArgs
	// AccountRequest names an account's balance in a currency (Balance, Consolidate).
	AccountRequest = orders.AccountArgs
	// PlaceOrderRequest places an order for the caller, paying its amount into escrow.
	PlaceOrderRequest = orders.PlaceArgs
	// OrderRequest names an order (GetOrder, ConfirmDelivery, ReceiveReturn).
	OrderRequest = orders.IDArgs
	// OrderReasonRequest names an order and an optional reason code (RequestReturn,
	// OpenDispute).
	OrderReasonRequest = orders.ReasonArgs
	// RefundRequest refunds all or part of an order, once per refund ID.
	RefundRequest = orders.RefundArgs
	// ResolveDisputeRequest decides a dispute with a refund of 0 or more.
	ResolveDisputeRequest = orders.ResolveDisputeArgs
	// SweepOrdersRequest refunds up to limit overdue orders.
	SweepOrdersRequest = orders.SweepArgs
	// CustomerOrdersRequest asks for a page of a customer's orders (the caller's by default).
	CustomerOrdersRequest = orders.CustomerOrdersArgs
	// MerchantOrdersRequest asks for a page of a merchant's orders, in one state or all.
	MerchantOrdersRequest = orders.MerchantOrdersArgs
)

// Orders is the orders contract: settlement currencies and balances, and orders paid into
// escrow that release the money to the merchant on delivery or refund it exactly once. Who
// may call what is the contract's rule (see the orders package): the currency's issuer
// (payment role) deposits and withdraws, the customer places, confirms and returns, the
// merchant refunds, the named carrier confirms delivery and receives returns, the named
// arbiter resolves disputes; sweeps and queries are open to every channel member.
type Orders interface {
	RegisterCurrency(ctx context.Context, req RegisterCurrencyRequest) (*Committed[orders.SettlementCurrency], error)
	Deposit(ctx context.Context, req DepositRequest) (*Committed[orders.SettlementTransfer], error)
	Withdraw(ctx context.Context, req WithdrawRequest) (*Committed[orders.SettlementTransfer], error)
	// Consolidate merges up to 500 of an account's lots into one.
	Consolidate(ctx context.Context, req AccountRequest) (*Committed[orders.Consolidation], error)
	Place(ctx context.Context, req PlaceOrderRequest) (*Committed[orders.Order], error)
	ConfirmDelivery(ctx context.Context, req OrderRequest) (*Committed[orders.Order], error)
	Refund(ctx context.Context, req RefundRequest) (*Committed[orders.Order], error)
	RequestReturn(ctx context.Context, req OrderReasonRequest) (*Committed[orders.Order], error)
	ReceiveReturn(ctx context.Context, req OrderRequest) (*Committed[orders.Order], error)
	OpenDispute(ctx context.Context, req OrderReasonRequest) (*Committed[orders.Order], error)
	ResolveDispute(ctx context.Context, req ResolveDisputeRequest) (*Committed[orders.Order], error)
	// Sweep refunds overdue undelivered orders, a bounded number per call.
	Sweep(ctx context.Context, req SweepOrdersRequest) (*Committed[orders.OrderSweep], error)
	GetOrder(ctx context.Context, req OrderRequest) (*orders.Order, error)
	CustomerOrders(ctx context.Context, req CustomerOrdersRequest) (*orders.OrderPage, error)
	MerchantOrders(ctx context.Context, req MerchantOrdersRequest) (*orders.OrderPage, error)
	// Balance is an account's balance in a currency.
	Balance(ctx context.Context, req AccountRequest) (*orders.SettlementBalance, error)
	// Currencies lists the registered currencies with their outstanding amounts.
	Currencies(ctx context.Context) ([]orders.SettlementCurrency, error)
}
