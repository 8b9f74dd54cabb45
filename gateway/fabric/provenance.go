package fabric

import (
	"context"

	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/ledgerapi"
)

// Provenance returns the provenance contract.
func (s *Session) Provenance() ledgerapi.Provenance { return provenanceService{s} }

type provenanceService struct{ s *Session }

func (p provenanceService) RegisterProduct(ctx context.Context, req ledgerapi.RegisterProductRequest) (*ledgerapi.Committed[provenance.Product], error) {
	return submitRequest[provenance.Product](ctx, p.s, provenance.Name, "RegisterProduct", &req)
}

func (p provenanceService) RegisterLot(ctx context.Context, req ledgerapi.RegisterLotRequest) (*ledgerapi.Committed[provenance.ProductLot], error) {
	return submitRequest[provenance.ProductLot](ctx, p.s, provenance.Name, "RegisterLot", &req)
}

func (p provenanceService) RegisterItems(ctx context.Context, req ledgerapi.RegisterItemsRequest) (*ledgerapi.Committed[provenance.ItemsRegistered], error) {
	return submitRequest[provenance.ItemsRegistered](ctx, p.s, provenance.Name, "RegisterItems", &req)
}

func (p provenanceService) OfferCustody(ctx context.Context, req ledgerapi.OfferCustodyRequest) (*ledgerapi.Committed[provenance.Custody], error) {
	return submitRequest[provenance.Custody](ctx, p.s, provenance.Name, "OfferCustody", &req)
}

func (p provenanceService) AcceptCustody(ctx context.Context, req ledgerapi.CustodyRequest) (*ledgerapi.Committed[provenance.Custody], error) {
	return submitRequest[provenance.Custody](ctx, p.s, provenance.Name, "AcceptCustody", &req)
}

func (p provenanceService) RejectCustody(ctx context.Context, req ledgerapi.RejectCustodyRequest) (*ledgerapi.Committed[provenance.Custody], error) {
	return submitRequest[provenance.Custody](ctx, p.s, provenance.Name, "RejectCustody", &req)
}

func (p provenanceService) WithdrawCustodyOffer(ctx context.Context, req ledgerapi.CustodyRequest) (*ledgerapi.Committed[provenance.Custody], error) {
	return submitRequest[provenance.Custody](ctx, p.s, provenance.Name, "WithdrawCustodyOffer", &req)
}

func (p provenanceService) IssueCertificate(ctx context.Context, req ledgerapi.IssueCertificateRequest) (*ledgerapi.Committed[provenance.Certificate], error) {
	return submitRequest[provenance.Certificate](ctx, p.s, provenance.Name, "IssueCertificate", &req)
}

func (p provenanceService) RevokeCertificate(ctx context.Context, req ledgerapi.RevokeCertificateRequest) (*ledgerapi.Committed[provenance.Certificate], error) {
	return submitRequest[provenance.Certificate](ctx, p.s, provenance.Name, "RevokeCertificate", &req)
}

func (p provenanceService) RecallLot(ctx context.Context, req ledgerapi.RecallLotRequest) (*ledgerapi.Committed[provenance.ProductLot], error) {
	return submitRequest[provenance.ProductLot](ctx, p.s, provenance.Name, "RecallLot", &req)
}

func (p provenanceService) Trace(ctx context.Context, req ledgerapi.TraceRequest) (*provenance.LotTrace, error) {
	return evaluateRequest[provenance.LotTrace](ctx, p.s, provenance.Name, "Trace", &req)
}

func (p provenanceService) Verify(ctx context.Context, req ledgerapi.VerifyRequest) (*provenance.Verification, error) {
	return evaluateRequest[provenance.Verification](ctx, p.s, provenance.Name, "Verify", &req)
}

func (p provenanceService) History(ctx context.Context, req ledgerapi.HistoryRequest) (*provenance.ProvenanceHistory, error) {
	return evaluateRequest[provenance.ProvenanceHistory](ctx, p.s, provenance.Name, "History", &req)
}
