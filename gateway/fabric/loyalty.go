package fabric

import (
	"context"

	"github.com/cxledger/cxledger/chaincode/loyalty"
	"github.com/cxledger/cxledger/ledgerapi"
)

// Loyalty returns the loyalty contract.
func (s *Session) Loyalty() ledgerapi.Loyalty { return loyaltyService{s} }

type loyaltyService struct{ s *Session }

func (y loyaltyService) CreateProgram(ctx context.Context, req ledgerapi.CreateProgramRequest) (*ledgerapi.Committed[loyalty.Program], error) {
	return submitRequest[loyalty.Program](ctx, y.s, loyalty.Name, "CreateProgram", &req)
}

func (y loyaltyService) AcceptPartnership(ctx context.Context, req ledgerapi.ProgramRequest) (*ledgerapi.Committed[loyalty.PartnerTerms], error) {
	return submitRequest[loyalty.PartnerTerms](ctx, y.s, loyalty.Name, "AcceptPartnership", &req)
}

func (y loyaltyService) Earn(ctx context.Context, req ledgerapi.EarnRequest) (*ledgerapi.Committed[loyalty.Earn], error) {
	return submitRequest[loyalty.Earn](ctx, y.s, loyalty.Name, "Earn", &req)
}

func (y loyaltyService) Redeem(ctx context.Context, req ledgerapi.RedeemRequest) (*ledgerapi.Committed[loyalty.Redemption], error) {
	return submitRequest[loyalty.Redemption](ctx, y.s, loyalty.Name, "Redeem", &req)
}

func (y loyaltyService) Transfer(ctx context.Context, req ledgerapi.TransferPointsRequest) (*ledgerapi.Committed[loyalty.PointsTransfer], error) {
	return submitRequest[loyalty.PointsTransfer](ctx, y.s, loyalty.Name, "Transfer", &req)
}

func (y loyaltyService) ExpirePoints(ctx context.Context, req ledgerapi.ExpirePointsRequest) (*ledgerapi.Committed[loyalty.ExpirySweep], error) {
	return submitRequest[loyalty.ExpirySweep](ctx, y.s, loyalty.Name, "ExpirePoints", &req)
}

func (y loyaltyService) GetProgram(ctx context.Context, req ledgerapi.ProgramRequest) (*loyalty.Program, error) {
	return evaluateRequest[loyalty.Program](ctx, y.s, loyalty.Name, "GetProgram", &req)
}

func (y loyaltyService) ListPrograms(ctx context.Context, req ledgerapi.ListProgramsRequest) (*loyalty.ProgramPage, error) {
	return evaluateRequest[loyalty.ProgramPage](ctx, y.s, loyalty.Name, "ListPrograms", &req)
}

func (y loyaltyService) Balance(ctx context.Context, req ledgerapi.PointsBalanceRequest) (*loyalty.PointsBalance, error) {
	return evaluateRequest[loyalty.PointsBalance](ctx, y.s, loyalty.Name, "Balance", &req)
}

func (y loyaltyService) History(ctx context.Context, req ledgerapi.PointsHistoryRequest) (*loyalty.PointsHistory, error) {
	return evaluateRequest[loyalty.PointsHistory](ctx, y.s, loyalty.Name, "History", &req)
}

func (y loyaltyService) Statement(ctx context.Context, req ledgerapi.StatementRequest) (*loyalty.SettlementStatement, error) {
	return evaluateRequest[loyalty.SettlementStatement](ctx, y.s, loyalty.Name, "Statement", &req)
}

func (y loyaltyService) OrderPoints(ctx context.Context, req ledgerapi.OrderPointsRequest) (*loyalty.OrderPoints, error) {
	return evaluateRequest[loyalty.OrderPoints](ctx, y.s, loyalty.Name, "OrderPoints", &req)
}
