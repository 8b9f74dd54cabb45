package client

import (
	"context"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/chaincode/health"
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/loyalty"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/ledgerapi"
)

type healthClient struct{ c *Client }

func (h healthClient) Ping(ctx context.Context, req ledgerapi.PingRequest) (*ledgerapi.Committed[health.Ping], error) {
	return mutate[health.Ping](ctx, h.c, "/v1/health/pings", req)
}

func (h healthClient) Version(ctx context.Context) (*ledgerapi.VersionInfo, error) {
	return get[ledgerapi.VersionInfo](ctx, h.c, "/v1/health/version", nil)
}

type consortiumClient struct{ c *Client }

func (k consortiumClient) ProposeRole(ctx context.Context, req ledgerapi.RoleRequest) (*ledgerapi.Committed[ledger.RoleGrant], error) {
	return mutate[ledger.RoleGrant](ctx, k.c, "/v1/consortium/role-proposals", req)
}

func (k consortiumClient) ApproveRole(ctx context.Context, req ledgerapi.RoleRequest) (*ledgerapi.Committed[ledger.RoleGrant], error) {
	return mutate[ledger.RoleGrant](ctx, k.c, "/v1/consortium/role-approvals", req)
}

func (k consortiumClient) RevokeRole(ctx context.Context, req ledgerapi.RoleRequest) (*ledgerapi.Committed[ledger.RoleGrant], error) {
	return mutate[ledger.RoleGrant](ctx, k.c, "/v1/consortium/role-revocations", req)
}

func (k consortiumClient) ListRoles(ctx context.Context) ([]ledger.RoleGrant, error) {
	grants, err := get[[]ledger.RoleGrant](ctx, k.c, "/v1/consortium/roles", nil)
	if err != nil {
		return nil, err
	}
	return *grants, nil
}

type provenanceClient struct{ c *Client }

func (p provenanceClient) RegisterProduct(ctx context.Context, req ledgerapi.RegisterProductRequest) (*ledgerapi.Committed[provenance.Product], error) {
	return mutate[provenance.Product](ctx, p.c, "/v1/provenance/products", req)
}

func (p provenanceClient) RegisterLot(ctx context.Context, req ledgerapi.RegisterLotRequest) (*ledgerapi.Committed[provenance.ProductLot], error) {
	return mutate[provenance.ProductLot](ctx, p.c, "/v1/provenance/lots", req)
}

func (p provenanceClient) RegisterItems(ctx context.Context, req ledgerapi.RegisterItemsRequest) (*ledgerapi.Committed[provenance.ItemsRegistered], error) {
	return mutate[provenance.ItemsRegistered](ctx, p.c, "/v1/provenance/items", req)
}

func (p provenanceClient) OfferCustody(ctx context.Context, req ledgerapi.OfferCustodyRequest) (*ledgerapi.Committed[provenance.Custody], error) {
	return mutate[provenance.Custody](ctx, p.c, "/v1/provenance/custody/offers", req)
}

func (p provenanceClient) AcceptCustody(ctx context.Context, req ledgerapi.CustodyRequest) (*ledgerapi.Committed[provenance.Custody], error) {
	return mutate[provenance.Custody](ctx, p.c, "/v1/provenance/custody/acceptances", req)
}

func (p provenanceClient) RejectCustody(ctx context.Context, req ledgerapi.RejectCustodyRequest) (*ledgerapi.Committed[provenance.Custody], error) {
	return mutate[provenance.Custody](ctx, p.c, "/v1/provenance/custody/rejections", req)
}

func (p provenanceClient) WithdrawCustodyOffer(ctx context.Context, req ledgerapi.CustodyRequest) (*ledgerapi.Committed[provenance.Custody], error) {
	return mutate[provenance.Custody](ctx, p.c, "/v1/provenance/custody/withdrawals", req)
}

func (p provenanceClient) IssueCertificate(ctx context.Context, req ledgerapi.IssueCertificateRequest) (*ledgerapi.Committed[provenance.Certificate], error) {
	return mutate[provenance.Certificate](ctx, p.c, "/v1/provenance/certificates", req)
}

func (p provenanceClient) RevokeCertificate(ctx context.Context, req ledgerapi.RevokeCertificateRequest) (*ledgerapi.Committed[provenance.Certificate], error) {
	return mutate[provenance.Certificate](ctx, p.c, "/v1/provenance/certificate-revocations", req)
}

