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

// The operations of the orders contract.
var (
	// OrdersRegisterCurrency is orders:RegisterCurrency.
	OrdersRegisterCurrency = submit[RegisterCurrencyRequest, orders.SettlementCurrency]("orders", "RegisterCurrency", "/v1/orders/currencies",
		"Register a settlement currency; your organisation (payment role) becomes its issuer")
	// OrdersDeposit is orders:Deposit.
	OrdersDeposit = submit[DepositRequest, orders.SettlementTransfer]("orders", "Deposit", "/v1/orders/deposits",
		"Credit accounts with money your organisation, the currency's issuer, received; once per reference")
	// OrdersWithdraw is orders:Withdraw.
	OrdersWithdraw = submit[WithdrawRequest, orders.SettlementTransfer]("orders", "Withdraw", "/v1/orders/withdrawals",
		"Debit an account for money your organisation, the currency's issuer, pays out; once per reference")
	// OrdersConsolidate is orders:Consolidate.
	OrdersConsolidate = submit[AccountRequest, orders.Consolidation]("orders", "Consolidate", "/v1/orders/consolidations",
		"Merge up to 500 of an account's lots into one (the account's holder or the currency's issuer)")
	// OrdersPlace is orders:Place.
	OrdersPlace = submit[PlaceOrderRequest, orders.Order]("orders", "Place", "/v1/orders/orders",
		"Place an order with a merchant as its customer, paying its amount from your balance into the order's escrow")
	// OrdersConfirmDelivery is orders:ConfirmDelivery.
	OrdersConfirmDelivery = submit[OrderRequest, orders.Order]("orders", "ConfirmDelivery", "/v1/orders/deliveries",
		"Confirm an order delivered, releasing its escrow to the merchant (the customer, or the order's carrier until the deadline)")
	// OrdersRefund is orders:Refund.
	OrdersRefund = submit[RefundRequest, orders.Order]("orders", "Refund", "/v1/orders/refunds",
		"Refund all or part of an order, once per refund ID (the merchant)")
	// OrdersRequestReturn is orders:RequestReturn.
	OrdersRequestReturn = submit[OrderReasonRequest, orders.Order]("orders", "RequestReturn", "/v1/orders/return-requests",
		"Ask to return a delivered order within its return window (the customer)")
	// OrdersReceiveReturn is orders:ReceiveReturn.
	OrdersReceiveReturn = submit[OrderRequest, orders.Order]("orders", "ReceiveReturn", "/v1/orders/return-receipts",
		"Record a return received back, refunding the rest of the price (the merchant or the order's carrier)")
	// OrdersOpenDispute is orders:OpenDispute.
	OrdersOpenDispute = submit[OrderReasonRequest, orders.Order]("orders", "OpenDispute", "/v1/orders/disputes",
		"Take a delivered or returning order to its arbiter (the customer or the merchant)")
	// OrdersResolveDispute is orders:ResolveDispute.
	OrdersResolveDispute = submit[ResolveDisputeRequest, orders.Order]("orders", "ResolveDispute", "/v1/orders/dispute-resolutions",
		"Decide a dispute, refunding the customer 0 or more from the merchant (the order's arbiter)")
	// OrdersSweep is orders:Sweep.
	OrdersSweep = submit[SweepOrdersRequest, orders.OrderSweep]("orders", "Sweep", "/v1/orders/sweeps",
		"Refund overdue undelivered orders, at most limit of them, and count what remains (anyone)")
	// OrdersGetOrder is orders:GetOrder.
	OrdersGetOrder = evaluate[OrderRequest, orders.Order]("orders", "GetOrder", "/v1/orders/orders/{id}",
		"An order")
	// OrdersCustomerOrders is orders:CustomerOrders.
	OrdersCustomerOrders = evaluate[CustomerOrdersRequest, orders.OrderPage]("orders", "CustomerOrders", "/v1/orders/customer-orders",
		"A page of a customer's orders (yours without customer), oldest first")
	// OrdersMerchantOrders is orders:MerchantOrders.
	OrdersMerchantOrders = evaluate[MerchantOrdersRequest, orders.OrderPage]("orders", "MerchantOrders", "/v1/orders/merchant-orders",
		"A page of a merchant's orders in one state, or in all grouped by state, oldest first")
	// OrdersBalance is orders:Balance.
	OrdersBalance = evaluate[AccountRequest, orders.SettlementBalance]("orders", "Balance", "/v1/orders/balance",
		"An account's balance in a currency: a customer account (<MSP ID>/<name>), an organisation (<MSP ID>) or an escrow (escrow:<order ID>)")
	// OrdersCurrencies is orders:Currencies.
	OrdersCurrencies = evaluate[NoArgs, []orders.SettlementCurrency]("orders", "Currencies", "/v1/orders/currencies",
		"The registered currencies with their issuers and outstanding amounts")
)

