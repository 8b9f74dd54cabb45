package fabric

import (
	"context"

	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/ledgerapi"
)

// Orders returns the orders contract.
func (s *Session) Orders() ledgerapi.Orders { return ordersService{s} }

type ordersService struct{ s *Session }

func (o ordersService) RegisterCurrency(ctx context.Context, req ledgerapi.RegisterCurrencyRequest) (*ledgerapi.Committed[orders.SettlementCurrency], error) {
	return submitRequest[orders.SettlementCurrency](ctx, o.s, orders.Name, "RegisterCurrency", &req)
}

func (o ordersService) Deposit(ctx context.Context, req ledgerapi.DepositRequest) (*ledgerapi.Committed[orders.SettlementTransfer], error) {
	return submitRequest[orders.SettlementTransfer](ctx, o.s, orders.Name, "Deposit", &req)
}

func (o ordersService) Withdraw(ctx context.Context, req ledgerapi.WithdrawRequest) (*ledgerapi.Committed[orders.SettlementTransfer], error) {
	return submitRequest[orders.SettlementTransfer](ctx, o.s, orders.Name, "Withdraw", &req)
}

func (o ordersService) Consolidate(ctx context.Context, req ledgerapi.AccountRequest) (*ledgerapi.Committed[orders.Consolidation], error) {
	return submitRequest[orders.Consolidation](ctx, o.s, orders.Name, "Consolidate", &req)
}

func (o ordersService) Place(ctx context.Context, req ledgerapi.PlaceOrderRequest) (*ledgerapi.Committed[orders.Order], error) {
	return submitRequest[orders.Order](ctx, o.s, orders.Name, "Place", &req)
}

func (o ordersService) ConfirmDelivery(ctx context.Context, req ledgerapi.OrderRequest) (*ledgerapi.Committed[orders.Order], error) {
	return submitRequest[orders.Order](ctx, o.s, orders.Name, "ConfirmDelivery", &req)
}

func (o ordersService) Refund(ctx context.Context, req ledgerapi.RefundRequest) (*ledgerapi.Committed[orders.Order], error) {
	return submitRequest[orders.Order](ctx, o.s, orders.Name, "Refund", &req)
}

func (o ordersService) RequestReturn(ctx context.Context, req ledgerapi.OrderReasonRequest) (*ledgerapi.Committed[orders.Order], error) {
	return submitRequest[orders.Order](ctx, o.s, orders.Name, "RequestReturn", &req)
}

func (o ordersService) ReceiveReturn(ctx context.Context, req ledgerapi.OrderRequest) (*ledgerapi.Committed[orders.Order], error) {
	return submitRequest[orders.Order](ctx, o.s, orders.Name, "ReceiveReturn", &req)
}

func (o ordersService) OpenDispute(ctx context.Context, req ledgerapi.OrderReasonRequest) (*ledgerapi.Committed[orders.Order], error) {
	return submitRequest[orders.Order](ctx, o.s, orders.Name, "OpenDispute", &req)
}

func (o ordersService) ResolveDispute(ctx context.Context, req ledgerapi.ResolveDisputeRequest) (*ledgerapi.Committed[orders.Order], error) {
	return submitRequest[orders.Order](ctx, o.s, orders.Name, "ResolveDispute", &req)
}

func (o ordersService) Sweep(ctx context.Context, req ledgerapi.SweepOrdersRequest) (*ledgerapi.Committed[orders.OrderSweep], error) {
	return submitRequest[orders.OrderSweep](ctx, o.s, orders.Name, "Sweep", &req)
}

func (o ordersService) GetOrder(ctx context.Context, req ledgerapi.OrderRequest) (*orders.Order, error) {
	return evaluateRequest[orders.Order](ctx, o.s, orders.Name, "GetOrder", &req)
}

func (o ordersService) CustomerOrders(ctx context.Context, req ledgerapi.CustomerOrdersRequest) (*orders.OrderPage, error) {
	return evaluateRequest[orders.OrderPage](ctx, o.s, orders.Name, "CustomerOrders", &req)
}

func (o ordersService) MerchantOrders(ctx context.Context, req ledgerapi.MerchantOrdersRequest) (*orders.OrderPage, error) {
	return evaluateRequest[orders.OrderPage](ctx, o.s, orders.Name, "MerchantOrders", &req)
}

func (o ordersService) Balance(ctx context.Context, req ledgerapi.AccountRequest) (*orders.SettlementBalance, error) {
	return evaluateRequest[orders.SettlementBalance](ctx, o.s, orders.Name, "Balance", &req)
}

func (o ordersService) Currencies(ctx context.Context) ([]orders.SettlementCurrency, error) {
	list, err := evaluateJSON[[]orders.SettlementCurrency](ctx, o.s, call{contract: orders.Name, fn: "Currencies"})
	if err != nil {
		return nil, err
	}
	return *list, nil
}