func (p provenanceClient) RecallLot(ctx context.Context, req ledgerapi.RecallLotRequest) (*ledgerapi.Committed[provenance.ProductLot], error) {
	return mutate[provenance.ProductLot](ctx, p.c, "/v1/provenance/recalls", req)
}

func (p provenanceClient) Trace(ctx context.Context, req ledgerapi.TraceRequest) (*provenance.LotTrace, error) {
	return query[provenance.LotTrace](ctx, p.c, "/v1/provenance/lots/{gtin}/{lot}/trace", req)
}

func (p provenanceClient) Verify(ctx context.Context, req ledgerapi.VerifyRequest) (*provenance.Verification, error) {
	return query[provenance.Verification](ctx, p.c, "/v1/provenance/verify/{gtin}/{serial}", req)
}

func (p provenanceClient) History(ctx context.Context, req ledgerapi.HistoryRequest) (*provenance.ProvenanceHistory, error) {
	return query[provenance.ProvenanceHistory](ctx, p.c, "/v1/provenance/history", req)
}

type ordersClient struct{ c *Client }

func (o ordersClient) RegisterCurrency(ctx context.Context, req ledgerapi.RegisterCurrencyRequest) (*ledgerapi.Committed[orders.SettlementCurrency], error) {
	return mutate[orders.SettlementCurrency](ctx, o.c, "/v1/orders/currencies", req)
}

func (o ordersClient) Deposit(ctx context.Context, req ledgerapi.DepositRequest) (*ledgerapi.Committed[orders.SettlementTransfer], error) {
	return mutate[orders.SettlementTransfer](ctx, o.c, "/v1/orders/deposits", req)
}

func (o ordersClient) Withdraw(ctx context.Context, req ledgerapi.WithdrawRequest) (*ledgerapi.Committed[orders.SettlementTransfer], error) {
	return mutate[orders.SettlementTransfer](ctx, o.c, "/v1/orders/withdrawals", req)
}

func (o ordersClient) Consolidate(ctx context.Context, req ledgerapi.AccountRequest) (*ledgerapi.Committed[orders.Consolidation], error) {
	return mutate[orders.Consolidation](ctx, o.c, "/v1/orders/consolidations", req)
}

func (o ordersClient) Place(ctx context.Context, req ledgerapi.PlaceOrderRequest) (*ledgerapi.Committed[orders.Order], error) {
	return mutate[orders.Order](ctx, o.c, "/v1/orders/orders", req)
}

func (o ordersClient) ConfirmDelivery(ctx context.Context, req ledgerapi.OrderRequest) (*ledgerapi.Committed[orders.Order], error) {
	return mutate[orders.Order](ctx, o.c, "/v1/orders/deliveries", req)
}

func (o ordersClient) Refund(ctx context.Context, req ledgerapi.RefundRequest) (*ledgerapi.Committed[orders.Order], error) {
	return mutate[orders.Order](ctx, o.c, "/v1/orders/refunds", req)
}

func (o ordersClient) RequestReturn(ctx context.Context, req ledgerapi.OrderReasonRequest) (*ledgerapi.Committed[orders.Order], error) {
	return mutate[orders.Order](ctx, o.c, "/v1/orders/return-requests", req)
}

func (o ordersClient) ReceiveReturn(ctx context.Context, req ledgerapi.OrderRequest) (*ledgerapi.Committed[orders.Order], error) {
	return mutate[orders.Order](ctx, o.c, "/v1/orders/return-receipts", req)
}

func (o ordersClient) OpenDispute(ctx context.Context, req ledgerapi.OrderReasonRequest) (*ledgerapi.Committed[orders.Order], error) {
	return mutate[orders.Order](ctx, o.c, "/v1/orders/disputes", req)
}

func (o ordersClient) ResolveDispute(ctx context.Context, req ledgerapi.ResolveDisputeRequest) (*ledgerapi.Committed[orders.Order], error) {
	return mutate[orders.Order](ctx, o.c, "/v1/orders/dispute-resolutions", req)
}

func (o ordersClient) Sweep(ctx context.Context, req ledgerapi.SweepOrdersRequest) (*ledgerapi.Committed[orders.OrderSweep], error) {
	return mutate[orders.OrderSweep](ctx, o.c, "/v1/orders/sweeps", req)
}

func (o ordersClient) GetOrder(ctx context.Context, req ledgerapi.OrderRequest) (*orders.Order, error) {
	return query[orders.Order](ctx, o.c, "/v1/orders/orders/{id}", req)
}

func (o ordersClient) CustomerOrders(ctx context.Context, req ledgerapi.CustomerOrdersRequest) (*orders.OrderPage, error) {
	return query[orders.OrderPage](ctx, o.c, "/v1/orders/customer-orders", req)
}