type ordersOver struct{ t Transport }

func (o ordersOver) RegisterCurrency(ctx context.Context, req RegisterCurrencyRequest) (*Committed[orders.SettlementCurrency], error) {
	return OrdersRegisterCurrency.Run(ctx, o.t, req)
}

func (o ordersOver) Deposit(ctx context.Context, req DepositRequest) (*Committed[orders.SettlementTransfer], error) {
	return OrdersDeposit.Run(ctx, o.t, req)
}

func (o ordersOver) Withdraw(ctx context.Context, req WithdrawRequest) (*Committed[orders.SettlementTransfer], error) {
	return OrdersWithdraw.Run(ctx, o.t, req)
}

func (o ordersOver) Consolidate(ctx context.Context, req AccountRequest) (*Committed[orders.Consolidation], error) {
	return OrdersConsolidate.Run(ctx, o.t, req)
}

func (o ordersOver) Place(ctx context.Context, req PlaceOrderRequest) (*Committed[orders.Order], error) {
	return OrdersPlace.Run(ctx, o.t, req)
}

func (o ordersOver) ConfirmDelivery(ctx context.Context, req OrderRequest) (*Committed[orders.Order], error) {
	return OrdersConfirmDelivery.Run(ctx, o.t, req)
}

func (o ordersOver) Refund(ctx context.Context, req RefundRequest) (*Committed[orders.Order], error) {
	return OrdersRefund.Run(ctx, o.t, req)
}

func (o ordersOver) RequestReturn(ctx context.Context, req OrderReasonRequest) (*Committed[orders.Order], error) {
	return OrdersRequestReturn.Run(ctx, o.t, req)
}

func (o ordersOver) ReceiveReturn(ctx context.Context, req OrderRequest) (*Committed[orders.Order], error) {
	return OrdersReceiveReturn.Run(ctx, o.t, req)
}

func (o ordersOver) OpenDispute(ctx context.Context, req OrderReasonRequest) (*Committed[orders.Order], error) {
	return OrdersOpenDispute.Run(ctx, o.t, req)
}

func (o ordersOver) ResolveDispute(ctx context.Context, req ResolveDisputeRequest) (*Committed[orders.Order], error) {
	return OrdersResolveDispute.Run(ctx, o.t, req)
}

func (o ordersOver) Sweep(ctx context.Context, req SweepOrdersRequest) (*Committed[orders.OrderSweep], error) {
	return OrdersSweep.Run(ctx, o.t, req)
}

func (o ordersOver) GetOrder(ctx context.Context, req OrderRequest) (*orders.Order, error) {
	return OrdersGetOrder.Query(ctx, o.t, req)
}

func (o ordersOver) CustomerOrders(ctx context.Context, req CustomerOrdersRequest) (*orders.OrderPage, error) {
	return OrdersCustomerOrders.Query(ctx, o.t, req)
}

func (o ordersOver) MerchantOrders(ctx context.Context, req MerchantOrdersRequest) (*orders.OrderPage, error) {
	return OrdersMerchantOrders.Query(ctx, o.t, req)
}

func (o ordersOver) Balance(ctx context.Context, req AccountRequest) (*orders.SettlementBalance, error) {
	return OrdersBalance.Query(ctx, o.t, req)
}

func (o ordersOver) Currencies(ctx context.Context) ([]orders.SettlementCurrency, error) {
	res, err := OrdersCurrencies.Query(ctx, o.t, NoArgs{})
	if err != nil {
		return nil, err
	}
	return *res, nil
}
