package httpapi

import (
	"context"

	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/ledgerapi"
)

// ordersRoutes are the orders contract's operations. Each mutation's body is the contract
// function's JSON argument; each query's parameters are its fields.
func ordersRoutes() []Route {
	const tag = "orders"
	on := ledgerapi.Ledger.Orders
	return []Route{
		mutation("/v1/orders/currencies", "orders.RegisterCurrency", tag,
			"Register a settlement currency; your organisation (payment role) becomes its issuer",
			via(on, ledgerapi.Orders.RegisterCurrency)),
		mutation("/v1/orders/deposits", "orders.Deposit", tag,
			"Credit accounts with money your organisation, the currency's issuer, received; once per reference",
			via(on, ledgerapi.Orders.Deposit)),
		mutation("/v1/orders/withdrawals", "orders.Withdraw", tag,
			"Debit an account for money your organisation, the currency's issuer, pays out; once per reference",
			via(on, ledgerapi.Orders.Withdraw)),
		mutation("/v1/orders/consolidations", "orders.Consolidate", tag,
			"Merge up to 500 of an account's lots into one (the account's holder or the currency's issuer)",
			via(on, ledgerapi.Orders.Consolidate)),
		mutation("/v1/orders/orders", "orders.Place", tag,
			"Place an order with a merchant as its customer, paying its amount from your balance into the order's escrow",
			via(on, ledgerapi.Orders.Place)),
		mutation("/v1/orders/deliveries", "orders.ConfirmDelivery", tag,
			"Confirm an order delivered, releasing its escrow to the merchant (the customer, or the order's carrier until the deadline)",
			via(on, ledgerapi.Orders.ConfirmDelivery)),
		mutation("/v1/orders/refunds", "orders.Refund", tag,
			"Refund all or part of an order, once per refund ID (the merchant)",
			via(on, ledgerapi.Orders.Refund)),
		mutation("/v1/orders/return-requests", "orders.RequestReturn", tag,
			"Ask to return a delivered order within its return window (the customer)",
			via(on, ledgerapi.Orders.RequestReturn)),
		mutation("/v1/orders/return-receipts", "orders.ReceiveReturn", tag,
			"Record a return received back, refunding the rest of the price (the merchant or the order's carrier)",
			via(on, ledgerapi.Orders.ReceiveReturn)),
		mutation("/v1/orders/disputes", "orders.OpenDispute", tag,
			"Take a delivered or returning order to its arbiter (the customer or the merchant)",
			via(on, ledgerapi.Orders.OpenDispute)),
		mutation("/v1/orders/dispute-resolutions", "orders.ResolveDispute", tag,
			"Decide a dispute, refunding the customer 0 or more from the merchant (the order's arbiter)",
			via(on, ledgerapi.Orders.ResolveDispute)),
		mutation("/v1/orders/sweeps", "orders.Sweep", tag,
			"Refund overdue undelivered orders, at most limit of them, and count what remains (anyone)",
			via(on, ledgerapi.Orders.Sweep)),
		query("/v1/orders/orders/{id}", "orders.GetOrder", tag, "An order", AccessPrincipal,
			via(on, ledgerapi.Orders.GetOrder)),
		query("/v1/orders/customer-orders", "orders.CustomerOrders", tag,
			"A page of a customer's orders (yours without customer), oldest first", AccessPrincipal,
			via(on, ledgerapi.Orders.CustomerOrders)),
		query("/v1/orders/merchant-orders", "orders.MerchantOrders", tag,
			"A page of a merchant's orders in one state, or in all grouped by state, oldest first", AccessPrincipal,
			via(on, ledgerapi.Orders.MerchantOrders)),
		query("/v1/orders/balance", "orders.Balance", tag,
			"An account's balance in a currency: a customer account (<MSP ID>/<name>), an organisation (<MSP ID>) or an escrow (escrow:<order ID>)",
			AccessPrincipal, via(on, ledgerapi.Orders.Balance)),
		query("/v1/orders/currencies", "orders.Currencies", tag,
			"The registered currencies with their issuers and outstanding amounts", AccessPrincipal,
			func(ctx context.Context, l ledgerapi.Ledger, _ struct{}) ([]orders.SettlementCurrency, error) {
				return l.Orders().Currencies(ctx)
			}),
	}
}