func (o ordersClient) MerchantOrders(ctx context.Context, req ledgerapi.MerchantOrdersRequest) (*orders.OrderPage, error) {
	return query[orders.OrderPage](ctx, o.c, "/v1/orders/merchant-orders", req)
}

func (o ordersClient) Balance(ctx context.Context, req ledgerapi.AccountRequest) (*orders.SettlementBalance, error) {
	return query[orders.SettlementBalance](ctx, o.c, "/v1/orders/balance", req)
}

func (o ordersClient) Currencies(ctx context.Context) ([]orders.SettlementCurrency, error) {
	list, err := get[[]orders.SettlementCurrency](ctx, o.c, "/v1/orders/currencies", nil)
	if err != nil {
		return nil, err
	}
	return *list, nil
}

type loyaltyClient struct{ c *Client }

func (y loyaltyClient) CreateProgram(ctx context.Context, req ledgerapi.CreateProgramRequest) (*ledgerapi.Committed[loyalty.Program], error) {
	return mutate[loyalty.Program](ctx, y.c, "/v1/loyalty/programs", req)
}

func (y loyaltyClient) AcceptPartnership(ctx context.Context, req ledgerapi.ProgramRequest) (*ledgerapi.Committed[loyalty.PartnerTerms], error) {
	return mutate[loyalty.PartnerTerms](ctx, y.c, "/v1/loyalty/partnerships", req)
}

func (y loyaltyClient) Earn(ctx context.Context, req ledgerapi.EarnRequest) (*ledgerapi.Committed[loyalty.Earn], error) {
	return mutate[loyalty.Earn](ctx, y.c, "/v1/loyalty/earns", req)
}

func (y loyaltyClient) Redeem(ctx context.Context, req ledgerapi.RedeemRequest) (*ledgerapi.Committed[loyalty.Redemption], error) {
	return mutate[loyalty.Redemption](ctx, y.c, "/v1/loyalty/redemptions", req)
}

func (y loyaltyClient) Transfer(ctx context.Context, req ledgerapi.TransferPointsRequest) (*ledgerapi.Committed[loyalty.PointsTransfer], error) {
	return mutate[loyalty.PointsTransfer](ctx, y.c, "/v1/loyalty/transfers", req)
}

func (y loyaltyClient) ExpirePoints(ctx context.Context, req ledgerapi.ExpirePointsRequest) (*ledgerapi.Committed[loyalty.ExpirySweep], error) {
	return mutate[loyalty.ExpirySweep](ctx, y.c, "/v1/loyalty/expiries", req)
}

func (y loyaltyClient) GetProgram(ctx context.Context, req ledgerapi.ProgramRequest) (*loyalty.Program, error) {
	return query[loyalty.Program](ctx, y.c, "/v1/loyalty/programs/{program}", req)
}

func (y loyaltyClient) ListPrograms(ctx context.Context, req ledgerapi.ListProgramsRequest) (*loyalty.ProgramPage, error) {
	return query[loyalty.ProgramPage](ctx, y.c, "/v1/loyalty/programs", req)
}

func (y loyaltyClient) Balance(ctx context.Context, req ledgerapi.PointsBalanceRequest) (*loyalty.PointsBalance, error) {
	return query[loyalty.PointsBalance](ctx, y.c, "/v1/loyalty/programs/{program}/balance", req)
}

func (y loyaltyClient) History(ctx context.Context, req ledgerapi.PointsHistoryRequest) (*loyalty.PointsHistory, error) {
	return query[loyalty.PointsHistory](ctx, y.c, "/v1/loyalty/programs/{program}/history", req)
}

func (y loyaltyClient) Statement(ctx context.Context, req ledgerapi.StatementRequest) (*loyalty.SettlementStatement, error) {
	return query[loyalty.SettlementStatement](ctx, y.c, "/v1/loyalty/statement", req)
}

func (y loyaltyClient) OrderPoints(ctx context.Context, req ledgerapi.OrderPointsRequest) (*loyalty.OrderPoints, error) {
	return query[loyalty.OrderPoints](ctx, y.c, "/v1/loyalty/orders/{order}/points", req)
}

type careClient struct{ c *Client }

func (k careClient) OpenTicket(ctx context.Context, req ledgerapi.OpenTicketRequest) (*ledgerapi.Committed[care.Ticket], error) {
	return mutate[care.Ticket](ctx, k.c, "/v1/care/tickets", req)
}

func (k careClient) AssignTicket(ctx context.Context, req ledgerapi.AssignTicketRequest) (*ledgerapi.Committed[care.Ticket], error) {
	return mutate[care.Ticket](ctx, k.c, "/v1/care/ticket-assignments", req)
}

func (k careClient) RespondTicket(ctx context.Context, req ledgerapi.RespondTicketRequest) (*ledgerapi.Committed[care.Ticket], error) {
	return mutate[care.Ticket](ctx, k.c, "/v1/care/ticket-responses", req)
}

func (k careClient) ResolveTicket(ctx context.Context, req ledgerapi.TicketStepRequest) (*ledgerapi.Committed[care.Ticket], error) {
	return mutate[care.Ticket](ctx, k.c, "/v1/care/ticket-resolutions", req)
}

func (k careClient) ReopenTicket(ctx context.Context, req ledgerapi.TicketStepRequest) (*ledgerapi.Committed[care.Ticket], error) {
	return mutate[care.Ticket](ctx, k.c, "/v1/care/ticket-reopenings", req)
}

func (k careClient) ConfirmTicket(ctx context.Context, req ledgerapi.TicketRequest) (*ledgerapi.Committed[care.Ticket], error) {
	return mutate[care.Ticket](ctx, k.c, "/v1/care/ticket-confirmations", req)
}

func (k careClient) EraseTicketData(ctx context.Context, req ledgerapi.TicketRequest) (*ledgerapi.Committed[care.Ticket], error) {
	return mutate[care.Ticket](ctx, k.c, "/v1/care/ticket-erasures", req)
}

func (k careClient) SetSLAPolicy(ctx context.Context, req ledgerapi.SLAPolicyRequest) (*ledgerapi.Committed[care.SLAPolicy], error) {
	return mutate[care.SLAPolicy](ctx, k.c, "/v1/care/sla-policies", req)
}

func (k careClient) SweepSLA(ctx context.Context, req ledgerapi.SweepSLARequest) (*ledgerapi.Committed[care.SLASweep], error) {
	return mutate[care.SLASweep](ctx, k.c, "/v1/care/sla-sweeps", req)
}

func (k careClient) PostReview(ctx context.Context, req ledgerapi.PostReviewRequest) (*ledgerapi.Committed[care.Review], error) {
	return mutate[care.Review](ctx, k.c, "/v1/care/reviews", req)
}

func (k careClient) EditReview(ctx context.Context, req ledgerapi.EditReviewRequest) (*ledgerapi.Committed[care.Review], error) {
	return mutate[care.Review](ctx, k.c, "/v1/care/review-edits", req)
}

func (k careClient) ReplyToReview(ctx context.Context, req ledgerapi.ReplyToReviewRequest) (*ledgerapi.Committed[care.Review], error) {
	return mutate[care.Review](ctx, k.c, "/v1/care/review-replies", req)
}

func (k careClient) GetTicket(ctx context.Context, req ledgerapi.TicketRequest) (*care.TicketDetail, error) {
	return query[care.TicketDetail](ctx, k.c, "/v1/care/tickets/{id}", req)
}

func (k careClient) ListTickets(ctx context.Context, req ledgerapi.ListTicketsRequest) (*care.TicketPage, error) {
	return query[care.TicketPage](ctx, k.c, "/v1/care/tickets", req)
}

func (k careClient) BreachReport(ctx context.Context, req ledgerapi.BreachReportRequest) (*care.BreachReport, error) {
	return query[care.BreachReport](ctx, k.c, "/v1/care/breaches", req)
}

func (k careClient) GetSLAPolicy(ctx context.Context, req ledgerapi.MerchantRequest) (*care.SLAPolicy, error) {
	return query[care.SLAPolicy](ctx, k.c, "/v1/care/sla-policies/{merchant}", req)
}

func (k careClient) GetTicketPersonalData(ctx context.Context, req ledgerapi.TicketRequest) (*care.TicketPersonalData, error) {
	return query[care.TicketPersonalData](ctx, k.c, "/v1/care/tickets/{id}/personal-data", req)
}

func (k careClient) GetReview(ctx context.Context, req ledgerapi.ReviewRequest) (*care.ReviewDetail, error) {
	return query[care.ReviewDetail](ctx, k.c, "/v1/care/reviews/{id}", req)
}

func (k careClient) ListReviews(ctx context.Context, req ledgerapi.ListReviewsRequest) (*care.ReviewPage, error) {
	return query[care.ReviewPage](ctx, k.c, "/v1/care/reviews", req)
}
